"""Each named person's results, with intervals over replications (`Results.people`,
`orgsim run --by person`): what a VP asks of a team first, who wins how much.

A person's rows are added up within a replication first (one person may hold two rows: the
seat before and after a transition's switch; their role then reads `ae → sales_manager`
and their utilization is over all their hours at work), then the mean and its 95% interval
are taken over replications; a replication in which the person won nothing counts as 0,
not as missing. A person whose role carries a quota has its attainment: the credit it
earned over the quota it carried in its seat (pay.py). Intervals are cut to what the figure
can be (no count below 0, no share above 100%, no attainment below 0).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgsim.measure.stats import interval

COLUMNS = ("won", "won_value", "attainment", "utilization", "tasks")
"""What is reported per person, in the order a table shows it."""


def people(reps: pd.DataFrame) -> pd.DataFrame:
    """One row per named person (roster order): role, then the mean, `_low` and `_high` of
    each of COLUMNS; empty where no one is named."""
    named = reps[reps["person"].astype(str) != ""] if "person" in reps else reps.iloc[:0]
    if named.empty:
        return pd.DataFrame(columns=["person", "role", *_columns()])
    for column in ("quota", "credit"):  # results saved before quotas have neither
        if column not in named:
            named = named.assign(**{column: np.nan})
    per_run = named.groupby(["person", "replication"], sort=False).agg(
        role=("role", lambda roles: " → ".join(dict.fromkeys(roles))),
        won=("won", "sum"),
        won_value=("won_value", "sum"),
        tasks=("tasks", "sum"),
        hours_worked=("hours_worked", "sum"),
        hours_at_work=("hours_at_work", "sum"),
        quota=("quota", lambda q: q.sum(min_count=1)),
        credit=("credit", "sum"),
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        per_run["utilization"] = per_run["hours_worked"] / per_run["hours_at_work"]
        per_run["attainment"] = per_run["credit"] / per_run["quota"]
    replications = reps["replication"].unique()
    rows = []
    for person in dict.fromkeys(named["person"]):
        mine = per_run.loc[person].reindex(replications)
        row = {"person": person, "role": mine["role"].dropna().iloc[-1]}
        for column in COLUMNS:
            shares = ("utilization", "attainment")  # not 0 where undefined
            values = mine[column] if column in shares else mine[column].fillna(0)
            ci = interval(values)
            low, high = max(ci.low, 0.0), ci.high  # counts and shares are never below 0
            if column == "utilization":
                high = min(high, 1.0)  # nor a share above 1
            row |= {column: ci.mean, f"{column}_low": low, f"{column}_high": high}
        rows.append(row)
    return pd.DataFrame(rows)


def _columns() -> list[str]:
    return [f"{c}{end}" for c in COLUMNS for end in ("", "_low", "_high")]
