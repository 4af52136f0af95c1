"""The people a role has over time, as the analytic model counts them: the seat process.

Every seat is followed through its reps, as the engine fills it (docs/engine.md, people
over time): today's reps with their tenure, dated hires from tenure 0, each leaving after an
exponential time at the attrition rate, the seat refilled after the backfill delay by a new
rep at tenure 0, ramping. Histories are drawn from a fixed seed, so an answer never moves.
Capacity reads the average over the measured window (`workforce`); the horizon's week by
week loads read each week (`by_interval`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orgsim.config.units import DAY, MONTH
from orgsim.engine.calendar import working_days
from orgsim.engine.model import RANDOM, ROUND_ROBIN, Model, RolePlan


@dataclass
class Workforce:
    """A role's people over the measured window, as capacity counts them."""

    at_work: float
    """Reps at work on average: on the payroll, less PTO."""
    share: float
    """Mean ramp share of the reps on the payroll (what a skill ramp multiplies)."""
    slowness: float
    """How much longer the role's work takes while reps ramp (what utilization sees)."""


SEAT_SAMPLES = 2000
"""Histories drawn per kind of seat (a fixed seed, so the answer does not move)."""


def workforce(model: Model, role: RolePlan) -> Workforce:
    """The role's expected people over the measured window, from the seat process itself:
    today's seats (tenure from the role's distribution) and dated hires' seats (tenure 0),
    each followed through its reps (an exponential time to leave at the attrition rate,
    then the backfill delay, then a new rep with tenure 0), 2,000 histories per kind of
    seat, day by day (see `_edges`). A planned departure takes a today's seat's expected
    hours from its date on; a named person's dated start adds a seat, and their planned
    departure without backfill takes it (with backfill, the seat's gap is left out). PTO
    takes its share of working days.

    Slowness: work arrives evenly over time, so each day counts alike. Work that goes to
    whoever is free or least loaded is shared in proportion to speed, so a day's team works
    at its mean share (1 / mean share); work dealt out in turn (round robin, random) gives
    every rep the same count, so each takes its own 1 / share (the mean of 1 / share)."""
    W, T = model.warmup, model.end
    if T <= W:
        return Workforce(float(role.headcount), 1.0, 1.0)
    edges = _edges(model, role, _tenure(role, np.random.default_rng(0)))
    payroll, ramped, slow = seat_hours(model, role, edges)
    if payroll.sum() <= 0:
        return Workforce(0.0, 1.0, 1.0)
    present = payroll.sum() / (T - W) * _present_share(role)
    staffed = payroll > 0
    daily = _slowness(model, role, payroll[staffed], ramped[staffed], slow[staffed])
    length = np.diff(edges)[staffed]
    slowness = float((daily * length).sum() / length.sum())
    return Workforce(present, ramped.sum() / payroll.sum(), slowness)


def pod_shares(model: Model, role: RolePlan) -> list[float] | None:
    """Each pod's share of a role's people, by its seats: what splits the role's hours
    between pods that do not lend each other reps. None for a pooled role, and where dated
    hires join the role's pods during the run (the shares would move with them; capacity
    then gives the role's total only and says so)."""
    if len(role.crews) <= 1 or any(hire.role == role.index for hire in model.hires):
        return None
    seats = sum(crew.headcount for crew in role.crews)
    return [crew.headcount / seats if seats else 0.0 for crew in role.crews]


def by_interval(model: Model, role: RolePlan, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Reps at work (on the payroll, less PTO) and slowness (see `workforce`) in each
    interval between `edges` (clock hours, any span: after the horizon the seats go on
    leaving and being refilled), from the same seat process."""
    payroll, ramped, slow = seat_hours(model, role, edges)
    present = payroll / np.diff(edges) * _present_share(role)
    slowness = np.ones(len(payroll))
    staffed = payroll > 0
    slowness[staffed] = _slowness(model, role, payroll[staffed], ramped[staffed], slow[staffed])
    return present, slowness


def seat_hours(model: Model, role: RolePlan, edges: np.ndarray) -> np.ndarray:
    """Expected hours on the payroll of the role's seats in each interval between `edges`,
    and the ramp share and its inverse integrated over them: an array (3, intervals)."""
    weights, parts = _seats(model, role, edges)
    return sum(
        (w * part for w, part in zip(weights, parts, strict=True)), np.zeros((3, len(edges) - 1))
    )


_SEATS: dict[tuple, list[np.ndarray]] = {}
"""One seat's hours of each kind, by what decides them (a planner asks again for every
headcount it tries, and the histories do not depend on the headcount)."""


def _seats(model: Model, role: RolePlan, edges: np.ndarray) -> tuple[list[float], list]:
    """How many seats of each kind the role has (weights: negative for seats given up), and
    one seat's hours of each kind, drawn in one fixed order from one seed."""
    hires = [
        (h.at, h.count > 0, h.count)
        for h in model.hires
        if h.role == role.index and h.at < model.end
    ]
    people = [
        (p.joins, p.tenure, p.leaves, p.backfill, p.joins is not None and p.joins < model.end,
         p.leaves is not None and not p.backfill and p.leaves < model.end)
        for p in role.people
    ]  # fmt: skip
    key = (
        repr((role.attrition, role.backfill, role.ramp, role.tenure, model.end)),
        tuple((at, joins) for at, joins, _ in hires),
        tuple(p[:4] for p in people),
        edges.tobytes(),
    )
    weights = [role.headcount] + [count for *_, count in hires]
    weights += [sign for p in people for sign, written in ((1, p[4]), (-1, p[5])) if written]
    if key not in _SEATS:
        if len(_SEATS) > 512:
            _SEATS.clear()
        _SEATS[key] = _seat_kinds(model, role, edges, hires, people)
    return weights, _SEATS[key]


def _seat_kinds(model: Model, role: RolePlan, edges, hires, people) -> list[np.ndarray]:
    """One today's seat, then per dated hire one seat it adds (or one today's seat from its
    date on, for a seat given up), then per named person its start and its departure."""
    rng = np.random.default_rng(0)
    tenure = _tenure(role, rng)
    kinds = [_seat_hours(role, 0.0, tenure, rng, edges)]
    for at, joins, _ in hires:
        if joins:
            kinds.append(_seat_hours(role, at, np.zeros(SEAT_SAMPLES), rng, edges))
        else:
            kinds.append(_seat_hours(role, 0.0, tenure, rng, edges, at))
    for joins, own_tenure, leaves, _, starts, departs in people:
        joined = 0.0 if joins is None else joins
        own = tenure if joins is None else np.full(SEAT_SAMPLES, own_tenure or 0.0)
        if starts:
            kinds.append(_seat_hours(role, joined, own, rng, edges))
        if departs:
            kinds.append(_seat_hours(role, joined, own, rng, edges, leaves))
    return kinds


def _tenure(role: RolePlan, rng: np.random.Generator) -> np.ndarray:
    """Today's reps' tenures, one per history (past any ramp when the role gives none)."""
    if role.tenure is None:
        return np.full(SEAT_SAMPLES, 1e6)
    return role.tenure.sample(rng, SEAT_SAMPLES)


def _present_share(role: RolePlan) -> float:
    """The share of the payroll at work: PTO takes its share of working days."""
    return 1 - role.pto_days / _working_days_a_year(role.calendar) if role.away else 1.0


def _slowness(model: Model, role: RolePlan, payroll, ramped, slow) -> np.ndarray:
    """How much longer work takes in each staffed interval (see `workforce`)."""
    dealt = any(
        s.work.routing in (ROUND_ROBIN, RANDOM)
        for s in model.stages
        if s.work is not None and s.work.role == role.index
    )
    return slow / payroll if dealt else payroll / ramped


def _edges(model: Model, role: RolePlan, tenure: np.ndarray) -> np.ndarray:
    """Days of the measured window, also broken at every ramp step of reps hired together
    (today's reps when their tenure is one value, each dated hire), so that a team's speed
    is constant within each interval where it steps at once."""
    W, T = model.warmup, model.end
    edges = [np.linspace(W, T, min(366, max(1, round((T - W) / DAY))) + 1)]
    if role.ramp is not None:
        cohorts = [h.at for h in model.hires if h.role == role.index and h.count > 0]
        if np.ptp(tenure) == 0:
            cohorts.append(-float(tenure[0]))
        steps = np.arange(len(role.ramp) + 1) * MONTH
        edges += [start + steps for start in cohorts]
    edges = np.unique(np.concatenate(edges))
    return edges[(edges >= W) & (edges <= T)]


def _seat_hours(role: RolePlan, joined, tenure, rng, edges, since=-np.inf) -> np.ndarray:
    """Mean hours on the payroll in each interval between `edges` (from `since` on) of a seat
    filled at `joined` by a rep of the given `tenure` (one per history), and the ramp share
    and its inverse integrated over them: an array (3, intervals)."""
    n, end = len(tenure), edges[-1]
    start, hired = np.full(n, float(joined)), float(joined) - tenure
    live = np.ones(n, dtype=bool)
    stints = []  # each rep's time in the seat, and when they were hired
    h = role.attrition
    while live.any():
        leave = start + rng.exponential(1 / h, n) if h > 0 else np.full(n, np.inf)
        rows = np.flatnonzero(live)  # the draws stay whole: the same stream in every case
        a = np.clip(start[rows], since, end)
        stints.append((a, np.clip(leave[rows], a, end), hired[rows]))
        if h == 0 or role.backfill is None:
            break
        start = leave + role.backfill.sample(rng, n)
        hired = start
        live &= start < end
    a, b, hired = (np.concatenate(column) for column in zip(*stints, strict=True))
    ramp = np.array(role.ramp or [], dtype=float)
    levels = (np.ones(1), np.append(ramp, 1.0), np.append(1 / ramp, 1.0))
    return np.stack([_integrated(edges, a, b, hired, level) for level in levels]) / n


def _integrated(edges, a, b, hired, levels) -> np.ndarray:
    """The sum over stints [a, b) of a rep's ramp level (`levels[m]` in the m-th month of
    tenure, the last one after), integrated over each interval between `edges`: one sweep
    over the times the summed level steps, instead of every stint against every interval."""
    knots = hired[:, None] + np.arange(1, len(levels)) * MONTH  # level steps, per stint
    first = (knots <= a[:, None]).sum(axis=1)  # the level each stint starts on
    inside = (knots > a[:, None]) & (knots < b[:, None])
    steps = np.diff(levels)[None, :].repeat(len(a), axis=0)[inside]
    times = np.concatenate([a, b, knots[inside]])
    change = np.concatenate([levels[first], -levels[first + inside.sum(axis=1)], steps])
    order = np.argsort(times, kind="stable")
    times, level = times[order], np.cumsum(change[order])
    area = np.concatenate([[0.0], np.cumsum(level[:-1] * np.diff(times))])
    return np.diff(np.interp(edges, times, area))


def _working_days_a_year(calendar) -> int:
    """Days with scheduled hours in the first year from t = 0 (public holidays off)."""
    return max(1, len(working_days(calendar, 365)))
