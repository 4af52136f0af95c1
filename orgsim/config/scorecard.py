"""A scorecard: the KPIs each team answers for (marketing, sales, customer success).

A plain KPI goes to the team the KPI table names (`Family.team`); a stage's and a role's
go to the team of the role that works it (a role's `team`); speed to lead goes to whoever
first touches new leads.
"""

from __future__ import annotations

from collections.abc import Iterable

from orgsim.config.kpis import GROUPS, WHOLE_ORG, info, is_scored, team_of
from orgsim.config.schema import TEAMS, Market, Org

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
    touches = owned.get("first_touch", {})

    def team(name: str) -> str:
        whole = info(info(name).whole)
        stage = whole.stage
        if whole.name in _FIRST_TOUCH:
            stage = touches.get("speed_to_lead")
        elif whole.source is not None and whole.facet in _FIRST_TOUCH:  # who answers s
            stage = touches.get(f"source.{whole.source}")
        role = whole.role or owned["worked_by"].get(stage or "")
        if role is not None:
            return owned["teams"].get(role) or WHOLE_ORG
        if whole.source is not None:
            return "marketing"
        return team_of(name) or WHOLE_ORG

    keep = set(keep)
    names = list(names)
    several = len({info(n).source for n in names if info(n).source}) > 1

    def shown(name: str) -> bool:
        kpi = info(name)
        if every or name in keep:
            return True
        if kpi.source is not None:  # speed to lead by source: mean and median, if several
            return kpi.facet not in _FIRST_TOUCH or (several and not name.endswith("_p90"))
        return kpi.headline and is_scored(name)

    scored = [n for n in names if shown(n)]
    sections: dict[str, list[str]] = {t: [] for t in TEAMS}
    for name in sorted(scored, key=lambda n: GROUPS.index(info(n).group)):
        sections.setdefault(team(name), []).append(name)
    sections[WHOLE_ORG] = sections.pop(WHOLE_ORG, [])
    return [(t, members) for t, members in sections.items() if members]
