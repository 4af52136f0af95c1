"""The facts of one run of one design: what was simulated, how, and who answers for what.

Saved beside the KPIs (`results.json`) so that a report rebuilt later, or on another
machine, says the same as the run did. Typed, so that a misspelt fact is an error rather
than a silent default; a folder saved by an older orgsim, which lacks some facts, reads
with the defaults written here.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import TypeAdapter

from orgsim.config import kpis as catalogue
from orgsim.config import scorecard, skill
from orgsim.config import targets as target_rules
from orgsim.config.journey import worked_roles
from orgsim.config.scenario import Scenario
from orgsim.version import __version__


@dataclass(frozen=True, kw_only=True)
class RunFacts:
    scenario: str
    variant: str
    seed: int
    seeds: list[int] = field(default_factory=list)
    """Each replication's own seed, in order."""
    replications: int = 0
    description: str = ""
    """The variant's description, or its org's name."""
    org: str = ""
    structure: str = ""
    horizon_hours: float = math.nan
    warmup_hours: float = 0.0
    start: str = ""
    currency: str | None = None
    holidays: str | list[str] | None = None
    kpi_names: list[str] = field(default_factory=list)
    targets: dict[str, dict[str, float | None]] = field(default_factory=dict)
    stages: list[str] = field(default_factory=list)
    roles: list[str] = field(default_factory=list)
    """Roles that work a stage, in today's org or the one a transition switches to."""
    teams: dict[str, str | None] = field(default_factory=dict)
    worked_by: dict[str, str | None] = field(default_factory=dict)
    first_touch: dict[str, str | None] = field(default_factory=dict)
    transition: dict[str, Any] | None = None
    """`{"at_hours": ..., "org": ...}` where the design switches orgs during the run."""
    entry_sla: dict[str, Any] | None = None
    """The SLA new leads meet first (`{"stage", "hours", "clock"}`), for speed-to-lead plots."""
    written_rates: dict[str, Any] = field(default_factory=dict)
    skill_effects: list[str] = field(default_factory=list)
    composed_yaml: str = ""
    orgsim_version: str = ""
    date: str = ""
    team_held: bool = False
    """Today's unnamed team was drawn once and held in every replication (`hold_team`)."""
    files: dict[str, str] = field(default_factory=dict)
    """Each file saved beside these facts and its SHA-256: one changed, removed or copied
    in from another run after the save is refused, not read."""
    study: str = ""
    """What shaped these numbers besides the seed (`study_fingerprint`): designs saved by one
    run share it, so a folder from another run is never read as theirs."""

    @classmethod
    def of(cls, scenario: Scenario, variant: str, seed: int, seeds: list[int]) -> RunFacts:
        """The facts of `variant` of `scenario` run from `seed` (replications' `seeds`)."""
        chosen = scenario.variant(variant)
        holidays = scenario.holidays
        return cls(
            scenario=scenario.name,
            variant=variant,
            seed=seed,
            seeds=list(seeds),
            replications=len(seeds),
            description=chosen.description or chosen.org.name,
            org=chosen.org.name,
            structure=chosen.org.structure,
            horizon_hours=scenario.horizon,
            warmup_hours=scenario.warmup,
            start=scenario.start.isoformat(),
            currency=scenario.currency,
            holidays=holidays
            if isinstance(holidays, str) or holidays is None
            else [d.isoformat() for d in holidays],
            kpi_names=catalogue.of_variant(chosen, scenario.horizon),
            targets=target_rules.saved(scenario.targets),
            stages=list(chosen.market.journey),
            roles=list(dict.fromkeys(r for org in chosen.orgs for r in worked_roles(org))),
            **scorecard.owners(chosen.orgs),
            first_touch=scorecard.first_touch(chosen.market),
            transition=None
            if chosen.transition is None
            else {"at_hours": chosen.transition.at, "org": chosen.transition.org.name},
            entry_sla=_entry_sla(chosen),
            written_rates=catalogue.written_rates(chosen.market),
            skill_effects=list(dict.fromkeys(e for org in chosen.orgs for e in skill.effects(org))),
            composed_yaml=scenario.composed_yaml(variant),
            orgsim_version=__version__,
            date=date.today().isoformat(),
            study=study_fingerprint(scenario),
        )

    def owners(self) -> dict[str, dict[str, str | None]]:
        """Who answers for what, as `scorecard.by_team` reads it."""
        return {"teams": self.teams, "worked_by": self.worked_by, "first_touch": self.first_touch}

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunFacts:
        """Facts as `to_json` wrote them, each of its type (pydantic's ValidationError
        otherwise); ones this orgsim does not know are left aside."""
        known = {f.name for f in dataclasses.fields(cls)}
        return _checked().validate_python({k: v for k, v in data.items() if k in known})


@functools.cache
def _checked() -> TypeAdapter:
    """Validates saved facts against RunFacts' field types (built once: it takes a while)."""
    return TypeAdapter(RunFacts)


def study_fingerprint(scenario: Scenario) -> str:
    """Changes whenever anything that shapes a run's numbers changes, the seed aside: every
    variant's composed market and org, the horizon and warm-up, the calendar (start,
    holidays), the replications and the orgsim version."""
    text = json.dumps(
        {
            "horizon": scenario.horizon,
            "warmup": scenario.warmup,
            "start": scenario.start.isoformat(),
            "holidays": scenario.holidays,
            "replications": scenario.replications,
            "variants": {v: scenario.composed(v) for v in scenario.variants},
            "orgsim": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _entry_sla(chosen) -> dict[str, Any] | None:
    for source in chosen.market.sources.values():
        work = chosen.org.work.get(source.enters)
        if work is not None and work.sla is not None:
            return {"stage": source.enters, "hours": work.sla.first_touch, "clock": work.sla.clock}
    return None
