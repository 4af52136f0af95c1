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
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from orgsim.analytic.chain import Chain, expected_decay, seasons, source_rates, steady
from orgsim.analytic.horizon import over_time
from orgsim.analytic.outbound import OutboundBound, outbound_bounds, with_meetings
from orgsim.analytic.waits import (
    available_hours,
    crews_of,
    role_waits,
    stage_waits,
    usage,
    weighted,
)
from orgsim.analytic.workforce import pod_shares
from orgsim.config import journey
from orgsim.config import scenario as scenarios
from orgsim.config.scenario import Scenario
from orgsim.config.units import WEEK
from orgsim.engine.model import (
    Model,
    compile_model,
)
from orgsim.measure.jsonable import json_number


@dataclass
class PodLoad:
    """A role's reps in one pod: they serve its segments alone, so they keep up or not on
    their own, whatever the role's total says."""

    headcount: int
    utilization: float
    """The pod's long-run load: its segments' work over its reps' hours."""
    load_by_quarter: list[float] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "headcount": self.headcount,
            "utilization": json_number(self.utilization),
            "load_by_quarter": [json_number(x) for x in self.load_by_quarter],
        }


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
    """How much the sources' leads could grow before the role's work (or one pod's) reaches
    its hours in some quarter of the horizon (below zero: it does not keep up)."""
    pods: dict[str, PodLoad] = field(default_factory=dict)
    """For a role in pods, each pod's reps (`utilization` and `load_by_quarter` above are
    the role's total; `reaches_hours_week`, `room` and `fullest_quarter` its first pod to
    run out)."""

    @property
    def busiest(self) -> float:
        """The long-run load that saturates first: the role's, or its busiest pod's."""
        return max([self.utilization, *(pod.utilization for pod in self.pods.values())])

    @property
    def fullest_quarter(self) -> tuple[float, int] | None:
        """The load and number (1 is the first) of the plan quarter whose work is at or above
        the hours of the role (or of one of its pods: `fullest_pod`), the fullest of them;
        None while every quarter keeps up."""
        found = self._behind()
        return found[:2] if found else None

    @property
    def fullest_pod(self) -> str | None:
        """The pod whose quarter is `fullest_quarter`, when it is a pod's."""
        found = self._behind()
        return found[2] if found else None

    def _behind(self) -> tuple[float, int, str | None] | None:
        found = self.fullest()
        return found if found is not None and found[0] >= 1 else None

    def fullest(self) -> tuple[float, int, str | None] | None:
        """The fullest plan quarter of the role's, or of one of its pods', as (load, quarter
        number, pod or None); None without quarters."""
        worst = None
        for pod, quarters in [(None, self.load_by_quarter)] + [
            (name, p.load_by_quarter) for name, p in self.pods.items()
        ]:
            top = max(quarters, default=-math.inf)
            if quarters and (worst is None or top > worst[0]):
                worst = (top, quarters.index(top) + 1, pod)
        return worst

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
            **({"pods": {n: p.to_json() for n, p in self.pods.items()}} if self.pods else {}),
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
    outbound: list[OutboundBound] = field(default_factory=list)
    """Per outbound source, the most its prospecting can make (analytic/outbound.py)."""

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
            "outbound": [b.to_json() for b in self.outbound],
            "roles": {r: load.to_json() for r, load in self.roles.items()},
            "stages": {s: flow.to_json() for s, flow in self.stages.items()},
            "bottleneck": self.bottleneck,
            "max_leads_per_week": json_number(self.max_leads_per_week),
            "headroom": json_number(self.headroom),
            "leads_per_week": json_number(self.leads_per_week),
            "variant": self.variant,
        }


# ------------------------------------------------------------------ the answer


def capacity(
    scenario: Scenario | str | Path,
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
        ConfigError: no such variant, or a file that does not load (`scenario` may be
            a path, read with `orgsim.load`).

    Example:
        >>> result = orgsim.capacity(orgsim.load("scenarios/reorg_sdr_split.yaml"), "pods")
        >>> result.bottleneck, round(result.headroom, 2)
    """
    if not isinstance(scenario, Scenario):
        scenario = scenarios.load(scenario)
    model = compile_model(scenario, variant, after_switch=True)
    prospecting = _prospecting(model, long_run)
    model = with_meetings(model, prospecting)
    external, office = source_rates(model), source_rates(model, office_hours_only=True)
    chain = Chain(model, long_run)
    result = _solve(chain, external, office, None if loads_only else seasons(model))
    _over_the_horizon(result, chain)
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
    result.notes += written_skills(model)
    hired = [r.name for r in model.roles if len(r.crews) > 1 and pod_shares(model, r) is None]
    if hired:
        result.notes.append(
            f"dated hires join the pods of {', '.join(hired)} during the run: their loads are "
            "the role's total over its pods, not each pod's (a pod may not keep up while the "
            "total does); simulate"
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
    result.outbound = prospecting
    result.notes += [b.words(model.horizon / WEEK) for b in prospecting]
    return result


def _over_the_horizon(result: Capacity, chain: Chain) -> None:
    """Each role's loads quarter by quarter (`analytic.horizon`); the week it reaches its
    hours and its room are its first pod's to run out, for a role in pods."""
    for role, later in over_time(chain, chain.decay).items():
        if role in result.roles:
            load = result.roles[role]
            load.load_by_quarter = later.load_by_quarter
            weeks = [w.reaches_hours_week for w in (later, *later.pods.values())]
            load.reaches_hours_week = min((w for w in weeks if w is not None), default=None)
            load.room = min(w.room for w in (later, *later.pods.values()))
            for pod, pod_later in later.pods.items():
                load.pods[pod].load_by_quarter = pod_later.load_by_quarter


def _prospecting(model: Model, long_run: bool) -> list[OutboundBound]:
    """The bounds on what outbound sources make, from the loads of the journey without
    them (see analytic/outbound.py)."""
    if all(source.outbound is None for source in model.sources):
        return []
    chain = Chain(model, long_run)
    inbound = _solve(chain, source_rates(model), source_rates(model, True), None)
    hours = {}
    for role in model.roles:
        load = inbound.roles.get(role.name)
        available = chain.workforce[role.index].at_work * available_hours(chain, role)
        hours[role.name] = (0.0 if load is None else load.offered_hours_per_week, available)
    return outbound_bounds(model, hours)


def written_skills(model: Model) -> list[str]:
    """Where a roster writes skills capacity does not use: its flows take the written rates
    as a team at skill 1 converts them, and named people are taken as written."""
    notes = []
    for role in model.roles:
        named = [p.skills for p in role.people if p.skills is not None and p.joins is None]
        if not named:
            continue
        unnamed = max(0, role.headcount - len(named))
        mean = (sum(sum(s) / len(s) for s in named) + unnamed) / (len(named) + unnamed)
        if abs(mean - 1.0) > 0.05:  # within the budget of the flows themselves
            notes.append(
                f"{role.name}'s named people have written skills (mean {mean:.2f} over its "
                f"{len(named) + unnamed} seats at the start): capacity's flows take the written "
                "rates, as a team at skill 1.00 converts them; simulate for what your people "
                "convert"
            )
    return notes


def running_out(result: Capacity, model: Model) -> list[str]:
    """When each role's work reaches its hours, in words: in a plan quarter of the horizon
    (it does not keep up) or later (a week to have a hire in place by)."""
    weeks = model.horizon / WEEK
    notes = []
    for role, load in result.roles.items():
        behind, week = load.fullest_quarter, load.runs_out_week
        if behind is not None:
            where = f" in {load.fullest_pod}" if load.fullest_pod else ""
            reaches = (
                f"{role}{where} has nobody at work"
                if math.isinf(behind[0])
                else f"{role}'s work{where} reaches {behind[0]:.0%} of its hours"
            )
            notes.append(f"{reaches} in quarter {behind[1]} of the horizon: it does not keep up")
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


def monthly_loads(chain: Chain) -> list[MonthLoad]:
    """Each month's load when some source is seasonal: the flows in steady state at that
    month's arrival rates (a month is long next to most waits, so each month is judged as if
    it lasted; loops slower than a month smooth this out in reality). Empty otherwise."""
    model = chain.model
    if all(source.seasonality is None for source in model.sources):
        return []
    year, months = chain.decay, []  # each month's solve starts from the year's decay
    for m, name in enumerate(MONTHS):
        external = np.zeros((len(model.segments), len(model.stages)))
        for source in model.sources:
            factor = source.seasonality[m] if source.seasonality is not None else 1.0
            external[:, source.enters] += source.rate * factor * np.asarray(source.mix)
        flows = _solve(chain, external, np.zeros_like(external), None, year)
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
    n_stages = len(model.stages)
    graph = {
        s.name: {model.places[t]: None for t in s.targets if t < n_stages} for s in model.stages
    }
    by_name = {stage.name: stage for stage in model.stages}
    found = []
    for cycle in journey.loops(graph):
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
    chain: Chain,
    external: np.ndarray,
    office: np.ndarray,
    months: list[tuple[float, float]] | None,
    decay: np.ndarray | None = None,
) -> Capacity:
    """Capacity for given external arrival rates (per hour, segments x stages), of which
    `office` arrive only in business hours; waits under varying hours or arrivals only when
    `months` (see `seasons`) are given. The response decays are found from `decay` on (by
    default none)."""
    model = chain.model
    decay, before = np.ones(len(chain.stages)) if decay is None else decay, None
    for _ in range(40):  # flows depend on decay, decay on waits, waits on flows
        entries, keep, timed = chain.flows(external, decay, office)
        loads, waits, attain, parts = _loads(chain, entries, keep, timed, external, months)
        new = np.array([expected_decay(s, parts.get(s.name)) for s in chain.stages])
        if np.abs(new - decay).max() <= 1e-6:
            break
        step = 1.0 if before is None else _secant_step(*before, decay, new)
        before, decay = (decay, new), decay + step * (new - decay)
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
    bottleneck = max(worked, key=lambda r: worked[r].busiest, default=None)
    top = worked[bottleneck].busiest if bottleneck else 0.0
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


def _secant_step(decay_before, new_before, decay, new) -> np.ndarray:
    """How far to move each stage's decay towards what the waits imply: the secant step
    onto the fixed point, from how the implied decay answered the last move (more decay,
    more flow, longer waits, less decay: the answer swings, and a full step overshoots;
    a step of 1 for a stage that did not move or that the answer follows)."""
    moved, answered = decay - decay_before, new - new_before
    slope = np.divide(answered, moved, out=np.zeros_like(moved), where=np.abs(moved) > 1e-12)
    return np.clip(1 / (1 - np.minimum(slope, 0.0)), 0.05, 1.0)


# ------------------------------------------------------------------ waits


def _loads(chain: Chain, entries, keep, timed, external, months):
    """Offered work, utilization and waits per role; waits and SLA attainment per stage,
    and the parts of each stage's wait (handoff delay, calendar, queue wait) for decay."""
    loads, waits, attain, parts = {}, {}, {}, {}
    is_steady = steady(chain.model)
    for role in chain.roles:
        owned = [s for s, owner in enumerate(chain.owner) if owner == role.index]
        crews = crews_of(chain, role, entries, keep, timed)
        available = chain.workforce[role.index].at_work * available_hours(chain, role)
        offered = sum(c.work for c in crews) * WEEK
        found = role_waits(chain, role, owned, crews, (entries, keep, external), months, is_steady)
        wait = math.nan if found.withheld else weighted(crews, found.crew_waits, None)
        method = "saturated" if math.isinf(wait) else found.method
        loads[role.name] = RoleLoad(
            usage(offered, available), offered, available, role.headcount, wait, method
        )
        shares = pod_shares(chain.model, role)
        if shares is not None:  # pods: each crew's work over its share of the hours
            loads[role.name].pods = {
                chain.model.pods[plan.pod]: PodLoad(
                    plan.headcount, float(usage(crew.work * WEEK, available * share))
                )
                for plan, crew, share in zip(role.crews, crews, shares, strict=True)
            }
        for s in owned:
            name = chain.stages[s].name
            parts[name], wait_here, within = stage_waits(chain, role, s, crews, found)
            if wait_here is not None:
                waits[name] = wait_here
            if within is not None:
                attain[name] = within
    return loads, waits, attain, parts


def offered_utilization(
    model: Model, entries_per_week: dict[str, float], external: np.ndarray
) -> dict[str, tuple[float, float]]:
    """Each role's utilization implied by given stage entry rates (for example the ones a
    simulation observed), and that of its busiest crew (one pod): entries x share reaching the
    queue x touches x mean effort / productive share, over scheduled hours. Leak shares and
    segment mixes per stage come from the analytic flows."""
    chain = Chain(model)
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
        crews = crews_of(chain, role, entries * scale[:, :, None], keep, timed)
        present = chain.workforce[role.index].at_work
        hours = available_hours(chain, role)
        total = usage(sum(c.work for c in crews) * WEEK, present * hours)
        at_work_share = present / role.headcount if role.headcount else 1.0
        busiest = max(
            (usage(c.work * WEEK, c.size * at_work_share * hours) for c in crews if c.tasks),
            default=total,
        )
        result[role.name] = (total, busiest)
    return result
