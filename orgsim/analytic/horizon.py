"""Each role's load week by week, from the start of a run to ten years after warm-up, as the
customer base and the people change.

Capacity's steady state says what a design carries once every loop has filled, and a loop
such as yearly renewals with 10% churn takes decades to fill; a leader plans a year or two,
and hires as the base grows. So the journey's flows are also followed through time, in
weekly steps from t = 0: the sources' leads (with seasonality and office hours) and the
book's enter their stages; each visit leaves its stage after its buyer delay and any manual
handoff delay (their distributions, sampled from a fixed seed) and takes the same outcomes
as in the steady state (skill, ramp, penalties and the steady state's response decay); its
work falls due when the engine would do it (after a handoff's delay, with the touches spread
between the parts of the buyer delay, or all of them after it in a `buyer_delay_first`
stage). A book lead's first visit is due when placed. Queue waits and the time work takes
are left out: they are hours against buyer delays of weeks, so this gives loads, not waits.

A week's load is the work falling due in it over the hours of the reps at work that week
(`workforce.by_interval`: attrition, backfill, dated hires, ramp and PTO, as the seat process
has them). A plan quarter's load is its weeks' work over their hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from orgsim.analytic import workforce
from orgsim.config.kpis import QUARTER_WEEKS, quarters
from orgsim.config.units import WEEK
from orgsim.engine.sources import rate_pieces

if TYPE_CHECKING:
    from orgsim.analytic.chain import Chain

YEARS_AHEAD = 10
"""How far after warm-up the weekly loads go: `reaches_hours_week` is None beyond it."""
WEEKS_AHEAD = 52 * YEARS_AHEAD
SAMPLES = 2000
"""Draws per stage and segment of the delays whose spread places a visit's exit and work."""


@dataclass(frozen=True)
class OverTime:
    """One role's load over time (offered work over the hours of the reps at work)."""

    load_by_quarter: list[float]
    """Load in each plan quarter (13 weeks) of the measured horizon."""
    reaches_hours_week: int | None
    """The first week after warm-up (1 is the first) from which a quarter's work reaches
    that quarter's hours: inside the horizon or after it; None if it never does within ten
    years."""
    room: float
    """How much the sources' leads could grow (0.25: by 25%) before the role's work reaches
    its hours in some quarter of the horizon; the book's work stays as it is. Below zero
    when it does not keep up; infinite when the sources give it no work."""
    pods: dict[str, OverTime] = field(default_factory=dict)
    """For a role in pods, each pod's own: its segments' work over its share of the role's
    people (pods do not lend each other reps, so one pod can drown while the role's total
    looks fine)."""


def over_time(chain: Chain, decay: np.ndarray) -> dict[str, OverTime]:
    """Each worked role's load over time (see the module's docstring), for the chain's model;
    `decay`: each stage's response-decay factor from the steady state."""
    model = chain.model
    edges = _edges(model.warmup)
    before = int(np.searchsorted(edges, model.warmup))  # weeks of warm-up
    flows = _Flows(chain, decay, len(edges) - 1)
    arrivals, book = _arrivals(model, edges, flows), _book(model, edges, flows)
    none = np.zeros_like(book)  # the flows are linear: sources and book apart, in one go
    from_sources, from_book = flows.work_by_state(
        np.stack([arrivals, none]), np.stack([none, book])
    )
    quarters = _quarters(model.horizon / WEEK)
    after = slice(before, before + WEEKS_AHEAD)
    segment_of_state = np.arange(flows.size) // (len(chain.stages) * chain.n_last)
    result = {}
    for role in chain.roles:
        owned = flows.owner_of_state == role.index
        if not owned.any():
            continue
        hours = np.diff(role.calendar.worked_array(edges))
        available = (hours * _at_work(model, role, edges))[after]

        def load_of(states: np.ndarray, people: np.ndarray) -> OverTime:
            sources = from_sources[after][:, states].sum(axis=1)
            fixed = from_book[after][:, states].sum(axis=1)
            offered = sources + fixed
            return OverTime(
                load_by_quarter=[float(_load(offered[q].sum(), people[q].sum())) for q in quarters],
                reaches_hours_week=_first_full_week(offered, people),
                room=min(
                    _room(sources[q].sum(), fixed[q].sum(), people[q].sum()) for q in quarters
                ),
            )

        whole = load_of(owned, available)
        for k, share in enumerate(workforce.pod_shares(model, role) or []):
            segments = [g for g, c in enumerate(role.crew_of_segment) if c == k]
            states = owned & np.isin(segment_of_state, segments)
            whole.pods[model.pods[role.crews[k].pod]] = load_of(states, available * share)
        result[role.name] = whole
    return result


def _room(sources: float, fixed: float, available: float) -> float:
    """How much the sources' work may grow before it and the fixed work fill the hours."""
    if sources <= 0:
        return math.inf if fixed < available else -1.0
    return (available - fixed) / sources - 1


def _at_work(model, role, edges: np.ndarray) -> np.ndarray:
    """Full-speed reps at work in each week (present over slowness): week by week to the
    end of the horizon, then quarter by quarter (people settle slowly; a quarter's mean
    keeps the seat process's cost down), each week taking its quarter's value."""
    end = int(np.searchsorted(edges, model.end)) + 1
    coarse = np.unique(np.concatenate([edges[:end], edges[end::QUARTER_WEEKS], edges[-1:]]))
    present, slowness = workforce.by_interval(model, role, coarse)
    if not role.ramp_speed:  # a skill ramp slows nobody's work
        slowness = np.ones_like(slowness)
    which = np.searchsorted(coarse, edges[:-1], side="right") - 1
    return (present / slowness)[which]


def _edges(warmup: float) -> np.ndarray:
    """Weekly bin edges from t = 0, one of them at the end of warm-up (the first bin is
    shorter when warm-up is not whole weeks), to ten years after it."""
    before = math.ceil(warmup / WEEK - 1e-9)
    edges = warmup + WEEK * np.arange(-before, WEEKS_AHEAD + 1)
    edges[0] = max(edges[0], 0.0)
    return edges


def _quarters(horizon_weeks: float) -> list[slice]:
    """The weeks of each plan quarter of the horizon (the horizon itself when it holds no
    whole quarter)."""
    whole = quarters(horizon_weeks * WEEK)
    if whole == 0:
        return [slice(0, max(1, round(horizon_weeks)))]
    return [slice(QUARTER_WEEKS * q, QUARTER_WEEKS * (q + 1)) for q in range(whole)]


def _load(offered, available):
    """Offered over available hours; infinite for work with nobody to do it."""
    offered, available = np.asarray(offered, float), np.asarray(available, float)
    safe = np.where(available > 0, available, 1.0)
    return np.where(available > 0, offered / safe, np.where(offered > 0, np.inf, 0.0))


def _first_full_week(offered: np.ndarray, available: np.ndarray) -> int | None:
    """The first week (1-based) from which a quarter's work, that week and the twelve after
    it, reaches those weeks' hours: a backlog a queue works off within a quarter (a book
    placed at once, a seasonal peak) is not running out of hours, and week 1 reads as
    the first plan quarter's load does."""
    window = QUARTER_WEEKS
    work = np.concatenate([[0.0], np.cumsum(offered)])
    hours = np.concatenate([[0.0], np.cumsum(available)])
    first = np.arange(len(offered) - window + 1)
    done, had = work[first + window] - work[first], hours[first + window] - hours[first]
    full = np.flatnonzero((done > 0) & (done >= had * (1 - 1e-9)))
    return int(full[0]) + 1 if len(full) else None


class _Flows:
    """The journey as states (segment, stage, last owner role) with, per state, where its
    visits go (`transfer`), when they leave (`exits`: by lag in weeks) and when their work
    falls due (`work`: hours by lag in weeks)."""

    def __init__(self, chain: Chain, decay: np.ndarray, weeks: int):
        self.chain = chain
        model = chain.model
        n_seg, n_stage, n_last = len(model.segments), len(chain.stages), chain.n_last
        self.size = n_seg * n_stage * n_last
        self.transfer = np.zeros((self.size, self.size))
        self.exits = np.zeros((self.size, weeks))
        self.work = np.zeros((self.size, weeks))
        self.due_work = np.zeros(self.size)
        """Hours of work of a visit already due (a book lead's first), by state."""
        self.owner_of_state = np.full(self.size, -1)
        rng = np.random.default_rng(0)
        for g in range(n_seg):
            for s, stage in enumerate(chain.stages):
                if stage.is_end:
                    continue
                buyer = stage.buyer_delay[g].sample(rng, SAMPLES)
                for last in range(-1, len(chain.roles)):
                    self._state(g, s, last, buyer, decay[s], rng)

    def index(self, g: int, s: int, last: int) -> int:
        chain = self.chain
        return (g * len(chain.stages) + s) * chain.n_last + chain.slot(last)

    def _state(self, g: int, s: int, last: int, buyer: np.ndarray, decay: float, rng) -> None:
        chain = self.chain
        stage = chain.stages[s]
        here = self.index(g, s, last)
        handoff = chain.handoff(s, last)
        leak = handoff.leak if handoff else 0.0
        penalty = handoff.penalty if handoff else 0.0
        owner = chain.owner[s]
        next_last = owner if owner >= 0 else last
        for target, p in chain._chances(stage, g, penalty, decay):
            if target < len(chain.stages):
                self.transfer[here, self.index(g, target, next_last)] += (1 - leak) * p
        delay = handoff.delay[g].sample(rng, SAMPLES) if handoff else np.zeros(SAMPLES)
        if owner < 0:
            _spread(self.exits[here], buyer / WEEK, 1.0)
            return
        self.owner_of_state[here] = owner
        role = chain.roles[owner]
        per_touch = stage.work.effort[g].expected() / role.productive_share
        touches = stage.touches
        self.due_work[here] = per_touch * touches
        if stage.buyer_first:
            _spread(self.work[here], (buyer + delay) / WEEK, (1 - leak) * per_touch * touches)
        else:
            for j in range(touches):
                at = (delay + j * buyer / touches) / WEEK
                _spread(self.work[here], at, (1 - leak) * per_touch)
        _spread(self.exits[here], (delay + buyer) / WEEK, 1 - leak)

    def work_by_state(self, arrivals: np.ndarray, book: np.ndarray) -> np.ndarray:
        """Hours of work falling due in each week, by state: visits enter from `arrivals`
        and, after their stages, from one another; `book`: visits already due, by week.
        Both (..., weeks, states): leading axes are separate cases worked out together."""
        weeks = arrivals.shape[-2]
        eye = np.eye(self.size)
        same_week = np.linalg.solve(eye - self.exits[:, :1] * self.transfer, eye)
        onward = self.transfer @ same_week  # leaving a stage, on to the next ones' entries
        later = self.exits[:, 1:].T  # (lags from 1 week, states)
        lags = int(np.flatnonzero(later.any(axis=1)).max(initial=-1)) + 1
        entries = arrivals @ same_week
        leaving = book.copy()  # visits entering from earlier stages (or the book), by week
        for k in range(weeks):
            entries[..., k, :] += leaving[..., k, :] @ onward
            reach = min(lags, weeks - k - 1)
            leaving[..., k + 1 : k + 1 + reach, :] += entries[..., k, None, :] * later[:reach]
        work = np.zeros_like(arrivals)
        for lag in np.flatnonzero(self.work.any(axis=0)):
            work[..., lag:, :] += entries[..., : weeks - lag, :] * self.work[:, lag]
        return work + book * self.due_work


def _spread(into: np.ndarray, lags: np.ndarray, weight: float) -> None:
    """Add `weight` spread over the samples' lags (weeks) into weekly bins; a visit entering
    anywhere in a week lands in the week `floor(lag)` after it or the next, in proportion."""
    whole = np.floor(lags).astype(int)
    frac = lags - whole
    each = weight / len(lags)
    n = len(into)
    for offset, share in ((0, 1 - frac), (1, frac)):
        bins = whole + offset
        inside = bins < n
        np.add.at(into, bins[inside], each * share[inside])


def _arrivals(model, edges: np.ndarray, flows: _Flows) -> np.ndarray:
    """The sources' leads entering each state in each week (seasonality, office hours)."""
    out = np.zeros((len(edges) - 1, flows.size))
    for source in model.sources:
        starts, lengths, rate = rate_pieces(source, edges[-1], model.year_offset)
        cumulative = np.concatenate([[0.0], np.cumsum(rate * lengths)])
        leads = np.diff(np.interp(edges, np.append(starts, edges[-1]), cumulative))
        for g, share in enumerate(source.mix):
            out[:, flows.index(g, source.enters, -1)] += leads * share
    return out


def _book(model, edges: np.ndarray, flows: _Flows) -> np.ndarray:
    """The book's leads falling due in each week, by state: placed uniformly over `over`."""
    out = np.zeros((len(edges) - 1, flows.size))
    for entry in model.book:
        if entry.stage >= len(model.stages):
            continue  # lost today: no work
        if entry.over > 0:
            placed = np.diff(np.clip(edges, 0.0, entry.over)) / entry.over * entry.count
        else:
            placed = np.zeros(len(edges) - 1)
            placed[0] = entry.count
        for g, share in enumerate(entry.mix):
            out[:, flows.index(g, entry.stage, -1)] += placed * share
    return out
