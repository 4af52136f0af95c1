"""`orgsim.plan`: the least-cost headcount that still meets every target.

A candidate plan is judged by simulation, every candidate on the same seeds
(common random numbers, so neighbouring plans see the same leads and luck):
it is feasible when every target's 95% interval is on the right side of its
bound, and, for every role the plan changes, the role keeps up (no growing
backlog, no plan quarter of the horizon whose work reaches its hours as the
customer base grows: see `overload.py`) and stays
under a utilization cap (default `BUSY`, 0.85), so that roles no target
covers are not starved.

The search relies on monotonicity: on common random numbers, one more person
never makes a queue KPI worse, so if a plan is feasible, any plan with at
least as many people in every line is too. Then:

1. Find a feasible box: grow every line together (half again, at least one
   more) from today's headcount until the plan is feasible. If even the
   largest box tried is not, no headcount meets the targets: the market or the
   journey limits them, and the plan says which targets stay missed.
2. Walk the first line up from its smallest feasible value (found by
   bisection with the other lines at the top of the box); for each value,
   solve the remaining lines the same way, the last one by bisection. The
   other lines' smallest values can only fall as the first line grows, so
   each solution bounds the next search; a value is abandoned as soon as its
   cheapest possible completion costs more than the best plan found.

A plan is rejected early (`sequential.feasibility`): after 5 replications (then
10, 20, ...) once one target is surely missed (its whole interval on the wrong
side, at the level the looks share: 98.3% with three looks, so looking more
than once does not add to the chance of rejecting a plan that meets it). A plan
that may be feasible runs the full count, so a plan is accepted on the same
evidence as without early looks (its roles keeping up and its utilization cap
included). (Kim-Nelson's procedure ranks systems by an
unknown mean; here cost is known and only feasibility is uncertain, so the
sequential question is feasibility, as in Andradottir and Kim's feasibility
determination.)

Under monotonicity this finds the cheapest feasible plan in the box (ties go
to fewer people); `tests/test_planner.py` checks it against exhaustive search.
Two things break the assumption, and the answer is then the cheapest plan
found, not a proven optimum: targets that more people can make worse (cost,
cost per won), and buyers who give up or leads that are recycled (more people
upstream let more leads through to a downstream queue). A plan that needs far
more of one role than the box grown from today's headcount holds is not
tried. The search stops at `max_plans` simulated plans and says so.

Planning hires (`hires=True`) answers "how many do we hire, and when?" for dated
targets (`quarter.<q>.<kpi>`): today's team stays as written, attrition and
backfills included, and the plan adds hires who join at the start of a plan
quarter (13 weeks of the measured horizon) with tenure 0, ramping like any new
rep. It costs each hire from the day it joins to the end of the horizon and
searches in two steps:

1. How many: the search above, over hires per line who all join in week 0.
2. How late: quarter by quarter, the most of each line's hires that can join a
   quarter later while every target is still met (bisection: on common random
   numbers, hiring earlier never makes a target worse).

The answer is the cheapest schedule these steps reach, not the cheapest of every
schedule: it does not trade more people later against fewer earlier. A ramp that
affects skill bends the monotonicity: a new rep takes its share of the leads and
converts less until ramped, so won deals can dip in the quarter a hire joins. A
target on a later quarter, once the hire has ramped, is not affected; a target on
the quarter a hire joins in can make an earlier hire look worse than a later one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from orgsim.config import kpis as catalogue
from orgsim.config import saturation
from orgsim.config import targets as target_rules
from orgsim.config.errors import ConfigError, Problem
from orgsim.config.journey import worked_roles
from orgsim.config.scenario import Scenario
from orgsim.config.schema import Target
from orgsim.config.units import WEEK, YEAR
from orgsim.experiment import sequential
from orgsim.experiment.results import Results, as_scenario, kpi_json, run_variants, simulate

FIRST_LOOK = 5  # replications after which a plan may be judged early (then 10, 20, ...)
GROWTH = 1.5  # how fast the feasible box grows while no plan in it is feasible
LARGEST = 12  # the box stops growing at this many times today's headcount (plus 20)


def _weeks(hours: float) -> str:
    """A hire date as a planner reads it: `13` (weeks after warm-up)."""
    return f"{hours / WEEK:g}"


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
    """One headcount plan, as judged by simulation."""

    headcount: dict[str, int]
    cost_per_year: float
    people: int
    meets: bool
    missed: list[str]
    """Targets missed, and `keeps up: <role>` or `utilization cap: <role>` constraints."""
    summary: pd.DataFrame = field(repr=False)
    hires: list[dict] | None = None
    """Planning hires: who joins when, as `org.hires` entries (`at` in hours after warm-up)."""
    hires_cost: float | None = None
    """Planning hires: the hires' people cost over the measured horizon (what is minimised)."""
    unplanned_behind: list[tuple] = field(default_factory=list)
    """Roles the plan does not change that do not keep up under it, as
    `Shortfall.evidence()` gives them: the plan meets its targets, but they fall behind."""

    def in_words(self) -> str:
        """`sdr 6, ae 10`; planning hires, `ae 2 in week 0, sdr 1 in week 13`."""
        if self.hires is None:
            return ", ".join(f"{k} {v}" for k, v in self.headcount.items())
        said = [
            f"{Staffing(h['role'], h.get('pod')).name} {h['count']} in week {_weeks(h['at'])}"
            for h in self.hires
        ]
        return ", ".join(said) or "no hires"

    def key(self) -> tuple:
        return (self.cost_per_year if self.hires_cost is None else self.hires_cost, self.people)

    def to_json(self) -> dict:
        found = {
            "plan": self.headcount,
            "cost_per_year": self.cost_per_year,
            "people": self.people,
            "meets_targets": self.meets,
            "missed": self.missed,
            "replications": int(self.summary["n"].max()),
            "unplanned_roles_behind": [role for role, *_ in self.unplanned_behind],
        }
        if self.hires is not None:
            found["hires"] = [{**h, "at": f"{_weeks(h['at'])}w"} for h in self.hires]
            found["hires_cost"] = self.hires_cost
        return found


@dataclass
class Plan:
    """The cheapest plan found that meets every target, its KPIs, and the runners-up."""

    scenario_name: str
    variant: str
    targets: dict[str, Target]
    today: dict[str, int]
    """Each line's headcount in the scenario as written."""
    chosen: Candidate | None
    evaluated: list[Candidate]
    stopped: str | None = None
    """Why the search ended before it could prove the answer cheapest, if it did."""
    utilization_cap: float | None = saturation.BUSY
    largest: Candidate | None = None
    """When no plan is feasible: the largest plan tried, which still misses (see `limits`)."""
    dates: list[float] | None = None
    """Planning hires: the dates a hire may join (hours after warm-up, plan quarter starts)."""

    @property
    def limits(self) -> list[str]:
        """What still misses at the largest plan tried and at the closest plan: more people
        do not fix these. (A cost target the largest plan misses only because it is large
        is not one of them.)"""
        if self.largest is None:
            return []
        closest = self.closest
        return [m for m in self.largest.missed if closest is None or m in closest.missed]

    @property
    def alternatives(self) -> list[Candidate]:
        """Other plans that met every target, cheapest first."""
        feasible = sorted(
            (o for o in self.evaluated if o.meets and o is not self.chosen), key=Candidate.key
        )
        return feasible[:5]

    @property
    def closest(self) -> Candidate | None:
        """When nothing met every target: the plan that missed the fewest, cheapest first."""
        if not self.evaluated:
            return None
        return min(self.evaluated, key=lambda o: (len(o.missed), o.key()))

    def table(self) -> pd.DataFrame:
        """Every plan simulated: headcounts (planning hires, also the hires and their cost),
        yearly cost, whether it met the targets."""
        hiring = self.dates is not None
        rows = [
            {
                **o.headcount,
                **({"hires": o.in_words(), "hires_cost": o.hires_cost} if hiring else {}),
                "cost_per_year": o.cost_per_year,
                "people": o.people,
                "meets_targets": o.meets,
                "missed": ", ".join(o.missed),
            }
            for o in self.evaluated
        ]
        return pd.DataFrame(rows).sort_values(
            ["meets_targets", "hires_cost" if hiring else "cost_per_year"],
            ascending=[False, True],
            ignore_index=True,
        )

    def hires_by_quarter(self, candidate: Candidate | None = None) -> pd.DataFrame | None:
        """Planning hires: a plan's hires (default: the chosen one's), a row per line and a
        column per plan quarter (Q1 joins in week 0 after warm-up, Q2 in week 13, ...);
        None when not planning hires or no plan is given or chosen."""
        candidate = candidate or self.chosen
        if self.dates is None or candidate is None:
            return None
        columns = [f"Q{j + 1}" for j in range(len(self.dates))]
        table = pd.DataFrame(0, index=list(self.today), columns=columns)
        for hire in candidate.hires:
            line = Staffing(hire["role"], hire.get("pod")).name
            table.loc[line, columns[self.dates.index(hire["at"])]] += hire["count"]
        return table

    def to_json(self) -> dict:
        chosen = self.chosen
        hiring = {}
        if self.dates is not None:
            hiring = {
                "hires": chosen.to_json()["hires"] if chosen else None,
                "hires_cost": chosen.hires_cost if chosen else None,
                "hire_dates": [f"{_weeks(at)}w" for at in self.dates],
            }
        return {
            "plan": chosen.headcount if chosen else None,
            **hiring,
            "cost_per_year": chosen.cost_per_year if chosen else None,
            "kpis": kpi_json(chosen.summary) if chosen else {},
            "alternatives": [o.to_json() for o in self.alternatives],
            "closest": self.closest.to_json() if chosen is None and self.closest else None,
            "largest_tried": self.largest.to_json() if self.largest else None,
            "scenario": self.scenario_name,
            "variant": self.variant,
            "targets": {k: t.model_dump(exclude_none=True) for k, t in self.targets.items()},
            "today": self.today,
            "utilization_cap": self.utilization_cap,
            "evaluated": len(self.evaluated),
            "stopped": self.stopped,
        }


def staffing_of(scenario: Scenario, variant: str, roles: list[str] | None = None) -> list[Staffing]:
    """The headcounts to plan: every line of every role that works a stage (or of `roles`)."""
    org = scenario.variant(variant).org
    worked = worked_roles(org)
    if roles is not None and (
        isinstance(roles, str) or not isinstance(roles, list | tuple | set | frozenset)
    ):
        why = f"{roles!r} is not a list of role names (roles: {', '.join(worked)})"
        raise ConfigError.unplaced("<arguments>", "roles", why)
    if roles is not None and not roles:
        why = f"names no role: leave it out to plan every role ({', '.join(worked)})"
        raise ConfigError.unplaced("<arguments>", "roles", why)
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
    for role in dict.fromkeys(roles or worked):
        if role in org.roles_in_pods():
            staffing += [
                Staffing(role, pod) for pod, spec in org.pods.items() if role in spec.members
            ]
        else:
            staffing.append(Staffing(role))
    return staffing


class _Budget(Exception):
    """The search has simulated `max_plans` plans."""


class _Headcounts:
    """Candidates as one headcount per line; the search minimises the yearly people cost."""

    per = "/year"

    def __init__(self, scenario: Scenario, lines: list[Staffing]):
        self.scenario, self.lines = scenario, lines
        org = scenario.variant().org
        self.today = [_current(org, line) for line in lines]
        self.prices = [org.roles[line.role].cost_per_year for line in lines]
        self.fixed_cost = org.cost_per_year() - sum(
            p * n for p, n in zip(self.prices, self.today, strict=True)
        )
        self.fixed_people = org.total_headcount() - sum(self.today)

    def headcount(self, counts: tuple[int, ...]) -> tuple[int, ...]:
        """Each line's headcount in the candidate."""
        return counts

    def yearly_cost(self, counts: tuple[int, ...]) -> float:
        """People cost per year (roles the plan does not change included)."""
        headcount = self.headcount(counts)
        return self.fixed_cost + sum(p * n for p, n in zip(self.prices, headcount, strict=True))

    def cost(self, counts: tuple[int, ...]) -> tuple[float, int]:
        """What the search minimises, and people."""
        return self.yearly_cost(counts), self.fixed_people + sum(self.headcount(counts))

    def hires(self, counts: tuple[int, ...]) -> list[dict] | None:
        return None

    def trial(self, counts: tuple[int, ...]) -> Scenario:
        return self.scenario.with_set(
            {line.path: n for line, n in zip(self.lines, counts, strict=True)}
        )


class _Hiring(_Headcounts):
    """Candidates as the hires of each line at each of `dates` (hours after warm-up), line by
    line: today's team stays as it is and the hires join it; the search minimises the hires'
    people cost over the measured horizon (a hire in week 26 of 52 costs half a year)."""

    per = ""

    def __init__(self, scenario: Scenario, lines: list[Staffing], dates: list[float]):
        super().__init__(scenario, lines)
        self.dates = dates
        org = scenario.variant().org
        self.price_of = {
            (line.role, line.pod): p for line, p in zip(lines, self.prices, strict=True)
        }
        self.planned_hires = [h.model_dump(exclude_none=True) for h in org.hires]
        self.joining = [
            sum(h.count for h in org.hires if (h.role, h.pod) == (line.role, line.pod))
            for line in lines
        ]
        """Each line's people from the org's own dated hires (and departures)."""

    def headcount(self, counts: tuple[int, ...]) -> tuple[int, ...]:
        """Each line's headcount once the candidate's hires (and the org's own) have joined."""
        step = len(self.dates)
        return tuple(
            n + joining + sum(counts[i * step : (i + 1) * step])
            for i, (n, joining) in enumerate(zip(self.today, self.joining, strict=True))
        )

    def cost(self, counts: tuple[int, ...]) -> tuple[float, int]:
        horizon = self.scenario.horizon
        cost = sum(
            self.price_of[h["role"], h.get("pod")] * h["count"] * (horizon - h["at"]) / YEAR
            for h in self.hires(counts)
        )
        return cost, self.fixed_people + sum(self.headcount(counts))

    def hires(self, counts: tuple[int, ...]) -> list[dict]:
        """A hiring candidate as `org.hires` entries (`at` in hours), in date order."""
        found = [
            {"role": line.role, "at": at, "count": counts[i * len(self.dates) + j]}
            | ({"pod": line.pod} if line.pod else {})
            for j, at in enumerate(self.dates)
            for i, line in enumerate(self.lines)
        ]
        return [hire for hire in found if hire["count"]]

    def trial(self, counts: tuple[int, ...]) -> Scenario:
        hires = self.planned_hires + self.hires(counts)
        return self.scenario.with_set({"org.hires": [{**h, "at": f"{h['at']}h"} for h in hires]})


class _Judge:
    """Simulates each candidate once, on the same seeds, and says whether it is feasible.

    A candidate is a tuple of counts, read by its encoding: headcounts (`_Headcounts`) or
    hires by date (`_Hiring`)."""

    def __init__(
        self,
        encoding: _Headcounts,
        targets: dict[str, Target],
        cap: float | None,
        simulate_plan: Callable[[Scenario], object],
        max_plans: int,
        bar,
    ):
        self.encoding, self.lines, self.targets, self.cap = encoding, encoding.lines, targets, cap
        self.simulate_plan, self.max_plans, self.bar = simulate_plan, max_plans, bar
        self.dates = getattr(encoding, "dates", None)
        self.seen: dict[tuple, Candidate] = {}
        self.roles = {line.role for line in self.lines}

    def cost(self, counts: tuple[int, ...]) -> tuple[float, int]:
        return self.encoding.cost(counts)

    def __call__(self, counts: tuple[int, ...]) -> Candidate:
        if counts not in self.seen:
            if len(self.seen) >= self.max_plans:
                raise _Budget
            encoding = self.encoding
            results = self.simulate_plan(encoding.trial(counts))
            summary, shortfalls = results.summary(raw=True), results.shortfalls()
            missed = self._missed(summary, shortfalls)
            behind = [s.evidence() for s in shortfalls if s.role not in self.roles]
            cost, people = encoding.cost(counts)
            headcount = encoding.headcount(counts)
            hires = encoding.hires(counts)
            self.seen[counts] = Candidate(
                {line.name: n for line, n in zip(self.lines, headcount, strict=True)},
                encoding.yearly_cost(counts),
                people,
                not missed,
                missed,
                summary,
                hires,
                None if hires is None else cost,
                behind,
            )
            best = self.best
            self.bar.set_postfix_str(
                f"best {self.cost(best)[0]:,.0f}{encoding.per}" if best else "none feasible yet"
            )
            self.bar.update(1)
        return self.seen[counts]

    def _missed(self, summary, shortfalls) -> list[str]:
        missed = [
            kpi
            for kpi, target in self.targets.items()
            if kpi not in summary.index
            or not target_rules.met(target, *summary.loc[kpi, ["ci_low", "ci_high", "n"]])
        ]
        missed += [f"keeps up: {s.role}" for s in shortfalls if s.role in self.roles]
        if self.cap is not None:
            for role in sorted(self.roles):
                kpi = catalogue.role_kpi(role, "utilization")
                if kpi not in self.targets and saturation.over(summary.loc[kpi, "mean"], self.cap):
                    missed.append(f"utilization cap: {role}")
        return missed

    def feasible(self, counts: tuple[int, ...]) -> bool:
        return self(counts).meets

    @property
    def best(self) -> tuple[int, ...] | None:
        """The cheapest feasible plan simulated so far."""
        feasible = [counts for counts, c in self.seen.items() if c.meets]
        return min(feasible, key=self.cost, default=None)


def _current(org, line: Staffing) -> int:
    if line.pod is None:
        return org.roles[line.role].headcount or 0
    return org.pods[line.pod].members.get(line.role, 0)


def _smallest(ok: Callable[[int], bool], low: int, high: int) -> int | None:
    """The smallest n in [low, high] with ok(n), by bisection (ok must be monotone: once
    true, true for every larger n); None when even ok(high) is false."""
    if not ok(high):
        return None
    while low < high:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle + 1
    return high


def _cheapest(judge, prefix: tuple[int, ...], top: tuple[int, ...], least: int = 1) -> tuple | None:
    """The cheapest feasible plan that starts with `prefix`, every later line at least
    `least` and at most its value in `top` (a feasible completion), or None."""
    i = len(prefix)
    n = len(top)

    def smallest(counts: tuple[int, ...]) -> int | None:
        def ok(value: int) -> bool:
            return judge.feasible((*counts[:i], value, *counts[i + 1 :]))

        return _smallest(ok, least, counts[i])

    if i == n - 1:
        last = smallest((*prefix, *top[i:]))
        return None if last is None else (*prefix, last)
    first = smallest((*prefix, *top[i:]))
    if first is None:
        return None
    best, bound = None, top
    for value in range(first, top[i] + 1):
        floor = judge.cost((*prefix, value, *[least] * (n - i - 1)))
        if judge.best is not None and floor >= judge.cost(judge.best):
            break  # even the fewest people in each later line cost more than the best found
        found = _cheapest(judge, (*prefix, value), bound, least)
        if found is not None:
            if best is None or judge.cost(found) < judge.cost(best):
                best = found
            if n - i - 1 == 1:  # one line left: its smallest value can only fall from here
                bound = found
    return best


def plan(
    scenario: Scenario | str | Path,
    targets: dict | None = None,
    variant: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    progress: bool | None = None,
    max_plans: int = 400,
    roles: list[str] | None = None,
    utilization_cap: float | None = saturation.BUSY,
    hires: bool = False,
    allow_large: bool = False,
) -> Plan:
    """The least-cost headcount per line that meets every target (see the module's notes).

    Args:
        scenario: a `Scenario` or the path of a scenario file.
        targets: {kpi: {"min": x} | {"max": x} | Target}; default: the scenario's.
        variant: which design to staff (default: the first); only its org changes.
        replications, seed: for the simulations that judge each candidate.
        executor: where to run them (default: this process).
        progress: show a progress bar with the plans simulated and the best so far.
        max_plans: stop after simulating this many plans (the answer then says so).
        roles: plan only these roles (the others keep their headcount and are not
            judged); default: every role that works a stage. Costs come from each
            role's `cost_per_year`, planned or not.
        utilization_cap: every planned role stays at or below this utilization unless a
            target says otherwise; None switches the cap off.
        hires: plan when to hire how many instead of a headcount: today's team stays
            (with its attrition and backfills) and hires join at the start of a plan
            quarter (see the module's notes); pairs with dated targets such as
            `quarter.4.won_per_week`.
        allow_large: simulate even when a replication would not fit in memory.

    Returns:
        `Plan`: `.chosen` (headcount, yearly cost, KPI summary; planning hires, also
        `.hires` and `.hires_cost`, and the plan's `.hires_by_quarter()`) or None when no
        candidate met every target (`.closest` is then the nearest miss), `.today`,
        `.alternatives`, `.stopped` (why the search ended early, if it did), and
        `.table()` of every candidate simulated.

    Raises:
        ConfigError: no targets, or a target that names no KPI of the scenario, or a
            role that works no stage.

    Example:
        >>> result = orgsim.plan("scenarios/headcount_plan.yaml", roles=["sdr", "ae"])
        >>> result.chosen.headcount, result.chosen.cost_per_year
    """
    scenario = as_scenario(scenario).with_run(replications=replications, seed=seed)
    _check_search(utilization_cap, max_plans, hires)
    variant = scenario.variant(variant).name
    scenario = scenario.only(variant)  # headcounts change this variant's org alone
    targets = _targets(scenario, targets)
    lines = staffing_of(scenario, variant, roles)
    org = scenario.variant().org
    today = tuple(max(1, _current(org, line)) for line in lines)
    dates = None
    if hires:
        dates = [q * catalogue.QUARTER for q in range(max(1, catalogue.quarters(scenario.horizon)))]
    with tqdm(
        desc="plans simulated",
        unit="plan",
        disable=None if progress is None else not progress,
        leave=False,
    ) as bar:
        simulated = partial(
            _simulated, targets=targets, seed=seed, executor=executor, allow_large=allow_large
        )
        encoding = _Hiring(scenario, lines, dates) if hires else _Headcounts(scenario, lines)
        judge = _Judge(encoding, targets, utilization_cap, simulated, max_plans, bar)
        strategy = _headcount if dates is None else _hiring
        stopped, largest = _search(judge, strategy, today, max_plans)
    candidates = list(judge.seen.values())
    best = sorted((c for c in candidates if c.meets), key=Candidate.key)
    return Plan(
        scenario.name,
        variant,
        targets,
        {line.name: _current(org, line) for line in lines},
        best[0] if best else None,
        candidates,
        stopped,
        utilization_cap,
        largest,
        dates,
    )


def _simulated(trial: Scenario, targets, seed, executor, allow_large) -> Results:
    """One plan's simulations, stopped early once a target is surely missed
    (`sequential.feasibility`): from the fewest of 5 and the count asked (with
    `replications: auto`, its least) up to that count (its most)."""
    auto = trial.auto
    most = auto.most if auto else trial.replications
    least = auto.least if auto else min(most, FIRST_LOOK)
    if most < 2:  # no interval to judge early by
        return simulate(
            trial, seed=seed, executor=executor, progress=False, allow_large=allow_large
        )
    staged = trial.model_copy(update={"targets": targets}).with_run(
        replications="auto", seed=seed, least=least, most=most
    )
    name = next(iter(staged.variants))
    found = run_variants(
        staged, [name], None, None, executor=executor, progress=False, allow_large=allow_large,
        rule=sequential.feasibility, details=False,
    )  # fmt: skip
    return found[name]


def _search(judge: _Judge, strategy, today: tuple[int, ...], max_plans: int):
    """Run a strategy within the budget of plans: (why it stopped early or None, the largest
    plan tried when none is feasible)."""
    try:
        return None, strategy(judge, today)
    except _Budget:
        found = judge.best is not None
        return f"the search stopped after {max_plans} plans (max_plans) " + (
            "before it could prove the plan shown the cheapest: it is the cheapest found"
            if found
            else "before it found a plan that meets every target: the closest is shown"
        ), None


def _headcount(judge: _Judge, today: tuple[int, ...]) -> Candidate | None:
    """The cheapest headcount per line: bracket a feasible box, then bisect line by line;
    the largest plan tried when even the box's top is not feasible."""
    top, feasible = _feasible_box(judge, today, _largest(today))
    if not feasible:
        return judge(top)
    _cheapest(judge, (), top)
    return None


def _hiring(judge: _Judge, today: tuple[int, ...]) -> Candidate | None:
    """The cheapest hires at the start (today's team stays), then each hire deferred to the
    latest quarter that still meets the targets."""
    start = _AtStart(judge)
    top, feasible = _feasible_box(start, (0,) * len(today), _largest(today))
    if not feasible:
        return judge(start.full(top))
    counts = _cheapest(start, (), top, least=0) or start.best  # None: no hires is cheapest
    _defer(judge, start.full(counts))
    return None


def _largest(today: tuple[int, ...]) -> tuple[int, ...]:
    """The most people (or hires) per line the search tries."""
    return tuple(LARGEST * n + 20 for n in today)


def _feasible_box(
    judge, counts: tuple[int, ...], largest: tuple[int, ...]
) -> tuple[tuple[int, ...], bool]:
    """A feasible plan grown from `counts` (today's headcount, or no hires), or the largest
    tried and False."""
    while True:
        if judge.feasible(counts):
            return counts, True
        if counts == largest:
            return counts, False
        counts = tuple(
            min(top, max(n + 1, math.ceil(n * GROWTH)))
            for n, top in zip(counts, largest, strict=True)
        )


class _AtStart:
    """Hiring plans with every hire at the first date, seen as one count per line, so the
    headcount search (`_feasible_box`, `_cheapest`) can find how many to hire."""

    def __init__(self, judge: _Judge):
        self.judge, self.step = judge, len(judge.dates)

    def full(self, counts: tuple[int, ...]) -> tuple[int, ...]:
        return tuple(x for n in counts for x in (n, *[0] * (self.step - 1)))

    def feasible(self, counts: tuple[int, ...]) -> bool:
        return self.judge.feasible(self.full(counts))

    def cost(self, counts: tuple[int, ...]) -> tuple[float, int]:
        return self.judge.cost(self.full(counts))

    @property
    def best(self) -> tuple[int, ...] | None:
        best = self.judge.best  # while the count is searched, every plan seen hires at start
        if best is None:
            return None
        return tuple(sum(best[i : i + self.step]) for i in range(0, len(best), self.step))


def _defer(judge: _Judge, counts: tuple[int, ...]) -> tuple[int, ...]:
    """Each hire as late as the targets allow: date by date, and line by line, the most of
    the line's hires at the date before that can join at this date instead (by bisection on
    how many stay: on common random numbers, hiring earlier never makes a target worse)."""
    step = len(judge.dates)
    counts = list(counts)
    for j in range(1, step):
        for i in range(len(judge.lines)):
            early = i * step + j - 1
            hires = counts[early]

            def ok(kept: int, early=early, hires=hires) -> bool:
                trial = counts.copy()
                trial[early], trial[early + 1] = kept, trial[early + 1] + hires - kept
                return judge.feasible(tuple(trial))

            if hires:
                kept = _smallest(ok, 0, hires)  # ok(hires) is the plan so far: feasible
                counts[early], counts[early + 1] = kept, counts[early + 1] + hires - kept
    return tuple(counts)


def _check_search(cap, max_plans, hires) -> None:
    """The planner's own arguments, held to the bounds the command line holds them to."""
    problems = []
    if not isinstance(hires, bool):
        problems.append(Problem.unplaced("<arguments>", "hires", f"{hires!r}: pass True or False"))
    if cap is not None and (
        isinstance(cap, bool) or not isinstance(cap, int | float) or not 0 <= cap <= 1
    ):
        problems.append(
            Problem.unplaced(
                "<arguments>", "utilization_cap",
                f"{cap!r} is not a share: write 0.85 for 85% (None: no cap)",
            )
        )  # fmt: skip
    if isinstance(max_plans, bool) or not isinstance(max_plans, int) or max_plans < 1:
        why = f"{max_plans!r}: the search needs at least 1 plan to simulate"
        problems.append(Problem.unplaced("<arguments>", "max_plans", why))
    if problems:
        raise ConfigError(problems)


def _targets(scenario: Scenario, targets: dict | None) -> dict[str, Target]:
    if targets is None:
        targets = scenario.targets
    if not targets:
        raise ConfigError.unplaced(
            scenario.file or "<scenario>",
            "targets",
            "the planner needs targets: add `targets:` to the scenario "
            "or pass them (orgsim plan --target 'won_per_week>=9')",
        )
    return target_rules.read(targets, scenario.kpi_names())
