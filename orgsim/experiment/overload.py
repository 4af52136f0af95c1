"""Which roles of a design do not keep up, so that no result hides an overload, and when
the others will run out of hours.

A role falls behind when its backlog grows through the second half of the
horizon (`role.<r>.backlog_growth`, its 95% interval above zero) and either the
role is busy (utilization above `BUSY`) or the backlog grows by at least one
item per rep a week (a pod can drown while its role as a whole looks idle), or
when the analytic model puts its work in some plan quarter of the horizon at or
above its hours (`capacity`'s `load_by_quarter`, as the customer base and the
people change): a simulation that starts from a full org can look fine while the
renewals due next quarter are about to swamp it. Growth alone is not enough: a
queue that rises a little with seasonal demand at a role with room to spare is
not an overload. A role whose work reaches its hours only after the horizon
keeps up; the week it will (`reaches_hours_week`) is a dated note, a hire to plan.
The analytic checks are skipped where buyers give up or leads are recycled,
since the analytic flows are not reliable there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from orgsim.analytic.capacity import Capacity, capacity
from orgsim.analytic.waits import NO_ESTIMATE
from orgsim.config import saturation
from orgsim.config.kpis import role_kpi
from orgsim.config.scenario import Scenario


@dataclass(frozen=True)
class Shortfall:
    """A role that does not keep up, and the evidence."""

    role: str
    growth: tuple[float, float, float] | None = None
    """Measured backlog growth, items per week: mean and 95% interval."""
    quarter_load: float | None = None
    """Analytic load in the fullest plan quarter of the horizon, when it is at or above 1
    (infinite when nobody is in the role)."""
    quarter: int | None = None
    """That quarter (1 is the first 13 weeks after warm-up)."""
    pod: str | None = None
    """The pod whose quarter that is, for a role in pods (its other pods may keep up)."""

    def to_json(self) -> dict:
        finite = self.quarter_load is None or math.isfinite(self.quarter_load)
        return {
            "role": self.role,
            "backlog_growth": list(self.growth) if self.growth else None,
            # infinite when nobody is in the role: JSON has no Infinity, so null (the reason
            # is in `nobody_in_role`)
            "quarter_load": self.quarter_load if finite else None,
            "quarter": self.quarter,
            "pod": self.pod,
            "nobody_in_role": not finite,
        }

    @classmethod
    def from_json(cls, data: dict) -> Shortfall:
        growth = data["backlog_growth"]
        load = math.inf if data.get("nobody_in_role") else data.get("quarter_load")
        return cls(
            data["role"], tuple(growth) if growth else None, load, data.get("quarter"),
            data.get("pod"),
        )  # fmt: skip

    def evidence(self) -> tuple:
        """(role, growth, quarter load, quarter), as `report.format.shortfalls` reads it;
        the role names its pod where the quarter is one pod's."""
        who = f"{self.role} in {self.pod}" if self.pod else self.role
        return who, self.growth, self.quarter_load, self.quarter


@dataclass(frozen=True)
class RunsOut:
    """A role that keeps up over the horizon but whose work reaches its hours later, as the
    customer base grows: the week (after warm-up) to have a hire in place by."""

    role: str
    week: int

    def to_json(self) -> dict:
        return {"role": self.role, "week": self.week}


def shortfalls(
    summary: pd.DataFrame, roles: list[str], scenario: Scenario | None, variant: str
) -> tuple[list[Shortfall], list[RunsOut]]:
    """The roles of one design that do not keep up, from its KPI summary (mean and interval
    per KPI) and, when the scenario is at hand, its analytic load quarter by quarter; and
    the roles that keep up but run out of hours after the horizon."""
    fullest, later = {}, []
    if scenario is not None:
        analytic = capacity(scenario, variant, loads_only=True)
        if all(load.method != NO_ESTIMATE for load in analytic.roles.values()):
            fullest, later = _over_time(analytic)
    people = scenario.variant(variant).orgs[-1] if scenario is not None else None  # at the end
    found = []
    for role in roles:
        reps = people.headcount(role) if people is not None and role in people.roles else None
        growth = _growing(summary, role, reps)
        if growth is not None or role in fullest:
            load, quarter, pod = fullest.get(role, (None, None, None))
            found.append(Shortfall(role, growth, load, quarter, pod))
    behind = {s.role for s in found}
    return found, [r for r in later if r.role not in behind]


def _over_time(analytic: Capacity) -> tuple[dict[str, tuple], list[RunsOut]]:
    """Roles whose fullest quarter of the horizon (or one pod's) is at or above their hours,
    with that load, quarter and pod; and the others whose work reaches their hours later
    (from a week near the horizon's end, or after it)."""
    fullest = {
        r: (*load.fullest_quarter, load.fullest_pod)
        for r, load in analytic.roles.items()
        if load.fullest_quarter
    }
    later = [
        RunsOut(r, load.runs_out_week) for r, load in analytic.roles.items() if load.runs_out_week
    ]
    return fullest, later


def _growing(
    summary: pd.DataFrame, role: str, reps: int | None
) -> tuple[float, float, float] | None:
    name = role_kpi(role, "backlog_growth")
    if name not in summary.index:
        return None
    row = summary.loc[name]
    busy = saturation.over(summary.loc[role_kpi(role, "utilization"), "mean"])
    steep = reps is not None and row["mean"] >= max(1, reps)
    if row["ci_low"] > 0 and (busy or steep):
        return (float(row["mean"]), float(row["ci_low"]), float(row["ci_high"]))
    return None
