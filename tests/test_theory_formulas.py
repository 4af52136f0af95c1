"""The exact formulas in tests/theory.py, checked against textbook cases and small simulations.

Nothing here touches the engine: each formula is pinned to a classical closed form (Erlang B/C,
the Poisson number in system of M/M/∞) and to an independent plain-Python Monte Carlo with a
fixed seed, compared within a Bonferroni-corrected 99.9% batch-means interval.
"""

from __future__ import annotations

import heapq
import math

import numpy as np
import pytest
from scipy import stats

from .theory import (
    BUSINESS_HOURS,
    erlang_a,
    mmc_deterministic_patience,
    open_hours_between,
    periodic_pool,
)

pytestmark = pytest.mark.statistical

FAMILY_ALPHA = 0.001  # per test, split over its checks (Bonferroni)
LAM_75 = 0.75 * 2 * 40 / 168  # two reps, mu = 1/h, 40 open hours: 75% weekly utilisation


def erlang_b(c: int, a: float) -> float:
    """Erlang B by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1))."""
    b = 1.0
    for k in range(1, c + 1):
        b = a * b / (k + a * b)
    return b


def erlang_c(c: int, a: float) -> float:
    """P(wait > 0) in M/M/c with offered load a = lam/mu < c."""
    b = erlang_b(c, a)
    return b / (1 - (a / c) * (1 - b))


def assert_close(estimate: float, se: float, theory: float, df: int, checks: int, what: str):
    """|estimate − theory| within the t interval at family level 99.9% over `checks` checks."""
    half = stats.t.ppf(1 - FAMILY_ALPHA / (2 * checks), df) * se
    assert abs(estimate - theory) <= half, f"{what}: {estimate:.5f} ± {half:.5f} vs {theory:.5f}"


def batch_means(values: np.ndarray, batches: int) -> tuple[float, float]:
    """Mean and standard error from equal consecutive batches."""
    means = np.array([b.mean() for b in np.array_split(values, batches)])
    return float(values.mean()), float(means.std(ddof=1) / math.sqrt(batches))


# --------------------------------------------------------------------------------------------
# Erlang A
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "lam", "mu"), [(1, 0.5, 1.0), (2, 1.5, 1.0), (5, 4.0, 1.0)])
def test_erlang_a_with_no_abandonment_is_erlang_c(c, lam, mu):
    got = erlang_a(c, lam, mu, theta=1e-10)
    a = lam / mu
    pc = erlang_c(c, a)
    assert got["p_abandon"] < 1e-8
    assert got["utilization"] == pytest.approx(lam / (c * mu), rel=1e-8)
    assert got["p_wait"] == pytest.approx(pc, rel=1e-7)
    assert got["wait_mean_served"] == pytest.approx(pc / (c * mu - lam), rel=1e-7)
    for t in (0.0, 0.5, 2.0):
        sla = 1 - pc * math.exp(-(c * mu - lam) * t)
        assert got["p_served_within"](t) == pytest.approx(sla, abs=1e-8)


@pytest.mark.parametrize(("c", "lam"), [(1, 0.8), (3, 2.0), (3, 6.0), (10, 9.5)])
def test_erlang_a_with_patience_equal_to_service_is_poisson(c, lam):
    """With theta = mu every customer leaves at rate mu: N ~ Poisson(lam/mu) as in M/M/∞."""
    mu = 1.3
    got = erlang_a(c, lam, mu, theta=mu)
    a = lam / mu
    j = np.arange(c)
    pmf = stats.poisson.pmf(j, a)
    excess = a - c + float(((c - j) * pmf).sum())  # E[(N − c)+]
    assert got["p_abandon"] == pytest.approx(excess * mu / lam, rel=1e-10)
    assert got["utilization"] == pytest.approx((a - excess) / c, rel=1e-10)
    assert got["wait_mean"] == pytest.approx(excess / lam, rel=1e-10)


def test_erlang_a_served_and_abandoned_shares_add_up():
    """Two routes to p_abandon agree: the rate (k−c)+·theta/lam and 1 − P(served eventually)."""
    got = erlang_a(4, 5.0, 1.0, theta=0.7)
    assert got["p_served_within"](1e4) == pytest.approx(1 - got["p_abandon"], abs=1e-9)
    assert 0 < got["p_served_within"](0.0) < got["p_served_within"](1.0) < 1


def test_erlang_a_matches_a_simulation():
    c, lam, mu, theta = 3, 3.0, 1.0, 0.5
    theory = erlang_a(c, lam, mu, theta)
    abandoned, wait = simulate_impatient_fifo(
        c, lam, mu, lambda rng, n: rng.exponential(1 / theta, n), seed=5
    )
    batches, checks = 20, 4
    p, se = batch_means(abandoned.astype(float), batches)
    assert_close(p, se, theory["p_abandon"], batches - 1, checks, "p_abandon")
    w, se = batch_means(wait, batches)
    assert_close(w, se, theory["wait_mean"], batches - 1, checks, "wait_mean")
    # Mean wait of the served: a ratio, with its error by the delta method over batches.
    served = ~abandoned
    num = np.array([x.sum() for x in np.array_split(np.where(served, wait, 0.0), batches)])
    den = np.array([x.sum() for x in np.array_split(served.astype(float), batches)])
    ratio = num.sum() / den.sum()
    se = (num - ratio * den).std(ddof=1) / den.mean() / math.sqrt(batches)
    assert_close(ratio, se, theory["wait_mean_served"], batches - 1, checks, "wait served")
    hit, se = batch_means((served & (wait <= 0.25)).astype(float), batches)
    assert_close(hit, se, theory["p_served_within"](0.25), batches - 1, checks, "served ≤ 15min")


# --------------------------------------------------------------------------------------------
# M/M/c+D
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("c", "lam", "mu"), [(1, 0.6, 1.0), (2, 1.5, 1.0), (6, 5.0, 1.0)])
def test_deterministic_patience_limits(c, lam, mu):
    a = lam / mu
    patient = mmc_deterministic_patience(c, lam, mu, tau=200.0)
    assert patient["p_abandon"] < 1e-12
    assert patient["utilization"] == pytest.approx(lam / (c * mu), rel=1e-10)
    assert patient["p_wait"] == pytest.approx(erlang_c(c, a), rel=1e-10)
    assert patient["wait_mean_served"] == pytest.approx(erlang_c(c, a) / (c * mu - lam), rel=1e-10)
    loss = mmc_deterministic_patience(c, lam, mu, tau=0.0)
    assert loss["p_abandon"] == pytest.approx(erlang_b(c, a), rel=1e-12)
    assert loss["wait_mean_served"] == 0.0


def test_deterministic_patience_is_continuous_through_critical_load():
    """lam = c·mu is a removable singularity of the closed form; overload stays finite."""
    at = mmc_deterministic_patience(2, 2.0, 1.0, tau=0.7)
    near = mmc_deterministic_patience(2, 2.0 + 1e-7, 1.0, tau=0.7)
    for key in ("p_abandon", "wait_mean_served", "p_wait"):
        assert at[key] == pytest.approx(near[key], rel=1e-6)
    heavy = mmc_deterministic_patience(2, 8.0, 1.0, tau=100.0)
    assert heavy["p_abandon"] == pytest.approx(1 - 2 / 8, rel=1e-9)  # servers always busy
    assert heavy["utilization"] == pytest.approx(1.0, rel=1e-9)


def simulate_impatient_fifo(c, lam, mu, patience, seed):
    """FIFO M/M/c+G by the Kiefer–Wolfowitz recursion: who waits too long never takes a rep.

    `patience(rng, n)` draws the customers' patience times.
    """
    rng = np.random.default_rng(seed)
    n = 200_000
    arrivals = np.cumsum(rng.exponential(1 / lam, n))
    services = rng.exponential(1 / mu, n)
    limit = patience(rng, n)
    free = [0.0] * c  # heap of the times each rep next becomes free
    abandoned = np.zeros(n, dtype=bool)
    wait = np.zeros(n)
    for i, t in enumerate(arrivals.tolist()):
        start = max(t, free[0])
        if start - t > limit[i]:
            abandoned[i] = True
            wait[i] = limit[i]
        else:
            wait[i] = start - t
            heapq.heapreplace(free, start + services[i])
    return abandoned[2000:], wait[2000:]


def test_deterministic_patience_matches_a_simulation():
    c, lam, mu, tau = 2, 2.0, 1.0, 0.5
    theory = mmc_deterministic_patience(c, lam, mu, tau)
    abandoned, wait = simulate_impatient_fifo(c, lam, mu, lambda rng, n: np.full(n, tau), 7)
    batches = 20
    p, se = batch_means(abandoned.astype(float), batches)
    assert_close(p, se, theory["p_abandon"], batches - 1, 3, "p_abandon")
    # Mean wait of all arrivals (abandoners count tau), and P(wait > 0).
    w, se = batch_means(wait, batches)
    assert_close(w, se, theory["wait_mean"], batches - 1, 3, "wait_mean")
    pw, se = batch_means((abandoned | (wait > 0)).astype(float), batches)
    assert_close(pw, se, theory["p_wait"], batches - 1, 3, "p_wait")


# --------------------------------------------------------------------------------------------
# Pooled team on a weekly schedule
# --------------------------------------------------------------------------------------------


def test_open_hours_between_folds_the_week():
    assert open_hours_between(BUSINESS_HOURS, 0, 168) == pytest.approx(40)
    assert open_hours_between(BUSINESS_HOURS, 16, 34) == pytest.approx(1 + 1)
    assert open_hours_between(BUSINESS_HOURS, 4 * 24 + 16, 168 + 10) == pytest.approx(2)
    night = [(22.0, 30.0)]  # Monday 22:00 to Tuesday 06:00
    assert open_hours_between(night, 0, 168 * 3) == pytest.approx(24)
    assert open_hours_between([(160.0, 170.0)], 0, 2) == pytest.approx(2)


@pytest.mark.parametrize(
    ("c", "lam", "schedule"),
    [(1, 0.7, [(0.0, 168.0)]), (2, 1.5, [(0.0, 50.0), (50.0, 168.0)]), (3, 2.4, [(100, 268)])],
)
def test_pool_open_all_week_is_erlang_c(c, lam, schedule):
    """However an always-open week is written, the pool is M/M/c."""
    mu, sla = 1.0, 0.75
    got = periodic_pool(c, mu, schedule, ("always", lam), sla)
    pc = erlang_c(c, lam / mu)
    wait = pc / (c * mu - lam)
    assert got["wait_mean"] == pytest.approx(wait, rel=1e-7)
    assert got["wait_mean_direct"] == pytest.approx(wait, rel=1e-7)
    attain = 1 - pc * math.exp(-(c * mu - lam) * sla)
    assert got["sla_calendar"] == pytest.approx(attain, abs=1e-8)
    assert got["sla_business"] == pytest.approx(attain, abs=1e-8)
    assert got["utilization"] == pytest.approx(lam / (c * mu), rel=1e-8)
    assert got["p_wait"] == pytest.approx(pc, rel=1e-7)


def test_pool_with_arrivals_only_on_shift_is_erlang_c_on_the_business_clock():
    """Nothing moves while closed, so on the open-hours clock it is M/M/c at the on-shift rate."""
    c, mu, sla = 2, 1.0, 1.5
    got = periodic_pool(c, mu, BUSINESS_HOURS, ("business_hours", LAM_75), sla)
    lam_open = LAM_75 * 168 / 40
    pc = erlang_c(c, lam_open / mu)
    assert got["wait_mean_business"] == pytest.approx(pc / (c * mu - lam_open), rel=1e-9)
    attain = 1 - pc * math.exp(-(c * mu - lam_open) * sla)
    assert got["sla_business"] == pytest.approx(attain, abs=1e-9)
    # Little on the calendar clock: the queue is frozen overnight at its M/M/c mean.
    assert got["mean_queue"] == pytest.approx(pc * (lam_open / c) / (1 - lam_open / c), rel=1e-9)
    assert got["wait_mean_direct"] == pytest.approx(got["wait_mean"], rel=1e-4)


@pytest.mark.parametrize("mode", ["always", "business_hours"])
def test_pool_grid_is_converged(mode):
    """The midpoint rule at the default dt is within 1e-4 of a grid four times finer."""
    coarse = periodic_pool(2, 1.0, BUSINESS_HOURS, (mode, LAM_75), 24.0)
    fine = periodic_pool(2, 1.0, BUSINESS_HOURS, (mode, LAM_75), 24.0, dt=0.0125, direct=False)
    for key in ("sla_calendar", "sla_business", "utilization", "p_wait"):
        assert coarse[key] == pytest.approx(fine[key], abs=1e-5)
    assert coarse["wait_mean"] == pytest.approx(fine["wait_mean"], rel=1e-5)
    assert coarse["wait_mean_direct"] == pytest.approx(coarse["wait_mean"], rel=1e-4)
    assert coarse["top_mass"] <= 1e-10


def test_pool_truncation_is_checked():
    with pytest.raises(ValueError, match="q_max"):
        periodic_pool(2, 1.0, BUSINESS_HOURS, ("always", LAM_75), 24.0, q_max=20)
    with pytest.raises(ValueError, match="unstable"):
        periodic_pool(2, 1.0, BUSINESS_HOURS, ("always", 80 / 168), 24.0)


def simulate_pool(c, mu, intervals, rate_pieces, weeks, seed, sla_calendar, sla_business):
    """Plain simulation of the pooled team, on the clock of cumulative open hours.

    Reps only work (and tasks only progress) in open time, so on the open-hours clock u each
    rep is a FIFO server and the Kiefer–Wolfowitz recursion gives each lead's start u_start =
    max(u_arrival, earliest rep free). A lead that finds a rep free while the team is closed
    starts at the next opening; one that waits for a rep starts when that rep's task ends.
    Returns per lead: arrival week, calendar wait, SLA hits, open-clock start and effort.
    """
    rng = np.random.default_rng(seed)
    starts = np.array([s for s, _ in intervals])
    ends = np.array([e for _, e in intervals])
    open_week = float((ends - starts).sum())
    cum_start = np.concatenate([[0.0], np.cumsum(ends - starts)[:-1]])

    def clock(t):  # open hours in [0, t)
        w, x = np.divmod(t, 168.0)
        return w * open_week + np.clip(x[:, None] - starts, 0, ends - starts).sum(axis=1)

    def calendar(u):  # the calendar time at which the open clock reads u (inside open time)
        w, r = np.divmod(u, open_week)
        i = np.searchsorted(cum_start, r, side="right") - 1
        return w * 168.0 + starts[i] + (r - cum_start[i])

    def next_opening(t):
        w, x = np.divmod(t, 168.0)
        i = np.searchsorted(starts, x, side="right")
        later = i < starts.size
        return w * 168.0 + np.where(later, starts[np.minimum(i, starts.size - 1)], 168 + starts[0])

    top = max(r for _, _, r in rate_pieces)
    n = rng.poisson(top * 168 * weeks)
    t = np.sort(rng.uniform(0, 168 * weeks, n))
    x = t % 168
    rate = sum(np.where((x >= s) & (x < e), r, 0.0) for s, e, r in rate_pieces)
    t = t[rng.uniform(0, top, n) < rate]
    u = clock(t)
    effort = rng.exponential(1 / mu, t.size)
    free = [0.0] * c
    u_start = np.empty(t.size)
    for i, ui in enumerate(u.tolist()):
        s = max(ui, free[0])
        u_start[i] = s
        heapq.heapreplace(free, s + effort[i])
    xt = t % 168
    is_open = ((xt[:, None] >= starts) & (xt[:, None] < ends)).any(axis=1)
    start = np.where(u_start > u, calendar(u_start), np.where(is_open, t, next_opening(t)))
    wait = start - t
    return {
        "week": (t // 168).astype(int),
        "wait": wait,
        "sla_calendar": wait <= sla_calendar,
        "sla_business": (u_start - u) <= sla_business,
        "u_start": u_start,
        "effort": effort,
        "open_week": open_week,
    }


NIGHTS = [(d * 24.0 + 22.0, d * 24.0 + 30.0) for d in range(5)]  # Mon–Fri 22:00 to 06:00


def pool_matches_simulation(mode, weeks, seed, schedule=BUSINESS_HOURS):
    """wait_mean, sla_calendar (24 h), sla_business (8 h), utilization vs a simulation."""
    c, mu = 2, 1.0
    pieces = (
        [(0.0, 168.0, LAM_75)]
        if mode == "always"
        else [(s, e, LAM_75 * 168 / 40) for s, e in BUSINESS_HOURS]
    )
    theory = periodic_pool(c, mu, schedule, (mode, LAM_75), 24.0, direct=False)
    theory_8 = periodic_pool(c, mu, schedule, (mode, LAM_75), 8.0, direct=False)
    sim = simulate_pool(c, mu, schedule, pieces, weeks, seed, 24.0, 8.0)
    warmup, batches = 10, 20
    keep = sim["week"] >= warmup
    groups = np.array_split(np.arange(warmup, weeks), batches)
    batch_of = np.searchsorted([g[0] for g in groups], sim["week"][keep], side="right") - 1
    checks = 4
    for key, value in [
        ("wait", theory["wait_mean"]),
        ("sla_calendar", theory["sla_calendar"]),
        ("sla_business", theory_8["sla_business"]),
    ]:
        x = sim[key][keep].astype(float)
        means = np.bincount(batch_of, x) / np.bincount(batch_of)
        se = means.std(ddof=1) / math.sqrt(batches)
        assert_close(x.mean(), se, value, batches - 1, checks, f"{mode} {key}")
    # Busy rep hours in each batch: a task covers [u_start, u_start + effort) on the open clock.
    bounds = np.array([g[0] for g in groups] + [weeks]) * sim["open_week"]
    done = np.array([np.clip(b - sim["u_start"], 0, sim["effort"]).sum() for b in bounds])
    util = np.diff(done) / (c * sim["open_week"] * np.array([g.size for g in groups]))
    se = util.std(ddof=1) / math.sqrt(batches)
    assert_close(util.mean(), se, theory["utilization"], batches - 1, checks, f"{mode} util")


@pytest.mark.parametrize("mode", ["always", "business_hours"])
def test_pool_on_business_hours_matches_a_simulation(mode):
    pool_matches_simulation(mode, weeks=2000, seed=11)


def test_pool_on_a_night_shift_matches_a_simulation():
    """Shifts that cross midnight, with leads arriving in the day while nobody works."""
    pool_matches_simulation("business_hours", weeks=1000, seed=13, schedule=NIGHTS)


@pytest.mark.parametrize("schedule", [BUSINESS_HOURS, NIGHTS], ids=["business", "nights"])
@pytest.mark.parametrize("mode", ["always", "business_hours"])
def test_pool_matches_a_long_simulation(mode, schedule):
    pool_matches_simulation(mode, weeks=40_000, seed=12, schedule=schedule)


def test_pool_arrival_forms_agree():
    """The named arrival modes, explicit pieces and an hourly callable describe the same week."""
    args = (2, 1.0, BUSINESS_HOURS)
    named = periodic_pool(*args, ("business_hours", LAM_75), 24.0, direct=False)
    pieces = [(s, e, LAM_75 * 168 / 40) for s, e in BUSINESS_HOURS]
    listed = periodic_pool(*args, pieces, 24.0, direct=False)
    always = periodic_pool(*args, ("always", LAM_75), 24.0, direct=False)
    hourly = periodic_pool(*args, lambda hour: LAM_75, 24.0, direct=False)
    for key in ("wait_mean", "sla_calendar", "sla_business", "utilization"):
        assert listed[key] == pytest.approx(named[key], rel=1e-12)
        assert hourly[key] == pytest.approx(always[key], rel=1e-9)
