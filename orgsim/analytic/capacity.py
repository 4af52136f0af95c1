"""`orgsim.capacity`: where a design breaks and how much more volume it takes, without simulating.

No simulation: steady-state traffic equations on the journey give each
stage's entries per week; offered work per role (entries x touches x mean
effort / productive share) against scheduled hours gives utilization, the
bottleneck, and the lead volume at which the first role saturates.

The flows are a Markov chain on (stage, role that last worked the lead), one
per segment, so handoffs (and their leaks and penalties) apply exactly where
a lead changes role, loops such as nurture and renewal included. Waits come
from queueing formulas: Erlang C for a pooled role with exponential work on
an always-open schedule (exact), and clearly labelled approximations
otherwise (Allen-Cunneen for other pools, Kingman for per-rep queues, plus
the average wait for the next shift). Response decay depends on waits, so
flows and waits are solved together by a few rounds of fixed-point
iteration. Steady state means a long run: loops such as yearly renewals take
years to fill, so a one-year simulation will see fewer renewals than this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from orgsim.analytic.queueing import erlang_c
from orgsim.config import kpis
from orgsim.config.checks import journey_graph
from orgsim.config.distributions import probability, resolve
from orgsim.config.scenario import Scenario
from orgsim.config.schema import Market, Org
from orgsim.config.units import WEEK
from orgsim.engine.calendar import BUSINESS_HOURS, calendar_for
from orgsim.engine.model import Decay, compile_variant
from orgsim.engine.sources import rate_pieces
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

    def to_json(self) -> dict:
        return {
            "utilization": json_number(self.utilization),
            "offered_hours_per_week": json_number(self.offered_hours_per_week),
            "available_hours_per_week": json_number(self.available_hours_per_week),
            "headcount": self.headcount,
            "wait_method": self.method,
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

    @property
    def peak_month(self) -> MonthLoad | None:
        """The month with the most leads (None without seasonality)."""
        return max(self.months, key=lambda m: m.leads_per_week, default=None)

    @property
    def first_saturated(self) -> MonthLoad | None:
        """The first month in which some role's work reaches its hours, if any."""
        return next((m for m in self.months if max(m.utilization.values(), default=0) >= 1), None)

    def to_json(self) -> dict:
        return {
            "months": [m.to_json() for m in self.months],
            "roles": {r: load.to_json() for r, load in self.roles.items()},
            "stages": {s: flow.to_json() for s, flow in self.stages.items()},
            "bottleneck": self.bottleneck,
            "max_leads_per_week": json_number(self.max_leads_per_week),
            "headroom": json_number(self.headroom),
            "leads_per_week": json_number(self.leads_per_week),
            "variant": self.variant,
        }


NO_ESTIMATE = "no reliable estimate (leads leave untouched)"
VARYING = "no reliable estimate: simulate (arrivals or working hours vary over the week)"
"""The queueing formulas assume arrivals and hours that do not change over the week or year;
docs/capacity-accuracy.md measures how far off they are when they do (beyond any budget),
so capacity prints no wait or SLA there."""


PER_REP = "no reliable estimate: simulate (routing to one rep; the formulas treat reps alone)"
PRIORITY = "no reliable estimate: simulate (stage priority shares one queue unevenly)"


def steady(market: Market, org: Org) -> bool:
    """Whether every queue of the design sees steady arrivals at steady hours: every worked
    role always open, no source confined to business hours, no seasonality."""
    roles = {work.role for work in org.work.values()}
    return all(org.roles[r].schedule == "always" for r in roles if r in org.roles) and all(
        s.hours == "always" and s.seasonality is None for s in market.sources.values()
    )


# ------------------------------------------------------------------ flows


def source_rates(
    market: Market, org: Org, warmup: float, horizon: float, office_hours_only: bool = False
) -> np.ndarray:
    """Leads per hour entering each stage, by segment, averaged over the measured window
    (seasonality and business-hours arrivals included); with `office_hours_only`, only the
    sources whose leads arrive in business hours. Shape (segments, stages)."""
    model = compile_variant(market, org, "capacity", warmup, horizon)
    rates = np.zeros((len(model.segments), len(model.stages)))
    end = warmup + horizon
    for source in model.sources:
        if office_hours_only and not source.business_hours:
            continue
        starts, lengths, rate = rate_pieces(source, end)
        inside = np.clip(np.minimum(starts + lengths, end) - np.maximum(starts, warmup), 0, None)
        mean_rate = float((rate * inside).sum() / horizon) if horizon > 0 else source.rate
        rates[:, source.enters] += mean_rate * np.asarray(source.mix)
    return rates


class _Chain:
    """The journey as a Markov chain on (stage, last owner role), for one variant."""

    def __init__(self, market: Market, org: Org):
        self.market, self.org = market, org
        self.stages = list(market.journey)
        self.roles = list(org.roles)
        self.segments = list(market.segments)
        self.owner = [
            self.roles.index(org.work[s].role) if s in org.work else -1 for s in self.stages
        ]
        self.n_last = len(self.roles) + 1  # last owner role, or none yet (index len(roles))
        self.size = len(self.stages) * self.n_last

    def state(self, stage: int, last: int) -> int:
        return stage * self.n_last + (last if last >= 0 else len(self.roles))

    def handoff(self, stage: int, last: int):
        """The manual handoff a lead meets entering `stage` after role `last`, if any."""
        owner = self.owner[stage]
        if owner < 0 or last < 0 or last == owner:
            return None
        key = f"{self.roles[last]}->{self.roles[owner]}"
        handoff = self.org.handoffs.get(key)
        return handoff if handoff is not None and handoff.is_manual else None

    def office_hours_only(self, stage: int) -> bool:
        """Whether the role working `stage` works only inside business hours, so that a
        lead it finishes leaves the stage in business hours."""
        owner = self.owner[stage]
        if owner < 0:
            return False
        calendar = calendar_for(self.org.roles[self.roles[owner]].schedule)
        covered = sum(calendar.worked(b) - calendar.worked(a) for a, b in BUSINESS_HOURS)
        return not calendar.always and abs(covered - calendar.hours_per_week) < 1e-9

    def flows(
        self, external: np.ndarray, decay_factor: np.ndarray, office: np.ndarray | None = None
    ) -> tuple:
        """Entries per hour into each state and leak rates, for every segment.

        Returns (entries[segment, stage], queued[segment, stage], in_office[segment, stage])
        where queued excludes leads that leaked in a handoff, and in_office counts the queued
        leads that arrive in business hours: from `office` sources, or straight from a stage
        worked only in business hours (its leads leave when a rep finishes them) with no
        buyer delay and no manual handoff delay."""
        n_seg, n_stage = len(self.segments), len(self.stages)
        office = np.zeros_like(external) if office is None else office
        entries = np.zeros((n_seg, n_stage))
        queued = np.zeros((n_seg, n_stage))
        in_office = np.zeros((n_seg, n_stage))
        for g, segment in enumerate(self.segments):
            transfer = np.zeros((self.size, self.size))
            instant = np.zeros((self.size, self.size))
            arrivals = np.zeros(self.size)
            office_arrivals = np.zeros(self.size)
            for s in range(n_stage):
                arrivals[self.state(s, -1)] += external[g, s]
                office_arrivals[self.state(s, -1)] += office[g, s]
            keep = np.ones(self.size)
            for s, name in enumerate(self.stages):
                spec = self.market.journey[name]
                if spec.is_end:
                    continue
                for last in range(-1, len(self.roles)):
                    here = self.state(s, last)
                    handoff = self.handoff(s, last)
                    leak = (handoff.leak or 0.0) if handoff else 0.0
                    penalty = (handoff.penalty or 0.0) if handoff else 0.0
                    keep[here] = 1 - leak
                    chances = self._chances(spec, segment, s, penalty, decay_factor[s])
                    next_last = self.owner[s] if self.owner[s] >= 0 else last
                    prompt = (
                        self.office_hours_only(s)
                        and resolve(spec.buyer_delay, segment).dist == "constant"
                        and resolve(spec.buyer_delay, segment).expected() == 0
                    )
                    for target, p in chances.items():
                        if target in self.stages:
                            to = self.stages.index(target)
                            t = self.state(to, next_last)
                            transfer[here, t] += (1 - leak) * p
                            if prompt and not self._delayed(to, next_last, segment):
                                instant[here, t] += (1 - leak) * p
            total = np.linalg.solve(np.eye(self.size) - transfer.T, arrivals)
            timed = office_arrivals + instant.T @ total  # finished in office hours, sent on
            for s in range(n_stage):
                states = [self.state(s, last) for last in range(-1, len(self.roles))]
                entries[g, s] = total[states].sum()
                queued[g, s] = (total[states] * keep[states]).sum()
                in_office[g, s] = (timed[states] * keep[states]).sum()
        return entries, queued, in_office

    def _delayed(self, stage: int, last: int, segment: str) -> bool:
        """Whether a manual handoff with a delay meets a lead entering `stage` after `last`."""
        handoff = self.handoff(stage, last)
        return (
            handoff is not None
            and handoff.delay is not None
            and (resolve(handoff.delay, segment).expected() > 0)
        )

    def _chances(self, spec, segment: str, stage: int, penalty: float, decay: float) -> dict:
        factor = (1 - penalty) * decay
        if self.owner[stage] >= 0:
            skill = self.org.roles[self.roles[self.owner[stage]]].skill
            factor *= resolve(skill, segment).expected()
        success = set(spec.success_outcomes)
        chances = {
            t: probability(p, segment) * (factor if t in success else 1.0)
            for t, p in spec.outcomes.items()
        }
        total = sum(chances.values())
        if total > 1:
            chances = {t: p / total for t, p in chances.items()}
        return chances


# ------------------------------------------------------------------ waits


def _wait_to_open(calendar) -> float:
    """Mean wait until the schedule next opens, for an arrival at a random closed time."""
    gaps = calendar.closed_gaps()
    return sum(gap * gap / 2 for gap in gaps) / sum(gaps) if sum(gaps) else 0.0


def _closed_share(calendar, office_share: float) -> float:
    """Share of a role's tasks that arrive while it is closed, when `office_share` of them
    arrive in business hours and the rest at any time of the week."""
    if calendar.always:
        return 0.0
    covered = sum(calendar.worked(b) - calendar.worked(a) for a, b in BUSINESS_HOURS)
    office_closed = 1 - covered / sum(b - a for a, b in BUSINESS_HOURS)
    anytime_closed = 1 - calendar.hours_per_week / WEEK
    return office_share * office_closed + (1 - office_share) * anytime_closed


def _queue_wait(
    servers: int, rate: float, service: float, cv2: float, pooled: bool, exact: bool
) -> tuple[float, str, float]:
    """Mean wait in scheduled hours, the method, and the Erlang C probability of waiting."""
    if servers <= 0 or rate <= 0:
        return (math.inf if rate > 0 else 0.0), "none", 1.0
    load = rate * service
    if load >= servers:
        return math.inf, "saturated", 1.0
    if pooled:
        waiting = erlang_c(servers, load)
        wait = waiting * service / (servers - load)
        if exact:
            return wait, "erlang_c", waiting
        return wait * (1 + cv2) / 2, "allen_cunneen_approximation", waiting
    rho = load / servers  # each rep an independent queue with its share of the arrivals
    return rho / (1 - rho) * (1 + cv2) / 2 * service, "kingman_per_rep_approximation", rho


def capacity(scenario: Scenario, variant: str | None = None, by_month: bool = True) -> Capacity:
    """The analytic capacity of one variant of a scenario (no simulation; well under a second).

    Args:
        scenario: a loaded `Scenario`.
        variant: which design (default: the first).
        by_month: with seasonal sources, also each month's load (twelve more solutions of
            the flows: most of the time capacity takes; the overload check skips them).

    Returns:
        `Capacity`: per role the utilization, offered and available hours and the
        wait with how it was estimated (`.roles`); per stage entries per week, wait
        and SLA attainment (`.stages`); `.bottleneck`, `.max_leads_per_week`,
        `.headroom`, and `.notes` on what the model cannot see.

    Raises:
        KeyError: no such variant.

    Example:
        >>> result = orgsim.capacity(orgsim.load("scenarios/reorg_sdr_split.yaml"), "pods")
        >>> result.bottleneck, round(result.headroom, 2)
    """
    chosen = scenario.variant(variant)
    market, org = chosen.market, chosen.org
    external = source_rates(market, org, scenario.warmup, scenario.horizon)
    office = source_rates(market, org, scenario.warmup, scenario.horizon, office_hours_only=True)
    result = analyse(market, org, external, chosen.name, office)
    result.notes += slow_loops(market, scenario.horizon) + untouched_exits(market, org)
    result.months = monthly_loads(market, org) if by_month else []
    return result


def monthly_loads(market: Market, org: Org) -> list[MonthLoad]:
    """Each month's load when some source is seasonal: the flows in steady state at that
    month's arrival rates (a month is long next to most waits, so each month is judged as if
    it lasted; loops slower than a month smooth this out in reality). Empty otherwise."""
    if all(source.seasonality is None for source in market.sources.values()):
        return []
    model = compile_variant(market, org, "months", 0.0, 0.0)
    months = []
    for m, name in enumerate(MONTHS):
        external = np.zeros((len(model.segments), len(model.stages)))
        for source in model.sources:
            factor = source.seasonality[m] if source.seasonality is not None else 1.0
            external[:, source.enters] += source.rate * factor * np.asarray(source.mix)
        flows = analyse(market, org, external)
        loads = {role: load.utilization for role, load in flows.roles.items()}
        months.append(MonthLoad(name, flows.leads_per_week, loads))
    return months


def leaves_untouched(market: Market, org: Org, stage: str) -> bool:
    """Whether leads can leave the stage before a first touch (patience or recycling), which
    the traffic equations here do not model: they assume every lead that queues is worked."""
    return kpis.gives_up(market, org, stage) or kpis.recycles(org, stage)


def untouched_exits(market: Market, org: Org) -> list[str]:
    """A note for each role whose flows and loads are upper bounds for that reason."""
    notes = []
    for role in org.roles:
        stages = [s for s, w in org.work.items() if w.role == role]
        leaving = [s for s in stages if leaves_untouched(market, org, s)]
        if leaving:
            notes.append(
                f"at {', '.join(leaving)} buyers give up or leads are recycled before a first "
                f"touch; this model assumes every lead is worked, so {role}'s load is an upper "
                "bound, the flows after it are not reliable, and its waits have no estimate: "
                "simulate"
            )
    return notes


def _slow_cycles(market: Market, horizon: float) -> list[tuple[list[str], float]]:
    """Loops that take more than a quarter of the horizon to go round, with their hours."""
    graph = journey_graph(market)
    first_segment = next(iter(market.segments))
    found = []
    for cycle in nx.simple_cycles(graph.subgraph(market.journey)):
        hours = sum(resolve(market.journey[s].buyer_delay, first_segment).expected() for s in cycle)
        if hours > horizon / 4:
            found.append((cycle, hours))
    return found


def slow_loops(market: Market, horizon: float) -> list[str]:
    """Loops that take long to go round: their steady-state flow is years away."""
    return [
        f"loop {' -> '.join([*cycle, cycle[0]])} takes about {hours / WEEK:.0f} weeks to go "
        f"round: its entries here are the long-run (steady-state) rate; a "
        f"{horizon / WEEK:.0f}-week simulation sees fewer"
        for cycle, hours in _slow_cycles(market, horizon)
    ]


def slow_loop_stages(market: Market, horizon: float) -> set[str]:
    """Stages on a slow loop, whose entries capacity gives as a long-run rate."""
    return {stage for cycle, _ in _slow_cycles(market, horizon) for stage in cycle}


def analyse(
    market: Market,
    org: Org,
    external: np.ndarray,
    name: str = "",
    office: np.ndarray | None = None,
) -> Capacity:
    """Capacity for given external arrival rates (per hour, segments x stages), of which
    `office` arrive only in business hours (Monday-Friday 09:00-17:00)."""
    chain = _Chain(market, org)
    office = np.zeros_like(external) if office is None else office
    decay = np.ones(len(chain.stages))
    waits: dict[str, float] = {}
    for _ in range(25):  # flows depend on decay, decay on waits, waits on flows
        entries, queued, in_office = chain.flows(external, decay, office)
        loads, waits, attain, parts = _loads(chain, queued, in_office)
        new = np.array([_expected_decay(market, s, parts.get(s)) for s in chain.stages])
        if np.allclose(new, decay, atol=1e-6):
            break
        decay = 0.5 * decay + 0.5 * new
    stages = {
        s: StageFlow(float(entries[:, i].sum() * WEEK), waits.get(s), attain.get(s))
        for i, s in enumerate(chain.stages)
    }
    leads = float(external.sum() * WEEK)
    worked = {
        r: load
        for r, load in loads.items()
        if load.offered_hours_per_week > 0 or any(w.role == r for w in org.work.values())
    }
    bottleneck = max(worked, key=lambda r: worked[r].utilization, default=None)
    top = worked[bottleneck].utilization if bottleneck else 0.0
    max_leads = leads / top if top > 0 else math.inf
    return Capacity(
        name,
        leads,
        worked,
        stages,
        bottleneck,
        max_leads,
        max_leads / leads - 1 if leads > 0 else math.inf,
    )


def _expected_decay(market: Market, stage: str, parts: tuple | None) -> float:
    """The mean response-decay factor over the spread of waits (not the factor at the mean
    wait: decay is convex, and most of it happens to the leads that wait overnight).

    The wait is the handoff delay, plus the time until the role's shift opens for an
    arrival at any time of the week, plus an exponential queue wait with the formula's mean.
    """
    spec = market.journey[stage].response_decay
    if spec is None or parts is None:
        return 1.0
    handoff, calendar, queue_wait = parts
    if not math.isfinite(queue_wait):
        return _decay_model(spec).factor(1e12)
    arrivals = np.arange(0.0, WEEK, 0.25) + 0.125
    opens = np.array([calendar.next_open(t) for t in arrivals]) - arrivals
    quantiles = -queue_wait * np.log1p(-(np.arange(8) + 0.5) / 8)
    waits = handoff + opens[:, None] + quantiles[None, :]
    model = _decay_model(spec)
    if model.half_life is not None:
        factors = model.floor + (1 - model.floor) * np.exp2(-waits / model.half_life)
    else:
        factors = np.interp(waits, model.times, model.factors)
    return float(factors.mean())


def _decay_model(spec) -> Decay:
    if hasattr(spec, "half_life"):
        return Decay(half_life=spec.half_life, floor=spec.floor)
    return Decay(times=[t for t, _ in spec.points], factors=[f for _, f in spec.points])


def _loads(chain: _Chain, queued: np.ndarray, office: np.ndarray):
    """Offered work, utilization and waits per role; waits and SLA attainment per stage,
    and the parts of each stage's wait (handoff delay, calendar, queue wait)."""
    org, market = chain.org, chain.market
    loads, waits, attain, parts = {}, {}, {}, {}
    for r, role_name in enumerate(chain.roles):
        role = org.roles[role_name]
        calendar = calendar_for(role.schedule)
        stages = [s for s, owner in enumerate(chain.owner) if owner == r]
        tasks_per_hour, work_per_hour, second_moment = 0.0, 0.0, 0.0
        in_office = float(sum(office[:, s].sum() for s in stages))  # first touches
        for s in stages:
            name = chain.stages[s]
            work, touches = org.work[name], market.journey[name].touches
            for g, segment in enumerate(chain.segments):
                effort = resolve(work.effort, segment)
                mean = effort.expected() / role.productive_share
                rate = queued[g, s] * touches
                tasks_per_hour += rate
                work_per_hour += rate * mean
                second_moment += rate * mean * mean * (1 + effort.variation() ** 2)
        headcount = org.headcount(role_name)
        available = headcount * calendar.hours_per_week
        offered = work_per_hour * WEEK
        utilization = offered / available if available else (math.inf if offered else 0.0)
        service = work_per_hour / tasks_per_hour if tasks_per_hour else 0.0
        cv2 = (second_moment / tasks_per_hour / service**2 - 1) if service else 1.0
        routings = {org.work[chain.stages[s]].routing for s in stages}
        pooled = routings <= {"pool"}
        exponential = all(
            resolve(org.work[chain.stages[s]].effort, g).dist == "exponential"
            for s in stages
            for g in chain.segments
        )
        exact = pooled and exponential and calendar.always
        unmodelled = any(leaves_untouched(market, org, chain.stages[s]) for s in stages)
        varying = not steady(market, org)
        # arrivals per scheduled hour: work arriving while closed waits for the shift
        rate_open = tasks_per_hour * WEEK / calendar.hours_per_week
        crews = _crew_sizes(org, role_name)
        share = [t / headcount if headcount else 0 for t in crews] or [1.0]
        queue_wait, method, waiting = 0.0, "none", 1.0
        for crew, part in zip(crews or [0], share, strict=True):
            w, method, waiting = _queue_wait(crew, rate_open * part, service, cv2, pooled, exact)
            queue_wait += part * w
        closed = _closed_share(calendar, in_office / tasks_per_hour if tasks_per_hour else 0.0)
        shift_wait = closed * _wait_to_open(calendar)
        if not calendar.always and method == "erlang_c":
            method = "erlang_c_with_shift_approximation"
        per_rep = not pooled  # measured: per-rep routings beat independent queues by far
        queue = org.queues.get(role_name)
        ranked = queue is not None and len(stages) > 1 and bool(queue.stage_priority)
        withheld = (
            NO_ESTIMATE
            if unmodelled
            else VARYING
            if varying
            else PER_REP
            if per_rep
            else PRIORITY
            if ranked
            else None
        )
        wait = math.nan if withheld else shift_wait + queue_wait
        loads[role_name] = RoleLoad(
            utilization, offered, available, headcount, wait, withheld or method
        )
        for s in stages:
            name = chain.stages[s]
            handoff_delay = _handoff_delay(chain, s)
            parts[name] = (handoff_delay, calendar, queue_wait)  # for decay: as if all stay
            if withheld:
                continue
            waits[name] = handoff_delay + shift_wait + queue_wait
            sla = org.work[name].sla
            if sla is not None:
                attain[name] = _attainment(
                    sla, calendar, queue_wait, waiting, service, crews, rate_open, pooled, closed
                )
    return loads, waits, attain, parts


def _crew_sizes(org: Org, role: str) -> list[int]:
    if role in org.roles_in_pods():
        return [pod.members.get(role, 0) for pod in org.pods.values()]
    return [org.roles[role].headcount or 0]


def _handoff_delay(chain: _Chain, stage: int) -> float:
    """Mean manual handoff delay into a stage, over the roles leads come from."""
    delays = []
    for last in range(len(chain.roles)):
        handoff = chain.handoff(stage, last)
        if handoff is not None and handoff.delay is not None:
            delays.append(resolve(handoff.delay, chain.segments[0]).expected())
    return max(delays, default=0.0)


def _attainment(
    sla,
    calendar,
    queue_wait: float,
    waiting: float,
    service: float,
    crews: list[int],
    rate_open: float,
    pooled: bool,
    closed_share: float,
) -> float:
    """Share of first touches within the SLA: exact Erlang C for an always-open pool; with
    shifts, a fluid approximation of the backlog that builds while the role is closed (from
    the `closed_share` of its tasks that arrive then) and is cleared, oldest first, at the
    crew's full rate when it opens."""
    t = sla.first_touch
    servers = max(1, sum(crews))
    if not math.isfinite(queue_wait) or service <= 0:
        return 0.0 if not math.isfinite(queue_wait) else 1.0
    if pooled:
        c = max(crews) if crews else servers
        spare = c / service - rate_open / max(1, len(crews))
        within = 1 - waiting * math.exp(-spare * t) if spare > 0 else 0.0
    else:
        within = 1 - math.exp(-t / queue_wait) if queue_wait > 0 else 1.0
    if calendar.always:
        return max(0.0, min(1.0, within))
    total = rate_open * calendar.hours_per_week  # tasks per week
    closed_hours = WEEK - calendar.hours_per_week
    rate = total * closed_share / closed_hours  # tasks per closed hour
    clear = servers / service  # tasks per hour the crew clears when open
    if rate_open >= clear or rate >= clear:
        return 0.0
    missed = 0.0
    for gap in calendar.closed_gaps():
        backlog = rate * gap
        if sla.clock == "business":  # closed hours do not count: the k-th item waits k / clear
            missed += max(0.0, backlog - t * clear)
        else:  # an item u hours before opening waits u + rate (gap - u) / clear
            first = backlog / clear
            cut = (t - first) / (1 - rate / clear)
            missed += rate * (gap - min(max(cut, 0.0), gap))
    met = total * (1 - closed_share) * within + rate * closed_hours - missed
    return max(0.0, min(1.0, met / total))


def offered_utilization(
    market: Market, org: Org, entries_per_week: dict[str, float], external: np.ndarray
) -> dict[str, tuple[float, float]]:
    """Each role's utilization implied by given stage entry rates (for example the ones a
    simulation observed), and that of its busiest crew (one pod): entries x share reaching the
    queue x touches x mean effort / productive share, over scheduled hours. Leak shares and
    segment mixes per stage come from the analytic flows."""
    chain = _Chain(market, org)
    entries, queued, _ = chain.flows(external, np.ones(len(chain.stages)))
    pod_of = {seg: p for p, pod in org.pods.items() for seg in pod.segments}
    result = {}
    for r, role_name in enumerate(chain.roles):
        if not any(w.role == role_name for w in org.work.values()):
            continue
        role = org.roles[role_name]
        in_pods = role_name in org.roles_in_pods()
        work: dict[str | None, float] = {}  # offered hours per week, by pod (None: no pods)
        for s, owner in enumerate(chain.owner):
            if owner != r or entries[:, s].sum() == 0:
                continue
            name = chain.stages[s]
            observed = entries_per_week.get(name, 0.0)
            for g, segment in enumerate(chain.segments):
                share = queued[g, s] / entries[:, s].sum()  # reaches the queue, this segment
                effort = resolve(org.work[name].effort, segment).expected()
                crew = pod_of.get(segment) if in_pods else None
                work[crew] = work.get(crew, 0.0) + observed * share * (
                    market.journey[name].touches * effort / role.productive_share
                )
        hours = calendar_for(role.schedule).hours_per_week
        total = _usage(sum(work.values()), org.headcount(role_name) * hours)
        crews = [
            _usage(
                load,
                hours
                * (
                    org.headcount(role_name)
                    if crew is None
                    else org.pods[crew].members.get(role_name, 0)
                ),
            )
            for crew, load in work.items()
        ]
        result[role_name] = (total, max(crews, default=total))
    return result


def _usage(load: float, available: float) -> float:
    return load / available if available else (math.inf if load else 0.0)
