"""Which roles of a design do not keep up, so that no result hides an overload.

A role falls behind when its backlog grows through the second half of the
horizon while it is busy (`role.<r>.backlog_growth`, its 95% interval above
zero, at a utilization of at least `BUSY`), or when the analytic model puts the
work that reaches it in the long run at or above its hours: loops such as
renewals take years to fill, so a one-year simulation can look fine while the
queue is about to take off. Growth alone is not enough: a queue that rises with
seasonal demand at a role with room to spare is not an overload.
"""

from __future__ import annotations

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
            "long_run_utilization": self.long_run_utilization,
        }

    @classmethod
    def from_json(cls, data: dict) -> Shortfall:
        growth = data["backlog_growth"]
        return cls(data["role"], tuple(growth) if growth else None, data["long_run_utilization"])


def shortfalls(
    summary: pd.DataFrame, roles: list[str], scenario: Scenario | None, variant: str
) -> list[Shortfall]:
    """The roles of one design that do not keep up, from its KPI summary (mean and interval
    per KPI) and, when the scenario is at hand, its analytic long-run load."""
    long_run = {}
    if scenario is not None:
        for role, load in capacity(scenario, variant).roles.items():
            if load.method != NO_ESTIMATE and load.utilization >= 1:
                long_run[role] = load.utilization
    found = []
    for role in roles:
        growth = _growing(summary, role)
        if growth is not None or role in long_run:
            found.append(Shortfall(role, growth, long_run.get(role)))
    return found


def _growing(summary: pd.DataFrame, role: str) -> tuple[float, float, float] | None:
    name = f"role.{role}.backlog_growth"
    if name not in summary.index:
        return None
    row = summary.loc[name]
    busy = summary.loc[f"role.{role}.utilization", "mean"]
    if row["ci_low"] > 0 and busy >= BUSY:
        return (float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
    return None
