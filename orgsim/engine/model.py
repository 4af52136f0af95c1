"""Compile a checked variant into the runtime tables the engine reads on every event.

Names become integer codes, by_segment fields become per-segment lists, and
everything the hot path needs (routing, SLA, handoffs into a stage, queue
priority) is looked up once here instead of once per lead. A `Model` is plain
data: it pickles cheaply, so sweeps can ship it, or the scenario it comes
from, to other processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import date
from typing import get_args

import numpy as np

from orgsim.config.distributions import Distribution, probability, resolve
from orgsim.config.journey import (
    acquisition_roles,
    after_won,
    handoff_roles,
    opportunity_stage,
    worked_roles,
)
from orgsim.config.kpis import QUARTER
from orgsim.config.scenario import Scenario
from orgsim.config.schema import (
    BUILT_IN_ENDS,
    DEFAULT_START,
    HalfLifeDecay,
    Market,
    Org,
    PointsDecay,
    Routing,
    Transition,
    departing,
    people_change,
)
from orgsim.config.units import MONTH
from orgsim.engine.calendar import AlwaysOpen, HolidayCalendar, WeeklyCalendar, calendar_for
from orgsim.engine.dates import holiday_days, year_offset

ROUTINGS = get_args(Routing)
"""The routing names, in the schema's order: a stage's routing is its index here."""
POOL, ROUND_ROBIN, LEAST_LOADED, RANDOM, SAME_REP = map(
    ROUTINGS.index, ("pool", "round_robin", "least_loaded", "random", "same_rep")
)
FAR = 1e9
"""Hours (over 100,000 years): beyond any tenure a run reaches, where the ramp's area is
extended with slope 1 so that one interpolation gives it."""


@dataclass
class Decay:
    """How a lead's chance of success fades while it waits for its first touch."""

    half_life: float | None = None
    floor: float = 0.0
    times: list[float] = field(default_factory=list)
    factors: list[float] = field(default_factory=list)

    def factor(self, waited: float) -> float:
        if self.half_life is not None:
            return self.floor + (1 - self.floor) * 2 ** (-waited / self.half_life)
        return float(np.interp(waited, self.times, self.factors))


@dataclass
class SLAPlan:
    first_touch: float
    business_clock: bool
    escalate_after: float | None
    recycle_after: float | None = None
    recycle_to: int = -1


@dataclass
class HandoffPlan:
    name: str
    delay: list[Distribution]
    leak: float
    penalty: float


def fixed_value(per_segment: list[Distribution]) -> float | None:
    """The value when a per-segment distribution is one constant (no draw needed)."""
    values = {d.value if d.dist == "constant" else None for d in per_segment}
    return values.pop() if len(values) == 1 else None


@dataclass
class WorkPlan:
    role: int
    routing: int
    effort: list[Distribution]
    sla: SLAPlan | None
    priority: int
    """Rank of the stage in its role's `stage_priority` (lower is served first)."""

    def __post_init__(self):
        self.fixed_effort = fixed_value(self.effort)


@dataclass
class StagePlan:
    index: int
    name: str
    is_end: bool
    targets: list[int]
    chances: list[list[float]]
    """Per segment, the base chance of each target (the last target is `otherwise`)."""
    success: list[bool]
    touches: int
    buyer_delay: list[Distribution]
    decay: Decay | None
    buyer_first: bool
    won: bool
    value_change: list[Distribution] | None
    patience: list[Distribution] | None = None
    """How long buyers wait for a first touch, per segment (None: they never give up)."""
    gives_up_to: int = -1
    work: WorkPlan | None = None
    handoffs_in: dict[int, HandoffPlan] = field(default_factory=dict)
    """Manual handoffs into this stage, by the role the lead comes from."""

    def __post_init__(self):
        self.fixed_buyer_delay = fixed_value(self.buyer_delay)
        self.certain = [_certain(c, self.targets) for c in self.chances]
        """Per segment, the one target a lead always takes (-1 when it is left to chance)."""

    @property
    def gives_up(self) -> bool:
        """Buyers can run out of patience here (the stage has patience and a role works it)."""
        return self.work is not None and self.patience is not None

    @property
    def recycles(self) -> bool:
        """The stage's SLA takes leads out of the queue after `recycle_after`."""
        sla = self.work.sla if self.work is not None else None
        return sla is not None and sla.recycle_after is not None

    @property
    def leaves_untouched(self) -> bool:
        """Leads can leave before a first touch (patience or recycling)."""
        return self.gives_up or self.recycles


def _certain(chances: list[float], targets: list[int]) -> int:
    sure = [t for p, t in zip(chances, targets, strict=True) if p >= 1.0]
    return sure[0] if sure and sum(chances) <= 1.0 else -1


@dataclass
class CrewPlan:
    """The reps of one role that serve one pod (or every segment, for a role not in pods)."""

    pod: int | None
    headcount: int


@dataclass
class PersonPlan:
    """A named person of a role (`roles.<r>.people`): what was written, as clock times and a
    flat skill list; None where the person's value is drawn (keyed by `name`)."""

    name: str
    crew: int
    skills: list[float] | None = None
    """By (stage, segment), as `Rep.skills`; None: drawn from the role's skill."""
    tenure: float | None = None
    pto_days: int | None = None
    """Working days off a year; None: the role's."""
    joins: float | None = None
    leaves: float | None = None
    backfill: bool = False
    """At `leaves`, the seat is refilled after the role's backfill delay."""
    quota: float | None = None
    """Their own quota a period (None: the role's)."""


@dataclass
class QuotaPlan:
    """A role's quota (see measure/pay.py): per `period` hours, `value` of `credit`."""

    period: float
    value: float
    credit: str
    ramp_quota: bool


@dataclass
class CommissionPlan:
    """How a role is paid on its credit (see measure/pay.py)."""

    rate: float
    tiers: list[tuple[float, float]]
    """(attainment from, rate), in increasing order."""
    cumulative: bool
    cap: float
    """inf: no cap."""
    split: dict[str, float]
    """Role name -> share of each won deal paid to that role's rep who worked the lead."""


@dataclass
class RolePlan:
    index: int
    name: str
    calendar: AlwaysOpen | WeeklyCalendar | HolidayCalendar
    productive_share: float
    skill: list[Distribution]
    """Per segment (one shared distribution unless the org writes by_segment)."""
    skill_across_stages: bool
    """One skill per rep for every stage (True), or one per stage, drawn independently."""
    cost_per_year: float
    order: str
    crews: list[CrewPlan]
    crew_of_segment: list[int]
    """Which of `crews` serves a lead of each segment."""
    ramp: list[float] | None = None
    """Share of full productivity in each month of a rep's tenure (None: always full)."""
    ramp_speed: bool = False
    """The ramp stretches work (a task of effort E takes E / share)."""
    ramp_skill: bool = False
    """The ramp scales skill (the chance of the success outcomes)."""
    tenure: Distribution | None = None
    """Today's reps' tenure at t = 0 (None: past the ramp)."""
    attrition: float = 0.0
    """Rate per hour at which each rep leaves (constant hazard)."""
    backfill: Distribution | None = None
    """Delay from a leaver's notice to its seat's new hire (None: the seat stays empty)."""
    pto_days: int = 0
    """Working days off per rep and year, in blocks of `pto_block` working days."""
    pto_block: int = 5
    people_change: bool = False
    """Reps join or leave during a run (attrition, dated hires or departures)."""
    acquires: bool = True
    """Its people and per-seat costs count in CAC (see journey.acquisition_roles)."""
    works: bool = False
    """It works a stage (in today's org or the one a transition switches to): measured."""
    people: list[PersonPlan] = field(default_factory=list)
    """Its named people: those on the payroll at t = 0 sit in their crew's first seats."""
    outbound_share: float = 0.0
    """Most of each working day's scheduled hours a rep spends prospecting."""
    quota: QuotaPlan | None = None
    commission: CommissionPlan | None = None

    @property
    def away(self) -> bool:
        """Reps take PTO: each has its own calendar."""
        return self.pto_days > 0 or any(p.pto_days for p in self.people)

    def ramp_share(self, tenure: float) -> float:
        """Share of full productivity at a tenure (hours since hire)."""
        ramp = self.ramp
        if ramp is None or tenure >= len(ramp) * MONTH:
            return 1.0
        return ramp[max(0, int(tenure // MONTH))]

    def ramped_hours(self, hired, start, end, slowness: bool = False):
        """Ramp share integrated over [start, end] for a rep hired at `hired` (the hours of a
        fully productive rep it is worth; 0 before it joins); with `slowness`, 1 / share
        integrated instead (how much longer its work takes). Any argument may be an array."""
        if np.ndim(hired) == 0 and hired == -np.inf:
            return end - start
        return self._ramp_area(end - hired, slowness) - self._ramp_area(start - hired, slowness)

    def _ramp_area(self, tenure, slowness: bool):
        """Integral of the ramp share (or its inverse) over tenures [0, tenure]: piecewise
        linear, one piece per month of the ramp, slope 1 after it."""
        ramp = np.array(self.ramp or [], dtype=float)
        if slowness:
            ramp = 1 / ramp
        knots = np.arange(len(ramp) + 1) * MONTH
        area = np.concatenate([[0.0], np.cumsum(ramp) * MONTH])
        # one interpolation: 0 before hire, slope 1 from the ramp's end to a far knot
        knots = np.append(knots, knots[-1] + FAR)
        area = np.append(area, area[-1] + FAR)
        return np.interp(tenure, knots, area)

    @property
    def headcount(self) -> int:
        return sum(crew.headcount for crew in self.crews)


@dataclass
class HirePlan:
    """`count` people join (or, negative, leave) one crew at time `at` (from t = 0)."""

    role: int
    crew: int
    at: float
    count: int


@dataclass
class CostPlan:
    """One of an org's other costs while that org is in place, from clock time `since` to
    `until`: `per_year`, or `per_seat` a year for each person on the payroll of `roles`."""

    per_year: float
    per_seat: float
    roles: list[int]
    acquires: bool
    """A yearly cost counts in CAC (per-seat costs follow their roles)."""
    since: float = 0.0
    until: float = float("inf")


@dataclass
class OutboundPlan:
    """An outbound source's accounts and sequences, and who prospects them (see outbound.py)."""

    accounts: list[int]
    """Per segment."""
    attempts: int
    connect: float
    meeting: float
    cadence: float
    cool_off: float
    """inf: an account is never worked again."""
    role: int
    effort: list[Distribution]
    """Per segment: the work of one attempt."""


@dataclass
class SourcePlan:
    name: str
    rate: float
    enters: int
    mix: list[float]
    seasonality: list[float] | None
    business_hours: bool
    cost: tuple[float, float] | None = None
    """Its own (per lead, per year) cost; None: the org's marketing cost per lead."""
    outbound: OutboundPlan | None = None
    """Accounts the org prospects (`rate` is 0: its leads are the meetings it books)."""


@dataclass
class BookPlan:
    """Leads already in the journey at t = 0 (the market's `book`): `count` leads entering stage
    `stage` at times uniform over [0, `over`); `customers` when the stage is reached only
    after a won milestone (their deal value is ARR from t = 0)."""

    stage: int
    count: int
    over: float
    mix: list[float]
    customers: bool
    age: list[Distribution] | None = None
    """Per segment, how long the entry's leads have been in the stage (None: use `over`)."""
    delay: list[Distribution] | None = None
    """Per segment, the stage's buyer delay (with `age`: what is left of it)."""
    value: list[Distribution] | None = None
    """Per segment, the entry's deal value (None: the segment's)."""


@dataclass
class TransitionPlan:
    """The switch to another org at clock time `at` (a variant's `transition`): the journey as the
    new org works it, and each role's crews in it (roles are those of both orgs, by name)."""

    at: float
    stages: list[StagePlan]
    crews: list[list[CrewPlan]]
    """Per role, its crews in the new org (none for a role the new org does not have)."""
    crew_of_segment: list[list[int]]
    orders: list[str]
    """Per role, its queue order in the new org."""
    moves: list[tuple[int, int, int]]
    """(from role, to role, count): people who change role, in the order written."""
    named_moves: list[tuple[str, int]]
    """(person, to role): named people who change role, before the counted moves."""
    after_move: list[RolePlan]
    """Per role, the role as someone moved into it works it: its ramp is `ramp_after_move`."""


@dataclass
class Model:
    """Everything one replication needs, as codes and lists."""

    variant: str
    segments: list[str]
    deal_values: list[Distribution]
    places: list[str]
    """Journey stages, then the built-in ends lost, leaked, churned."""
    stages: list[StagePlan]
    roles: list[RolePlan]
    sources: list[SourcePlan]
    pods: list[str]
    warmup: float
    horizon: float
    cost_per_lead: float
    year_offset: float = 0.0
    """Hours from 1 January to t = 0: where seasonality's months fall."""
    hires: list[HirePlan] = field(default_factory=list)
    """Dated hires and planned departures, in time order."""
    book: list[BookPlan] = field(default_factory=list)
    """Existing customers and open pipeline at t = 0, entry by entry."""
    transition: TransitionPlan | None = None
    """A switch to another org during the run (roles and pods are then both orgs')."""
    costs: list[CostPlan] = field(default_factory=list)
    """Other costs (software, tools), of today's org and then of the one switched to."""
    opportunity: int | None = None
    """The stage marked `milestone: opportunity` (win_rate counts from it)."""
    gross_margin: float | None = None
    team_seed: int | None = None
    """The seed today's unnamed reps' skills and tenures are drawn from in every replication
    (one team held fixed, `hold_team`); None: each replication draws its own team."""

    @property
    def end(self) -> float:
        return self.warmup + self.horizon

    def place(self, name: str) -> int:
        return self.places.index(name)

    @property
    def lost(self) -> int:
        return len(self.stages)

    @property
    def leaked(self) -> int:
        return len(self.stages) + 1

    @property
    def churned(self) -> int:
        return len(self.stages) + 2


def _per_segment(value, segments: list[str]) -> list[Distribution]:
    if value is None:
        value = 0.0
    first = resolve(value, segments[0])
    return [resolve(value, s) if hasattr(value, "by_segment") else first for s in segments]


def _decay(spec) -> Decay | None:
    if isinstance(spec, HalfLifeDecay):
        return Decay(half_life=spec.half_life, floor=spec.floor)
    if isinstance(spec, PointsDecay):
        return Decay(times=[t for t, _ in spec.points], factors=[f for _, f in spec.points])
    return None


def compile_model(
    scenario: Scenario, variant: str | None = None, after_switch: bool = False
) -> Model:
    """The runtime tables of one variant of a scenario; with `after_switch`, of the org a
    variant's transition switches to, as if it had always been in place."""
    chosen = scenario.variant(variant)
    return compile_variant(
        chosen.market,
        chosen.orgs[-1] if after_switch else chosen.org,
        chosen.name,
        scenario.warmup,
        scenario.horizon,
        scenario.start,
        scenario.holidays,
        None if after_switch else chosen.transition,
    )


def compile_variant(
    market: Market,
    org: Org,
    name: str,
    warmup: float,
    horizon: float,
    start: date = DEFAULT_START,
    holidays: str | list[date] | None = None,
    transition: Transition | None = None,
) -> Model:
    """The runtime tables of a market and an org (a variant already composed), and of the
    org a transition switches to. With a transition, roles and pods are both orgs', by
    name: today's first, then the new org's others, which have no crews before the switch."""
    closed = holiday_days(start, holidays, warmup + horizon)
    segments = list(market.segments)
    places = list(market.journey) + list(BUILT_IN_ENDS)
    new = transition.org if transition else None
    names = list(dict.fromkeys([*org.roles, *(new.roles if new else [])]))
    pods = list(dict.fromkeys([*org.pods, *(new.pods if new else [])]))
    changes = people_change(org, transition)
    acquiring = set().union(*(acquisition_roles(market, o) for o in [org, new] if o))
    working = set().union(*(worked_roles(o) for o in [org, new] if o))
    roles = []
    for i, role_name in enumerate(names):
        today = role_name in org.roles
        role = _role_plan(i, role_name, org if today else new, segments, closed, pods)
        role.people = _people_plans(org, role_name, market, warmup) if today else []
        role.people_change = changes(role_name)
        role.acquires = role_name in acquiring
        role.works = role_name in working
        if not today:
            role.crews, role.crew_of_segment = [], []
        roles.append(role)
    opportunity = opportunity_stage(market)
    return Model(
        variant=name,
        segments=segments,
        deal_values=[resolve(market.segments[s].deal_value, s) for s in segments],
        places=places,
        stages=_journey(market, org, segments, places, names),
        roles=roles,
        sources=_source_plans(market, org, segments, places, names),
        pods=pods,
        warmup=warmup,
        horizon=horizon,
        cost_per_lead=org.marketing.cost_per_lead,
        year_offset=year_offset(start),
        hires=_hire_plans(org, warmup, names)
        if transition is None
        else _hire_plans(org, warmup, names)
        + _hire_plans(transition.org, warmup, names, after=transition.at),
        book=_book_plans(market, segments, places),
        transition=None
        if transition is None
        else _transition_plan(transition, market, roles, segments, places, warmup, closed, pods),
        costs=_cost_plans(org, roles)
        if transition is None
        else _cost_plans(org, roles, until=warmup + transition.at)
        + _cost_plans(new, roles, since=warmup + transition.at),
        opportunity=None if opportunity is None else places.index(opportunity),
        gross_margin=market.gross_margin,
    )


def _cost_plans(org: Org, roles: list[RolePlan], **dates) -> list[CostPlan]:
    """An org's other costs; a cost without `roles` serves every role."""
    index = {role.name: role for role in roles}
    plans = []
    for cost in org.costs:
        serves = [index[name] for name in (cost.roles or org.roles)]
        plans.append(
            CostPlan(
                per_year=cost.per_year or 0.0,
                per_seat=cost.per_seat_per_year or 0.0,
                roles=[role.index for role in serves],
                acquires=any(role.acquires for role in serves),
                **dates,
            )
        )
    return plans


def _journey(
    market: Market, org: Org, segments: list[str], places: list[str], roles: list[str]
) -> list[StagePlan]:
    """The stages as `org` works them (`roles`: role names in the model's order)."""
    stages = [
        _stage_plan(i, n, spec, segments, places)
        for i, (n, spec) in enumerate(market.journey.items())
    ]
    for stage_name, work in org.work.items():
        stage = stages[places.index(stage_name)]
        stage.work = _work_plan(stage_name, work, org, segments, places, roles)
        stage.handoffs_in = _handoffs_into(work.role, org, segments, roles)
    return stages


def _transition_plan(
    transition: Transition,
    market: Market,
    roles: list[RolePlan],
    segments: list[str],
    places: list[str],
    warmup: float,
    closed: list[int],
    pods: list[str],
) -> TransitionPlan:
    new = transition.org
    names = [role.name for role in roles]
    crews, crew_of_segment, orders = [], [], []
    before = _hire_plans(new, warmup, names, until=transition.at)  # in its headcount then
    for role in roles:
        if role.name in new.roles:
            plan = _role_plan(role.index, role.name, new, segments, closed, pods)
            for hire in before:
                if hire.role == role.index:
                    plan.crews[hire.crew].headcount += hire.count
            crews.append(plan.crews)
            crew_of_segment.append(plan.crew_of_segment)
            orders.append(plan.order)
        else:
            crews.append([])
            crew_of_segment.append([])
            orders.append("fifo")
    ramp = transition.ramp_after_move
    return TransitionPlan(
        at=warmup + transition.at,
        stages=_journey(market, new, segments, places, names),
        crews=crews,
        crew_of_segment=crew_of_segment,
        orders=orders,
        moves=[
            (names.index(a), names.index(b), count)
            for a, to in transition.counted_moves().items()
            for b, count in to.items()
        ],
        named_moves=[(who, names.index(to)) for who, to in transition.named_moves().items()],
        after_move=[
            replace(
                role,
                ramp=list(ramp.by_month) if ramp else None,
                ramp_speed=ramp is not None and ramp.affects in ("speed", "both"),
                ramp_skill=ramp is not None and ramp.affects in ("skill", "both"),
            )
            for role in roles
        ],
    )


def _aged(entry, market: Market) -> bool:
    """A book entry given its age in a stage of the journey (a deal lost today has none)."""
    return entry.age is not None and entry.stage in market.journey


def _book_plans(market: Market, segments: list[str], places: list[str]) -> list[BookPlan]:
    customers = after_won(market)
    return [
        BookPlan(
            stage=places.index(entry.stage),
            count=entry.count,
            over=entry.over,
            mix=_shares(entry.mix or next(iter(market.sources.values())).mix, segments),
            customers=entry.stage in customers,
            age=_per_segment(entry.age, segments) if _aged(entry, market) else None,
            delay=_per_segment(market.journey[entry.stage].buyer_delay, segments)
            if _aged(entry, market)
            else None,
            value=None if entry.value is None else _per_segment(entry.value, segments),
        )
        for entry in market.book
    ]


def _hire_plans(
    org: Org, warmup: float, roles: list[str], after: float = -1.0, until: float = float("inf")
) -> list[HirePlan]:
    """An org's dated hires as crews and clock times (`at` counts from the end of warm-up),
    those with `after` < at <= `until`; `roles`: the model's role names (a role's index)."""
    pods = list(org.pods)
    in_pods = org.roles_in_pods()
    plans = [
        HirePlan(
            role=roles.index(h.role),
            crew=pods.index(h.pod) if h.role in in_pods else 0,
            at=warmup + h.at,
            count=h.count,
        )
        for h in org.hires
        if after < h.at <= until
    ]
    return sorted(plans, key=lambda h: h.at)


def _role_plan(
    index: int,
    role_name: str,
    org: Org,
    segments: list[str],
    holidays: list[int],
    pods: list[str],
) -> RolePlan:
    """A role of `org`; its crews' pods are indices into `pods` (the model's pods)."""
    role, queue = org.roles[role_name], org.queues.get(role_name)
    if role_name in org.roles_in_pods():
        crews = [
            CrewPlan(pods.index(name), pod.members.get(role_name, 0))
            for name, pod in org.pods.items()
        ]
        pod_of_segment = {s: i for i, pod in enumerate(org.pods.values()) for s in pod.segments}
        crew_of_segment = [pod_of_segment[s] for s in segments]
    else:
        crews = [CrewPlan(None, org.headcount(role_name))]
        crew_of_segment = [0] * len(segments)
    return RolePlan(
        index=index,
        name=role_name,
        calendar=calendar_for(role.schedule, holidays),
        productive_share=role.productive_share,
        skill=_per_segment(role.skill, segments),
        skill_across_stages=role.skill_across_stages,
        cost_per_year=role.cost_per_year,
        order=queue.order if queue else "fifo",
        crews=crews,
        crew_of_segment=crew_of_segment,
        ramp=list(role.ramp.by_month) if role.ramp else None,
        ramp_speed=role.ramp is not None and role.ramp.affects in ("speed", "both"),
        ramp_skill=role.ramp is not None and role.ramp.affects in ("skill", "both"),
        tenure=resolve(role.tenure, segments[0]) if role.tenure is not None else None,
        attrition=role.attrition,
        backfill=resolve(role.backfill.delay, segments[0]) if role.backfill else None,
        pto_days=role.pto.days_per_year if role.pto else 0,
        pto_block=role.pto.block_days if role.pto else 5,
        outbound_share=role.outbound_share or 0.0,
        quota=_quota_plan(role.quota),
        commission=_commission_plan(role.commission),
    )


def _quota_plan(quota) -> QuotaPlan | None:
    if quota is None:
        return None
    period = MONTH if quota.per == "month" else QUARTER
    return QuotaPlan(period, quota.value, quota.credit, quota.ramp_quota)


def _commission_plan(plan) -> CommissionPlan | None:
    if plan is None:
        return None
    return CommissionPlan(
        rate=plan.rate,
        tiers=[(t.start, t.rate) for t in plan.tiers],
        cumulative=plan.mode == "cumulative",
        cap=math.inf if plan.cap is None else plan.cap,
        split=dict(plan.split),
    )


def _people_plans(org: Org, role_name: str, market: Market, warmup: float) -> list[PersonPlan]:
    """A role's roster as plans: skills flat by (stage, segment), dates as clock times, and
    the org's `leaves` resolved to the people they take."""
    stages, segments = list(market.journey), list(market.segments)
    departures = {name: d for d in org.leaves if d.role == role_name for name in departing(org, d)}
    pods = list(org.pods)
    plans = []
    for person in org.roles[role_name].people:
        skill = person.skill
        if skill is None:
            skills = None
        elif isinstance(skill, dict):
            skills = [float(skill.get(s, 1.0)) for s in stages for _ in segments]
        else:
            skills = [float(skill)] * (len(stages) * len(segments))
        leaving = person.leaving or departures.get(person.name)
        plans.append(
            PersonPlan(
                name=person.name,
                crew=pods.index(person.pod) if person.pod is not None else 0,
                skills=skills,
                tenure=person.tenure,
                pto_days=person.pto.days_per_year if person.pto else None,
                joins=None if person.joins is None else warmup + person.joins,
                leaves=None if leaving is None else warmup + leaving.at,
                backfill=leaving is not None and leaving.backfill,
                quota=person.quota,
            )
        )
    return plans


def _stage_plan(index: int, name: str, spec, segments: list[str], places: list[str]) -> StagePlan:
    chances = []
    for segment in segments:
        base = [probability(p, segment) for p in spec.outcomes.values()]
        chances.append([*base, max(0.0, 1.0 - sum(base))])
    success_names = set(spec.success_outcomes)

    def optional(value):
        return _per_segment(value, segments) if value is not None else None

    return StagePlan(
        index=index,
        name=name,
        is_end=spec.is_end,
        targets=[places.index(t) for t in spec.outcomes] + [places.index(spec.exit)],
        chances=chances,
        success=[t in success_names for t in spec.outcomes] + [False],
        touches=spec.touches,
        buyer_delay=_per_segment(spec.buyer_delay, segments),
        decay=_decay(spec.response_decay),
        buyer_first=spec.buyer_delay_first,
        won=spec.milestone == "won",
        value_change=optional(spec.value_change),
        patience=optional(spec.patience),
        gives_up_to=places.index(spec.gives_up_place),
    )


def _work_plan(
    stage: str, work, org: Org, segments: list[str], places: list[str], roles: list[str]
) -> WorkPlan:
    queue = org.queues.get(work.role)
    ranked = queue.stage_priority if queue else []
    sla = work.sla
    return WorkPlan(
        role=roles.index(work.role),
        routing=ROUTINGS.index(work.routing),
        effort=_per_segment(work.effort, segments),
        sla=None
        if sla is None
        else SLAPlan(
            sla.first_touch,
            sla.clock == "business",
            sla.escalate_after,
            sla.recycle_after,
            places.index(sla.recycle_to) if sla.recycle_to else -1,
        ),
        priority=ranked.index(stage) if stage in ranked else len(ranked),
    )


def _handoffs_into(
    taker: str, org: Org, segments: list[str], roles: list[str]
) -> dict[int, HandoffPlan]:
    """Manual handoffs into the role `taker`, by the role the lead comes from."""
    handoffs = {}
    for key, handoff in org.handoffs.items():
        giver, to = handoff_roles(key)
        if to == taker and handoff.is_manual:
            handoffs[roles.index(giver)] = HandoffPlan(
                key,
                _per_segment(handoff.delay, segments),
                handoff.leak or 0.0,
                handoff.penalty or 0.0,
            )
    return handoffs


def _shares(mix: dict[str, float] | None, segments: list[str]) -> list[float]:
    """A segment mix as shares in segment order (no mix: the one segment of the market)."""
    mix = mix or {segments[0]: 1.0}
    return [mix.get(s, 0.0) for s in segments]


def _source_plans(
    market: Market, org: Org, segments: list[str], places: list[str], roles: list[str]
) -> list[SourcePlan]:
    return [_source_plan(n, s, segments, places, org, roles) for n, s in market.sources.items()]


def _source_plan(
    name: str, source, segments: list[str], places: list[str], org: Org, roles: list[str]
) -> SourcePlan:
    cost = None if source.cost is None else (source.cost.per_lead, source.cost.per_year)
    if source.kind == "outbound":
        work = org.prospecting[name]
        return SourcePlan(
            name=name,
            rate=0.0,
            enters=places.index(source.enters),
            mix=_shares(source.mix, segments),
            seasonality=None,
            business_hours=False,
            cost=cost,
            outbound=OutboundPlan(
                accounts=[source.accounts.get(s, 0) for s in segments],
                attempts=source.attempts,
                connect=source.connect,
                meeting=source.meeting,
                cadence=source.cadence,
                cool_off=float("inf") if source.cool_off is None else source.cool_off,
                role=roles.index(work.role),
                effort=_per_segment(work.effort, segments),
            ),
        )
    return SourcePlan(
        name=name,
        rate=source.rate,
        enters=places.index(source.enters),
        mix=_shares(source.mix, segments),
        seasonality=source.seasonality,
        business_hours=source.hours == "business_hours",
        cost=cost,
    )
