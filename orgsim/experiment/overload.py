"""Which roles of a design do not keep up, so that no result hides an overload.

A role falls behind when its backlog grows through the second half of the
horizon (`role.<r>.backlog_growth`, its 95% interval above zero) and either the
role is busy (utilization at least `BUSY`) or the backlog grows by at least one
item per rep a week (a pod can drown while its role as a whole looks idle), or
when the analytic model puts the work that reaches it in the long run at or
above its hours: loops such as renewals take years to fill, so a one-year
simulation can look fine while the queue is about to take off. Growth alone is
not enough: a queue that rises a little with seasonal demand at a role with
room to spare is not an overload. The long-run check is skipped where buyers
give up or leads are recycled, since the analytic flows are not reliable there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from orgsim.analytic.capacity import NO_ESTIMATE, capacity
from orgsim.config.kpis import BUSY
from orgsim.config.scenario import Scenario


@dataclass(frozen=True)
class Shortfall:
    """A role that does not keep up, and the evidence."""

    role: str
    growth: tuple[float, float, float] | None = None
    """Measured backlog growth, items per week: mean and 95% interval."""
    long_run_utilization: float | None = None
    """Analytic utilization once every loop has filled, when it is at or above 1."""

    def to_json(self) -> dict:
        return {
            "role": self.role,
            "backlog_growth": list(self.growth) if self.growth else None,
            # infinite when nobody is in the role: JSON has no Infinity, so null (the reason
            # is in `nobody_in_role`)
            "long_run_utilization": self.long_run_utilization
            if self.long_run_utilization is None or math.isfinite(self.long_run_utilization)
            else None,
            "nobody_in_role": bool(self.long_run_utilization == math.inf),
        }

    @classmethod
    def from_json(cls, data: dict) -> Shortfall:
        growth = data["backlog_growth"]
        long_run = math.inf if data.get("nobody_in_role") else data["long_run_utilization"]
        return cls(data["role"], tuple(growth) if growth else None, long_run)


def shortfalls(
    summary: pd.DataFrame, roles: list[str], scenario: Scenario | None, variant: str
) -> list[Shortfall]:
    """The roles of one design that do not keep up, from its KPI summary (mean and interval
    per KPI) and, when the scenario is at hand, its analytic long-run load."""
    long_run = {}
    if scenario is not None:
        analytic = capacity(scenario, variant, loads_only=True, long_run=True)
        reliable = all(load.method != NO_ESTIMATE for load in analytic.roles.values())
        for role, load in analytic.roles.items():
            if reliable and load.utilization >= 1:
                long_run[role] = load.utilization
    people = scenario.variant(variant).orgs[-1] if scenario is not None else None  # at the end
    found = []
    for role in roles:
        reps = people.headcount(role) if people is not None and role in people.roles else None
        growth = _growing(summary, role, reps)
        if growth is not None or role in long_run:
            found.append(Shortfall(role, growth, long_run.get(role)))
    return found


def _growing(
    summary: pd.DataFrame, role: str, reps: int | None
) -> tuple[float, float, float] | None:
    name = f"role.{role}.backlog_growth"
    if name not in summary.index:
        return None
    row = summary.loc[name]
    busy = summary.loc[f"role.{role}.utilization", "mean"] >= BUSY
    steep = reps is not None and row["mean"] >= max(1, reps)
    if row["ci_low"] > 0 and (busy or steep):
        return (float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
    return None
