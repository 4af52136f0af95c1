"""What a reorganisation costs while it happens, and when it pays back (docs/scenario-language.md).

A variant that switches org during the run is compared week by week with the first variant
(today's org, no switch). Replication i of both saw the same leads with the same luck
(common random numbers), so each week's difference is paired, replication by replication,
and before the switch it is exactly zero. From the weekly tables (`tables.weekly`) of both:

- the *cumulative difference* of new ARR (deal value won) and of deals won, week by week
  from the end of warm-up, each with its pointwise 95% t interval;
- the *dip*: the cumulative difference at its deepest week after the switch (the week where
  the mean of new ARR is lowest), with its interval: what the switch has cost by then;
- the *payback week*: the first week from which the mean cumulative difference of new ARR
  stays at or above zero to the end of the horizon (None: not within the horizon); and the
  *sure payback week*, the same for the interval's lower bound (95% sure it has paid back,
  week by week).

Weeks count from 1, the first week after warm-up; the switch happens in week
`switch_week`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgsim.config.units import WEEK
from orgsim.measure.stats import Interval, interval

MEASURES = {"won_value": "new ARR", "won": "deals won"}
"""The weekly columns a transition is costed on, and what the planner calls them."""


def switch_week(at_hours: float) -> int:
    """The measured week (from 1) in which a switch `at_hours` after warm-up happens."""
    return int(at_hours // WEEK) + 1


def _weeks(timeseries: pd.DataFrame, variant: str, column: str) -> pd.DataFrame:
    """Replications x measured weeks (numbered from 1) of one weekly column."""
    rows = timeseries[(timeseries["variant"] == variant) & ~timeseries["warmup"]]
    table = rows.pivot(index="replication", columns="week", values=column)
    table.columns = np.arange(1, len(table.columns) + 1)
    return table


def _running(timeseries: pd.DataFrame, variant: str, against: str, column: str) -> pd.DataFrame:
    """Replications x measured weeks: the cumulative paired difference of one weekly column."""
    difference = _weeks(timeseries, variant, column) - _weeks(timeseries, against, column)
    return difference.cumsum(axis=1)


def _by_week(running: pd.DataFrame) -> pd.DataFrame:
    cis = [interval(running[week]) for week in running.columns]
    return pd.DataFrame(
        {
            "week": running.columns,
            "mean": [c.mean for c in cis],
            "low": [c.low for c in cis],
            "high": [c.high for c in cis],
        }
    )


def cumulative(
    timeseries: pd.DataFrame, variant: str, against: str, column: str = "won_value"
) -> pd.DataFrame:
    """Per measured week, the cumulative paired difference (variant minus `against`) of a
    weekly column: its mean and pointwise 95% interval."""
    return _by_week(_running(timeseries, variant, against, column))


@dataclass(frozen=True)
class Payback:
    """A switch's cost and payback against today's org (see the module's docstring)."""

    variant: str
    against: str
    at: float
    """Hours after warm-up of the switch."""
    switch_week: int
    weeks: int
    """Measured weeks in the horizon."""
    dip_week: int | None
    """The deepest week of the mean cumulative new-ARR difference (None: it never dips)."""
    dip: dict[str, Interval]
    """By measure (`MEASURES`), the cumulative difference at `dip_week`."""
    payback_week: int | None
    sure_payback_week: int | None
    at_end: dict[str, Interval]
    """By measure, the cumulative difference over the whole horizon."""


def payback(timeseries: pd.DataFrame, variant: str, against: str, at_hours: float) -> Payback:
    """The dip and payback of `variant`, which switches org `at_hours` after warm-up."""
    first = switch_week(at_hours)
    running = {column: _running(timeseries, variant, against, column) for column in MEASURES}
    arr = _by_week(running["won_value"])
    after = arr[arr["week"] >= first]
    deepest = after.loc[after["mean"].idxmin()] if len(after) else None
    dip_week = int(deepest["week"]) if deepest is not None and deepest["mean"] < 0 else None
    return Payback(
        variant=variant,
        against=against,
        at=at_hours,
        switch_week=first,
        weeks=len(arr),
        dip_week=dip_week,
        dip={
            column: interval(table[dip_week] if dip_week else np.zeros(len(table)))
            for column, table in running.items()
        },
        payback_week=_stays_up(arr["week"], arr["mean"]),
        sure_payback_week=_stays_up(arr["week"], arr["low"]),
        at_end={column: interval(table[table.columns[-1]]) for column, table in running.items()},
    )


def _stays_up(weeks: pd.Series, values: pd.Series) -> int | None:
    """The first week from which `values` stay at or above zero to the end (None: never)."""
    below = np.flatnonzero(~(values.to_numpy() >= 0))  # NaN counts as not sure
    if len(below) == 0:
        return int(weeks.iloc[0])
    if below[-1] == len(values) - 1:
        return None
    return int(weeks.iloc[below[-1] + 1])
