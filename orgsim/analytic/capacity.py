"""`orgsim.capacity`: where a design breaks and how much more volume it takes, without simulating.

It reads the engine's compiled `Model` (the same tables a replication runs on), so stages,
chances, handoffs, skill, decay, crews, calendars and sources mean exactly what they mean to
the engine. Steady-state traffic equations on the journey give each stage's entries per
week; offered work per role (entries x touches x mean effort / productive share) against
scheduled hours gives utilization, the bottleneck, and the lead volume at which the first
role saturates.

The flows are a Markov chain on (stage, role that last worked the lead), one per segment, so
handoffs (their leaks, penalties and per-segment delays) apply exactly where a lead changes
role, loops such as nurture and renewal included. Waits of a pooled crew come from Erlang C
when its hours and arrivals are steady (exact for exponential work, Allen-Cunneen
otherwise), and from the exact periodic Markov chain over a week (`analytic.periodic`) when
the crew works shifts or leads arrive in office hours, month by month under seasonality.
docs/capacity-accuracy.md measures every method against long simulations; where one is
outside its budget (routing to one rep, stage priority, leads leaving untouched, large
crews) capacity prints no wait but says why. Response decay depends on waits, so flows and
waits are solved together by a few rounds of fixed-point iteration. Steady state means a
long run: loops such as yearly renewals take years to fill, so a one-year simulation will
see fewer renewals than this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import networkx as nx
import numpy as np

from orgsim.analytic.horizon import over_time
from orgsim.analytic.periodic import periodic_pool
from orgsim.analytic.queueing import erlang_c
from orgsim.analytic.workforce import workforce
from orgsim.config.scenario import Scenario
from orgsim.config.units import WEEK, YEAR
from orgsim.engine.calendar import BUSINESS_HOURS, HolidayCalendar, month_of
from orgsim.engine.model import (
    POOL,
    HandoffPlan,
    Model,
    RolePlan,
    StagePlan,
    compile_model,
)
from orgsim.engine.sources import BUSINESS_SHARE, rate_pieces
from orgsim.measure.jsonable import json_number


@dataclass
class RoleLoad:
    utilization: float
    offered_hours_per_week: float
    available_hours_per_week: float
    headcount: int
    wait_mean: float
    method: str
    """How the wait was estimated: erlang_c (exact for M/M/c), or an approximation."""
    load_by_quarter: list[float] = field(default_factory=list)
    """Offered work over the hours of the reps at work in each plan quarter of the horizon,
    as the customer base and the people change (`analytic.horizon`)."""
    reaches_hours_week: int | None = None
    """The first week after warm-up from which a quarter's work reaches the role's hours
    (inside the horizon or after it); None if it never does within ten years."""
    room: float = math.inf
    """How much the sources' leads could grow before the role's work reaches its hours in
    some quarter of the horizon (below zero: it does not keep up)."""

    @property
    def fullest_quarter(self) -> tuple[float, int] | None:
        """The load and number (1 is the first) of the plan quarter whose work is at or above
        the role's hours, the fullest of them; None while every quarter keeps up."""
        quarters = self.load_by_quarter
        if not quarters or max(quarters) < 1:
            return None
        return max(quarters), quarters.index(max(quarters)) + 1

    @property
    def runs_out_week(self) -> int | None:
        """The week its work reaches its hours, for a role that keeps up over the horizon."""
        return None if self.fullest_quarter else self.reaches_hours_week

    def to_json(self) -> dict:
        return {
            "utilization": json_number(self.utilization),
            "offered_hours_per_week": json_number(self.offered_hours_per_week),
            "available_hours_per_week": json_number(self.available_hours_per_week),
            "headcount": self.headcount,
            "wait_method": self.method,
            "load_by_quarter": [json_number(x) for x in self.load_by_quarter],
            "reaches_hours_week": self.reaches_hours_week,
            "horizon_headroom": json_number(self.room),
        }


@dataclass
class StageFlow:
    entries_per_week: float
    wait_mean: float | None
    sla_attainment: float | None = None

    def to_json(self) -> dict:
        entry = {
            "entries_per_week": json_number(self.entries_per_week),
            "wait_mean": json_number(self.wait_mean),
        }
        if self.sla_attainment is not None:
            entry["sla_attainment"] = json_number(self.sla_attainment)
        return entry


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class MonthLoad:
    """One calendar month of a seasonal market, in steady state at that month's rates."""

    month: str
    leads_per_week: float
    utilization: dict[str, float]

    def to_json(self) -> dict:
        return {
            "month": self.month,
            "leads_per_week": json_number(self.leads_per_week),
            "utilization": {r: json_number(u) for r, u in self.utilization.items()},
        }


@dataclass
class Capacity:
    """The analytic picture of one design: flows, loads, bottleneck and headroom."""

    variant: str
    leads_per_week: float
    roles: dict[str, RoleLoad]
    stages: dict[str, StageFlow]
    bottleneck: str | None
    max_leads_per_week: float
    headroom: float
    notes: list[str] = field(default_factory=list)
    months: list[MonthLoad] = field(default_factory=list)
    """With seasonal sources: each calendar month's leads and role utilizations."""
    decaying: list[str] = field(default_factory=list)
    """Stages with response decay: the flows after them, and the loads those flows make,
    rest on an approximate spread of waits and are outside the measured budget."""

    @property
    def peak_month(self) -> MonthLoad | None:
        """The month with the most leads (None without seasonality)."""
        return max(self.months, key=lambda m: m.leads_per_week, default=None)

    @property
    def first_saturated(self) -> MonthLoad | None:
        """The first month in which some role's work reaches its hours, if any."""
        return next((m for m in self.months if max(m.utilization.values(), default=0) >= 1), None)

    @property
    def horizon_bottleneck(self) -> str | None:
        """The role with the least room over the horizon (see `RoleLoad.room`)."""
        return min(self.roles, key=lambda r: self.roles[r].room, default=None)

    @property
    def horizon_headroom(self) -> float:
        """How much the sources' leads could grow before some role's work reaches its hours
        in a quarter of the horizon (the book's work as it is; below zero: a role does not
        keep up)."""
        return min((load.room for load in self.roles.values()), default=math.inf)

    def to_json(self) -> dict:
        return {
            "horizon_bottleneck": self.horizon_bottleneck,
            "horizon_headroom": json_number(self.horizon_headroom),
            "months": [m.to_json() for m in self.months],
            "decaying": self.decaying,
            "roles": {r: load.to_json() for r, load in self.roles.items()},
            "stages": {s: flow.to_json() for s, flow in self.stages.items()},
            "bottleneck": self.bottleneck,
            "max_leads_per_week": json_number(self.max_leads_per_week),
            "headroom": json_number(self.headroom),
            "leads_per_week": json_number(self.leads_per_week),
            "variant": self.variant,
        }


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


def steady(model: Model) -> bool:
    """Whether every queue of the design sees steady arrivals at steady hours: every worked
    role always open, no source confined to business hours, no seasonality."""
    worked = {stage.work.role for stage in model.stages if stage.work is not None}
    return all(model.roles[r].calendar.always for r in worked) and all(
        not s.business_hours and s.seasonality is None for s in model.sources
    )


def source_rates(model: Model, office_hours_only: bool = False) -> np.ndarray:
    """Leads per hour entering each stage, by segment, averaged over the measured window
    (seasonality and business-hours arrivals included); with `office_hours_only`, only the
    sources whose leads arrive in business hours. Shape (segments, stages)."""
    rates = np.zeros((len(model.segments), len(model.stages)))
    warmup, horizon, end = model.warmup, model.horizon, model.end
    for source in model.sources:
        if office_hours_only and not source.business_hours:
            continue
        starts, lengths, rate = rate_pieces(source, end, model.year_offset)
        inside = np.clip(np.minimum(starts + lengths, end) - np.maximum(starts, warmup), 0, None)
        mean_rate = float((rate * inside).sum() / horizon) if horizon > 0 else source.rate
        rates[:, source.enters] += mean_rate * np.asarray(source.mix)
    return rates


def seasons(model: Model) -> list[tuple[float, float]]:
    """(share of the measured window's leads, rate relative to the window's mean) for each
    calendar month in the window; [(1, 1)] without seasonality."""
    if all(source.seasonality is None for source in model.sources):
        return [(1.0, 1.0)]
    hours = np.arange(model.warmup, model.end, 1.0) + 0.5
    share = np.bincount(month_of(hours + model.year_offset), minlength=12) / max(1, len(hours))
    leads = np.array(
        [
            sum(s.rate * (s.seasonality[m] if s.seasonality else 1.0) for s in model.sources)
            for m in range(12)
        ]
    )
    mean = float(share @ leads)
    return [(share[m] * leads[m] / mean, leads[m] / mean) for m in range(12) if share[m] > 0]


# ------------------------------------------------------------------ flows


class _Chain:
    """The journey as a Markov chain on (stage, last owner role), for one compiled model."""

    def __init__(self, model: Model, long_run: bool = False):
        self.model = model
        self.stages: list[StagePlan] = model.stages
        self.roles: list[RolePlan] = model.roles
        self.owner = [s.work.role if s.work is not None else -1 for s in self.stages]
        self.n_last = len(self.roles) + 1  # last owner role, or none yet (the last index)
        # the long run: a year well after the horizon, every dated hire in, seats settled
        people = replace(model, warmup=model.end + LONG_RUN, horizon=YEAR) if long_run else model
        self.workforce = [workforce(people, r) for r in self.roles]
        self.ramped = [p.share if r.ramp_skill else 1.0 for p, r in self._people()]
        self.slowness = [p.slowness if r.ramp_speed else 1.0 for p, r in self._people()]
        self.opens = [_opens(model, role.calendar) for role in self.roles]
        self.size = len(self.stages) * self.n_last
        self.decay = np.ones(len(self.stages))
        """Each stage's response-decay factor, as the latest solve found it."""

    def _people(self):
        return zip(self.workforce, self.roles, strict=True)

    def slot(self, last: int) -> int:
        """Index of a last owner role, or of none yet (-1)."""
        return last if last >= 0 else len(self.roles)

    def state(self, stage: int, last: int) -> int:
        return stage * self.n_last + self.slot(last)

    def handoff(self, stage: int, last: int) -> HandoffPlan | None:
        """The manual handoff a lead meets entering `stage` after role `last`, if any."""
        owner = self.owner[stage]
        if owner < 0 or last < 0 or last == owner:
            return None
        return self.stages[stage].handoffs_in.get(last)

    def office_hours_only(self, stage: int) -> bool:
        """Whether the role working `stage` works only inside business hours, so that a
        lead it finishes leaves the stage in business hours."""
        owner = self.owner[stage]
        if owner < 0:
            return False
        calendar = _weekly(self.roles[owner].calendar)
        covered = sum(calendar.worked(b) - calendar.worked(a) for a, b in BUSINESS_HOURS)
        return not calendar.always and abs(covered - calendar.hours_per_week) < 1e-9

    def flows(self, external: np.ndarray, decay: np.ndarray, office: np.ndarray) -> tuple:
        """Entries per hour into each (segment, stage, last role), the share of them kept
        (not leaked in a handoff), and of them those arriving in business hours: from
        `office` sources, or straight from a stage worked only in business hours (its leads
        leave when a rep finishes them) with no buyer delay and no delayed handoff."""
        n_seg, n_stage = len(self.model.segments), len(self.stages)
        entries = np.zeros((n_seg, n_stage, self.n_last))
        timed = np.zeros((n_seg, n_stage, self.n_last))
        keep = np.ones((n_seg, n_stage, self.n_last))
        lasts = range(-1, len(self.roles))
        for g in range(n_seg):
            transfer = np.zeros((self.size, self.size))
            instant = np.zeros((self.size, self.size))
            arrivals = np.zeros(self.size)
            office_arrivals = np.zeros(self.size)
            for s in range(n_stage):
                arrivals[self.state(s, -1)] += external[g, s]
                office_arrivals[self.state(s, -1)] += office[g, s]
            for s, stage in enumerate(self.stages):
                if stage.is_end:
                    continue
                delay = stage.buyer_delay[g]
                prompt = self.office_hours_only(s) and delay.dist == "constant" and delay.value == 0
                for last in lasts:
                    here = self.state(s, last)
                    handoff = self.handoff(s, last)
                    leak = handoff.leak if handoff else 0.0
                    keep[g, s, self.slot(last)] = 1 - leak
                    penalty = handoff.penalty if handoff else 0.0
                    next_last = self.owner[s] if self.owner[s] >= 0 else last
                    for target, p in self._chances(stage, g, penalty, decay[s]):
                        if target >= n_stage:
                            continue  # a built-in end (lost, leaked, churned)
                        to = self.state(target, next_last)
                        transfer[here, to] += (1 - leak) * p
                        if prompt and not self._delayed(target, next_last, g):
                            instant[here, to] += (1 - leak) * p
            total = np.linalg.solve(np.eye(self.size) - transfer.T, arrivals)
            sent = office_arrivals + instant.T @ total  # finished in office hours, sent on
            entries[g] = total.reshape(n_stage, self.n_last)
            timed[g] = sent.reshape(n_stage, self.n_last)
        return entries, keep, timed

    def _delayed(self, stage: int, last: int, g: int) -> bool:
        """Whether a manual handoff with a delay meets a lead entering `stage` after `last`."""
        handoff = self.handoff(stage, last)
        return handoff is not None and handoff.delay[g].expected() > 0

    def _chances(self, stage: StagePlan, g: int, penalty: float, decay: float):
        """(target, chance) as the engine draws them: success outcomes scaled by the mean
        skill, the handoff penalty and response decay, rescaled if above 1."""
        factor = (1 - penalty) * decay
        if stage.work is not None:
            role = self.roles[stage.work.role]
            factor *= role.skill[g].expected()
            if role.ramp_skill:
                factor *= self.ramped[role.index]
        base = stage.chances[g]
        chances = [
            p * factor if good else p for p, good in zip(base[:-1], stage.success, strict=False)
        ]
        total = sum(chances)
        if total > 1:
            chances = [p / total for p in chances]
        else:
            chances.append(1 - total)  # otherwise
        return zip(stage.targets, chances, strict=False)


# ------------------------------------------------------------------ the answer


LONG_RUN = 5 * YEAR
"""How far after the horizon people count as settled for `long_run` (attrition and
backfill at their steady state, every hire past its ramp)."""


def capacity(
    scenario: Scenario,
    variant: str | None = None,
    loads_only: bool = False,
    long_run: bool = False,
) -> Capacity:
    """The analytic capacity of one variant of a scenario (no simulation).

    Args:
        scenario: a loaded `Scenario`.
        variant: which design (default: the first).
        loads_only: only flows and utilization, without monthly loads and the waits of
            the weekly chain (what takes most of the time; the overload check needs only
            loads). Steady roles still get their Erlang C waits.
        long_run: count people as they settle after the horizon (every dated hire in,
            ramps done, seats at the attrition steady state) instead of on average over
            it: the loads a design keeps once its renewal loops have filled.

    Returns:
        `Capacity`: per role the utilization, offered and available hours and the
        wait with how it was estimated (`.roles`); per stage entries per week, wait
        and SLA attainment (`.stages`); `.bottleneck`, `.max_leads_per_week`,
        `.headroom`, `.months` under seasonality, and `.notes` on what the model cannot see.

    Raises:
        KeyError: no such variant.

    Example:
        >>> result = orgsim.capacity(orgsim.load("scenarios/reorg_sdr_split.yaml"), "pods")
        >>> result.bottleneck, round(result.headroom, 2)
    """
    model = compile_model(scenario, variant, after_switch=True)
    external, office = source_rates(model), source_rates(model, office_hours_only=True)
    chain = _Chain(model, long_run)
    result = _solve(chain, external, office, None if loads_only else seasons(model))
    for role, later in over_time(chain, chain.decay).items():
        if role in result.roles:
            load = result.roles[role]
            load.load_by_quarter = later.load_by_quarter
            load.reaches_hours_week = later.reaches_hours_week
            load.room = later.room
    result.notes += slow_loops(model) + untouched_exits(model) + running_out(result, model)
    if scenario.variant(variant).transition is not None:
        result.notes.append(
            "this design switches org during the run: capacity describes the org it switches "
            "to, as if in place from the start, not the switch itself; simulate for that"
        )
    result.decaying = decaying(model)
    if result.decaying:
        result.notes.append(
            f"response decay at {', '.join(result.decaying)} ties the flows after it to the "
            "spread of waits, which capacity approximates: those entries and the loads they "
            "make are outside the measured budget (docs/capacity-accuracy.md); simulate"
        )
    changing = [r.name for r in model.roles if r.people_change or r.away]
    if changing:
        result.notes.append(
            f"people join, leave or take PTO in {', '.join(changing)}: their utilization "
            "counts the reps at work on average, which misses who happens to leave when and "
            "the slow weeks before a backfill ramps; it is outside the measured budget "
            "(docs/capacity-accuracy.md); simulate"
        )
    if model.book:
        placed = sum(entry.count for entry in model.book)
        result.notes.append(
            f"the book's {placed} leads at the start (existing customers and open pipeline): "
            "the quarter loads count their work, the long-run figures follow the sources' "
            "leads alone"
        )
    result.months = [] if loads_only else monthly_loads(chain)
    return result


def running_out(result: Capacity, model: Model) -> list[str]:
    """When each role's work reaches its hours, in words: in a plan quarter of the horizon
    (it does not keep up) or later (a week to have a hire in place by)."""
    weeks = model.horizon / WEEK
    notes = []
    for role, load in result.roles.items():
        behind, week = load.fullest_quarter, load.runs_out_week
        if behind is not None:
            notes.append(
                f"{role}'s work reaches {behind[0]:.0%} of its hours in quarter {behind[1]} of "
                "the horizon: it does not keep up"
            )
        elif week is not None:
            after = f" (after the {weeks:g}-week horizon)" if week > weeks else ""
            notes.append(
                f"{role} reaches its hours in week {week}{after} at this growth: plan a hire "
                "by then"
            )
    return notes


def decaying(model: Model) -> list[str]:
    """Worked stages with response decay: their flows depend on waits."""
    return [s.name for s in model.stages if s.decay is not None and s.work is not None]


def monthly_loads(chain: _Chain) -> list[MonthLoad]:
    """Each month's load when some source is seasonal: the flows in steady state at that
    month's arrival rates (a month is long next to most waits, so each month is judged as if
    it lasted; loops slower than a month smooth this out in reality). Empty otherwise."""
    model = chain.model
    if all(source.seasonality is None for source in model.sources):
        return []
    months = []
    for m, name in enumerate(MONTHS):
        external = np.zeros((len(model.segments), len(model.stages)))
        for source in model.sources:
            factor = source.seasonality[m] if source.seasonality is not None else 1.0
            external[:, source.enters] += source.rate * factor * np.asarray(source.mix)
        flows = _solve(chain, external, np.zeros_like(external), None)
        loads = {role: load.utilization for role, load in flows.roles.items()}
        months.append(MonthLoad(name, flows.leads_per_week, loads))
    return months


def untouched_exits(model: Model) -> list[str]:
    """A note for each role whose flows and loads are upper bounds for that reason."""
    notes = []
    for role in model.roles:
        owned = [s for s in model.stages if s.work is not None and s.work.role == role.index]
        leaving = [s.name for s in owned if s.leaves_untouched]
        if leaving:
            notes.append(
                f"at {', '.join(leaving)} buyers give up or leads are recycled before a first "
                f"touch; this model assumes every lead is worked, so {role.name}'s load is an "
                "upper bound, the flows after it are not reliable, and its waits have no "
                "estimate: simulate"
            )
    return notes


def _slow_cycles(model: Model) -> list[tuple[list[str], float]]:
    """Loops that take more than a quarter of the horizon to go round, with their hours."""
    graph = nx.DiGraph()
    n_stages = len(model.stages)
    for stage in model.stages:
        graph.add_edges_from((stage.name, model.places[t]) for t in stage.targets if t < n_stages)
    by_name = {stage.name: stage for stage in model.stages}
    found = []
    for cycle in nx.simple_cycles(graph):
        hours = sum(by_name[s].buyer_delay[0].expected() for s in cycle)
        if hours > model.horizon / 4:
            found.append((cycle, hours))
    return found


def slow_loops(model: Model) -> list[str]:
    """Loops that take long to go round: their steady-state flow is years away."""
    return [
        f"loop {' -> '.join([*cycle, cycle[0]])} takes about {hours / WEEK:.0f} weeks to go "
        f"round: its entries here are the long-run (steady-state) rate; a "
        f"{model.horizon / WEEK:.0f}-week simulation sees fewer"
        for cycle, hours in _slow_cycles(model)
    ]


def slow_loop_stages(model: Model) -> set[str]:
    """Stages on a slow loop, whose entries capacity gives as a long-run rate."""
    return {stage for cycle, _ in _slow_cycles(model) for stage in cycle}


def _solve(
    chain: _Chain,
    external: np.ndarray,
    office: np.ndarray,
    months: list[tuple[float, float]] | None,
) -> Capacity:
    """Capacity for given external arrival rates (per hour, segments x stages), of which
    `office` arrive only in business hours; waits under varying hours or arrivals only when
    `months` (see `seasons`) are given."""
    model = chain.model
    decay = np.ones(len(chain.stages))
    for _ in range(25):  # flows depend on decay, decay on waits, waits on flows
        entries, keep, timed = chain.flows(external, decay, office)
        loads, waits, attain, parts = _loads(chain, entries, keep, timed, external, months)
        new = np.array([_expected_decay(s, parts.get(s.name)) for s in chain.stages])
        if np.allclose(new, decay, atol=1e-6):
            break
        decay = 0.5 * decay + 0.5 * new
    chain.decay = decay
    stages = {
        s.name: StageFlow(float(entries[:, i].sum() * WEEK), waits.get(s.name), attain.get(s.name))
        for i, s in enumerate(chain.stages)
    }
    leads = float(external.sum() * WEEK)
    worked = {
        r: load
        for r, load in loads.items()
        if load.offered_hours_per_week > 0
        or any(chain.roles[o].name == r for o in chain.owner if o >= 0)
    }
    bottleneck = max(worked, key=lambda r: worked[r].utilization, default=None)
    top = worked[bottleneck].utilization if bottleneck else 0.0
    max_leads = leads / top if top > 0 else math.inf
    return Capacity(
        model.variant,
        leads,
        worked,
        stages,
        bottleneck,
        max_leads,
        max_leads / leads - 1 if leads > 0 else math.inf,
    )


def _opens(model: Model, calendar) -> tuple[np.ndarray, np.ndarray]:
    """Hours until the calendar next opens, for arrivals every half hour of a week (of the
    whole measured window when public holidays make weeks differ), and for those of them in
    business hours (when office-hours sources send leads, holidays included)."""
    holidays = isinstance(calendar, HolidayCalendar) and model.horizon > 0
    start, end = (model.warmup, model.end) if holidays else (0.0, WEEK)
    times = np.arange(start, end, 0.5) + 0.25
    opens = np.array([calendar.next_open(t) for t in times]) - times
    in_week = times % WEEK
    office = np.zeros(len(times), dtype=bool)
    for a, b in BUSINESS_HOURS:
        office |= (in_week >= a) & (in_week < b)
    return opens, opens[office]


def _expected_decay(stage: StagePlan, parts: tuple | None) -> float:
    """The mean response-decay factor over the spread of waits (not the factor at the mean
    wait: decay is convex, and most of it happens to the leads that wait overnight).

    The wait is the handoff delay, plus the time until the role's shift opens (see
    `_opens`: for the share of leads that arrive in office hours, an arrival in those hours;
    for the rest, at any time), plus an exponential queue wait with the formula's mean.
    """
    if stage.decay is None or parts is None:
        return 1.0
    handoff, (anytime, office), queue_wait, office_share = parts
    if not math.isfinite(queue_wait):
        return stage.decay.factor(1e12)
    opens = np.concatenate([anytime, office])
    weights = np.concatenate(
        [
            np.full(len(anytime), (1 - office_share) / len(anytime)),
            np.full(len(office), office_share / len(office)),
        ]
    )
    quantiles = -queue_wait * np.log1p(-(np.arange(8) + 0.5) / 8)
    waits = handoff + opens[:, None] + quantiles[None, :]
    decay = stage.decay
    if decay.half_life is not None:
        factors = decay.floor + (1 - decay.floor) * np.exp2(-waits / decay.half_life)
    else:
        factors = np.interp(waits, decay.times, decay.factors)
    return float(weights @ factors.mean(axis=1))


# ------------------------------------------------------------------ waits


@dataclass
class _Crew:
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


def _crews(chain: _Chain, role: RolePlan, entries, keep, timed) -> list[_Crew]:
    crews = [_Crew(crew.headcount) for crew in role.crews]
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


def _loads(chain: _Chain, entries, keep, timed, external, months):
    """Offered work, utilization and waits per role; waits and SLA attainment per stage,
    and the parts of each stage's wait (handoff delay, calendar, queue wait) for decay."""
    loads, waits, attain, parts = {}, {}, {}, {}
    is_steady = steady(chain.model)
    for role in chain.roles:
        calendar = role.calendar
        owned = [s for s, owner in enumerate(chain.owner) if owner == role.index]
        crews = _crews(chain, role, entries, keep, timed)
        open_hours = _open_hours(chain.model, calendar)
        ramping = chain.slowness[role.index] > 1
        available = chain.workforce[role.index].at_work * _available_hours(chain, role)
        offered = sum(c.work for c in crews) * WEEK
        utilization = _usage(offered, available)
        works = [chain.stages[s].work for s in owned]
        pooled = all(w.routing == POOL for w in works)
        exponential = all(e.dist == "exponential" for w in works for e in w.effort)
        withheld = (
            NO_ESTIMATE
            if any(chain.stages[s].leaves_untouched for s in owned)
            else PER_REP
            if not pooled
            else PRIORITY
            if len({w.priority for w in works}) > 1
            else LOADS_ONLY
            if months is None and not is_steady
            else PEOPLE
            if role.people_change or role.away
            else HOLIDAYS
            if isinstance(calendar, HolidayCalendar)
            else RAMPING
            if ramping
            else None
        )
        # the steady formulas at the rate per scheduled hour (the wait inside open hours);
        # for routings to one rep, each rep as a queue of its own (used only for decay)
        per_open_hour = WEEK / open_hours
        formula = [
            _queue_wait(c.size, c.tasks * per_open_hour, c.service, c.cv2, exponential, not pooled)
            for c in crews
        ]
        method = ERLANG_C if exponential else ALLEN_CUNNEEN
        delays = {s: _handoff_delay(chain, entries, keep, s) for s in owned}
        slas = {s: chain.stages[s].work.sla for s in owned}
        crew_waits: list[float] = [w for w, _ in formula]
        crew_within: list[dict[int, tuple[float, float]]] = [{} for _ in crews]
        if withheld is None and is_steady:
            for k, (crew, (_, waiting)) in enumerate(zip(crews, formula, strict=True)):
                spare = crew.size / crew.service - crew.tasks if crew.service else math.inf
                for s, sla in slas.items():
                    if sla is not None:
                        t = sla.first_touch - delays[s]
                        p = 1 - waiting * math.exp(-spare * t) if spare > 0 and t >= 0 else 0.0
                        crew_within[k][s] = (p, p)
        elif withheld is None and not exponential:
            withheld = NOT_EXPONENTIAL
        elif withheld is None and not all(
            np.allclose(entries[:, s].sum(-1), external[:, s]) for s in owned
        ):
            withheld = HANDED_ON
        elif withheld is None:
            method = PERIODIC
            try:
                for k, crew in enumerate(crews):
                    crew_waits[k], crew_within[k] = _periodic(calendar, crew, slas, delays, months)
            except _NoEstimate as reason:
                withheld = str(reason)
        wait = math.nan if withheld else _weighted(crews, crew_waits, None)
        if math.isinf(wait):
            method = "saturated"
        loads[role.name] = RoleLoad(
            utilization, offered, available, role.headcount, wait, withheld or method
        )
        for s in owned:
            name = chain.stages[s].name
            queue_wait = _weighted(crews, [w for w, _ in formula], s)
            office = sum(c.office_first.get(s, 0.0) for c in crews)
            first = sum(c.first_touches.get(s, 0.0) for c in crews)
            share = office / first if first else 0.0
            parts[name] = (delays[s], chain.opens[role.index], queue_wait, share)  # for decay
            if withheld:
                continue
            waits[name] = delays[s] + _weighted(crews, crew_waits, s)
            if method == PERIODIC:  # the chain's wait, less the hours until opening it holds
                anytime, office = chain.opens[role.index]
                closed = (1 - share) * anytime.mean() + share * office.mean()
                queued = max(0.0, _weighted(crews, crew_waits, s) - closed)
                parts[name] = (delays[s], chain.opens[role.index], queued, share)
            sla = slas[s]
            if sla is not None:
                clock = 1 if sla.business_clock else 0
                attain[name] = _weighted(crews, [w[s][clock] for w in crew_within], s)
    return loads, waits, attain, parts


def _weighted(crews: list[_Crew], values: list[float], stage: int | None) -> float:
    """A per-crew figure averaged over the crews' tasks (or first touches at `stage`)."""
    weights = [c.tasks if stage is None else c.first_touches.get(stage, 0.0) for c in crews]
    if sum(weights) == 0:
        return 0.0
    if any(w > 0 and not math.isfinite(v) for w, v in zip(weights, values, strict=True)):
        return math.inf
    return sum(w * v for w, v in zip(weights, values, strict=True) if w > 0) / sum(weights)


def _handoff_delay(chain: _Chain, entries, keep, stage: int) -> float:
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


def _queue_wait(
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


class _NoEstimate(Exception):
    """The weekly chain cannot give a reliable answer; the message says why."""


def _periodic(calendar, crew: _Crew, slas: dict, delays: dict, months) -> tuple:
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
            raise _NoEstimate(SEASONAL_PEAK)
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
            raise _NoEstimate(LARGE) from err

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


def offered_utilization(
    model: Model, entries_per_week: dict[str, float], external: np.ndarray
) -> dict[str, tuple[float, float]]:
    """Each role's utilization implied by given stage entry rates (for example the ones a
    simulation observed), and that of its busiest crew (one pod): entries x share reaching the
    queue x touches x mean effort / productive share, over scheduled hours. Leak shares and
    segment mixes per stage come from the analytic flows."""
    chain = _Chain(model)
    office = np.zeros_like(external)
    entries, keep, timed = chain.flows(external, np.ones(len(chain.stages)), office)
    result = {}
    for role in chain.roles:
        owned = [s for s, owner in enumerate(chain.owner) if owner == role.index]
        if not owned:
            continue
        analytic_entries = entries.sum(axis=2)  # segments x stages
        scale = np.ones_like(analytic_entries)
        for s in owned:  # rescale each stage to the observed entries, keeping its mix
            total = analytic_entries[:, s].sum()
            scale[:, s] = (
                entries_per_week.get(chain.stages[s].name, 0.0) / WEEK / total if total else 0.0
            )
        crews = _crews(chain, role, entries * scale[:, :, None], keep, timed)
        present = chain.workforce[role.index].at_work
        hours = _available_hours(chain, role)
        total = _usage(sum(c.work for c in crews) * WEEK, present * hours)
        at_work_share = present / role.headcount if role.headcount else 1.0
        busiest = max(
            (_usage(c.work * WEEK, c.size * at_work_share * hours) for c in crews if c.tasks),
            default=total,
        )
        result[role.name] = (total, busiest)
    return result


def _available_hours(chain: _Chain, role: RolePlan) -> float:
    """One rep's scheduled hours a week at full speed: the hours left after holidays, less
    what ramping reps lose to slower work."""
    return _open_hours(chain.model, role.calendar) / chain.slowness[role.index]


def _open_hours(model: Model, calendar) -> float:
    """Scheduled hours a week of one rep, averaged over the measured window (public holidays
    taken off)."""
    if model.horizon <= 0:
        return calendar.hours_per_week
    return (calendar.worked(model.end) - calendar.worked(model.warmup)) / model.horizon * WEEK


def _weekly(calendar):
    """The weekly pattern of a calendar, without its holidays."""
    return calendar.weekly if isinstance(calendar, HolidayCalendar) else calendar


def _usage(load: float, available: float) -> float:
    return load / available if available else (math.inf if load else 0.0)
