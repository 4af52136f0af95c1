"""The three kinds of file a planner writes, as frozen pydantic models.

Field names, defaults and ranges follow SCENARIO-SPEC sections 1-5 exactly.
These models check each value on its own; what needs the whole picture
(references between stages, roles, segments and pods, the journey graph) is
in `checks.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Discriminator, Field, Tag, model_validator
from pydantic_core import PydanticCustomError

from orgsim.config.distributions import (
    DurationDist,
    Frozen,
    NumberDist,
    Probability,
)
from orgsim.config.units import Duration, Number, Rate, TimeOfDay, Whole

BUILT_IN_ENDS = ("lost", "leaked", "churned")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_HANDOFF = re.compile(r"^([a-z][a-z0-9_]*)->([a-z][a-z0-9_]*)$")


def _reference(value: Any) -> Any:
    if not isinstance(value, str) or not _NAME.match(value):
        shown = f"'{value}'" if isinstance(value, str) else repr(value)
        raise PydanticCustomError(
            "name",
            f"{shown} is not a valid name: use lowercase letters, digits and _, "
            "starting with a letter",
        )
    return value


def _declared_name(value: Any) -> Any:
    _reference(value)
    if value in BUILT_IN_ENDS:
        raise PydanticCustomError(
            "name", f"'{value}' is reserved for a built-in end ({', '.join(BUILT_IN_ENDS)})"
        )
    return value


def _handoff_key(value: Any) -> Any:
    if not isinstance(value, str) or not _HANDOFF.match(value):
        raise PydanticCustomError(
            "handoff", f"'{value}' is not a handoff: write from_role->to_role, e.g. sdr->ae"
        )
    return value


Ref = Annotated[str, BeforeValidator(_reference)]
"""A name that refers to something declared elsewhere (or a built-in end)."""
Name = Annotated[str, BeforeValidator(_declared_name)]
"""The name of something a file declares: segment, source, stage, role, pod, variant."""
HandoffKey = Annotated[str, BeforeValidator(_handoff_key)]
Share = Annotated[Number, Field(ge=0, le=1)]
PositiveDuration = Annotated[Duration, Field(gt=0)]
NonNegativeDuration = Annotated[Duration, Field(ge=0)]
NonNegative = Annotated[Number, Field(ge=0)]

# --------------------------------------------------------------------- market


class Segment(Frozen):
    deal_value: NumberDist
    """ARR of a deal from this segment."""


class Source(Frozen):
    rate: Annotated[Rate, Field(ge=0)]
    enters: Ref
    mix: dict[Ref, Share] | None = None
    seasonality: Annotated[list[NonNegative], Field(min_length=12, max_length=12)] | None = None
    hours: Literal["always", "business_hours"] = "always"


class HalfLifeDecay(Frozen):
    half_life: PositiveDuration
    floor: Share = 0.0


class PointsDecay(Frozen):
    points: Annotated[list[tuple[NonNegativeDuration, Share]], Field(min_length=1)]

    @model_validator(mode="after")
    def _increasing(self):
        times = [t for t, _ in self.points]
        if times != sorted(times):
            raise PydanticCustomError("points", "points must be in increasing order of time")
        return self


def _decay_shape(value: Any) -> Any:
    if isinstance(value, dict) and "points" in value and "half_life" in value:
        raise PydanticCustomError("decay", "give either half_life (with floor) or points, not both")
    return value


def _decay_branch(value: Any) -> str:
    has_points = isinstance(value, PointsDecay) or (isinstance(value, dict) and "points" in value)
    return "points" if has_points else "half_life"


ResponseDecay = Annotated[
    Annotated[PointsDecay, Tag("points")] | Annotated[HalfLifeDecay, Tag("half_life")],
    Discriminator(_decay_branch),
    BeforeValidator(_decay_shape),
]


class Stage(Frozen):
    description: str | None = None
    outcomes: dict[Ref, Probability] = {}
    otherwise: Ref | None = None
    success: list[Ref] | None = None
    touches: Annotated[Whole, Field(ge=1)] = 1
    buyer_delay: DurationDist = 0.0
    response_decay: ResponseDecay | None = None
    milestone: Literal["won", "opportunity"] | None = None
    """`won`: entering it makes a new customer; `opportunity`: where a lead becomes an
    opportunity (at most one such stage), the base of `win_rate`."""
    value_change: NumberDist | None = None
    patience: DurationDist | None = None
    """How long the buyer waits for the first touch (calendar clock, from entering the stage)
    before giving up and leaving to `gives_up_to`."""
    gives_up_to: Ref | None = None

    @property
    def gives_up_place(self) -> str:
        """Where a buyer who runs out of patience goes (`lost` unless written)."""
        return self.gives_up_to or "lost"

    @property
    def is_end(self) -> bool:
        """A stage with neither outcomes nor otherwise is an end."""
        return not self.outcomes and self.otherwise is None

    @property
    def exit(self) -> str:
        """Where the probability not taken by an outcome goes."""
        return self.otherwise or "lost"

    @property
    def success_outcomes(self) -> list[str]:
        return list(self.outcomes) if self.success is None else list(self.success)


class BookEntry(Frozen):
    """Leads already in the journey at t = 0: existing customers (in a stage reached only
    after a `won` milestone) or open pipeline, `count` of them entering `stage` at times
    spread evenly at random over [0, `over`)."""

    stage: Ref
    count: Annotated[Whole, Field(ge=1)]
    over: NonNegativeDuration = 0.0
    mix: dict[Ref, Share] | None = None
    """Their segments (default: the first source's mix)."""


class Market(Frozen):
    kind: Literal["market"]
    name: str
    description: str | None = None
    segments: Annotated[dict[Name, Segment], Field(min_length=1)]
    sources: Annotated[dict[Name, Source], Field(min_length=1)]
    journey: Annotated[dict[Name, Stage], Field(min_length=1)]
    book: list[BookEntry] = []
    gross_margin: Share | None = None
    """Share of revenue left after the cost of serving customers: `cac_payback_months` and
    `ltv` need it and are not reported without it."""


# ------------------------------------------------------------------------ org

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Shift(Frozen):
    """Working hours: the listed days from `start` to `end` (an end before the start runs past
    midnight)."""

    days: Annotated[list[Day], Field(min_length=1)]
    start: TimeOfDay
    end: TimeOfDay

    @model_validator(mode="after")
    def _not_empty(self):
        if self.start == self.end:
            raise PydanticCustomError("shift", "start and end are the same: the shift is empty")
        if len(set(self.days)) != len(self.days):
            raise PydanticCustomError("shift", "a day is listed twice")
        return self


Schedule = Annotated[
    Annotated[Literal["always", "business_hours"], Tag("named")] | Annotated[Shift, Tag("shift")],
    Discriminator(lambda v: "shift" if isinstance(v, dict | Shift) else "named"),
]


class Ramp(Frozen):
    """How a new rep comes up to speed: the share of full productivity in each month of
    tenure (months of 1/12 year), 1.0 after the list."""

    by_month: Annotated[list[Annotated[Number, Field(gt=0, le=1)]], Field(min_length=1)]
    affects: Literal["speed", "skill", "both"] = "speed"


class Backfill(Frozen):
    """A leaver's seat is refilled by a new hire (tenure 0) after `delay` from the day the
    rep leaves (its notice); without it the seat stays empty."""

    delay: DurationDist


class PTO(Frozen):
    """Each rep takes `days_per_year` working days off a year, in blocks of `block_days`
    consecutive working days placed at random per rep and year."""

    days_per_year: Annotated[Whole, Field(ge=0, le=200)]
    block_days: Annotated[Whole, Field(ge=1, le=60)] = 5


class Role(Frozen):
    description: str | None = None
    team: str | None = None
    headcount: Annotated[Whole, Field(ge=0)] | None = None
    schedule: Schedule = "business_hours"
    productive_share: Annotated[Number, Field(gt=0, le=1)] = 1.0
    skill: NumberDist = 1.0
    """Drawn once per rep; with by_segment, once per rep and segment (a rep may be
    better with enterprise buyers than with small ones)."""
    cost_per_year: NonNegative = 0.0
    ramp: Ramp | None = None
    tenure: DurationDist | None = None
    """Today's reps' tenure at t = 0, drawn once per rep (default: past the ramp)."""
    attrition: Annotated[Rate, Field(ge=0)] = 0.0
    """Yearly rate at which reps leave (0.3/year: each rep leaves after an exponentially
    distributed time, the usual "30% annual attrition")."""
    backfill: Backfill | None = None
    pto: PTO | None = None


class SLA(Frozen):
    first_touch: NonNegativeDuration
    clock: Literal["calendar", "business"] = "calendar"
    escalate_after: NonNegativeDuration | None = None
    recycle_after: NonNegativeDuration | None = None
    """Company policy: a lead not touched this long after entering (on `clock`) is taken out
    of the queue and sent to `recycle_to`."""
    recycle_to: Ref | None = None


Routing = Literal["pool", "round_robin", "least_loaded", "random", "same_rep"]


class Work(Frozen):
    role: Ref
    effort: DurationDist
    routing: Routing = "pool"
    sla: SLA | None = None


class Handoff(Frozen):
    """A change of role between consecutive owned stages. `automated` costs nothing: its
    delay, leak and penalty are ignored, so `set: {org.handoffs.sdr->ae.mode: automated}`
    switches a manual handoff off without deleting its figures."""

    mode: Literal["automated", "manual"] | None = None
    delay: DurationDist | None = None
    leak: Share | None = None
    penalty: Share | None = None
    cost: Ref | None = None
    """The entry of the org's `costs` that pays for automating it (documentation: the
    cost counts through `costs`, whatever the mode)."""

    @property
    def is_manual(self) -> bool:
        """`mode` defaults to manual when delay, leak or penalty is given."""
        if self.mode is not None:
            return self.mode == "manual"
        return any(getattr(self, f) is not None for f in ("delay", "leak", "penalty"))


class Queue(Frozen):
    order: Literal["fifo", "newest_first", "value", "deadline"] = "fifo"
    stage_priority: list[Ref] = []


class Pod(Frozen):
    description: str | None = None
    segments: Annotated[list[Ref], Field(min_length=1)]
    members: dict[Ref, Annotated[Whole, Field(ge=0)]]


class Hire(Frozen):
    """`count` people join `role` (in `pod`, for a role staffed by pods) at `at` after the
    end of warm-up, with tenure 0; a negative count gives up seats: open vacancies first
    (their backfill is cancelled), then the most recent hires leave."""

    role: Ref
    at: NonNegativeDuration
    count: Whole
    pod: Ref | None = None

    @model_validator(mode="after")
    def _someone(self):
        if self.count == 0:
            raise PydanticCustomError("hire", "count is 0: nobody joins or leaves")
        return self


class Marketing(Frozen):
    cost_per_lead: NonNegative = 0.0


class Cost(Frozen):
    """A cost other than people and marketing (software, tools, routing products): `per_year`
    for the org, or `per_seat_per_year` for each person on the payroll of `roles`."""

    name: Name
    per_year: NonNegative | None = None
    per_seat_per_year: NonNegative | None = None
    roles: list[Ref] | None = None
    """Who it serves. A per-seat cost is paid for their seats (default: every role's); a
    yearly cost naming only roles that work after the sale is not acquisition cost (CAC)."""

    @model_validator(mode="after")
    def _one_amount(self):
        if (self.per_year is None) == (self.per_seat_per_year is None):
            raise PydanticCustomError("cost", "give either per_year or per_seat_per_year")
        return self


Structure = Literal["functional", "process_stage", "pods", "custom"]


class Org(Frozen):
    kind: Literal["org"]
    name: str
    description: str | None = None
    structure: Structure = "custom"
    roles: Annotated[dict[Name, Role], Field(min_length=1)]
    work: dict[Ref, Work] = {}
    handoffs: dict[HandoffKey, Handoff] = {}
    queues: dict[Ref, Queue] = {}
    pods: dict[Name, Pod] = {}
    hires: list[Hire] = []
    marketing: Marketing = Marketing()
    costs: list[Cost] = []

    def roles_in_pods(self) -> set[str]:
        return {role for pod in self.pods.values() for role in pod.members}

    def headcount(self, role: str) -> int:
        """A role's headcount; for a role in pods, the sum over pods."""
        if role in self.roles_in_pods():
            return sum(pod.members.get(role, 0) for pod in self.pods.values())
        return self.roles[role].headcount or 0

    def people_change(self, role: str) -> bool:
        """Reps of the role join or leave during a run (attrition, dated hires, departures)."""
        return self.roles[role].attrition > 0 or any(h.role == role for h in self.hires)

    def total_headcount(self) -> int:
        return sum(self.headcount(role) for role in self.roles)

    def cost_per_year(self) -> float:
        """People cost per year at the current headcount."""
        return sum(self.headcount(r) * role.cost_per_year for r, role in self.roles.items())


# ------------------------------------------------------------------- scenario


class Target(Frozen):
    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _a_bound(self):
        if self.min is None and self.max is None:
            raise PydanticCustomError("target", "a target needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError("target", "min is above max: no result can meet it")
        return self

    def allows(self, value):
        """Whether a value (or each of an array of values) is within the bounds; NaN is not."""
        ok = value == value
        if self.min is not None:
            ok = ok & (value >= self.min)
        if self.max is not None:
            ok = ok & (value <= self.max)
        return ok

    def met_by(self, low: float, high: float, n: int) -> bool:
        """Met when the whole 95% interval of a mean over `n` replications lies within the
        bounds (SCENARIO-SPEC section 1); with fewer than two there is no interval."""
        return bool(n > 1 and self.allows(low) and self.allows(high))

    def describe(self) -> str:
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        return " and ".join(parts)


def _file_or_inline(value: Any) -> Any:
    if not isinstance(value, str | dict):
        raise PydanticCustomError(
            "file_or_inline", "expected a file path (relative to this file) or an inline mapping"
        )
    return value


FileOrInline = Annotated[str | dict[str, Any], BeforeValidator(_file_or_inline)]


Moves = dict[Name, dict[Name, Annotated[Whole, Field(ge=1)]]]
"""`{from_role: {to_role: count}}`: people who change role at a transition."""


class TransitionSpec(Frozen):
    """A switch to another org at `at` after the end of warm-up (SCENARIO-SPEC 8.3), as
    written: `org` is still a file path or an inline mapping."""

    at: NonNegativeDuration
    org: FileOrInline
    moves: Moves = {}
    ramp_after_move: Ramp | None = None


class Transition(Frozen):
    """A switch to `org` at `at` (hours after the end of warm-up): `moves` change role,
    keeping their tenure, and work at `ramp_after_move` in the new role (default: fully
    productive); everyone else keeps a role the new org has, or leaves."""

    at: NonNegativeDuration
    org: Org
    moves: Moves = {}
    ramp_after_move: Ramp | None = None

    def moved(self, role: str) -> tuple[int, int]:
        """People moved out of and into `role`."""
        out = sum(self.moves.get(role, {}).values())
        into = sum(to.get(role, 0) for to in self.moves.values())
        return out, into

    def people_change(self, before: Org, role: str) -> bool:
        """People join or leave `role` at the switch (or after it, by the new org's rules)."""
        orgs = [o for o in (before, self.org) if role in o.roles]
        return (
            len(orgs) == 1
            or any(o.people_change(role) for o in orgs)
            or before.headcount(role) != self.org.headcount(role)
            or self.moved(role) != (0, 0)
        )


def people_change(org: Org, transition: Transition | None) -> Callable[[str], bool]:
    """Whether people join or leave a role during a run of `org` (and its transition)."""
    if transition is None:
        return org.people_change
    return partial(transition.people_change, org)


class VariantSpec(Frozen):
    description: str | None = None
    market: FileOrInline | None = None
    org: FileOrInline | None = None
    transition: TransitionSpec | None = None
    set: dict[str, Any] = {}


DEFAULT_START = date(2024, 1, 1)
"""t = 0 when a scenario gives no `start`: a Monday, 1 January."""


def _monday(value: date) -> date:
    if value.weekday() != 0:
        monday = date.fromordinal(value.toordinal() - value.weekday())
        raise PydanticCustomError(
            "start",
            "t = 0 is a Monday 00:00 (weekly schedules count from there): {value} is a "
            "{day}; the Monday before is {monday}",
            {"value": str(value), "day": value.strftime("%A"), "monday": str(monday)},
        )
    return value


def _country(value: str) -> str:
    import holidays  # only a scenario with holidays pays for its import

    known = holidays.list_supported_countries()
    if value not in known and value.upper() in known:
        raise PydanticCustomError(
            "country", "country codes are in capitals: write '{upper}'", {"upper": value.upper()}
        )
    if value not in known:
        raise PydanticCustomError(
            "country",
            "no public holidays known for '{value}': write a country code such as US, GB, DE "
            "or KR (ISO 3166), or a list of dates",
            {"value": value},
        )
    return value


Holidays = Annotated[
    Annotated[str, AfterValidator(_country), Tag("country")]
    | Annotated[list[date], Field(min_length=1), Tag("dates")],
    Discriminator(lambda v: "dates" if isinstance(v, list | tuple) else "country"),
]


class ScenarioFile(Frozen):
    """A scenario as written, before its market and org are read and composed."""

    kind: Literal["scenario"]
    name: str
    description: str | None = None
    market: FileOrInline
    org: FileOrInline
    horizon: PositiveDuration
    warmup: NonNegativeDuration = 0.0
    replications: Annotated[Whole, Field(ge=1)] = 10
    seed: Annotated[Whole, Field(ge=0)] = 0
    start: Annotated[date, AfterValidator(_monday)] = DEFAULT_START
    holidays: Holidays | None = None
    currency: Annotated[str, Field(min_length=1, max_length=8)] | None = None
    """A label for money in reports (`USD`, `EUR`, `KRW`); amounts are never converted."""
    set: dict[str, Any] = {}
    variants: dict[Name, VariantSpec | None] = {}
    targets: dict[str, Target] = {}
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = {}


class Variant(Frozen):
    """One org design (and market) to simulate, fully composed and checked."""

    name: str
    description: str | None = None
    market: Market
    org: Org
    transition: Transition | None = None

    @property
    def orgs(self) -> list[Org]:
        """The orgs the run goes through: today's, then the one a transition switches to."""
        return [self.org] if self.transition is None else [self.org, self.transition.org]
