"""The KPI names a scenario reports (listed in docs/reference.md), and how to read them.

The catalogue lives with the config because a scenario's `targets` must name
real KPIs, and which KPIs exist depends on the market and the org (a stage
without an SLA has no `sla.<s>.attainment`). The engine and the reports use
the same catalogue, so a name is spelled in one place.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from orgsim.config.checks import after_won
from orgsim.config.distributions import probability
from orgsim.config.saturation import BUSY  # noqa: F401 - part of the catalogue
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
QUARTERLY = ("won_per_week", "won_value")
"""KPIs also reported per plan quarter (`quarter.<q>.<kpi>`), so that a target can be dated;
each worked role's utilization is too (`quarter.<q>.role.<r>.utilization`), so that a load
that grows through the horizon shows."""

_PLAIN = {
    "leads": (FLOW, 0, "Leads created", "leads created"),
    "won": (FLOW, +1, "New customers", "new customers"),
    "won_per_week": (FLOW, +1, "New customers per week", "new customers per week"),
    "won_value": (MONEY, +1, "New ARR booked", "new ARR booked"),
    "lead_to_customer": (
        FLOW,
        +1,
        "Lead-to-customer rate",
        "new customers per lead created (won / leads)",
    ),
    "win_rate": (FLOW, +1, "Win rate", "share of the opportunities decided that were won"),
    "avg_deal_size": (
        MONEY,
        +1,
        "Average deal size",
        "average deal size: new ARR per new customer",
    ),
    "lost": (FLOW, -1, "Leads lost", "leads lost"),
    "churned": (FLOW, -1, "Customers churned", "customers churned"),
    "leaked": (FLOW, -1, "Leads leaked in handoffs", "leads leaked in handoffs"),
    "wip_end": (FLOW, 0, "Leads still open at the end", "leads still in the journey at the end"),
    "cycle_time_mean": (SPEED, -1, "Sales cycle, mean", "time from creation to won, mean"),
    "cycle_time_p50": (SPEED, -1, "Sales cycle, median", "time from creation to won, median"),
    "cycle_time_p90": (
        SPEED,
        -1,
        "Sales cycle, 90th percentile",
        "time from creation to won, 90th percentile",
    ),
    "speed_to_lead_mean": (
        SPEED,
        -1,
        "Speed to lead, mean",
        "time from creation to first touch, mean",
    ),
    "speed_to_lead_p50": (
        SPEED,
        -1,
        "Speed to lead, median",
        "time from creation to first touch, median",
    ),
    "speed_to_lead_p90": (
        SPEED,
        -1,
        "Speed to lead, 90th percentile",
        "time from creation to first touch, 90th percentile",
    ),
    "arr_end": (MONEY, +1, "ARR at the end", "ARR of all customers at the end"),
    "mrr_end": (MONEY, +1, "MRR at the end", "MRR of all customers at the end (ARR / 12)"),
    "nrr": (
        MONEY,
        +1,
        "Net revenue retention",
        "net revenue retention of customers at warm-up end",
    ),
    "grr": (
        MONEY,
        +1,
        "Gross revenue retention",
        "gross revenue retention of customers at warm-up end",
    ),
    "logo_retention": (
        MONEY,
        +1,
        "Logo retention",
        "share of customers at warm-up end still customers at the end",
    ),
    "ltv": (
        MONEY,
        +1,
        "Customer lifetime value",
        "customer lifetime value: ARR per customer x gross margin / yearly logo churn",
    ),
    "cost": (MONEY, -1, "Total cost", "people, marketing and other costs over the horizon"),
    "cost.people": (
        MONEY,
        -1,
        "People cost",
        "people cost over the horizon (every role's payroll)",
    ),
    "cost.marketing": (
        MONEY,
        -1,
        "Marketing cost",
        "marketing cost over the horizon (cost per lead x leads)",
    ),
    "cost.other": (
        MONEY,
        -1,
        "Other costs",
        "other costs over the horizon (the org's costs: software, tools)",
    ),
    "cost_per_won": (MONEY, -1, "Cost per new customer", "cost per new customer"),
    "cac": (MONEY, -1, "CAC", "acquisition cost per new customer (CAC)"),
    "cac_payback_months": (
        MONEY,
        -1,
        "CAC payback",
        "months of a new customer's gross margin to earn back its CAC",
    ),
}
_PATTERNS = {
    "entered": (FLOW, 0, "entries", "entries to the stage"),
    "wait_mean": (
        SPEED,
        -1,
        "wait for a first touch, mean",
        "time from entering to first touch, mean",
    ),
    "wait_p90": (
        SPEED,
        -1,
        "wait for a first touch, 90th percentile",
        "time from entering to first touch, 90th percentile",
    ),
    "conversion": (FLOW, 0, "→", "share of leads leaving the stage that went to"),
    "gave_up": (
        FLOW,
        -1,
        "gave up waiting",
        "share of leads leaving the stage that gave up waiting for a touch",
    ),
    "recycled": (
        FLOW,
        -1,
        "recycled untouched",
        "share of leads leaving the stage recycled before a first touch",
    ),
    "attainment": (SPEED, +1, "SLA met", "share of first touches within the SLA"),
    "utilization": (CAPACITY, 0, "utilization", "share of scheduled hours occupied by work"),
    "ramped_mean": (
        CAPACITY,
        +1,
        "ramped-rep equivalents",
        "ramped-rep equivalents: the sum of the reps' ramp shares, time average",
    ),
    "headcount_mean": (CAPACITY, 0, "people on the payroll", "people on the payroll, time average"),
    "hires": (CAPACITY, 0, "hires", "reps who joined (dated hires and backfills)"),
    "departures": (CAPACITY, -1, "departures", "reps who left (attrition and planned departures)"),
    "queue_mean": (CAPACITY, -1, "work waiting, mean", "items waiting, time average"),
    "queue_end": (CAPACITY, -1, "work waiting at the end", "items waiting at the end"),
    "backlog_growth": (
        CAPACITY,
        -1,
        "backlog growth per week",
        "items added to the queue per week over the second half of the horizon (above 0: "
        "the role does not keep up)",
    ),
}


_STAGE_FACETS = ("entered", "wait_mean", "wait_p90", "conversion", "gave_up", "recycled")


def forms() -> list[str]:
    """Every KPI as a planner writes it, with placeholders for stages (`<s>`), where leads
    go (`<t>`) and roles (`<r>`): the catalogue the field reference lists."""
    out = list(_PLAIN)
    for facet in _PATTERNS:
        if facet == "attainment":
            out.append("sla.<s>.attainment")
        elif facet in _STAGE_FACETS:
            out.append(f"stage.<s>.{facet}" + (".<t>" if facet == "conversion" else ""))
        else:
            out.append(f"role.<r>.{facet}")
    return out


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
    """What is measured: the name itself for plain KPIs, else the part after the stage or
    role (wait_mean, conversion, attainment, utilization, ...)."""
    stage: str | None = None
    role: str | None = None
    to: str | None = None
    """Where a conversion goes (`stage.<s>.conversion.<to>`)."""
    headline: bool = True
    """A leader reads it first; per-stage detail and 90th percentiles are one `--all` away."""


@lru_cache(maxsize=4096)
def info(name: str) -> KPI:
    """The record of a KPI name (any name a catalogue can produce)."""
    parts = name.split(".")
    if parts[0] == "quarter" and len(parts) >= 3:
        whole = info(".".join(parts[2:]))
        meaning = f"{whole.meaning}, in plan quarter {parts[1]} ({_weeks(int(parts[1]))})"
        label = f"{whole.label}, quarter {parts[1]}"
        return replace(whole, name=name, label=label, meaning=meaning, headline=False)
    stage = parts[1] if parts[0] in ("stage", "sla") and len(parts) >= 3 else None
    role = parts[1] if parts[0] == "role" and len(parts) >= 3 else None
    facet = name if name in _PLAIN else parts[2] if parts[0] == "stage" else parts[-1]
    group, direction, label, meaning = (
        _PLAIN.get(name) or _PATTERNS.get(facet) or _PLAIN.get(facet, (FLOW, 0, name, name))
    )
    if facet == "conversion":
        meaning = f"{meaning} {parts[-1]}"
        label = f"{parts[1]} {label} {parts[-1]}"
    elif parts[0] in ("stage", "sla", "role") and len(parts) >= 3:
        label = f"{parts[1]}: {label}"
    if parts[0] == "source" and len(parts) == 3:
        meaning = f"{meaning}, of leads from source {parts[1]}"
        label = f"{label}, {parts[1]} leads"
    if parts[0] == "stage":  # leads lost untouched show; and where leads go, but to the ends
        headline = facet in ("wait_mean", "gave_up", "recycled") or (
            facet == "conversion" and parts[-1] not in BUILT_IN_ENDS
        )
    else:
        headline = not name.endswith(("_p50", "_p90")) or name.startswith("speed_to_lead")
        headline = headline and parts[0] != "source"
    to = parts[-1] if facet == "conversion" else None
    unit = _unit(name, facet)
    return KPI(
        name, group, direction, unit, label, meaning, facet, stage, role, to, headline=headline
    )


def possible(name: str) -> tuple[float, float]:
    """The values a KPI can take. No replication leaves them, so an interval shown to a
    reader is cut to them (a t interval on few replications can reach 104% or −3 leads)."""
    kpi = info(name)
    if kpi.facet == "backlog_growth":
        return -math.inf, math.inf
    if kpi.unit == "share" and kpi.facet != "nrr":
        return 0.0, 1.0
    return 0.0, math.inf


def unknown(name: str, known: Iterable[str]) -> str:
    """Why `name` is no target: not a KPI the scenario reports, with the closest one (by
    spelling, or the KPI whose words hold the name's in their order: `mql_to_sql` is
    `stage.mql.conversion.sql`)."""
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


def every_form(
    stages: list[str], sources: list[str], roles: list[str], horizon: float
) -> list[str]:
    """Every KPI name the catalogue's forms make of these stages, sources and roles over a
    measured `horizon` (a superset of what a scenario reports: for checking targets where a
    variant has problems of its own, so that its exact list is not known)."""
    names = list(_PLAIN)
    for stage in stages:
        names += [f"stage.{stage}.{facet}" for facet in _STAGE_FACETS if facet != "conversion"]
        names += [f"stage.{stage}.conversion.{to}" for to in [*stages, *BUILT_IN_ENDS]]
        names.append(f"sla.{stage}.attainment")
    role_facets = [f for f in _PATTERNS if f not in _STAGE_FACETS and f != "attainment"]
    names += [f"role.{role}.{facet}" for role in roles for facet in role_facets]
    per_source = ("lead_to_customer", *_FIRST_TOUCH)
    names += [f"source.{source}.{kpi}" for source in sources for kpi in per_source]
    dated = [*QUARTERLY, *(f"role.{role}.utilization" for role in roles)]
    return names + [f"quarter.{q}.{kpi}" for kpi in dated for q in quarterly(horizon)]


def out_of_range(name: str, bound: float) -> str | None:
    """Why a target's bound can never be the KPI's value (a share written as `90`), or None."""
    floor, ceiling = possible(name)
    if floor <= bound <= ceiling:
        return None
    hint = f" (a share: write {bound / 100:g} for {bound:g}%)" if info(name).unit == "share" else ""
    return f"{name} is never below {floor:g} or above {ceiling:g}{hint}"


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


_SHARES = (
    "conversion",
    "gave_up",
    "recycled",
    "attainment",
    "utilization",
    "nrr",
    "grr",
    "lead_to_customer",
    "win_rate",
    "logo_retention",
)
_MONEY = (
    "won_value",
    "arr_end",
    "mrr_end",
    "cost",
    "cost.people",
    "cost.marketing",
    "cost.other",
    "cost_per_won",
    "avg_deal_size",
    "cac",
    "ltv",
)


def _unit(name: str, facet: str) -> str:
    if facet in _SHARES:
        return "share"
    if facet.startswith(("wait", "cycle_time", "speed_to_lead")):
        return "hours"
    if name in _MONEY:
        return "money"
    if name == "cac_payback_months":
        return "months"
    if name == "won_per_week":
        return "per_week"
    if facet in ("queue_mean", "queue_end"):
        return "items"
    if facet == "backlog_growth":
        return "per_week"
    return "count"


def has_won_milestone(market: Market) -> bool:
    return any(stage.milestone == "won" for stage in market.journey.values())


def opportunity_stage(market: Market) -> str | None:
    """The stage marked `milestone: opportunity`, where `win_rate` counts from."""
    return next((n for n, s in market.journey.items() if s.milestone == "opportunity"), None)


def acquisition_roles(market: Market, org: Org) -> set[str]:
    """Roles whose people and per-seat costs count in CAC: every role except those that work
    only stages after the sale (onboarding, renewals) and those that work no stage in the
    `customer_success` team."""
    serving = after_won(market)
    acquiring = set()
    for role, spec in org.roles.items():
        worked = {stage for stage, work in org.work.items() if work.role == role}
        if (worked and not worked <= serving) or (not worked and spec.team != "customer_success"):
            acquiring.add(role)
    return acquiring


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
            rates[f"stage.{name}.conversion.{target}"] = (
                next(iter(values.values())) if same else values
            )
    return rates


def next_places(market: Market, org: Org, stage: str) -> list[str]:
    """Every place a lead can go when it leaves `stage`: its outcomes, otherwise, leaks,
    where buyers who give up go, where the SLA policy recycles to."""
    spec = market.journey[stage]
    places = list(spec.outcomes)
    if _otherwise_possible(market, org, stage):
        places.append(spec.exit)
    if _can_leak_into(org, stage):
        places.append("leaked")
    if gives_up(market, org, stage):
        places.append(spec.gives_up_place)
    if recycles(org, stage):
        places.append(org.work[stage].sla.recycle_to)
    return list(dict.fromkeys(places))


def gives_up(market: Market, org: Org, stage: str) -> bool:
    """Whether buyers can run out of patience at `stage` (it has patience and a role works it)."""
    return market.journey[stage].patience is not None and stage in org.work


def recycles(org: Org, stage: str) -> bool:
    """Whether the stage's SLA takes leads out of the queue after `recycle_after`."""
    work = org.work.get(stage)
    return work is not None and work.sla is not None and work.sla.recycle_after is not None


def _otherwise_possible(market: Market, org: Org, stage: str) -> bool:
    """Whether any lead can take `otherwise`: the base chances leave room, or skill, a
    handoff penalty or response decay can scale the success outcomes down."""
    spec = market.journey[stage]
    for segment in market.segments:
        if sum(probability(p, segment) for p in spec.outcomes.values()) < 1 - 1e-9:
            return True
    work = org.work.get(stage)
    if work is None or not spec.success_outcomes or work.role not in org.roles:
        return False
    skill = org.roles[work.role].skill
    fixed_skill = isinstance(skill, int | float) and skill == 1
    penalised = any((h.penalty or 0) > 0 for h in _manual_handoffs_into(org, stage))
    return spec.response_decay is not None or not fixed_skill or penalised


def _manual_handoffs_into(org: Org, stage: str) -> list:
    """Manual handoffs a lead can meet entering `stage` (into the role that works it)."""
    work = org.work.get(stage)
    if work is None:
        return []
    return [h for key, h in org.handoffs.items() if key.split("->")[1] == work.role and h.is_manual]


def _can_leak_into(org: Org, stage: str) -> bool:
    return any((h.leak or 0) > 0 for h in _manual_handoffs_into(org, stage))


def kpi_names(
    market: Market, org: Org, horizon: float, transition: Transition | None = None
) -> list[str]:
    """Every KPI this market and org (and the org a transition switches to) report over a
    measured `horizon` (hours), in the order reports show them."""
    changes = people_change(org, transition)
    if transition is None:
        return _kpi_names(market, org, horizon, changes)
    merged = _kpi_names(market, org, horizon, changes)
    after = _kpi_names(market, transition.org, horizon, changes)
    for i, name in enumerate(after):
        if name not in merged:  # after the name it follows in the new org's list
            merged.insert(merged.index(after[i - 1]) + 1 if i else len(merged), name)
    return merged


def _kpi_names(market: Market, org: Org, horizon: float, people_change) -> list[str]:
    won = has_won_milestone(market)
    names = ["leads", "won", "won_per_week", "won_value"]
    if won:
        names += ["lead_to_customer", *(f"source.{s}.lead_to_customer" for s in market.sources)]
        if opportunity_stage(market) is not None:
            names.append("win_rate")
        names.append("avg_deal_size")
    names += [*BUILT_IN_ENDS, "wip_end"]
    names += [f"quarter.{q}.{kpi}" for kpi in QUARTERLY for q in quarterly(horizon)]
    if won:
        names += ["cycle_time_mean", "cycle_time_p50", "cycle_time_p90"]
    if org.work:
        names += list(_FIRST_TOUCH)
        names += [f"source.{s}.{kpi}" for s in market.sources for kpi in _FIRST_TOUCH]
    for stage, spec in market.journey.items():
        names.append(f"stage.{stage}.entered")
        if stage in org.work:
            names += [f"stage.{stage}.wait_mean", f"stage.{stage}.wait_p90"]
        if not spec.is_end:
            names += [f"stage.{stage}.conversion.{t}" for t in next_places(market, org, stage)]
            if gives_up(market, org, stage):
                names.append(f"stage.{stage}.gave_up")
            if recycles(org, stage):
                names.append(f"stage.{stage}.recycled")
    for stage, work in org.work.items():
        if work.sla is not None:
            names.append(f"sla.{stage}.attainment")
    for role in worked_roles(org):
        names += [
            f"role.{role}.utilization",
            f"role.{role}.queue_mean",
            f"role.{role}.queue_end",
            f"role.{role}.backlog_growth",
        ]
        if org.roles[role].ramp is not None:
            names.append(f"role.{role}.ramped_mean")
        if people_change(role):
            names += [f"role.{role}.{k}" for k in ("headcount_mean", "hires", "departures")]
        names += [f"quarter.{q}.role.{role}.utilization" for q in quarterly(horizon)]
    margin = market.gross_margin is not None
    if won:
        names += ["arr_end", "mrr_end", "nrr", "grr", "logo_retention", *["ltv"] * margin]
    names += ["cost", "cost.people", "cost.marketing", *["cost.other"] * bool(org.costs)]
    names.append("cost_per_won")
    if won:
        names += ["cac", *["cac_payback_months"] * margin]
    return names


def names_across(variants: Iterable, horizon: float) -> list[str]:
    """Every KPI any of the variants (market and org pairs) reports over `horizon`, each
    once, in the order of first appearance."""
    names: dict[str, None] = {}
    for variant in variants:
        names.update(
            dict.fromkeys(kpi_names(variant.market, variant.org, horizon, variant.transition))
        )
    return list(names)


def by_measure(names: Iterable[str]) -> list[tuple[str, list[str]]]:
    """`names` grouped by what they measure (flow, speed, capacity, money), in that order."""
    names = list(names)
    sections = [(group, [n for n in names if info(n).group == group]) for group in GROUPS]
    return [(group, members) for group, members in sections if members]


TEAM_KPIS = {
    "marketing": ("leads", "lead_to_customer", "cost.marketing"),
    "sales": (
        "won",
        "won_per_week",
        "won_value",
        "win_rate",
        "avg_deal_size",
        "cycle_time_mean",
        "cycle_time_p50",
        "cycle_time_p90",
        "speed_to_lead_mean",
        "speed_to_lead_p50",
        "speed_to_lead_p90",
        "lost",
        "leaked",
        "cac",
        "cac_payback_months",
    ),
    "customer_success": ("churned", "arr_end", "mrr_end", "nrr", "grr", "logo_retention", "ltv"),
}
"""The org-wide KPIs the sales playbooks give each team; a stage's and a role's KPIs go to
the team of the role that works it (a role's `team`)."""
WHOLE_ORG = "whole org"
"""The scorecard's section for what no one team owns: total cost, cost per new customer."""
_SCORED = ("attainment", "wait_mean", "utilization", "cost", "cost_per_won")
"""Besides TEAM_KPIS, what a scorecard shows: SLAs met, waits, how busy each role is, and
the whole org's cost; queues and conversions stay in the full table."""
_FIRST_TOUCH = ("speed_to_lead_mean", "speed_to_lead_p50", "speed_to_lead_p90")
"""Answered for by whoever first touches new leads (the role working the stages sources
enter), marketing ops as often as sales."""


def owners(orgs: Iterable[Org]) -> dict[str, dict[str, str | None]]:
    """Who answers for what, as `by_team` reads it: each role's `team` and the role that
    works each stage. Where orgs disagree (designs, a transition's two orgs) the first one
    decides. Plain data, so saved results keep it."""
    teams: dict[str, str | None] = {}
    worked_by: dict[str, str | None] = {}
    for org in orgs:
        for role, spec in org.roles.items():
            teams.setdefault(role, spec.team)
        for stage, work in org.work.items():
            worked_by.setdefault(stage, work.role)
    return {"teams": teams, "worked_by": worked_by}


def first_touch(market: Market) -> dict[str, str | None]:
    """Where new leads get their first touch (`by_team` gives speed to lead to its team):
    the stage the first source's leads enter (the headline's team), and each source's
    (`source.<s>`: its own speed to lead's team)."""
    entries = {f"source.{name}": source.enters for name, source in market.sources.items()}
    return {"speed_to_lead": next(iter(entries.values()), None), **entries}


def first_touch_sources(owned: dict[str, dict[str, str | None]]) -> list[str]:
    """The sources whose leads the headline speed to lead covers (every source), from
    `first_touch` as `owners` merged it."""
    return [key.split(".", 1)[1] for key in owned.get("first_touch", {}) if "." in key]


def by_team(
    names: Iterable[str],
    owned: dict[str, dict[str, str | None]],
    keep: Iterable[str] = (),
    every: bool = False,
) -> list[tuple[str, list[str]]]:
    """A scorecard: the headline KPIs among `names` that a team answers for, by the team
    (marketing, sales, customer success, then any other team the roles name, then `whole
    org`), flow to money within each; the KPIs in `keep` (the targets) in any case, and
    every KPI with `every`. `owned` comes from `owners` (and `first_touch`)."""
    plain = {kpi: team for team, kpis in TEAM_KPIS.items() for kpi in kpis}

    def team(name: str) -> str:
        kpi = info(name)
        whole = info(name.split(".", 2)[2]) if name.startswith("quarter.") else kpi
        stage = whole.stage
        if whole.name in _FIRST_TOUCH:
            stage = owned.get("first_touch", {}).get("speed_to_lead")
        elif whole.facet in _FIRST_TOUCH:  # source.<s>.speed_to_lead_*: who answers s
            stage = owned.get("first_touch", {}).get(name.rsplit(".", 1)[0])
        role = whole.role or owned["worked_by"].get(stage or "")
        if role is not None:
            return owned["teams"].get(role) or WHOLE_ORG
        if name.startswith("source."):
            return "marketing"
        return plain.get(whole.name, WHOLE_ORG)

    keep = set(keep)
    names = list(names)
    several = len({n.split(".")[1] for n in names if n.startswith("source.")}) > 1

    def shown(name: str) -> bool:
        kpi = info(name)
        if every or name in keep:
            return True
        if name.startswith("source."):  # speed to lead by source: mean and median, if several
            return kpi.facet not in _FIRST_TOUCH or (several and not name.endswith("_p90"))
        return kpi.headline and (kpi.facet in _SCORED or name in plain)

    scored = [n for n in names if shown(n)]
    sections: dict[str, list[str]] = {t: [] for t in TEAM_KPIS}
    for name in sorted(scored, key=lambda n: GROUPS.index(info(n).group)):
        sections.setdefault(team(name), []).append(name)
    sections[WHOLE_ORG] = sections.pop(WHOLE_ORG, [])
    return [(t, members) for t, members in sections.items() if members]


def worked_roles(org: Org) -> list[str]:
    """Roles that work at least one stage, in the order the org declares them."""
    working = {work.role for work in org.work.values()}
    return [role for role in org.roles if role in working]
