"""The KPI catalogue: every KPI family declared once, with the builders that spell its names.

A family is one row of `FAMILIES`: its name's form (`role.<r>.utilization`), what it
measures (group, direction, unit, bounds), how a leader reads it (label and meaning,
templates over the form's placeholders), whose scorecard shows it, and when a scenario
reports it. Names are read (`info`), listed (`kpi_names`), checked as targets and
documented (docs/reference.md) from this table alone; `measure/kpis.py` registers one
computation for each family. Anything that needs a KPI's name asks a builder here
(`stage_kpi`, `role_kpi`, ...) rather than spelling it.

The catalogue lives with the config because a scenario's `targets` must name real KPIs,
and which KPIs exist depends on the market and the org (a stage without an SLA has no
`sla.<s>.attainment`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from orgsim.config.distributions import probability
from orgsim.config.journey import (
    gives_up,
    has_won_milestone,
    next_places,
    opportunity_stage,
    recycles,
    worked_roles,
)
from orgsim.config.schema import BUILT_IN_ENDS, Market, Org, Transition, people_change
from orgsim.config.units import WEEK

FLOW = "flow"
SPEED = "speed"
CAPACITY = "capacity"
MONEY = "money"
GROUPS = (FLOW, SPEED, CAPACITY, MONEY)
QUARTER_WEEKS = 13
QUARTER = QUARTER_WEEKS * WEEK
"""A plan quarter: 13 weeks of the measured horizon, counted from the end of warm-up."""
WHOLE_ORG = "whole org"
"""The scorecard's section for what no one team owns: total cost, cost per new customer."""


# ------------------------------------------------------------------ the scope of a scenario


@dataclass(frozen=True)
class Scope:
    """What decides which KPIs a market and org report over a measured horizon."""

    market: Market
    org: Org
    horizon: float
    people_change: Callable[[str], bool]

    @cached_property
    def won(self) -> bool:
        return has_won_milestone(self.market)

    @cached_property
    def margin(self) -> bool:
        return self.market.gross_margin is not None

    def entities(self, over: str | None) -> list[str | None]:
        """The stages, sources or worked roles a family's names range over ([None]: one)."""
        if over in ("stage", "sla"):
            return list(self.market.journey)
        if over == "source":
            return list(self.market.sources)
        if over == "role":
            return worked_roles(self.org)
        return [None]

    def places_after(self, stage: str) -> list[str]:
        return next_places(self.market, self.org, stage)

    def quarters(self) -> range:
        return quarterly(self.horizon)


Exists = Callable[[Scope, "str | None"], bool]


def _always(scope: Scope, entity: str | None) -> bool:
    return True


def _won(scope: Scope, entity: str | None) -> bool:
    return scope.won


def _won_with_margin(scope: Scope, entity: str | None) -> bool:
    return scope.won and scope.margin


def _opportunities(scope: Scope, entity: str | None) -> bool:
    return scope.won and opportunity_stage(scope.market) is not None


def _touched(scope: Scope, entity: str | None) -> bool:
    """Some role works a stage, so leads get a first touch."""
    return bool(scope.org.work)


def _other_costs(scope: Scope, entity: str | None) -> bool:
    return bool(scope.org.costs)


def _source_costs(scope: Scope, entity: str | None) -> bool:
    return any(source.cost is not None for source in scope.market.sources.values())


def _worked_stage(scope: Scope, stage: str | None) -> bool:
    return stage in scope.org.work


def _left(scope: Scope, stage: str | None) -> bool:
    """Leads leave the stage (it is not an end)."""
    return not scope.market.journey[stage].is_end


def _gives_up(scope: Scope, stage: str | None) -> bool:
    return _left(scope, stage) and gives_up(scope.market, scope.org, stage)


def _recycles(scope: Scope, stage: str | None) -> bool:
    return _left(scope, stage) and recycles(scope.org, stage)


def _has_sla(scope: Scope, stage: str | None) -> bool:
    work = scope.org.work.get(stage)
    return work is not None and work.sla is not None


def _ramps(scope: Scope, role: str | None) -> bool:
    return scope.org.roles[role].ramp is not None


def _people_change(scope: Scope, role: str | None) -> bool:
    return scope.people_change(role)


def _quota(scope: Scope, role: str | None) -> bool:
    return scope.org.roles[role].quota is not None


def _commissions(scope: Scope, entity: str | None) -> bool:
    return any(role.commission is not None for role in scope.org.roles.values())


def _outbound(scope: Scope, source: str | None) -> bool:
    return scope.market.sources[source].kind == "outbound"


def _prospects(scope: Scope, role: str | None) -> bool:
    return any(work.role == role for work in scope.org.prospecting.values())


# ------------------------------------------------------------------------------ families

_PLACEHOLDER = re.compile(r"<([a-z]+)>")
_ENTITIES = ("stage", "sla", "source", "role")
"""What the first word of a form names, when a placeholder follows."""


@dataclass(frozen=True)
class Family:
    """One kind of KPI, every name of which has the same form."""

    form: str
    """The name with placeholders: `<s>` a stage (or, after `source.`, a source), `<t>` where
    leads go, `<r>` a role, `<q>` a plan quarter."""
    group: str
    direction: int
    unit: str
    label: str
    """A template over the placeholders (`{s}: wait for a first touch, mean`)."""
    meaning: str
    exists: Exists = _always
    """When a scenario reports it (for each stage, source or role its names range over)."""
    team: str | None = None
    """The team whose playbook owns a plain KPI; None for a stage's or a role's, which go to
    the team of the role that works it."""
    scored: bool = False
    """A team's scorecard shows it (headline ones only, unless asked for every KPI)."""
    headline: bool | Callable[[dict[str, str]], bool] = True
    """A leader reads it first; per-stage detail and 90th percentiles are one `--all` away."""
    bounds: tuple[float, float] | None = None
    """The values it can take, where its unit does not say (a share's are 0 to 1)."""
    key: bool = False
    """One of a leader's first questions (how many deals, how fast, at what cost): what a
    summary (the Markdown report, a sweep's table) shows when no targets are set."""

    @cached_property
    def over(self) -> str | None:
        """What one name of the family is about: stage, sla, source, role, or None (plain)."""
        whole = self.form.removeprefix("quarter.<q>.")
        head = whole.split(".")[0]
        return head if "<" in whole and head in _ENTITIES else None

    @cached_property
    def facet(self) -> str:
        """What is measured: the whole form for a plain KPI, else the words after the stage,
        source or role (wait_mean, conversion, attainment, utilization, ...)."""
        parts = self.form.removeprefix("quarter.<q>.").split(".")
        return ".".join(parts) if self.over is None else parts[2]

    @cached_property
    def pattern(self) -> re.Pattern:
        text = re.escape(self.form)
        for key in _PLACEHOLDER.findall(self.form):
            word = r"[0-9]+" if key == "q" else r"[a-z][a-z0-9_]*"
            text = text.replace(re.escape(f"<{key}>"), f"(?P<{key}>{word})")
        return re.compile(text)

    def name(self, **bound: object) -> str:
        """The KPI name for these placeholders (`s=`, `t=`, `r=`, `q=`)."""
        return _PLACEHOLDER.sub(lambda m: str(bound[m.group(1)]), self.form)

    def names(self, entity: str | None, places: list[str], quarters: Iterable[int]) -> list[str]:
        """Every name for one stage, source or role, over where leads go and the quarters."""
        key = {"stage": "s", "sla": "s", "source": "s", "role": "r"}.get(self.over or "", "s")
        bound = {key: entity}
        if "<t>" in self.form:
            return [self.name(**bound, t=t) for t in places]
        if "<q>" in self.form:
            return [self.name(**bound, q=q) for q in quarters]
        return [self.name(**bound)]


FAMILIES: dict[str, Family] = {}
"""Every KPI family by form, in the order reports show their names."""


def _family(form: str, group: str, direction: int, unit: str, label: str, meaning: str, **more):
    FAMILIES[form] = Family(form, group, direction, unit, label, meaning, **more)


def _derived(form: str, prefix: str, label: str, meaning: str, **changed) -> None:
    """The family of `form` measured on part of a run (`prefix` + form): never a headline
    or a key KPI of its own."""
    base = FAMILIES[form]
    FAMILIES[prefix + form] = replace(
        base,
        form=prefix + form,
        label=base.label + label,
        meaning=base.meaning + meaning,
        headline=False,
        key=False,
        **changed,
    )


def _per_source(form: str) -> None:
    """`source.<s>.<form>`: measured on one source's leads (on no team's scorecard: the
    scorecard shows them by the team that first touches the source)."""
    _derived(form, "source.<s>.", ", {s} leads", ", of leads from source {s}", team=None,
             scored=False, bounds=None)  # fmt: skip


def _per_quarter(form: str) -> None:
    """`quarter.<q>.<form>`: measured in each plan quarter."""
    _derived(form, "quarter.<q>.", ", quarter {q}", ", in plan quarter {q} ({weeks})")


SALES, MARKETING, SUCCESS = "sales", "marketing", "customer_success"
_ = _family
# flow: how many leads, customers and deals
_("leads", FLOW, 0, "count", "Leads created", "leads created", team=MARKETING, scored=True)
_("won", FLOW, +1, "count", "New customers", "new customers", team=SALES, scored=True)
_("won_per_week", FLOW, +1, "per_week", "New customers per week", "new customers per week",
  team=SALES, scored=True, key=True)  # fmt: skip
_(
    "won_value",
    MONEY,
    +1,
    "money",
    "New ARR booked",
    "new ARR booked",
    team=SALES,
    scored=True,
    key=True,
)
_("lead_to_customer", FLOW, +1, "share", "Lead-to-customer rate",
  "new customers per lead created (won / leads)", exists=_won, team=MARKETING,
  scored=True)  # fmt: skip
_per_source("lead_to_customer")
_("win_rate", FLOW, +1, "share", "Win rate", "share of the opportunities decided that were won",
  exists=_opportunities, team=SALES, scored=True)  # fmt: skip
_("avg_deal_size", MONEY, +1, "money", "Average deal size",
  "average deal size: new ARR per new customer", exists=_won, team=SALES,
  scored=True)  # fmt: skip
_("lost", FLOW, -1, "count", "Leads lost", "leads lost", team=SALES, scored=True)
_("leaked", FLOW, -1, "count", "Leads leaked in handoffs", "leads leaked in handoffs",
  team=SALES, scored=True, key=True)  # fmt: skip
_("churned", FLOW, -1, "count", "Customers churned", "customers churned", team=SUCCESS,
  scored=True)  # fmt: skip
_("wip_end", FLOW, 0, "count", "Leads still open at the end",
  "leads still in the journey at the end")  # fmt: skip
_per_quarter("won_per_week")
_per_quarter("won_value")
# speed: how long buyers wait
_("cycle_time_mean", SPEED, -1, "hours", "Sales cycle, mean", "time from creation to won, mean",
  exists=_won, team=SALES, scored=True, key=True)  # fmt: skip
_("cycle_time_p50", SPEED, -1, "hours", "Sales cycle, median",
  "time from creation to won, median", exists=_won, team=SALES, scored=True,
  headline=False)  # fmt: skip
_("cycle_time_p90", SPEED, -1, "hours", "Sales cycle, 90th percentile",
  "time from creation to won, 90th percentile", exists=_won, team=SALES, scored=True,
  headline=False)  # fmt: skip
_("speed_to_lead_mean", SPEED, -1, "hours", "Speed to lead, mean",
  "time from creation to first touch, mean", exists=_touched, team=SALES,
  scored=True)  # fmt: skip
_("speed_to_lead_p50", SPEED, -1, "hours", "Speed to lead, median",
  "time from creation to first touch, median", exists=_touched, team=SALES,
  scored=True, key=True)  # fmt: skip
_("speed_to_lead_p90", SPEED, -1, "hours", "Speed to lead, 90th percentile",
  "time from creation to first touch, 90th percentile", exists=_touched, team=SALES,
  scored=True)  # fmt: skip
_per_source("speed_to_lead_mean")
_per_source("speed_to_lead_p50")
_per_source("speed_to_lead_p90")
# each stage: entries, waits, where leads went, SLAs
_("stage.<s>.entered", FLOW, 0, "count", "{s}: entries", "entries to the stage",
  headline=False)  # fmt: skip
_("stage.<s>.wait_mean", SPEED, -1, "hours", "{s}: wait for a first touch, mean",
  "time from entering to first touch, mean", exists=_worked_stage, scored=True)  # fmt: skip
_("stage.<s>.wait_p90", SPEED, -1, "hours", "{s}: wait for a first touch, 90th percentile",
  "time from entering to first touch, 90th percentile", exists=_worked_stage,
  headline=False)  # fmt: skip
_("stage.<s>.conversion.<t>", FLOW, 0, "share", "{s} → {t}",
  "share of leads leaving the stage that went to {t}", exists=_left,
  headline=lambda bound: bound["t"] not in BUILT_IN_ENDS)  # fmt: skip
_("stage.<s>.gave_up", FLOW, -1, "share", "{s}: gave up waiting",
  "share of leads leaving the stage that gave up waiting for a touch",
  exists=_gives_up)  # fmt: skip
_("stage.<s>.recycled", FLOW, -1, "share", "{s}: recycled untouched",
  "share of leads leaving the stage recycled before a first touch",
  exists=_recycles)  # fmt: skip
_("sla.<s>.attainment", SPEED, +1, "share", "{s}: SLA met",
  "share of first touches within the SLA", exists=_has_sla, scored=True)  # fmt: skip
# each role that works a stage: how busy, what waits, who came and went
_("role.<r>.utilization", CAPACITY, 0, "share", "{r}: utilization",
  "share of scheduled hours occupied by the journey's work (outbound attempts are "
  "role.<r>.outbound_time)", scored=True)  # fmt: skip
_("role.<r>.queue_mean", CAPACITY, -1, "items", "{r}: work waiting, mean",
  "items waiting, time average")  # fmt: skip
_("role.<r>.queue_end", CAPACITY, -1, "items", "{r}: work waiting at the end",
  "items waiting at the end")  # fmt: skip
_("role.<r>.backlog_growth", CAPACITY, -1, "per_week", "{r}: backlog growth per week",
  "items added to the queue per week over the second half of the horizon (above 0: the "
  "role does not keep up)", bounds=(-math.inf, math.inf))  # fmt: skip
_("role.<r>.ramped_mean", CAPACITY, +1, "count", "{r}: ramped-rep equivalents",
  "ramped-rep equivalents: the sum of the reps' ramp shares, time average",
  exists=_ramps)  # fmt: skip
_("role.<r>.headcount_mean", CAPACITY, 0, "count", "{r}: people on the payroll",
  "people on the payroll, time average", exists=_people_change)  # fmt: skip
_("role.<r>.hires", CAPACITY, 0, "count", "{r}: hires",
  "reps who joined (dated hires and backfills)", exists=_people_change)  # fmt: skip
_("role.<r>.departures", CAPACITY, -1, "count", "{r}: departures",
  "reps who left (attrition and planned departures)", exists=_people_change)  # fmt: skip
_per_quarter("role.<r>.utilization")
# outbound: what prospecting makes of the reps' free time and the accounts left
_("source.<s>.attempts", FLOW, 0, "count", "{s}: attempts",
  "outbound attempts (dials, emails) made on the source's accounts",
  exists=_outbound)  # fmt: skip
_("source.<s>.connects", FLOW, 0, "count", "{s}: buyers reached",
  "outbound attempts that reached the buyer", exists=_outbound, headline=False)  # fmt: skip
_("source.<s>.meetings", FLOW, +1, "count", "{s}: meetings booked",
  "meetings booked by outbound attempts (each a lead of the source)",
  exists=_outbound)  # fmt: skip
_("source.<s>.attempts_per_meeting", FLOW, -1, "count", "{s}: attempts per meeting",
  "outbound attempts per meeting booked", exists=_outbound)  # fmt: skip
_("source.<s>.accounts_left", FLOW, +1, "count", "{s}: accounts left",
  "accounts ready to prospect at the end: never worked, or back from their cool-off",
  exists=_outbound)  # fmt: skip
_("role.<r>.meetings_per_week", CAPACITY, +1, "per_week", "{r}: meetings per rep per week",
  "outbound meetings booked per rep on the payroll per week", exists=_prospects)  # fmt: skip
_("role.<r>.attempts_per_week", CAPACITY, 0, "per_week", "{r}: attempts per rep per week",
  "outbound attempts per rep on the payroll per week", exists=_prospects)  # fmt: skip
_("role.<r>.outbound_time", CAPACITY, 0, "share", "{r}: time prospecting",
  "share of scheduled hours spent on outbound attempts (utilization counts only the "
  "journey's work)", exists=_prospects)  # fmt: skip
# pay: what the reps who carry a quota attain
_("role.<r>.attainment_mean", CAPACITY, +1, "share", "{r}: quota attainment, mean",
  "credit over quota per seat and whole period (an empty seat's quota counts as missed), "
  "mean", exists=_quota, bounds=(0.0, math.inf), scored=True)  # fmt: skip
_("role.<r>.share_at_quota", CAPACITY, +1, "share", "{r}: share at quota",
  "share of seats and periods at or above quota", exists=_quota, scored=True)  # fmt: skip
_("role.<r>.attainment_p10", CAPACITY, +1, "share", "{r}: quota attainment, 10th percentile",
  "credit over quota per seat and whole period, 10th percentile", exists=_quota,
  headline=False, bounds=(0.0, math.inf))  # fmt: skip
_("role.<r>.attainment_p90", CAPACITY, +1, "share", "{r}: quota attainment, 90th percentile",
  "credit over quota per seat and whole period, 90th percentile", exists=_quota,
  headline=False, bounds=(0.0, math.inf))  # fmt: skip
_("role.<r>.attainment_bottom_quartile", CAPACITY, +1, "share",
  "{r}: quota attainment, bottom quarter", "mean attainment of the worst quarter of seats "
  "and whole periods", exists=_quota, headline=False, bounds=(0.0, math.inf))  # fmt: skip
_("role.<r>.attainment_top_quartile", CAPACITY, +1, "share",
  "{r}: quota attainment, top quarter", "mean attainment of the best quarter of seats "
  "and whole periods", exists=_quota, headline=False, bounds=(0.0, math.inf))  # fmt: skip
# money: revenue, retention, cost
_("arr_end", MONEY, +1, "money", "ARR at the end", "ARR of all customers at the end",
  exists=_won, team=SUCCESS, scored=True)  # fmt: skip
_("mrr_end", MONEY, +1, "money", "MRR at the end", "MRR of all customers at the end (ARR / 12)",
  exists=_won, team=SUCCESS, scored=True)  # fmt: skip
_("nrr", MONEY, +1, "share", "Net revenue retention",
  "net revenue retention of customers at warm-up end", exists=_won, team=SUCCESS,
  scored=True, bounds=(0.0, math.inf))  # fmt: skip
_("grr", MONEY, +1, "share", "Gross revenue retention",
  "gross revenue retention of customers at warm-up end", exists=_won, team=SUCCESS,
  scored=True)  # fmt: skip
_("logo_retention", MONEY, +1, "share", "Logo retention",
  "share of customers at warm-up end still customers at the end", exists=_won, team=SUCCESS,
  scored=True)  # fmt: skip
_("ltv", MONEY, +1, "money", "Customer lifetime value",
  "customer lifetime value: ARR per customer x gross margin / yearly logo churn",
  exists=_won_with_margin, team=SUCCESS, scored=True)  # fmt: skip
_("cost", MONEY, -1, "money", "Total cost",
  "people, commission, marketing, sources' own and other costs over the horizon", team=WHOLE_ORG,
  scored=True)  # fmt: skip
_("cost.people", MONEY, -1, "money", "People cost",
  "people cost over the horizon (every role's payroll)")  # fmt: skip
_("cost.commission", MONEY, -1, "money", "Commission cost",
  "commissions over the horizon: each quota's plan on its whole periods, and splits",
  exists=_commissions)  # fmt: skip
_("commission_per_won", MONEY, -1, "money", "Commission per new customer",
  "commission cost per new customer", exists=_commissions, team=SALES,
  scored=True)  # fmt: skip
_("cost.marketing", MONEY, -1, "money", "Marketing cost",
  "marketing cost over the horizon (cost per lead x leads of the sources without a cost of "
  "their own)", team=MARKETING, scored=True)  # fmt: skip
_("cost.sources", MONEY, -1, "money", "Sources' own cost",
  "cost over the horizon of the sources with a cost of their own (data, dialer seats: per "
  "lead and per year)", exists=_source_costs)  # fmt: skip
_("source.<s>.cost", MONEY, -1, "money", "Cost, {s} leads",
  "cost over the horizon of source {s}'s leads: its own cost, or the marketing cost per "
  "lead x its leads", headline=False)  # fmt: skip
_("source.<s>.cost_per_won", MONEY, -1, "money", "Cost per new customer, {s} leads",
  "source {s}'s cost per new customer won from its leads (its leads' cost over their wins, "
  "people not included: see cac)", exists=_won, headline=False)  # fmt: skip
_("cost.other", MONEY, -1, "money", "Other costs",
  "other costs over the horizon (the org's costs: software, tools)",
  exists=_other_costs)  # fmt: skip
_("cost_per_won", MONEY, -1, "money", "Cost per new customer", "cost per new customer",
  team=WHOLE_ORG, scored=True, key=True)  # fmt: skip
_("cac", MONEY, -1, "money", "CAC", "acquisition cost per new customer (CAC)", exists=_won,
  team=SALES, scored=True)  # fmt: skip
_("cac_payback_months", MONEY, -1, "months", "CAC payback",
  "months of a new customer's gross margin to earn back its CAC", exists=_won_with_margin,
  team=SALES, scored=True)  # fmt: skip
del _


# ------------------------------------------------------------------------------ builders


def _built(form: str, **bound: object) -> str:
    return FAMILIES[form].name(**bound)


def stage_kpi(stage: str, facet: str) -> str:
    """`stage.<s>.<facet>` (entered, wait_mean, wait_p90, gave_up, recycled)."""
    return _built(f"stage.<s>.{facet}", s=stage)


def conversion_kpi(stage: str, to: str) -> str:
    """`stage.<s>.conversion.<t>`: the share of leads leaving `stage` that went to `to`."""
    return _built("stage.<s>.conversion.<t>", s=stage, t=to)


def sla_kpi(stage: str) -> str:
    """`sla.<s>.attainment`."""
    return _built("sla.<s>.attainment", s=stage)


def role_kpi(role: str, facet: str) -> str:
    """`role.<r>.<facet>` (utilization, queue_mean, backlog_growth, ...)."""
    return _built(f"role.<r>.{facet}", r=role)


def source_kpi(source: str, kpi: str) -> str:
    """`source.<s>.<kpi>`: a plain KPI measured on one source's leads."""
    return _built(f"source.<s>.{kpi}", s=source)


def quarter_kpi(quarter: int, kpi: str) -> str:
    """`quarter.<q>.<kpi>`: a KPI (`won_per_week`, or a role's utilization by name) measured
    in one plan quarter."""
    family = info(kpi).family
    return _built(f"quarter.<q>.{family}", q=quarter, **_bound(kpi))


def _bound(name: str) -> dict[str, str]:
    match = FAMILIES[info(name).family].pattern.fullmatch(name)
    return {k: v for k, v in match.groupdict().items() if v is not None} if match else {}


# ------------------------------------------------------------------------ reading a name


@dataclass(frozen=True)
class KPI:
    """What a KPI name means, read once from the name so that no caller parses it."""

    name: str
    group: str
    """flow, speed, capacity or money"""
    direction: int
    """+1: higher is better; -1: lower is better; 0: neither"""
    unit: str
    """share, hours, money, months, per_week, items or count"""
    label: str
    """What a leader calls it (`Speed to lead, median`, `mql: SLA met`): reports show it
    first and the name second; `--json` uses the name only."""
    meaning: str
    facet: str
    """What is measured: the name itself for plain KPIs, else the part after the stage,
    source or role (wait_mean, conversion, attainment, utilization, ...)."""
    stage: str | None = None
    role: str | None = None
    to: str | None = None
    """Where a conversion goes (`stage.<s>.conversion.<to>`)."""
    headline: bool = True
    """A leader reads it first; per-stage detail and 90th percentiles are one `--all` away."""
    family: str = ""
    """The form of its family (`role.<r>.utilization`)."""
    source: str | None = None
    quarter: int | None = None
    whole: str = ""
    """The KPI a dated one measures in its quarter (`role.ae.utilization` for
    `quarter.2.role.ae.utilization`); else the name itself."""


@lru_cache(maxsize=4096)
def info(name: str) -> KPI:
    """The record of a KPI name (any name a catalogue can produce)."""
    family, bound = _family_of(name)
    if family is None:
        return KPI(name, FLOW, 0, "count", name, name, name, family=name, whole=name)
    quarter = int(bound["q"]) if "q" in bound else None
    words = {**bound, "weeks": _weeks(quarter) if quarter else ""}
    headline = family.headline(bound) if callable(family.headline) else family.headline
    on_stage = family.over in ("stage", "sla")
    return KPI(
        name,
        family.group,
        family.direction,
        family.unit,
        family.label.format(**words),
        family.meaning.format(**words),
        family.facet,
        stage=bound.get("s") if on_stage else None,
        role=bound.get("r"),
        to=bound.get("t"),
        headline=headline,
        family=family.form,
        source=bound.get("s") if family.over == "source" else None,
        quarter=quarter,
        whole=name.split(".", 2)[2] if quarter else name,
    )


def _family_of(name: str) -> tuple[Family | None, dict[str, str]]:
    if name in FAMILIES:
        return FAMILIES[name], {}
    for family in FAMILIES.values():
        if "<" in family.form and (match := family.pattern.fullmatch(name)):
            return family, {k: v for k, v in match.groupdict().items() if v is not None}
    return None, {}


def forms() -> list[str]:
    """Every KPI as a planner writes it, with placeholders for stages or sources (`<s>`),
    where leads go (`<t>`), roles (`<r>`) and plan quarters (`<q>`): the catalogue the
    field reference lists."""
    return list(FAMILIES)


def possible(name: str) -> tuple[float, float]:
    """The values a KPI can take. No replication leaves them, so an interval shown to a
    reader is cut to them (a t interval on few replications can reach 104% or −3 leads)."""
    family = FAMILIES.get(info(name).family)
    if family is not None and family.bounds is not None:
        return family.bounds
    return (0.0, 1.0) if info(name).unit == "share" else (0.0, math.inf)


# ------------------------------------------------------------------ the names a scenario has


def _weeks(quarter: int) -> str:
    return f"from {QUARTER_WEEKS * (quarter - 1)}w to {QUARTER_WEEKS * quarter}w after warm-up"


def quarters(horizon: float) -> int:
    """Whole plan quarters in a measured horizon (see `quarterly`)."""
    return int(horizon / QUARTER + 1e-9)


def quarterly(horizon: float) -> range:
    """The plan quarters quarterly KPIs are reported for: every whole one, when the horizon
    holds at least two (with one, it is the horizon)."""
    whole = quarters(horizon)
    return range(1, whole + 1 if whole >= 2 else 1)


def _blocks() -> list[tuple[str | None, list[Family]]]:
    """The table cut into runs of families over the same kind of entity: a report lists a
    run's names stage by stage (or role by role), each stage's together."""
    blocks: list[tuple[str | None, list[Family]]] = []
    for family in FAMILIES.values():
        if blocks and blocks[-1][0] == family.over:
            blocks[-1][1].append(family)
        else:
            blocks.append((family.over, [family]))
    return blocks


def _names_in(scope: Scope) -> list[str]:
    names = []
    for over, families in _blocks():
        for entity in scope.entities(over):
            for family in families:
                if family.exists(scope, entity):
                    places = scope.places_after(entity) if "<t>" in family.form else []
                    names += family.names(entity, places, scope.quarters())
    return names


def kpi_names(
    market: Market, org: Org, horizon: float, transition: Transition | None = None
) -> list[str]:
    """Every KPI this market and org (and the org a transition switches to) report over a
    measured `horizon` (hours), in the order reports show them."""
    changes = people_change(org, transition)
    merged = _names_in(Scope(market, org, horizon, changes))
    if transition is None:
        return merged
    after = _names_in(Scope(market, transition.org, horizon, changes))
    for i, name in enumerate(after):
        if name not in merged:  # after the name it follows in the new org's list
            merged.insert(merged.index(after[i - 1]) + 1 if i else len(merged), name)
    return merged


def of_variant(variant, horizon: float) -> list[str]:
    """Every KPI a composed variant (market, org, transition) reports over `horizon`."""
    return kpi_names(variant.market, variant.org, horizon, variant.transition)


def names_across(variants: Iterable, horizon: float) -> list[str]:
    """Every KPI any of the variants (market and org pairs) reports over `horizon`, each
    once, in the order of first appearance."""
    names: dict[str, None] = {}
    for variant in variants:
        names.update(dict.fromkeys(of_variant(variant, horizon)))
    return list(names)


def every_form(
    stages: list[str], sources: list[str], roles: list[str], horizon: float
) -> list[str]:
    """Every KPI name the catalogue's forms make of these stages, sources and roles over a
    measured `horizon` (a superset of what a scenario reports: for checking targets where a
    variant has problems of its own, so that its exact list is not known)."""
    over = {"stage": stages, "sla": stages, "source": sources, "role": roles, None: [None]}
    places = [*stages, *BUILT_IN_ENDS]
    return [
        name
        for family in FAMILIES.values()
        for entity in over[family.over]
        for name in family.names(entity, places, quarterly(horizon))
    ]


def by_measure(names: Iterable[str]) -> list[tuple[str, list[str]]]:
    """`names` grouped by what they measure (flow, speed, capacity, money), in that order."""
    names = list(names)
    sections = [(group, [n for n in names if info(n).group == group]) for group in GROUPS]
    return [(group, members) for group, members in sections if members]


def key_kpis() -> list[str]:
    """A leader's first questions (`Family.key`), in the order reports show them."""
    return [form for form, family in FAMILIES.items() if family.key]


def is_scored(name: str) -> bool:
    """A team's scorecard shows this KPI when it is a headline one (see `Family.scored`)."""
    family = FAMILIES.get(info(info(name).whole).family)
    return family is not None and family.scored


def team_of(name: str) -> str | None:
    """The team whose playbook owns a plain KPI (None: the team of whoever works it)."""
    family = FAMILIES.get(info(info(name).whole).family)
    return family.team if family is not None and family.over is None else None


# ------------------------------------------------------------------------ targets' names


def unknown(name: str, known: Iterable[str]) -> str:
    """Why `name` is no target: not a KPI the scenario reports, with the closest one (by
    spelling, or the KPI whose words hold the name's in their order: `mql_to_sql` is
    `stage.mql.conversion.sql`)."""
    if not isinstance(name, str):
        return f"{name!r} is not a KPI name: name one as text, such as 'won_per_week'"
    known = list(known)
    close = difflib.get_close_matches(name, known, n=1) or _by_words(name, known)
    return f"'{name}' is not a KPI this scenario reports" + (
        f"; did you mean '{close[0]}'?" if close else ""
    )


_FILLER = {"to", "of", "rate", "the", "per", "a"}


def _by_words(name: str, known: list[str]) -> list[str]:
    """The shortest KPI whose words contain the name's words, in the same order."""
    words = [w for w in re.split(r"[^a-z0-9]+", name.lower()) if w and w not in _FILLER]

    def in_order(kpi: str) -> bool:
        theirs = iter(re.split(r"[^a-z0-9]+", kpi))
        return all(any(w == t for t in theirs) for w in words)

    found = sorted((k for k in known if words and in_order(k)), key=len)
    return found[:1]


def out_of_range(name: str, bound: float) -> str | None:
    """Why a target's bound can never be the KPI's value (a share written as `90`), or None."""
    floor, ceiling = possible(name)
    if floor <= bound <= ceiling:
        return None
    hint = f" (a share: write {bound / 100:g} for {bound:g}%)" if info(name).unit == "share" else ""
    return f"{name} is never below {floor:g} or above {ceiling:g}{hint}"


def written_rates(market: Market) -> dict[str, float | dict[str, float]]:
    """The conversion each stage's outcomes are written with, by KPI name
    (`stage.<s>.conversion.<t>`): a chance, or one per segment where they differ; what the
    outcomes leave goes to `otherwise`. Reports show them beside the realised rates, which
    skill, routing, decay, handoffs and buyers who give up move."""
    rates: dict[str, float | dict[str, float]] = {}
    for name, stage in market.journey.items():
        if stage.is_end:
            continue
        per = {
            g: {t: probability(p, g) for t, p in stage.outcomes.items()} for g in market.segments
        }
        for chances in per.values():
            left = max(0.0, 1 - sum(chances.values()))
            if left > 1e-12 or stage.otherwise is not None:
                chances[stage.exit] = chances.get(stage.exit, 0.0) + left
        for target in per[next(iter(per))]:
            values = {g: per[g][target] for g in per}
            same = len(set(values.values())) == 1
            rates[conversion_kpi(name, target)] = next(iter(values.values())) if same else values
    return rates
