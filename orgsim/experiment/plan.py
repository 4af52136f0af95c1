"""`orgsim.plan`: the least-cost headcount that still meets every target.

1. Start from the analytic answer (capacity.py): for each line, the fewest
   people whose utilization, SLA attainment and waits meet the targets in the
   queueing formulas (milliseconds).
2. Confirm by simulation, every candidate on the same seeds (common random
   numbers, so neighbouring plans are compared on the same leads): a target
   is met when the 95% interval of the KPI's mean is on the right side.
3. While a target is missed, add one person to each line the missed KPIs
   point at (the bottleneck when they point nowhere in particular).
4. Then search the neighbourhood: remove one person, or move one from a
   dearer role to a cheaper one, whenever the cheaper plan still meets every
   target, until no neighbour is cheaper and feasible. Ties go to fewer people.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from orgsim.analytic.capacity import capacity
from orgsim.config import kpis as catalogue
from orgsim.config.errors import ConfigError, Problem
from orgsim.config.scenario import Scenario
from orgsim.config.schema import Target
from orgsim.experiment.results import as_scenario, kpi_json, simulate


@dataclass(frozen=True)
class Staffing:
    """A headcount the planner may change, one line of a plan: a role, or a role within a pod
    (written `role@pod`)."""

    role: str
    pod: str | None = None

    @property
    def name(self) -> str:
        return self.role if self.pod is None else f"{self.role}@{self.pod}"

    @property
    def path(self) -> str:
        if self.pod is None:
            return f"org.roles.{self.role}.headcount"
        return f"org.pods.{self.pod}.members.{self.role}"


@dataclass
class Candidate:
    """One headcount plan, as evaluated by simulation."""

    headcount: dict[str, int]
    cost_per_year: float
    people: int
    meets: bool
    missed: list[str]
    summary: pd.DataFrame = field(repr=False)

    def key(self) -> tuple:
        return (self.cost_per_year, self.people)

    def to_json(self) -> dict:
        return {
            "plan": self.headcount,
            "cost_per_year": self.cost_per_year,
            "people": self.people,
            "meets_targets": self.meets,
            "missed": self.missed,
        }


@dataclass
class Plan:
    """The cheapest plan found that meets every target, its KPIs, and the runners-up."""

    scenario_name: str
    variant: str
    targets: dict[str, Target]
    start: dict[str, int]
    chosen: Candidate | None
    evaluated: list[Candidate]

    @property
    def alternatives(self) -> list[Candidate]:
        """Other plans that met every target, cheapest first."""
        feasible = sorted(
            (o for o in self.evaluated if o.meets and o is not self.chosen), key=Candidate.key
        )
        return feasible[:5]

    def table(self) -> pd.DataFrame:
        """Every plan simulated: headcounts, yearly cost, whether it met the targets."""
        rows = [
            {
                **o.headcount,
                "cost_per_year": o.cost_per_year,
                "people": o.people,
                "meets_targets": o.meets,
                "missed": ", ".join(o.missed),
            }
            for o in self.evaluated
        ]
        return pd.DataFrame(rows).sort_values(
            ["meets_targets", "cost_per_year"], ascending=[False, True], ignore_index=True
        )

    def to_json(self) -> dict:
        chosen = self.chosen
        return {
            "plan": chosen.headcount if chosen else None,
            "cost_per_year": chosen.cost_per_year if chosen else None,
            "kpis": kpi_json(chosen.summary) if chosen else {},
            "alternatives": [o.to_json() for o in self.alternatives],
            "scenario": self.scenario_name,
            "variant": self.variant,
            "targets": {k: t.model_dump(exclude_none=True) for k, t in self.targets.items()},
            "analytic_start": self.start,
            "evaluated": len(self.evaluated),
        }


def staffing_of(scenario: Scenario, variant: str, roles: list[str] | None = None) -> list[Staffing]:
    """The headcounts to plan: every line of every role that works a stage (or of `roles`)."""
    org = scenario.variant(variant).org
    worked = catalogue.worked_roles(org)
    unknown = [r for r in roles or [] if r not in worked]
    if unknown:
        raise ConfigError(
            [
                Problem.unplaced(
                    "<roles>",
                    f"roles.{r}",
                    f"'{r}' is not a role that works a stage (roles: {', '.join(worked)})",
                )
                for r in unknown
            ]
        )
    staffing = []
    for role in roles or worked:
        if role in org.roles_in_pods():
            staffing += [
                Staffing(role, pod) for pod, spec in org.pods.items() if role in spec.members
            ]
        else:
            staffing.append(Staffing(role))
    return staffing


def _overrides(staffing: list[Staffing], plan: dict[str, int]) -> dict[str, int]:
    return {line.path: plan[line.name] for line in staffing}


def _cost(scenario: Scenario, variant: str) -> tuple[float, int]:
    org = scenario.variant(variant).org
    return org.cost_per_year(), org.total_headcount()


def _responsible(kpi: str, scenario: Scenario, variant: str, staffing: list[Staffing]) -> set[str]:
    """Teams whose headcount a missed KPI points at."""
    chosen = scenario.variant(variant)
    about = catalogue.info(kpi)
    roles: set[str] = set()
    if about.role is not None:
        roles = {about.role}
    elif about.stage in chosen.org.work:
        roles = {chosen.org.work[about.stage].role}
    elif about.facet.startswith("speed_to_lead"):
        roles = {
            chosen.org.work[s.enters].role
            for s in chosen.market.sources.values()
            if s.enters in chosen.org.work
        }
    return {t.name for t in staffing if t.role in roles}


def _analytic_ok(cap, line: Staffing, targets: dict[str, Target], org) -> bool:
    load = cap.roles.get(line.role)
    if load is None:
        return True
    limit = targets.get(f"role.{line.role}.utilization")
    bound = limit.max if limit is not None and limit.max is not None else catalogue.BUSY
    if not load.utilization <= bound:
        return False
    for stage, work in org.work.items():
        if work.role != line.role:
            continue
        sla = targets.get(f"sla.{stage}.attainment")
        flow = cap.stages.get(stage)
        if (
            sla is not None
            and sla.min is not None
            and flow is not None
            and (flow.sla_attainment is None or flow.sla_attainment < sla.min)
        ):
            return False
        wait = targets.get(f"stage.{stage}.wait_mean")
        if (
            wait is not None
            and wait.max is not None
            and flow is not None
            and not (flow.wait_mean is not None and flow.wait_mean <= wait.max)
        ):
            return False
    return True


def analytic_start(
    scenario: Scenario,
    variant: str,
    staffing: list[Staffing],
    targets: dict[str, Target],
    limit: int = 200,
) -> dict[str, int]:
    """Fewest people per line that the queueing formulas say meet the targets."""
    plan = {t.name: 1 for t in staffing}
    for _ in range(2):  # staffing interact through flows and decay: a second pass settles them
        for line in staffing:
            while plan[line.name] < limit:
                trial = scenario.with_set(_overrides(staffing, plan))
                if _analytic_ok(
                    capacity(trial, variant), line, targets, trial.variant(variant).org
                ):
                    break
                plan[line.name] += 1
    return plan


def plan(
    scenario: Scenario | str | Path,
    targets: dict | None = None,
    variant: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    max_steps: int = 40,
    roles: list[str] | None = None,
) -> Plan:
    """The least-cost headcount per line that meets every target (see the module's notes).

    Args:
        scenario: a `Scenario` or the path of a scenario file.
        targets: {kpi: {"min": x} | {"max": x} | Target}; default: the scenario's.
        variant: which design to staff (default: the first).
        replications, seed: for the simulations that confirm each candidate.
        executor: where to run them (default: this process).
        progress: show a progress bar (default: on a terminal only).
        max_steps: how many candidates each search phase may try.
        roles: plan only these roles (the others keep their headcount); default:
            every role that works a stage. Costs come from each role's
            `cost_per_year`, planned or not.

    Returns:
        `Plan`: `.chosen` (headcount, yearly cost, KPI summary) or None when no
        candidate met every target, `.start` (the analytic start), `.alternatives`,
        `.table()` of every candidate simulated.

    Raises:
        ConfigError: no targets, or a target that names no KPI of the scenario, or a
            role that works no stage.

    Example:
        >>> result = orgsim.plan("scenarios/headcount_plan.yaml", roles=["sdr", "ae"])
        >>> result.chosen.headcount, result.chosen.cost_per_year
    """
    scenario = as_scenario(scenario)
    variant = scenario.variant(variant).name
    scenario = scenario.only(variant)  # headcounts change this variant's org alone
    targets = _targets(scenario, targets)
    staffing = staffing_of(scenario, variant, roles)
    start = analytic_start(scenario, variant, staffing, targets)
    evaluated: dict[tuple, Candidate] = {}
    bar = tqdm(
        desc="plans simulated",
        unit="plan",
        disable=None if progress is None else not progress,
        leave=False,
    )

    def evaluate(candidate: dict[str, int]) -> Candidate:
        key = tuple(candidate[t.name] for t in staffing)
        if key not in evaluated:
            trial = scenario.with_set(_overrides(staffing, candidate))
            results = simulate(
                trial, replications, seed, variant, executor=executor, progress=False
            )
            summary = results.summary()
            missed = [
                kpi
                for kpi, target in targets.items()
                if kpi not in summary.index
                or not target.met_by(*summary.loc[kpi, ["ci_low", "ci_high", "n"]])
            ]
            cost, people = _cost(trial, variant)
            evaluated[key] = Candidate(dict(candidate), cost, people, not missed, missed, summary)
            bar.update(1)
        return evaluated[key]

    current = evaluate(start)
    stalled, steps = 0, 0
    while not current.meets and steps < max_steps and stalled < 3:
        steps += 1
        grow = set().union(*(_responsible(k, scenario, variant, staffing) for k in current.missed))
        if not grow:
            grow = {_busiest(current, staffing)}
        before = _shortfall(current, targets)
        current = evaluate({n: c + (n in grow) for n, c in current.headcount.items()})
        stalled = stalled + 1 if _shortfall(current, targets) > 0.98 * before else 0
    if current.meets:
        current = _descend(current, staffing, scenario.variant(variant).org, evaluate, max_steps)
    bar.close()
    options = list(evaluated.values())
    feasible = sorted((o for o in options if o.meets), key=Candidate.key)
    return Plan(scenario.name, variant, targets, start, feasible[0] if feasible else None, options)


def _shortfall(option: Candidate, targets: dict[str, Target]) -> float:
    """How far the missed targets are from being met, each relative to its bound."""
    total = 0.0
    for kpi in option.missed:
        if kpi not in option.summary.index:
            return math.inf
        row, target = option.summary.loc[kpi], targets[kpi]
        if target.min is not None:
            total += max(0.0, target.min - row["ci_low"]) / max(abs(target.min), 1e-9)
        if target.max is not None:
            total += max(0.0, row["ci_high"] - target.max) / max(abs(target.max), 1e-9)
    return total if math.isfinite(total) else math.inf


def _busiest(option: Candidate, staffing: list[Staffing]) -> str:
    def load(line: Staffing) -> float:
        name = f"role.{line.role}.utilization"
        value = option.summary.loc[name, "mean"] if name in option.summary.index else 0.0
        return value if math.isfinite(value) else 0.0

    return max(staffing, key=load).name


def _descend(
    current: Candidate, staffing: list[Staffing], org, evaluate, max_steps: int
) -> Candidate:
    """Cheaper neighbours (one fewer, or one moved to a cheaper role) while they still meet
    every target."""
    price = {t.name: org.roles[t.role].cost_per_year for t in staffing}
    for _ in range(max_steps):
        moves = []
        for line in staffing:
            if current.headcount[line.name] > 1:
                fewer = dict(current.headcount)
                fewer[line.name] -= 1
                moves.append(fewer)
                for other in staffing:
                    if other is not line and price[other.name] < price[line.name]:
                        moved = dict(fewer)
                        moved[other.name] += 1
                        moves.append(moved)
        moves.sort(key=lambda m: (sum(price[n] * c for n, c in m.items()), sum(m.values())))
        better = None
        for move in moves:
            option = evaluate(move)
            if option.meets and option.key() < current.key():
                better = option
                break
        if better is None:
            return current
        current = better
    return current


def _targets(scenario: Scenario, targets: dict | None) -> dict[str, Target]:
    if targets is None:
        targets = scenario.targets
    parsed = {k: t if isinstance(t, Target) else Target(**t) for k, t in targets.items()}
    if not parsed:
        raise ConfigError.unplaced(
            scenario.file or "<scenario>",
            "targets",
            "the planner needs targets: add `targets:` to the scenario "
            "or pass them (orgsim plan --target 'won_per_week>=9')",
        )
    known = scenario.kpi_names()
    unknown = [k for k in parsed if k not in known]
    if unknown:
        raise ConfigError(
            [
                Problem.unplaced(
                    "<targets>", f"targets.{k}", f"'{k}' is not a KPI this scenario reports"
                )
                for k in unknown
            ]
        )
    return parsed
