"""Waits of a role's crews from the chain's flows: Erlang C (exact for exponential work at
steady hours and arrivals), Allen-Cunneen for other work times, the exact weekly Markov
chain (`analytic.periodic`) under shifts or office-hours arrivals; and the reasons capacity
gives instead of a wait where no method is within its measured budget
(docs/capacity-accuracy.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from orgsim.analytic.chain import Chain
from orgsim.analytic.periodic import periodic_pool
from orgsim.analytic.queueing import erlang_c
from orgsim.config.units import WEEK
from orgsim.engine.calendar import BUSINESS_HOURS, HolidayCalendar
from orgsim.engine.model import POOL, Model, RolePlan
from orgsim.engine.sources import BUSINESS_SHARE

NO_ESTIMATE = "no reliable estimate (leads leave untouched)"
PER_REP = "no reliable estimate: simulate (routing to one rep; the formulas treat reps alone)"
PRIORITY = "no reliable estimate: simulate (stage priority shares one queue unevenly)"
LARGE = "no reliable estimate: simulate (crew too large or too close to full for the weekly chain)"
SEASONAL_PEAK = "no reliable estimate: simulate (some month's work exceeds the crew's hours)"
NOT_EXPONENTIAL = (
    "no reliable estimate: simulate (work times not exponential under shifts or office-hours "
    "arrivals)"
)
HANDED_ON = (
    "no reliable estimate: simulate (leads handed on by another role or a loop arrive at hours "
    "the weekly chain cannot place)"
)
HOLIDAYS = "no reliable estimate: simulate (public holidays break the weekly pattern)"
RAMPING = "no reliable estimate: simulate (reps ramping change their speed over the horizon)"
PEOPLE = (
    "no reliable estimate: simulate (people join, leave or take PTO: the reps at work change "
    "over the horizon)"
)
NO_HOURS = "no reliable estimate: the measured window holds none of this role's scheduled hours"
LOADS_ONLY = "not computed (loads only)"
"""Where a method is outside its measured budget (docs/capacity-accuracy.md), or cannot be
computed, capacity prints no wait or SLA but one of these reasons."""

ERLANG_C = "erlang_c"
ALLEN_CUNNEEN = "allen_cunneen_approximation"
PERIODIC = "periodic_chain"
"""The weekly chain is exact for exponential work on leads that come straight from sources.
Used as an approximation for other work times or for leads handed on, it was off by more than
half the simulated wait in most cases of docs/capacity-accuracy.md, so capacity withholds
those (NOT_EXPONENTIAL, HANDED_ON)."""

MAX_LEVELS = 700
"""Largest number of leads in a crew's system the weekly chain is solved for (its matrices
grow with the square): beyond it capacity says LARGE instead of taking seconds."""


@dataclass
class Crew:
    """What one crew of a role is asked to do, per hour: tasks, work and first touches."""

    size: int
    tasks: float = 0.0
    work: float = 0.0
    second_moment: float = 0.0
    office: float = 0.0
    """First touches that arrive in business hours."""
    first_touches: dict[int, float] = field(default_factory=dict)
    """By stage: the leads that reach this crew's queue."""
    office_first: dict[int, float] = field(default_factory=dict)
    """By stage: those of them that arrive in business hours."""

    @property
    def service(self) -> float:
        return self.work / self.tasks if self.tasks else 0.0

    @property
    def cv2(self) -> float:
        service = self.service
        return self.second_moment / self.tasks / service**2 - 1 if service else 1.0


def crews_of(chain: Chain, role: RolePlan, entries, keep, timed) -> list[Crew]:
    crews = [Crew(crew.headcount) for crew in role.crews]
    for s, owner in enumerate(chain.owner):
        if owner != role.index:
            continue
        stage = chain.stages[s]
        for g, k in enumerate(role.crew_of_segment):
            queued = float(entries[g, s] @ keep[g, s])
            effort = stage.work.effort[g]
            mean = effort.expected() / role.productive_share
            rate = queued * stage.touches
            crew = crews[k]
            crew.tasks += rate
            crew.work += rate * mean
            crew.second_moment += rate * mean * mean * (1 + effort.variation() ** 2)
            office = float(timed[g, s] @ keep[g, s])
            crew.office += office
            crew.office_first[s] = crew.office_first.get(s, 0.0) + office
            crew.first_touches[s] = crew.first_touches.get(s, 0.0) + queued
    return crews


def weighted(crews: list[Crew], values: list[float], stage: int | None) -> float:
    """A per-crew figure averaged over the crews' tasks (or first touches at `stage`)."""
    weights = [c.tasks if stage is None else c.first_touches.get(stage, 0.0) for c in crews]
    if sum(weights) == 0:
        return 0.0
    if any(w > 0 and not math.isfinite(v) for w, v in zip(weights, values, strict=True)):
        return math.inf
    return sum(w * v for w, v in zip(weights, values, strict=True) if w > 0) / sum(weights)


def handoff_delay(chain: Chain, entries, keep, stage: int) -> float:
    """Mean manual handoff delay of the leads that reach a stage's queue, over segments and
    the roles they come from."""
    total, delayed = 0.0, 0.0
    for g in range(len(chain.model.segments)):
        for last in range(-1, len(chain.roles)):
            queued = entries[g, stage, chain.slot(last)] * keep[g, stage, chain.slot(last)]
            handoff = chain.handoff(stage, last)
            total += queued
            if handoff is not None:
                delayed += queued * handoff.delay[g].expected()
    return delayed / total if total else 0.0


def queue_wait(
    servers: int, rate: float, service: float, cv2: float, exponential: bool, alone: bool
) -> tuple[float, float]:
    """Mean queue wait of a crew with steady arrivals and hours (in scheduled hours), and
    the probability of waiting: Erlang C for a pool, times (1 + cv²)/2 for other work times
    (Allen-Cunneen); with `alone`, Kingman for each rep as a queue of its own (used only
    for decay)."""
    if servers <= 0 or rate <= 0:
        return (math.inf if rate > 0 else 0.0), 1.0
    load = rate * service
    if load >= servers:
        return math.inf, 1.0
    if alone:
        rho = load / servers
        return rho / (1 - rho) * (1 + cv2) / 2 * service, rho
    waiting = erlang_c(servers, load)
    wait = waiting * service / (servers - load)
    return (wait if exponential else wait * (1 + cv2) / 2), waiting


class NoEstimate(Exception):
    """The weekly chain cannot give a reliable answer; the message says why."""


def periodic_waits(calendar, crew: Crew, slas: dict, delays: dict, months) -> tuple:
    """Mean wait of a pooled crew under varying hours or arrivals, and per stage its SLA
    attainment on (calendar, business) clocks, from the exact weekly chain: leads that
    arrive in office hours at that rate, the rest spread over the week, each month at its
    rate (arrival-weighted: pointwise stationary over months)."""
    if crew.tasks == 0:
        return 0.0, {s: (1.0, 1.0) for s in slas}
    if crew.size == 0 or crew.work * WEEK >= crew.size * calendar.hours_per_week:
        return math.inf, {s: (0.0, 0.0) for s in slas}
    intervals = (
        [(0.0, WEEK)] if calendar.always else list(zip(calendar.starts, calendar.ends, strict=True))
    )
    anytime = crew.tasks - crew.office

    def solve(factor: float, hours: float) -> dict:
        pieces = [(0.0, WEEK, anytime * factor)] + [
            (a, b, crew.office * factor / BUSINESS_SHARE) for a, b in BUSINESS_HOURS
        ]
        if factor * crew.work * WEEK >= crew.size * calendar.hours_per_week:
            raise NoEstimate(SEASONAL_PEAK)
        try:
            return periodic_pool(
                crew.size,
                1 / crew.service,
                intervals,
                pieces,
                hours,
                direct=False,
                max_levels=MAX_LEVELS,
            )
        except ValueError as err:
            raise NoEstimate(LARGE) from err

    targets = {s: max(0.0, sla.first_touch - delays[s]) for s, sla in slas.items() if sla}
    wait, within = 0.0, {s: [0.0, 0.0] for s in targets}
    for share, factor in months:
        for hours in sorted(set(targets.values())) or [0.0]:
            found = solve(factor, hours)
            for s, t in targets.items():
                if t == hours:
                    within[s][0] += share * found["sla_calendar"]
                    within[s][1] += share * found["sla_business"]
        wait += share * found["wait_mean"]
    return wait, {s: tuple(v) for s, v in within.items()}


def available_hours(chain: Chain, role: RolePlan) -> float:
    """One rep's scheduled hours a week at full speed: the hours left after holidays, less
    what ramping reps lose to slower work."""
    return open_hours(chain.model, role.calendar) / chain.slowness[role.index]


def open_hours(model: Model, calendar) -> float:
    """Scheduled hours a week of one rep, averaged over the measured window (public holidays
    taken off)."""
    if model.horizon <= 0:
        return calendar.hours_per_week
    return (calendar.worked(model.end) - calendar.worked(model.warmup)) / model.horizon * WEEK


def usage(load: float, available: float) -> float:
    return load / available if available else (math.inf if load else 0.0)


def withheld(chain: Chain, role: RolePlan, owned: list[int], months, is_steady: bool) -> str | None:
    """Why the role's waits are outside every method's measured budget, before the weekly
    chain is tried (see the reasons above), or None."""
    works = [chain.stages[s].work for s in owned]
    if open_hours(chain.model, role.calendar) <= 0:
        return NO_HOURS
    if any(chain.stages[s].leaves_untouched for s in owned):
        return NO_ESTIMATE
    if not all(w.routing == POOL for w in works):
        return PER_REP
    if len({w.priority for w in works}) > 1:
        return PRIORITY
    if months is None and not is_steady:
        return LOADS_ONLY
    if role.people_change or role.away:
        return PEOPLE
    if isinstance(role.calendar, HolidayCalendar):
        return HOLIDAYS
    if chain.slowness[role.index] > 1:
        return RAMPING
    return None


@dataclass
class RoleWaits:
    """A role's waits, crew by crew, as one method found them (or why none could)."""

    method: str
    """How the waits were estimated, or why they were not (`withheld`)."""
    withheld: bool
    formula: list[tuple[float, float]]
    """Each crew's steady-formula mean queue wait and probability of waiting (used for
    decay even where the wait itself is withheld)."""
    crew_waits: list[float]
    crew_within: list[dict[int, tuple[float, float]]]
    """Per crew and stage, the SLA attainment on (calendar, business) clocks."""
    delays: dict[int, float]
    """Per stage, the mean manual handoff delay before the queue."""
    slas: dict[int, object]


def role_waits(
    chain: Chain, role: RolePlan, owned: list[int], crews: list[Crew], flows, months, is_steady
) -> RoleWaits:
    """The waits of a role's crews: the steady formulas at the rate per scheduled hour (the
    wait inside open hours; for routings to one rep, each rep as a queue of its own, used
    only for decay), the weekly chain where hours or arrivals vary."""
    entries, keep, external = flows
    works = [chain.stages[s].work for s in owned]
    pooled = all(w.routing == POOL for w in works)
    exponential = all(e.dist == "exponential" for w in works for e in w.effort)
    reason = withheld(chain, role, owned, months, is_steady)
    hours = open_hours(chain.model, role.calendar)
    per_open_hour = WEEK / hours if hours > 0 else math.inf
    formula = [
        queue_wait(c.size, c.tasks * per_open_hour, c.service, c.cv2, exponential, not pooled)
        for c in crews
    ]
    method = ERLANG_C if exponential else ALLEN_CUNNEEN
    delays = {s: handoff_delay(chain, entries, keep, s) for s in owned}
    slas = {s: chain.stages[s].work.sla for s in owned}
    crew_waits: list[float] = [w for w, _ in formula]
    crew_within: list[dict[int, tuple[float, float]]] = [{} for _ in crews]
    if reason is None and is_steady:
        for k, (crew, (_, waiting)) in enumerate(zip(crews, formula, strict=True)):
            crew_within[k] = _steady_within(crew, waiting, slas, delays)
    elif reason is None and not exponential:
        reason = NOT_EXPONENTIAL
    elif reason is None and not all(
        np.allclose(entries[:, s].sum(-1), external[:, s]) for s in owned
    ):
        reason = HANDED_ON
    elif reason is None:
        method = PERIODIC
        try:
            for k, crew in enumerate(crews):
                crew_waits[k], crew_within[k] = periodic_waits(
                    role.calendar, crew, slas, delays, months
                )
        except NoEstimate as why:
            reason = str(why)
    return RoleWaits(
        reason or method, reason is not None, formula, crew_waits, crew_within, delays, slas
    )


def _steady_within(crew: Crew, waiting: float, slas: dict, delays: dict) -> dict:
    """Per stage, P(queue wait <= the SLA less the handoff delay) at steady hours and arrivals
    (Erlang C's exponential tail), the same on both clocks."""
    spare = crew.size / crew.service - crew.tasks if crew.service else math.inf
    within = {}
    for s, sla in slas.items():
        if sla is not None:
            t = sla.first_touch - delays[s]
            p = 1 - waiting * math.exp(-spare * t) if spare > 0 and t >= 0 else 0.0
            within[s] = (p, p)
    return within


def stage_waits(chain: Chain, role: RolePlan, s: int, crews: list[Crew], found: RoleWaits):
    """For a stage the role works: the parts of its wait response decay needs, its mean wait
    (None where withheld) and its SLA attainment (None without an SLA or a wait)."""
    queue_wait_mean = weighted(crews, [w for w, _ in found.formula], s)
    office = sum(c.office_first.get(s, 0.0) for c in crews)
    first = sum(c.first_touches.get(s, 0.0) for c in crews)
    share = office / first if first else 0.0
    opens = chain.opens[role.index]
    parts = (found.delays[s], opens, queue_wait_mean, share)
    if found.withheld:
        return parts, None, None
    wait = found.delays[s] + weighted(crews, found.crew_waits, s)
    if found.method == PERIODIC:  # the chain's wait, less the hours until opening it holds
        anytime, office_hours = opens
        closed = (1 - share) * anytime.mean() + share * office_hours.mean()
        queued = max(0.0, weighted(crews, found.crew_waits, s) - closed)
        parts = (found.delays[s], opens, queued, share)
    sla = found.slas[s]
    if sla is None:
        return parts, wait, None
    clock = 1 if sla.business_clock else 0
    return parts, wait, weighted(crews, [w[s][clock] for w in found.crew_within], s)
