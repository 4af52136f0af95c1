"""A pooled team on a weekly schedule, solved exactly as a periodic Markov chain over a week.

Capacity uses it for the waits and SLA attainment of a pooled role whose hours or arrivals
vary over the week (shifts, leads in office hours), where the steady-state formulas are far
off. It is pure numpy/scipy and shares nothing with the engine, so the engine's statistical
tests can hold the simulation to it (tests/test_engine_theory.py), and it is pinned itself to
Erlang C and to an independent Monte Carlo (tests/test_theory_formulas.py). Times are in
hours; t = 0 is Monday 00:00 and the schedule repeats every week (168 h).

scipy is imported inside the functions that use it: capacity of a design without shifts or
office-hours arrivals never solves this chain, and answers 0.2 s sooner without it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from orgsim.config.units import WEEK

BUSINESS_HOURS = [(d * 24.0 + 9.0, d * 24.0 + 17.0) for d in range(5)]
"""Mon–Fri 09:00–17:00 as hours of the week: 40 open hours."""


# --------------------------------------------------------------------------------------------
# Weekly schedules
# --------------------------------------------------------------------------------------------


def _normalise(intervals: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Fold intervals into [0, 168), split at the week's end, sort and merge."""
    pieces: list[tuple[float, float]] = []
    for start, end in intervals:
        if end <= start:
            raise ValueError(f"empty or reversed interval ({start}, {end})")
        if end - start >= WEEK:
            return [(0.0, WEEK)]
        s = float(start) % WEEK
        e = s + (end - start)
        if e <= WEEK:
            pieces.append((s, e))
        else:
            pieces += [(s, WEEK), (0.0, e - WEEK)]
    pieces.sort()
    merged: list[tuple[float, float]] = []
    for s, e in pieces:
        if merged and s <= merged[-1][1] + 1e-12:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _open_cum(intervals: list[tuple[float, float]], t: np.ndarray | float) -> np.ndarray:
    """Open hours in [0, t) for any real t (negative too), schedule repeating weekly."""
    t = np.asarray(t, dtype=float)
    weeks = np.floor(t / WEEK)
    x = t - weeks * WEEK
    per_week = sum(e - s for s, e in intervals)
    out = weeks * per_week
    for s, e in intervals:
        out = out + np.clip(x - s, 0.0, e - s)
    return out


def open_hours_between(open_intervals: Sequence[tuple[float, float]], t0, t1) -> np.ndarray:
    """Open (scheduled) hours in (t0, t1] of the weekly schedule; arrays broadcast."""
    iv = _normalise(open_intervals)
    return _open_cum(iv, t1) - _open_cum(iv, t0)


def _is_open(intervals: list[tuple[float, float]], t: np.ndarray) -> np.ndarray:
    x = np.asarray(t, dtype=float) % WEEK
    out = np.zeros(x.shape, dtype=bool)
    for s, e in intervals:
        out |= (x >= s) & (x < e)
    return out


def _arrival_pieces(arrivals) -> list[tuple[float, float, float]]:
    """(start, end, rate) pieces within [0, 168); the rate is 0 outside them (rates add)."""
    if callable(arrivals):
        return [(h, h + 1.0, float(arrivals(h + 0.5))) for h in range(168)]
    if isinstance(arrivals, tuple) and len(arrivals) == 2 and isinstance(arrivals[0], str):
        mode, lam = arrivals
        if mode == "always":
            return [(0.0, WEEK, float(lam))]
        if mode == "business_hours":
            return [(s, e, float(lam) * WEEK / 40.0) for s, e in BUSINESS_HOURS]
        raise ValueError(f"unknown arrival mode {mode!r}")
    pieces = []
    for start, end, rate in arrivals:
        for s, e in _normalise([(start, end)]):
            pieces.append((s, e, float(rate)))
    return pieces


def _rate_at(pieces, t: np.ndarray) -> np.ndarray:
    x = np.asarray(t, dtype=float) % WEEK
    out = np.zeros(x.shape)
    for s, e, r in pieces:
        out += np.where((x >= s) & (x < e), r, 0.0)
    return out


# --------------------------------------------------------------------------------------------
# Pooled team on a weekly schedule
# --------------------------------------------------------------------------------------------


def _birth_death(n_levels: int, c: int, mu: float, rate: float) -> np.ndarray:
    """Generator of the open team on levels n = s + q: M/M/c, arrivals blocked at the top."""
    n = np.arange(n_levels)
    g = np.zeros((n_levels, n_levels))
    g[n[:-1], n[:-1] + 1] = rate
    g[n[1:], n[1:] - 1] = np.minimum(n[1:], c) * mu
    g[n, n] = -g.sum(axis=1)
    return g


def _poisson_shift(n_levels: int, mean: float) -> np.ndarray:
    """Closed team: level n -> min(n + Poisson(mean), top) (arrivals blocked at the top)."""
    from scipy import special

    j = np.arange(n_levels)
    # scipy.stats.poisson's own formulas, without importing scipy.stats (0.7 s of start)
    pmf = np.exp(special.xlogy(j, mean) - mean - special.gammaln(j + 1))
    tail = np.where(j > 0, special.pdtrc(np.maximum(j - 1, 0), mean), 1.0)  # P(J >= j)
    diff = np.subtract.outer(j, j) * -1  # diff[n, m] = m - n
    m = np.where(diff >= 0, pmf[np.clip(diff, 0, None)], 0.0)
    m[:, -1] = tail[n_levels - 1 - j]
    return m


def periodic_pool(
    c: int,
    mu: float,
    open_intervals: Sequence[tuple[float, float]],
    arrivals,
    sla_hours: float,
    dt: float = 0.05,
    q_max: int | None = None,
    direct: bool = True,
    max_levels: int = 5000,
) -> dict:
    """A pooled team of c reps on a weekly schedule, exact via the periodic CTMC over a week.

    Model (as the engine defines it): Poisson arrivals with a piecewise-constant weekly rate;
    one FIFO queue; each lead needs an Exp(mu) amount of *open* time from one rep; reps are
    work-conserving while open; while closed nobody starts, and a task in progress pauses and
    resumes with the same rep at the next opening, when free reps take queued leads FIFO.

    State (s, q) = (reps holding a task, leads waiting). Its total n = s + q is Markov by
    itself: the opening jump moves leads from q to s without changing n, while open n is an
    M/M/c birth–death chain, while closed n only grows by Poisson arrivals, and s is frozen at
    its value min(n, c) at the closing instant. So the week's map on n is a product of matrix
    exponentials and Poisson shifts; its stationary vector at an opening instant is propagated
    over a grid of cells (width ≤ dt, edges at every schedule/rate change and at every schedule
    change minus sla_hours) and the time averages use the midpoint rule, whose error is O(dt²):
    at dt = 0.05 h the shares agree with dt = 0.0125 h within 1e-6 and wait_mean within 1e-6
    relative (wait_mean_direct, whose integrand bends more, within 3e-5 relative). Background
    for time-varying queues solved as Markov chains: Green, Kolesar & Whitt (2007), "Coping
    with time-varying demand when setting staffing requirements for a service system", POMS 16.

    An arrival at level n needs k = (n + 1 − c)⁺ service completions before it starts, which
    (all c reps busy meanwhile, FIFO) take Gamma(k, c·mu) open hours; k = 0 starts at once if
    open, else at the next opening. Arrivals are weighted by rate(t)·P(n at t) (PASTA).

    Arguments: open_intervals are (start, end) hours of the week (folded mod 168); arrivals is
    ("always", lam) (lam per hour all week), ("business_hours", lam) (lam·168/40 per hour in
    Mon–Fri 09–17, same weekly mean), a list of (start, end, rate) pieces, or a callable
    rate(hour of week) taken constant on each whole hour. q_max fixes the truncation level of
    n (raising if its probability ever exceeds 1e-10); by default it grows until it does not.
    max_levels bounds the truncation search (a ValueError beyond it: the chain's matrices
    grow with its square). direct=False skips wait_mean_direct (about 0.5 s of the ~0.6 s a
    call takes); with it the two mean waits are checked to agree within 1e-3 relative.

    Returns: wait_mean (Little: time-average q / mean arrival rate), wait_mean_direct (per
    arrival), wait_mean_business (mean wait counted in open hours), sla_calendar and
    sla_business (share of arrivals waiting ≤ sla_hours on each clock), utilization (busy-rep
    open hours / scheduled rep hours), p_wait (share not started on arrival), mean_queue,
    arrivals_per_week, open_hours (per week), q_max and top_mass (truncation diagnostics).
    """
    if c < 1 or mu <= 0 or sla_hours < 0 or dt <= 0:
        raise ValueError("need c >= 1, mu > 0, sla_hours >= 0, dt > 0")
    iv = _normalise(open_intervals)
    if not iv:
        raise ValueError("the team is never open")
    pieces = _arrival_pieces(arrivals)
    open_week = sum(e - s for s, e in iv)
    per_week = sum((e - s) * r for s, e, r in pieces)
    if per_week <= 0:
        raise ValueError("no arrivals")
    if per_week >= c * mu * open_week:
        raise ValueError("unstable: weekly arrivals >= weekly capacity")

    edges = _cells(iv, pieces, sla_hours)
    seg_mid = (edges[:-1] + edges[1:]) / 2
    seg_open, seg_rate = _is_open(iv, seg_mid), _rate_at(pieces, seg_mid)
    if q_max is not None:
        levels = q_max + 1
    else:  # a first guess: the longest closed stretch's arrivals plus an M/M/c tail at 1e-11
        gaps = [b[0] - a[1] for a, b in zip(iv, [*iv[1:], (iv[0][0] + WEEK, 0.0)], strict=True)]
        closed = max(gaps) * per_week / WEEK
        load = per_week / (c * mu * open_week)
        levels = c + int(closed + 8 * math.sqrt(closed) + math.log(1e-11) / math.log(load)) + 10
    out, levels = _truncated(c, mu, (edges, seg_open, seg_rate), levels, dt, q_max, max_levels)
    return _averages(out, iv, c, mu, levels, sla_hours, per_week, open_week, direct)


def _cells(iv: list[tuple[float, float]], pieces, sla_hours: float) -> np.ndarray:
    """The week's cell edges from the first opening: every schedule and rate change, and
    every schedule change less `sla_hours` (where the SLA's window crosses one)."""
    starts = {s for s, _ in iv}
    ends = {e for _, e in iv}
    openings = sorted(s for s in starts if not (s == 0.0 and WEEK in ends))
    closings = sorted(e % WEEK for e in ends if not (e == WEEK and 0.0 in starts))
    t0 = openings[0] if openings else 0.0
    marks = {0.0, *openings, *closings}
    for s, e, _ in pieces:
        marks |= {s % WEEK, e % WEEK}
    marks |= {(b - sla_hours) % WEEK for b in openings + closings}
    edges = np.unique(np.round([t0 + (m - t0) % WEEK for m in marks], 9))
    return np.append(edges[edges < t0 + WEEK - 1e-9], t0 + WEEK)


def _truncated(c, mu, cells, levels: int, dt, q_max, max_levels) -> tuple[dict, int]:
    """The periodic solution at the first truncation level that holds all but 1e-10 of the
    probability (growing it by 40% a try), or at `q_max` exactly."""
    while True:
        if levels > max_levels:
            raise ValueError("could not find a truncation level: is the load too close to 1?")
        out = _periodic_solve(c, mu, *cells, levels, dt)
        if out is not None and out["top"] <= 1e-10:
            return out, levels
        if q_max is not None:
            raise ValueError(f"truncation at q_max={q_max} holds too much probability")
        levels = int(levels * 1.4)


def _averages(out, iv, c, mu, levels, sla_hours, per_week, open_week, direct) -> dict:
    """Time and per-arrival averages of the periodic solution (see `periodic_pool`)."""
    from scipy import special

    p, mids, h, cell_open = out["p"], out["mids"], out["h"], out["open"]
    rate, s_frozen, top = out["rate"], out["s_frozen"], out["top"]
    n = np.arange(levels)
    k = np.maximum(n + 1 - c, 0)
    cm = c * mu

    # Time averages (midpoint rule).
    mean_n = p @ n
    busy = p @ np.minimum(n, c)
    q_t = np.where(cell_open, mean_n - busy, mean_n - s_frozen)
    mean_queue = float(h @ q_t) / WEEK
    utilization = float(h[cell_open] @ busy[cell_open]) / (c * open_week)

    # Per-arrival averages: weights rate(t)·dt·P(n at t), the top level (blocked) left out.
    wt = (rate * h)[:, None] * p
    wt[:, -1] = 0.0
    total = float(wt.sum())
    wait_business = float(wt.sum(axis=0) @ k) / total / cm
    starts_now = np.where(cell_open[:, None], k == 0, False)
    p_wait = 1.0 - float((wt * starts_now).sum()) / total
    kk = np.maximum(k, 1)[None, :]
    f_bus = np.where(k == 0, 1.0, special.gammainc(kk, cm * sla_hours))
    sla_business = float((wt * f_bus).sum()) / total
    o_t = _open_cum(iv, mids + sla_hours) - _open_cum(iv, mids)
    f_cal = special.gammainc(kk, cm * o_t[:, None])
    first = (cell_open | (o_t > 0)).astype(float)[:, None]
    f_cal = np.where(k[None, :] == 0, first, f_cal)
    sla_calendar = float((wt * f_cal).sum()) / total

    wait_little = mean_queue / (per_week / WEEK)
    wait_direct = _direct_wait(iv, mids, wt, k, cm) / total if direct else math.nan
    if direct and abs(wait_direct - wait_little) > 1e-3 * max(1.0, wait_little):
        raise AssertionError(f"Little {wait_little} and per-arrival {wait_direct} waits differ")
    return {
        "wait_mean": wait_little,
        "wait_mean_direct": wait_direct,
        "wait_mean_business": wait_business,
        "sla_calendar": sla_calendar,
        "sla_business": sla_business,
        "utilization": utilization,
        "p_wait": p_wait,
        "mean_queue": mean_queue,
        "arrivals_per_week": per_week,
        "open_hours": open_week,
        "q_max": levels - 1,
        "top_mass": top,
    }


def _periodic_solve(c, mu, edges, seg_open, seg_rate, levels, dt):
    """Stationary distribution of n at t0 and its midpoint values over the week's cells."""
    from scipy import linalg

    cache: dict = {}

    def step(is_open: bool, rate: float, length: float) -> np.ndarray:
        key = (is_open, round(rate, 12), round(length, 12))
        if key not in cache:
            if is_open:
                cache[key] = linalg.expm(_birth_death(levels, c, mu, rate) * length)
            else:
                cache[key] = _poisson_shift(levels, rate * length)
        return cache[key]

    segments = list(zip(edges[:-1], edges[1:], seg_open, seg_rate, strict=True))
    pi = _stationary(_week_map(segments, step, levels))
    if pi[-1] > 1e-10:
        return None
    return _over_the_week(pi, segments, step, levels, c, dt)


def _week_map(segments, step, levels: int) -> np.ndarray:
    """One week's transition matrix on n, merging runs that share a generator (closed runs:
    their Poisson means add)."""
    week = np.eye(levels)
    run: list = []  # [open, rate, length or mean]
    for a, b, is_open, rate in segments:
        if run and run[0] == is_open and (not is_open or run[1] == rate):
            run[2] += (b - a) * (rate if not is_open else 1.0)
            continue
        if run:
            week = week @ (step(True, run[1], run[2]) if run[0] else step(False, 1.0, run[2]))
        run = [is_open, rate, (b - a) * (1.0 if is_open else rate)]
    return week @ (step(True, run[1], run[2]) if run[0] else step(False, 1.0, run[2]))


def _stationary(week: np.ndarray) -> np.ndarray:
    """The stationary vector of a week's map."""
    from scipy import linalg

    levels = len(week)
    a_mat = week.T - np.eye(levels)
    a_mat[-1, :] = 1.0
    rhs = np.zeros(levels)
    rhs[-1] = 1.0
    pi = np.clip(linalg.solve(a_mat, rhs), 0.0, None)
    return pi / pi.sum()


def _over_the_week(pi, segments, step, levels: int, c: int, dt: float) -> dict:
    """The distribution of n at the midpoint of every cell of the week, from `pi` at t0, with
    each cell's width, schedule, rate and the reps frozen on tasks while closed."""
    rows, hs, opens, rates, frozen = [], [], [], [], []
    mids = []
    x = pi
    s_frozen = 0.0
    was_open = True
    for a, b, is_open, rate in segments:
        cells = max(1, math.ceil((b - a) / dt - 1e-9))
        hh = (b - a) / cells
        half = step(bool(is_open), rate, hh / 2)
        if was_open and not is_open:
            s_frozen = float(x @ np.minimum(np.arange(levels), c))
        was_open = bool(is_open)
        for i in range(cells):
            mid = x @ half
            rows.append(mid)
            x = mid @ half
            mids.append(a + (i + 0.5) * hh)
        hs += [hh] * cells
        opens += [bool(is_open)] * cells
        rates += [rate] * cells
        frozen += [s_frozen] * cells
    if np.abs(x - pi).sum() > 1e-8:
        raise AssertionError("the week's propagation did not return to its stationary state")
    p = np.array(rows)
    return {
        "p": p,
        "mids": np.array(mids),
        "h": np.array(hs),
        "open": np.array(opens),
        "rate": np.array(rates),
        "s_frozen": np.array(frozen),
        "top": float(max(p[:, -1].max(), pi[-1])),
    }


def _direct_wait(iv, mids, wt, k, cm) -> float:
    """Σ over arrivals of E[calendar wait]: E[Gamma] + closed gaps weighted by P(still waiting).

    For an arrival at t needing k completions (G ~ Gamma(k, cm) open hours), the calendar wait
    W has P(W > w) = 1 in the closed gap it arrives in, P(G > open hours so far) in open time
    (integrating to E[G]) and P(G > O_i) over each later closed gap i that starts after O_i
    open hours. So E[W] = k/cm + [closed at t]·(rest of the gap) + Σ_i L_i·P(G > O_i).
    """
    from scipy import special

    mass = wt.sum(axis=0)
    keep = np.nonzero(mass > 1e-14 * mass.sum())[0]
    kmax = int(k[keep].max())
    o_max = (kmax + 12 * math.sqrt(kmax + 1) + 30) / cm  # P(G_kmax > o_max) negligible
    # Closed gaps: complements of the open intervals, over enough weeks.
    gaps = []
    open_week = sum(e - s for s, e in iv)
    weeks = int(o_max / open_week) + 3
    for w in range(-1, weeks):
        prev_end = None
        for s, e in iv:
            if prev_end is not None:
                gaps.append((w * WEEK + prev_end, w * WEEK + s))
            prev_end = e
        first_s, last_e = iv[0][0], iv[-1][1]
        if last_e < WEEK or first_s > 0:
            gaps.append((w * WEEK + last_e, (w + 1) * WEEK + first_s))
    gs = np.array(sorted(gaps))
    wk = wt[:, keep]
    kk = k[keep]
    total = float(wk.sum(axis=0) @ kk) / cm
    t = mids
    for g_start, g_end in gs:
        inside = (g_start <= t) & (t < g_end)
        if inside.any():
            total += float(wk[inside].sum(axis=1) @ (g_end - t[inside]))
        after = g_start > t
        if not after.any():
            continue
        o = _open_cum(iv, g_start) - _open_cum(iv, t[after])
        live = o < o_max
        if not live.any():
            continue
        rows = np.nonzero(after)[0][live]
        sf = special.gammaincc(np.maximum(kk, 1)[None, :], cm * o[live][:, None])
        sf = np.where(kk[None, :] == 0, 0.0, sf)
        total += (g_end - g_start) * float((wk[rows] * sf).sum())
    return total
