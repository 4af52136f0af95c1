"""The four kinds of file a planner writes, as frozen pydantic models.

Field names, defaults and ranges are the language's (docs/reference.md is generated from
these models: each field's docstring is its description).
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

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from orgsim.config.distributions import (
    DurationDist,
    Frozen,
    NumberDist,
    Probability,
)
from orgsim.config.size import MAX_ACCOUNTS, MAX_BOOK, MAX_PEOPLE, MAX_REPLICATIONS
from orgsim.config.units import (
    WEEK,
    YEAR,
    Bound,
    Duration,
    Number,
    Rate,
    TimeOfDay,
    Whole,
    format_duration,
)

BUILT_IN_ENDS = ("lost", "leaked", "churned")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_HANDOFF = re.compile(r"([a-z][a-z0-9_]*)->([a-z][a-z0-9_]*)")


def is_name(value: Any) -> bool:
    """A name a file may declare or refer to: lowercase letters, digits and _."""
    return isinstance(value, str) and _NAME.fullmatch(value) is not None


def _reference(value: Any) -> Any:
    if not is_name(value):
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
    if not isinstance(value, str) or not _HANDOFF.fullmatch(value):
        raise PydanticCustomError(
            "handoff", f"'{value}' is not a handoff: write from_role->to_role, e.g. sdr->ae"
        )
    return value


MAX_ATTRITION = 12 / YEAR
"""Attrition per hour beyond which no org plans: every rep gone within a month on average
(capacity samples each seat's leavers one by one, and a typo such as 1e9/year never ends)."""
MAX_SPAN = 100 * YEAR
"""A horizon or warm-up beyond a century is a typo, and its calendar would fill memory."""


MAX_ROLES = 100
"""Roles in one org: more than any revenue org draws; capacity's chain grows with the square
of the roles (a lead's stage and the role that last worked it), so a typo of thousands
would fill memory."""


def _few_roles(roles: dict) -> dict:
    if len(roles) > MAX_ROLES:
        raise PydanticCustomError(
            "roles", f"{len(roles):,} roles is more than any org draws: at most {MAX_ROLES}"
        )
    return roles


def _some_month(months: list[float]) -> list[float]:
    if not any(months):
        raise PydanticCustomError(
            "seasonality", "every month is 0: no lead would ever come (leave the source out)"
        )
    return months


def _planned_attrition(value: float) -> float:
    if value > MAX_ATTRITION:
        raise PydanticCustomError(
            "attrition",
            f"{value * YEAR:,.4g} a year is more than any org plans for: at most "
            f"{MAX_ATTRITION * YEAR:g}/year (every rep gone within a month on average)",
        )
    return value


def _planned_span(value: float) -> float:
    if value > MAX_SPAN:
        raise PydanticCustomError(
            "span", f"{value / YEAR:,.4g} years is beyond any plan: at most {MAX_SPAN / YEAR:g}y"
        )
    return value


def _a_week_or_more(value: float) -> float:
    """Rates, shifts and the KPIs per week all need a whole week of calendar to mean anything."""
    if value < WEEK:
        raise PydanticCustomError(
            "span", f"{format_duration(value)} is shorter than a week: a horizon is at least 1w"
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
    """ARR of a deal won from this segment: a number or a distribution (`{dist: lognormal, mean:
    30000, cv: 0.6}`). Also the value a book customer of this segment renews at."""


class SourceCost(Frozen):
    """What a source costs, when it is not the org's marketing cost per lead."""

    per_lead: NonNegative = 0.0
    """The cost of each lead (a list bought per contact: `40`)."""
    per_year: NonNegative = 0.0
    """A yearly cost, counted for the measured horizon (data and dialer seats: `36000`)."""


class Source(Frozen):
    kind: Literal["inbound"] = "inbound"
    """`inbound` (default): leads arrive at `rate`, whatever the org does. See `kind: outbound`
    for accounts the org prospects."""
    rate: Annotated[Rate, Field(ge=0)]
    """Leads per unit of time, averaged over the week: `120/week`, `20/day`, `500/month` (units /h,
    /day, /week, /month, /year)."""
    enters: Ref
    """The journey stage its leads enter (`mql`)."""
    mix: dict[Ref, Share] | None = None
    """Share of its leads in each segment, summing to 1 (`{smb: 0.65, mid: 0.28, ent: 0.07}`);
    required when the market has more than one segment."""
    seasonality: (
        Annotated[
            list[NonNegative], Field(min_length=12, max_length=12), AfterValidator(_some_month)
        ]
        | None
    ) = None
    """Twelve monthly factors on `rate`, January first, following the scenario's `start` (`[1.0,
    1.0, 1.1, ...]`); their average need not be 1."""
    hours: Literal["always", "business_hours"] = "always"
    """When leads arrive: `always` (around the clock, web forms) or `business_hours` (Monday to
    Friday 09:00-17:00, at the rate that keeps the weekly volume)."""
    cost: SourceCost | None = None
    """What this source costs instead of the org's marketing cost per lead (`{per_lead: 40,
    per_year: 36000}`): outbound's data and dialer seats are not marketing's. Counted in
    `cost.sources` (not `cost.marketing`), `cost`, `cac` and `source.<s>.cost`."""


AccountCount = Annotated[Whole, Field(ge=0, le=MAX_ACCOUNTS)]


class OutboundSource(Frozen):
    """Accounts the org prospects (`kind: outbound`): its volume is what the prospecting role's
    free time and the accounts left make it. The role and the effort of one attempt are the
    org's `work.<this source>`; the share of the role's time, `roles.<r>.outbound_share`."""

    kind: Literal["outbound"]
    """Always `outbound`."""
    accounts: Annotated[dict[Ref, AccountCount], Field(min_length=1)]
    """The addressable market, accounts by segment (`{smb: 4000, mid: 1200}`); a won account
    leaves it."""
    enters: Ref
    """The journey stage a booked meeting starts in (`prospect`)."""
    attempts: Annotated[Whole, Field(ge=1, le=100)]
    """Attempts (dials, emails) per account in one sequence before it is set aside (`6`)."""
    connect: Share
    """Chance that one attempt reaches the buyer (`0.08`)."""
    meeting: Share
    """Chance that a buyer reached books a meeting (`0.15`); otherwise the buyer says no and the
    sequence ends."""
    cadence: NonNegativeDuration = 0.0
    """Time between two attempts of one sequence, counted from the end of the one before
    (`2d`); default `0h`: the next attempt follows at once."""
    cool_off: PositiveDuration | None = None
    """An account whose sequence ended without a meeting, whose deal was lost, or that churned
    may be worked again this long after (`6mo`); default: never again."""
    cost: SourceCost | None = None
    """Its own cost (data, dialer seats: `{per_year: 36000}`), instead of the org's marketing
    cost per lead. Counted in `cost.sources`, `cost`, `cac` and `source.<s>.cost`."""

    @property
    def mix(self) -> dict[str, float]:
        """Share of the accounts in each segment."""
        total = sum(self.accounts.values()) or 1
        return {segment: n / total for segment, n in self.accounts.items()}


def _source_kind(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return "outbound" if kind == "outbound" else "inbound"


AnySource = Annotated[
    Annotated[Source, Tag("inbound")] | Annotated[OutboundSource, Tag("outbound")],
    Discriminator(_source_kind),
]


class HalfLifeDecay(Frozen):
    half_life: PositiveDuration
    """Wait to the first touch after which the success chances have fallen halfway to `floor`
    (`6h`)."""
    floor: Share = 0.0
    """Share of the success chances left however long the lead waits (`0.3`)."""


class PointsDecay(Frozen):
    points: Annotated[list[tuple[NonNegativeDuration, Share]], Field(min_length=1)]
    """`[[wait, factor], ...]` in increasing order of wait: the success chances are multiplied by
    the factor, interpolated linearly between points and flat after the last (`[[0h, 1.0], [1h,
    0.8], [24h, 0.4]]`)."""

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
    """Free text for readers of the file and the reports."""
    outcomes: dict[Ref, Probability] = {}
    """Where a lead goes when it leaves the stage, with its chance: a stage name or an end (`lost`,
    `leaked`, `churned`) to a probability or `{by_segment: ...}` (`{sql: 0.45, nurture: 0.2}`).
    Chances sum to at most 1; the rest goes to `otherwise`."""
    otherwise: Ref | None = None
    """Where the chance left by `outcomes` goes (default `lost`). A stage with neither outcomes nor
    otherwise is an end."""
    success: list[Ref] | None = None
    """The outcomes that count as success (default: all of them): only these are scaled by skill,
    ramp, response decay and handoff penalty, and the chance they lose goes to `otherwise`."""
    touches: Annotated[Whole, Field(ge=1, le=1000)] = 1
    """Pieces of work the owning role does in this stage, one after another, each of the work's
    `effort` (an opportunity may take `3` meetings)."""
    buyer_delay: DurationDist = 0.0
    """Time the buyer takes in this stage besides the work, spread evenly between the touches (`5d`,
    `{dist: gamma, mean: 21d, cv: 0.6}`, or by_segment)."""
    buyer_delay_first: bool = False
    """`true`: the buyer delay elapses before the work, which falls due when it ends (a customer's
    year runs, then the renewal is worked and decided). The stage's first-touch clocks (wait, SLA,
    patience, escalation, response decay) start when it falls due. A book lead placed in such a
    stage is due at once."""
    response_decay: ResponseDecay | None = None
    """Leads go cold while they wait for the first touch: `{half_life: 6h, floor: 0.3}` or `{points:
    [[0h, 1.0], [24h, 0.5]]}` scales the success chances by the wait."""
    milestone: Literal["won", "opportunity"] | None = None
    """`won`: entering the stage makes a new customer (its deal value is booked as new ARR);
    `opportunity`: where a lead becomes an opportunity, the base of `win_rate` (at most one such
    stage)."""
    value_change: NumberDist | None = None
    """Factor on the customer's ARR each time it enters the stage (`{dist: lognormal, mean: 1.05,
    cv: 0.1}` at renewal: 5% expansion on average)."""
    patience: DurationDist | None = None
    """How long the buyer waits for the first touch, on the calendar clock from entering the stage,
    before giving up and leaving to `gives_up_to` (`3d`, or a distribution)."""
    gives_up_to: Ref | None = None
    """Where a buyer who runs out of patience goes (default `lost`)."""

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
    """The stage these leads are in at t = 0: a post-won stage (`renewal`, `onboarding`) for
    existing customers, an earlier one (`opportunity`) for open pipeline, or `lost` in a
    variant that asks "what if we lose this deal today" (the deal takes nobody's time and
    books nothing, and every other lead keeps its luck, so the comparison is paired)."""
    count: Annotated[Whole, Field(ge=1, le=MAX_BOOK)]
    """How many leads (`270`)."""
    over: NonNegativeDuration = 0.0
    """They fall due at times spread evenly at random over this span from t = 0 (`52w` for renewals
    through the year; default `0h`: all at once)."""
    age: DurationDist | None = None
    """How long each has already been in the stage (`40d`, or `{dist: empirical, values: [3d,
    40d, 95d]}` from a CRM): each then falls due when the rest of its buyer delay has passed,
    drawn from the stage's delay given that it is longer than the age (a deal older than the
    delay ever runs falls due at once). Instead of `over`."""
    mix: dict[Ref, Share] | None = None
    """Their segments, summing to 1 (default: the first source's mix)."""
    value: NumberDist | None = None
    """Their deal value (`400000` for one deal you know; default: drawn from the segment's
    `deal_value`)."""

    @model_validator(mode="after")
    def _over_or_age(self) -> BookEntry:
        if self.age is not None and self.over > 0:
            raise PydanticCustomError(
                "book",
                "give `over` (when they fall due) or `age` (how long they have been in the "
                "stage), not both",
            )
        return self


class Market(Frozen):
    kind: Literal["market"]
    """Always `market`."""
    name: str
    """A title for reports."""
    description: str | None = None
    """Free text for readers of the file and the reports."""
    segments: Annotated[dict[Name, Segment], Field(min_length=1)]
    """Kinds of buyer, by name, each with its deal value (`{smb: {deal_value: 9000}}`)."""
    sources: Annotated[dict[Name, AnySource], Field(min_length=1)]
    """Where leads come from, by name: rate, entry stage, segment mix; or accounts the org
    prospects (`kind: outbound`)."""
    journey: Annotated[dict[Name, Stage], Field(min_length=1)]
    """The buyer journey, stage by stage: outcomes and chances, buyer delays, milestones."""
    book: list[BookEntry] = []
    """Today's customers and open pipeline, already in the journey at t = 0 (`[{stage: renewal,
    count: 270, over: 52w}]`); they are not `leads` and cost no marketing."""
    gross_margin: Share | None = None
    """Share of revenue left after the cost of serving customers (`0.75`): `cac_payback_months` and
    `ltv` need it and are not reported without it."""

    def prospected(self) -> dict[str, OutboundSource]:
        """The outbound sources, by name."""
        return {n: s for n, s in self.sources.items() if s.kind == "outbound"}


# ------------------------------------------------------------------------ org

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
DAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class Shift(Frozen):
    """Working hours: the listed days from `start` to `end` (an end before the start runs past
    midnight)."""

    days: Annotated[list[Day], Field(min_length=1)]
    """Days the shift works (`[mon, tue, wed, thu, fri]`)."""
    start: TimeOfDay
    """Start time, `HH:MM` (`09:00`; orgsim reads it as a time, quoted or not)."""
    end: TimeOfDay
    """End time, `HH:MM` (`17:00`); an end before the start runs past midnight."""

    @model_validator(mode="after")
    def _not_empty(self):
        if self.start % 24 == self.end % 24:  # "24:00" to "00:00" is no time at all either
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
    """Share of full productivity in each month of tenure, each above 0 and at most 1, 1.0 after the
    list (`[0.25, 0.5, 0.75]`)."""
    affects: Literal["speed", "skill", "both"] = "speed"
    """What the ramp scales: `speed` (a task takes effort / share), `skill` (the chance of success)
    or `both`."""


class Backfill(Frozen):
    """A leaver's seat is refilled by a new hire (tenure 0) after `delay` from the day the
    rep leaves (its notice); without it the seat stays empty."""

    delay: DurationDist
    """Time from a leaver's notice to its replacement's first day (`{dist: uniform, low: 47d, high:
    58d}`)."""


class Quota(Frozen):
    """What each seat of a role is asked to deliver per period, and what counts towards it."""

    per: Literal["month", "quarter"]
    """The period: `month` (a twelfth of a year) or `quarter` (13 weeks), counted from the end of
    warm-up; a period the horizon cuts short is left out."""
    value: Annotated[Number, Field(gt=0)]
    """The quota a period, in the credit's unit (`150000` of new ARR, `12` meetings)."""
    credit: Literal["won_value", "won", "meetings", "opportunities"] = "won_value"
    """What a rep is credited with: `won_value` (the value of the deals it won), `won` (deals),
    `meetings` (leads it handed to another role's stage, and outbound meetings it booked) or
    `opportunities` (leads it moved into the `milestone: opportunity` stage)."""
    ramp_quota: bool = False
    """`true`: a rep's quota follows the role's `ramp` (a new rep in month k carries that month's
    share of it); a seat left empty still carries the full quota, and misses it."""


class Tier(Frozen):
    """From an attainment on, a different commission rate."""

    start: Annotated[Number, Field(ge=0, alias="from")]
    """The attainment this tier starts at (`1.0`: at quota)."""
    rate: Annotated[Number, Field(ge=0)]
    """Its rate, as `rate` (`0.15`)."""


class Commission(Frozen):
    """How a role is paid on what it is credited with, period by period."""

    rate: Annotated[Number, Field(ge=0)]
    """The base rate: a share of credited value (credit `won_value`: `0.1`), or an amount per
    credited item (`won`, `meetings`, `opportunities`: `150`)."""
    tiers: list[Tier] = []
    """Higher (or lower) rates from an attainment on, in increasing order (`[{from: 1.0, rate:
    0.15}]`: an accelerator above quota)."""
    mode: Literal["marginal", "cumulative"] = "marginal"
    """`marginal`: each slice of attainment is paid at its tier's rate (the usual plan);
    `cumulative`: the whole period's credit is paid at the rate of the highest tier reached."""
    cap: Annotated[Number, Field(gt=0)] | None = None
    """The most attainment paid on (`2.0`: nothing more above 200% of quota); default: no cap."""
    split: dict[Ref, Share] = {}
    """A share of each won deal's value paid to the rep of another role who worked the lead
    before it (`{sdr: 0.1}`: the SDR who sourced it gets 10%); counted in `cost.commission`."""


class PTO(Frozen):
    """Each rep takes `days_per_year` working days off a year, in blocks of `block_days`
    consecutive working days placed at random per rep and year."""

    days_per_year: Annotated[Whole, Field(ge=0, le=200)]
    """Working days off per rep and year (`15`)."""
    block_days: Annotated[Whole, Field(ge=1, le=60)] = 5
    """Consecutive working days per block of time off."""


class Leaving(Frozen):
    """A named person's planned departure, with or without a replacement."""

    at: NonNegativeDuration
    """When, counted from the end of warm-up (`8w`)."""
    backfill: bool = False
    """`true`: the seat is refilled after the role's backfill delay; `false`: it stays empty."""


class Person(Frozen):
    """One of your own reps, by name: what is given is taken as written; what is not is
    drawn as for an unnamed seat, keyed by the name, so the person has the same luck in
    every design."""

    name: Annotated[str, Field(min_length=1, max_length=80)]
    """The person's name as your CRM's user list has it (`Kim Lee`), unique in the org."""
    skill: NonNegative | dict[Ref, NonNegative] | None = None
    """Multiplies the written success rates of the stages the role works (`1.25`), or per stage
    (`{sql: 1.1, opportunity: 1.3}`); taken as written, not scaled to the team. Default: drawn
    from the role's `skill`."""
    tenure: NonNegativeDuration | None = None
    """Time in the role at t = 0 (`30mo`), or, with `joins`, when joining (an experienced hire);
    default: drawn from the role's `tenure`, or 0 for someone who joins."""
    pod: Ref | None = None
    """The pod the person works in, for a role staffed by pods."""
    pto: PTO | None = None
    """The person's own time off (`{days_per_year: 25}`); default: the role's."""
    leaves: NonNegativeDuration | Leaving | None = None
    """A planned departure from the end of warm-up (`20w`, or `{at: 20w, backfill: true}`); the seat
    stays empty unless `backfill` is true."""
    joins: NonNegativeDuration | None = None
    """A dated start from the end of warm-up (`13w`): not on the payroll before it."""
    quota: Annotated[Number, Field(gt=0)] | None = None
    """The person's own quota a period (`180000`), in the role's quota's credit, while in the
    seat; default: the role's `quota.value`."""

    @property
    def leaving(self) -> Leaving | None:
        """`leaves` in its long form."""
        if self.leaves is None or isinstance(self.leaves, Leaving):
            return self.leaves
        return Leaving.model_construct(at=self.leaves, backfill=False)  # checked already


class Roster(Frozen):
    """A roster file (`kind: people`): your named people by role, as a CRM's user list gives
    them; a scenario's (or a variant's) `people:` puts each role's list into its org."""

    kind: Literal["people"]
    """Always `people`."""
    name: str | None = None
    """Where the roster comes from (`CRM user list, 2026-11`)."""
    description: str | None = None
    """Free text for readers of the file."""
    roles: dict[Ref, list[Person]]
    """Each role's people (`{ae: [{name: Kim, skill: 1.25}]}`); a role given here replaces any
    people its org lists."""


class Departure(Frozen):
    """People of a role who leave at a date, named or picked from the roster by skill: "the two
    best AEs leave at week 8"."""

    role: Ref
    """Their role."""
    at: NonNegativeDuration
    """When, from the end of warm-up (`8w`)."""
    names: list[str] = []
    """Who, by name (`[Kim, Lee]`)."""
    best: Annotated[Whole, Field(ge=1, le=MAX_PEOPLE)] | None = None
    """Or the `best` named people of the role by their written skill (the mean over stages where
    skill is per stage; ties in roster order)."""
    backfill: bool = False
    """`true`: each seat is refilled after the role's backfill delay."""

    @model_validator(mode="after")
    def _who(self):
        if bool(self.names) == (self.best is not None):
            raise PydanticCustomError("departure", "give either names or best")
        return self


TEAMS = ("marketing", "sales", "customer_success")
"""The teams the sales playbooks score separately; a role may name another team too."""


class Role(Frozen):
    description: str | None = None
    """Free text for readers of the file and the reports."""
    team: str | None = None
    """A label for reports and KPIs (`sales`, `marketing`, `customer_success`); a role that works no
    stage in `customer_success` is not acquisition cost (see `cac`)."""
    headcount: Annotated[Whole, Field(ge=0, le=MAX_PEOPLE)] | None = None
    """People in the role (omit it for a role staffed by pods: the pods' `members` give it)."""
    schedule: Schedule = "business_hours"
    """When the role works: `business_hours` (Monday to Friday 09:00-17:00), `always`, or a shift
    `{days: [mon, tue], start: "08:00", end: "16:00"}`."""
    productive_share: Annotated[Number, Field(gt=0, le=1)] = 1.0
    """Share of scheduled hours available for the modelled work; the rest goes to meetings, admin
    and prospecting not modelled (`0.65`)."""
    skill: NumberDist = 1.0
    """Multiplies the chance of the success outcomes of the stages the rep works
    (`{dist: lognormal, mean: 1.0, cv: 0.2}`); with by_segment, per segment. Today's reps' draws
    are relative to the team: scaled so that their mean is the distribution's mean in every
    replication, so a written rate is what the team achieves and the spread only says who wins
    more. A new hire's is drawn as written."""
    skill_across_stages: bool = False
    """`true`: a rep has one skill for every stage it works, so a strong full-cycle rep is strong
    at each step and a lead's chances compound (a team with spread then wins about E[s^k] times
    the written rates over k stages). `false` (default): a rep draws a skill for each stage it
    works, independently, so the written rates come back out however many stages each rep
    works."""
    cost_per_year: NonNegative = 0.0
    """Fully loaded cost of one person a year, in the scenario's currency (`160000`); with a
    `commission` plan, leave out the variable pay the plan pays."""
    ramp: Ramp | None = None
    """How a new rep comes up to speed (`{by_month: [0.25, 0.5, 0.75], affects: skill}`); default:
    fully productive at once."""
    tenure: DurationDist | None = None
    """Today's reps' tenure at t = 0, drawn once per rep (`{dist: exponential, mean: 18mo}`);
    default: past the ramp."""
    attrition: Annotated[Rate, Field(ge=0), AfterValidator(_planned_attrition)] = 0.0
    """Yearly rate at which reps leave (`0.3/year`: each rep leaves after an exponentially
    distributed time, the usual "30% annual attrition"); at most 12/year."""
    backfill: Backfill | None = None
    """A leaver's seat is refilled after `delay` (tenure 0, ramping); default: the seat stays empty.
    """
    pto: PTO | None = None
    """Paid time off (`{days_per_year: 15}`): working days the rep is away, in blocks."""
    people: list[Person] = []
    """Your own reps by name (`[{name: Kim, skill: 1.25, tenure: 30mo}]`); with `headcount` beside
    it, the seats beyond the named people are drawn as for a role without a roster (headcount
    counts everyone on the payroll at t = 0; people who `join` later are not in it)."""
    quota: Quota | None = None
    """What each seat carries per period (`{per: quarter, value: 150000, credit: won_value}`):
    attainment per rep and period, `role.<r>.attainment_*` and `share_at_quota`."""
    commission: Commission | None = None
    """How the role is paid on its credit (`{rate: 0.1, tiers: [{from: 1.0, rate: 0.15}], cap:
    2.0}`), counted in `cost.commission`, `cost` and `cac`; it needs a `quota` (what it pays
    on)."""
    outbound_share: Share | None = None
    """Most of each working day's scheduled hours a rep may spend prospecting (`0.5`: half the
    day), when its queues leave it the time: inbound work comes first. An attempt takes its
    effort over `productive_share` of the day, as a touch does. Required for a role that works
    an outbound source (`work.<source>`)."""
    forecast_bias: Annotated[Number, Field(gt=0, le=10)] = 1.0
    """How this role's reps call the deals they will close when asked for a commit forecast
    (`orgsim forecast --score`): `0.8` commits 80% of what will close (sandbagging), `1.2` adds
    20% (happy ears); default `1`: they call it as it is."""

    def names(self) -> list[str]:
        return [p.name for p in self.people]

    def named_today(self, pod: str | None = None) -> list[Person]:
        """The named people on the payroll at t = 0 (in `pod`, for a role in pods)."""
        return [p for p in self.people if p.joins is None and (pod is None or p.pod == pod)]


_NOBODY = Role()


class SLA(Frozen):
    first_touch: NonNegativeDuration
    """Longest time from entering the stage to the start of the first touch (`4h`)."""
    clock: Literal["calendar", "business"] = "calendar"
    """`calendar` counts every hour; `business` only the role's scheduled hours (with the default
    schedule `24h` is three working days)."""
    escalate_after: NonNegativeDuration | None = None
    """An item assigned to one rep and not started this long after entering goes to the role's
    shared queue, where any free rep may take it (not with routing `pool`)."""
    recycle_after: NonNegativeDuration | None = None
    """Company policy: a lead not touched this long after entering (on `clock`) is taken out of the
    queue and sent to `recycle_to`."""
    recycle_to: Ref | None = None
    """Where recycled leads go: a stage (`nurture`) or an end (`lost`)."""


Routing = Literal["pool", "round_robin", "least_loaded", "random", "same_rep"]


class Work(Frozen):
    role: Ref
    """The role that works the stage."""
    effort: DurationDist
    """Work time of one touch (`30min`, `{dist: lognormal, mean: 1h, cv: 0.3}`, or by_segment)."""
    routing: Routing = "pool"
    """Who gets a lead entering the stage: `pool` (one queue, the next free rep), `round_robin`,
    `least_loaded`, `random`, or `same_rep` (the rep who worked the lead before)."""
    sla: SLA | None = None
    """A first-touch target for the stage (`{first_touch: 4h, clock: business}`), reported as
    `sla.<stage>.attainment`."""


class Handoff(Frozen):
    """A change of role between consecutive owned stages. `automated` ignores its delay, leak
    and penalty, so `set: {org.handoffs.sdr->ae.mode: automated}` switches a manual handoff
    off without deleting its figures; the automating tool's price goes in the org's `costs`."""

    mode: Literal["automated", "manual"] | None = None
    """`manual` (a booked call, an email: delay, leak and penalty apply) or `automated` (routing
    software: none of them apply). Default: manual when delay, leak or penalty is written."""
    delay: DurationDist | None = None
    """Time a handed-over lead spends in transit before it reaches the next role's queue (`{dist:
    exponential, mean: 8h}`)."""
    leak: Share | None = None
    """Share of handed-over leads lost in transit, to the end `leaked` (`0.03`)."""
    penalty: Share | None = None
    """Share by which the receiving stage's success chances shrink: context lost in the handoff
    (`0.05`)."""
    cost: Ref | None = None
    """The entry of the org's `costs` that pays for automating it (documentation: the amount counts
    through `costs`, whatever the mode)."""

    @property
    def is_manual(self) -> bool:
        """`mode` defaults to manual when delay, leak or penalty is given."""
        if self.mode is not None:
            return self.mode == "manual"
        return any(getattr(self, f) is not None for f in ("delay", "leak", "penalty"))


class Queue(Frozen):
    order: Literal["fifo", "newest_first", "value", "deadline"] = "fifo"
    """Which waiting item a free rep takes: `fifo`, `newest_first`, `value` (highest deal value
    first) or `deadline` (earliest SLA deadline first)."""
    stage_priority: list[Ref] = []
    """Stages served first, in this order, before the `order` applies (`[opportunity, sql]`: open
    deals before new SQLs)."""


class Pod(Frozen):
    description: str | None = None
    """Free text for readers of the file and the reports."""
    segments: Annotated[list[Ref], Field(min_length=1)]
    """The segments the pod serves; every segment is served by exactly one pod."""
    members: dict[Ref, Annotated[Whole, Field(ge=0, le=MAX_PEOPLE)]]
    """Headcount of each role in the pod (`{sdr: 3, ae: 5, csm: 2}`)."""


class Hire(Frozen):
    """`count` people join `role` (in `pod`, for a role staffed by pods) at `at` after the
    end of warm-up, with tenure 0; a negative count gives up seats: open vacancies first
    (their backfill is cancelled), then the most recent hires leave."""

    role: Ref
    """The role people join (or leave, with a negative count)."""
    at: NonNegativeDuration
    """When, counted from the end of warm-up (`13w`: the start of the second plan quarter)."""
    count: Annotated[Whole, Field(ge=-MAX_PEOPLE, le=MAX_PEOPLE)]
    """People who join, with tenure 0 and ramping (negative: seats given up, vacancies first, then
    the most recent hires)."""
    pod: Ref | None = None
    """The pod they join, for a role staffed by pods."""

    @model_validator(mode="after")
    def _someone(self):
        if self.count == 0:
            raise PydanticCustomError("hire", "count is 0: nobody joins or leaves")
        return self


class Marketing(Frozen):
    cost_per_lead: NonNegative = 0.0
    """Marketing cost of one lead from a source, in the scenario's currency (`150`); book leads cost
    none."""


class Cost(Frozen):
    """A cost other than people and marketing (software, tools, routing products): `per_year`
    for the org, or `per_seat_per_year` for each person on the payroll of `roles`."""

    name: Name
    """A name for the cost (`routing_software`), unique in the org."""
    per_year: NonNegative | None = None
    """Amount a year for the org (`12000`), counted pro rata over the measured horizon."""
    per_seat_per_year: NonNegative | None = None
    """Amount a year for each person on the payroll of `roles` (`600`), pro rata for their time on
    the payroll: an empty seat pays none."""
    roles: list[Ref] | None = None
    """Who the cost serves. A per-seat cost is paid for their seats (default: every role's); a
    yearly cost naming only roles that work after the sale is not acquisition cost (see `cac`)."""

    @model_validator(mode="after")
    def _one_amount(self):
        if (self.per_year is None) == (self.per_seat_per_year is None):
            raise PydanticCustomError("cost", "give either per_year or per_seat_per_year")
        return self


Structure = Literal["functional", "process_stage", "pods", "custom"]


class Org(Frozen):
    kind: Literal["org"]
    """Always `org`."""
    name: str
    """A title for reports."""
    description: str | None = None
    """Free text for readers of the file and the reports."""
    structure: Structure = "custom"
    """A label for reports: `functional`, `process_stage`, `pods` or `custom`."""
    roles: Annotated[dict[Name, Role], Field(min_length=1), AfterValidator(_few_roles)]
    """The roles, by name: headcount, schedule, cost, skill, ramp, attrition, PTO."""
    work: dict[Ref, Work] = {}
    """Which role works which journey stage, with its effort, routing and SLA (`{mql: {role: sdr,
    effort: 30min}}`); stages not listed take only the buyer's time. An outbound source's name
    says who prospects it and the effort of one attempt (`{outbound: {role: sdr, effort:
    4min}}`)."""
    handoffs: dict[HandoffKey, Handoff] = {}
    """Handoffs between roles, keyed `from_role->to_role` (`sdr->ae: {mode: manual, delay: 8h, leak:
    0.03}`); an undeclared handoff is automated."""
    queues: dict[Ref, Queue] = {}
    """Queue discipline per role: order and stage priority."""
    pods: dict[Name, Pod] = {}
    """Pods, by name: the segments each serves and its members; a role in pods has no headcount of
    its own."""
    hires: list[Hire] = []
    """Dated hires and planned departures (`[{role: ae, at: 13w, count: 3}]`)."""
    leaves: list[Departure] = []
    """Named people who leave at a date, by name or the best of a role's roster (`[{role: ae, best:
    2, at: 8w}]`)."""
    marketing: Marketing = Marketing()
    """Marketing cost (`{cost_per_lead: 150}`)."""
    costs: list[Cost] = []
    """Costs other than people and marketing: software, tools (`[{name: crm, per_seat_per_year:
    1200}]`)."""

    _prospecting: dict[str, Work] = PrivateAttr(default_factory=dict)

    @property
    def prospecting(self) -> dict[str, Work]:
        """Who prospects each outbound source and the effort of one attempt: the entries of
        `work` named after an outbound source, set apart from the stages' when the org meets
        its market (see `with_prospecting`)."""
        return self._prospecting

    def with_prospecting(self, outbound: set[str]) -> Org:
        """This org with `work`'s entries for the sources in `outbound` moved to
        `prospecting`: `work` then names journey stages only."""
        split = self.model_copy(
            update={"work": {k: w for k, w in self.work.items() if k not in outbound}}
        )
        split._prospecting = {k: w for k, w in self.work.items() if k in outbound}
        return split

    def roles_in_pods(self) -> set[str]:
        return {role for pod in self.pods.values() for role in pod.members}

    def headcount(self, role: str) -> int:
        """A role's headcount; for a role in pods, the sum over pods."""
        if role in self.roles_in_pods():
            return sum(pod.members.get(role, 0) for pod in self.pods.values())
        spec = self.roles[role]
        return spec.headcount if spec.headcount is not None else len(spec.named_today())

    def headcount_at(self, role: str, at: float) -> int:
        """A role's headcount once its dated hires and departures up to `at` are in."""
        dated = [(h.at, h.count) for h in self.hires if h.role == role]
        dated += self.roster_changes(role)
        return self.headcount(role) + sum(count for when, count in dated if when <= at)

    def roster_changes(self, role: str) -> list[tuple[float, int]]:
        """(when, +1 or -1) for each named person of the role who joins, or leaves without
        backfill, at a date."""
        spec = self.roles[role]
        leaving = {name for d in self.leaves if d.role == role and not d.backfill for name in
                   departing(self, d)}  # fmt: skip
        changes = [(p.joins, 1) for p in spec.people if p.joins is not None]
        changes += [
            (p.leaving.at, -1)
            for p in spec.people
            if p.leaving is not None and not p.leaving.backfill and p.name not in leaving
        ]
        changes += [(d.at, -len(departing(self, d))) for d in self.leaves
                    if d.role == role and not d.backfill]  # fmt: skip
        return changes

    def people_change(self, role: str) -> bool:
        """Reps of the role join or leave during a run (attrition, dated hires, departures)."""
        spec = self.roles[role]
        return (
            spec.attrition > 0
            or any(h.role == role for h in self.hires)
            or any(p.joins is not None or p.leaves is not None for p in spec.people)
            or any(d.role == role for d in self.leaves)
        )

    def total_headcount(self) -> int:
        return sum(self.headcount(role) for role in self.roles)

    def cost_per_year(self) -> float:
        """People cost per year at the current headcount."""
        return sum(self.headcount(r) * role.cost_per_year for r, role in self.roles.items())


# ------------------------------------------------------------------- scenario


def _replications_branch(value: Any) -> str:
    """Which branch reads `replications`: one message for a mistake, not one per branch."""
    text = isinstance(value, str) and not value.strip().lstrip("-").isdigit()
    return "auto" if text else "count"


Replications = Annotated[
    Annotated[Annotated[Whole, Field(ge=1, le=MAX_REPLICATIONS)], Tag("count")]
    | Annotated[Literal["auto"], Tag("auto")],
    Discriminator(_replications_branch),
]


class Auto(Frozen):
    """`replications: auto`: replicate in batches until every question the output answers is
    settled or within `precision` (relative), between `least` and `most` replications."""

    precision: Annotated[float, Field(gt=0, lt=1)] = 0.05
    least: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 10
    most: Annotated[int, Field(ge=2, le=MAX_REPLICATIONS)] = 100


class Target(Frozen):
    min: Bound | None = None
    """The KPI's 95% interval must lie at or above this (`0.8` for a share: 80%; a duration
    such as `24h` for a wait, a speed to lead or a cycle time, which count in hours)."""
    max: Bound | None = None
    """The KPI's 95% interval must lie at or below this."""

    @model_validator(mode="after")
    def _a_bound(self):
        if self.min is None and self.max is None:
            raise PydanticCustomError("target", "a target needs min, max or both")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError("target", "min is above max: no result can meet it")
        return self

    def describe(self) -> str:
        """`>= 9 and <= 12`: the bounds as a line reads them (met, not sure and missed are
        judged in `config/targets.py`)."""
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


Moves = dict[str, dict[Name, Annotated[Whole, Field(ge=1)]] | Ref]
"""`{from_role: {to_role: count}}`, or `{person: to_role}` for a named person: people who
change role at a transition."""


class TransitionSpec(Frozen):
    """A switch to another org at `at` after the end of warm-up (docs/scenario-language.md: A
    reorganisation as it happens), as written: `org` is still a file path or an inline
    mapping."""

    at: NonNegativeDuration
    """When the switch happens, counted from the end of warm-up (`13w`)."""
    org: FileOrInline
    """The org switched to: a file path (relative to this file) or an inline org."""
    moves: Moves = {}
    """People who change role, `{from_role: {to_role: count}}` (`{rep: {sdr: 5, ae: 9}}`), or by
    name (`{Kim: sdr}`, moved before the counts); they keep their skill and PTO and ramp by
    `ramp_after_move`."""
    ramp_after_move: Ramp | None = None
    """How a moved person comes up to speed in the new role, counted from the switch (`{by_month:
    [0.7, 0.9], affects: skill}`); default: fully productive."""


class Transition(Frozen):
    """A switch to `org` at `at` (hours after the end of warm-up): `moves` change role,
    keeping their tenure, and work at `ramp_after_move` in the new role (default: fully
    productive); everyone else keeps a role the new org has, or leaves."""

    at: NonNegativeDuration
    org: Org
    moves: Moves = {}
    ramp_after_move: Ramp | None = None

    def counted_moves(self) -> dict[str, dict[str, int]]:
        """`{from_role: {to_role: count}}`: the moves by count."""
        return {k: v for k, v in self.moves.items() if isinstance(v, dict)}

    def named_moves(self) -> dict[str, str]:
        """`{person: to_role}`: the moves by name."""
        return {k: v for k, v in self.moves.items() if isinstance(v, str)}

    def moved(self, role: str, before: Org) -> tuple[int, int]:
        """People moved out of and into `role` (named people's roles read in `before`)."""
        counted, named = self.counted_moves(), self.named_moves()
        out = sum(counted.get(role, {}).values())
        out += sum(1 for person in named if person in before.roles.get(role, _NOBODY).names())
        into = sum(to.get(role, 0) for to in counted.values())
        into += sum(1 for to in named.values() if to == role)
        return out, into

    def people_change(self, before: Org, role: str) -> bool:
        """People join or leave `role` at the switch (or after it, by the new org's rules)."""
        orgs = [o for o in (before, self.org) if role in o.roles]
        return (
            len(orgs) == 1
            or any(o.people_change(role) for o in orgs)
            or before.headcount_at(role, self.at) != self.org.headcount_at(role, self.at)
            or self.moved(role, before) != (0, 0)
        )


def departing(org: Org, departure: Departure) -> list[str]:
    """The names a departure takes: as written, or the role's best by written skill (the mean
    over stages where it is per stage; ties in roster order)."""
    if departure.names:
        return list(departure.names)
    role = org.roles.get(departure.role)
    if role is None:
        return []
    rated = [p for p in role.people if p.skill is not None and p.joins is None]
    rated.sort(key=lambda p: -written_skill(p))  # stable: ties stay in roster order
    return [p.name for p in rated[: departure.best]]


def written_skill(person: Person) -> float:
    """A person's written skill as one number (the mean over stages where it is per stage)."""
    skill = person.skill
    if isinstance(skill, dict):
        return sum(skill.values()) / len(skill) if skill else 1.0
    return 1.0 if skill is None else float(skill)


def people_change(org: Org, transition: Transition | None) -> Callable[[str], bool]:
    """Whether people join or leave a role during a run of `org` (and its transition)."""
    if transition is None:
        return org.people_change
    return partial(transition.people_change, org)


class VariantSpec(Frozen):
    description: str | None = None
    """What the design is, in a sentence; the HTML report lists it under its title."""
    market: FileOrInline | None = None
    """Another market for this design: a file path or an inline market (default: the scenario's)."""
    org: FileOrInline | None = None
    """Another org for this design: a file path or an inline org (default: the scenario's)."""
    people: FileOrInline | None = None
    """Another roster for this design (default: the scenario's)."""
    transition: TransitionSpec | None = None
    """A switch to another org during the run (`{at: 13w, org: ../configs/orgs/process_stage.yaml,
    moves: {...}}`)."""
    set: dict[str, Any] = {}
    """Dotted-path overrides on top of the scenario's (`{org.handoffs.sdr->ae.mode: automated}`)."""


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
    """Always `scenario`."""
    name: str
    """A title for reports."""
    description: str | None = None
    """Free text for readers of the file and the reports."""
    market: FileOrInline
    """The market: a file path relative to this file (`../configs/markets/saas_midmarket.yaml`) or
    an inline market."""
    org: FileOrInline
    """The org: a file path relative to this file or an inline org."""
    people: FileOrInline | None = None
    """Your named people by role: a roster file (`kind: people`) relative to this file, or inline
    (`{kind: people, roles: {ae: [...]}}`); each role's list becomes its `people`."""
    horizon: Annotated[
        PositiveDuration, AfterValidator(_a_week_or_more), AfterValidator(_planned_span)
    ]
    """Measured simulated time after warm-up (`52w`); at least a week, at most 100 years."""
    warmup: Annotated[NonNegativeDuration, AfterValidator(_planned_span)] = 0.0
    """Simulated time before measuring starts, to fill an empty org with work (`13w`); `0h` when the
    market's book holds today's customers and pipeline."""
    replications: Replications = 10
    """Independent runs per design; the 95% intervals come from their spread (`20`). `auto`:
    `run` and `compare` replicate until the question is answered (each target met or missed,
    each design better or worse than the first, or each headline KPI within 5%), at least 10
    and at most 100 (`--precision`, `--min-reps`, `--max-reps`); other commands run 100."""
    seed: Annotated[Whole, Field(ge=0)] = 0
    """Root seed: the same scenario and seed give the same numbers, on any number of cores."""
    start: Annotated[date, AfterValidator(_monday)] = DEFAULT_START
    """Calendar date of t = 0, a Monday (`2025-01-06`): seasonality's months and holidays follow it.
    """
    holidays: Holidays | None = None
    """Public holidays on which no role with a schedule works: a country code (`US`, `GB`, `DE`,
    `KR`) or a list of dates (`[2025-12-24]`)."""
    currency: Annotated[str, Field(min_length=1, max_length=8)] | None = None
    """A label for money in reports (`USD`, `EUR`, `KRW`); amounts are never converted."""
    set: dict[str, Any] = {}
    """Dotted-path overrides applied to the market and org (`{market.sources.inbound.rate:
    150/week}`)."""
    variants: dict[Name, VariantSpec | None] = {}
    """Designs to compare, by name, each with its own org, market, `set` or `transition`; the first
    is the baseline (default: one variant, `base`)."""
    targets: dict[str, Target] = {}
    """What good means: KPI name to bounds (`{won_per_week: {min: 5}, cost_per_won: {max: 14500}}`).
    """
    sweep: dict[str, Annotated[list[Any], Field(min_length=1)]] = {}
    """A grid of dotted paths to lists of values (`{org.roles.ae.headcount: [8, 10, 12]}`), run by
    `orgsim sweep`."""


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
