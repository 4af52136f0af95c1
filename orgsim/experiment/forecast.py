"""`orgsim.forecast`: the quarter's bookings from today's open pipeline and tomorrow's
leads, worked by the org as it will be, as a distribution rather than one number.

A CRM's weighted pipeline multiplies each deal by its stage's chance and adds them up; it
knows nothing of when deals close, who has the hours to work them, or the leads that have
not arrived yet. Here the market's `book` (today's open pipeline and customers) and its
sources run through the org for the horizon, many times over, and every booking is
counted by when it lands, where it came from (the open pipeline or a new lead), its
segment and who won it. The spread over replications is the forecast's uncertainty: the
10th, 50th and 90th percentiles, so that "80% of quarters land between" reads directly.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic_core import PydanticCustomError

from orgsim.config.errors import ConfigError
from orgsim.config.scenario import Scenario
from orgsim.config.units import WEEK, parse_duration
from orgsim.engine.model import Model
from orgsim.engine.recorder import Records
from orgsim.experiment.results import as_scenario, simulate
from orgsim.measure.stats import paired

METRICS = ("won", "won_value")
QUANTILES = {"p10": 10, "p50": 50, "p90": 90}
SCOPES = ("month", "origin", "segment", "owner")


@dataclass
class Forecast:
    """Every booking of every replication (`bookings`: replication, week, month, origin,
    segment, owner: a named person of the roster or empty, value) and what the forecast
    covered."""

    bookings: pd.DataFrame
    replications: int
    horizon_weeks: float
    start: date
    variant: str
    behind: list[tuple] = field(default_factory=list)
    """Roles that do not keep up over the horizon (`Shortfall.evidence()`): a forecast that
    leans on a queue growing without end says so wherever it is shown."""

    def totals(self, by: str | None = None) -> pd.DataFrame:
        """Per replication (and `by`), deals won and value won, zeros included: what the
        percentiles are taken over."""
        keys = ["replication"] if by is None else ["replication", by]
        kept = self.bookings if by is None else self.bookings[self.bookings[by] != ""]
        grouped = kept.groupby(keys, observed=True)["value"].agg(["size", "sum"])
        grouped.columns = list(METRICS)
        if by is None:
            return grouped.reindex(range(self.replications), fill_value=0)
        levels = [level for level in self.bookings[by].dropna().unique() if level != ""]
        full = pd.MultiIndex.from_product([range(self.replications), sorted(levels)], names=keys)
        return grouped.reindex(full, fill_value=0)

    def summary(self, by: str | None = None) -> pd.DataFrame:
        """Mean and 10th, 50th and 90th percentiles of deals won and value won, overall or
        by `month`, `origin` (open pipeline or new leads), `segment` or `owner`. Each
        percentile is one replication's value (nearest rank), so counts stay whole."""
        if by not in (None, *SCOPES):
            raise ConfigError.unplaced("<arguments>", "by", f"one of {', '.join(SCOPES)}")
        totals = self.totals(by)
        rows = []
        groups = [(None, totals)] if by is None else totals.groupby(level=by)
        for key, frame in groups:
            for metric in METRICS:
                values = frame[metric].to_numpy(dtype=float)
                row = {"metric": metric, "mean": values.mean()}
                row |= {
                    q: float(np.percentile(values, p, method="nearest"))
                    for q, p in QUANTILES.items()
                }
                rows.append(row if by is None else {by: key, **row})
        return pd.DataFrame(rows)

    def month_days(self) -> dict[str, tuple[int, int]]:
        """Per calendar month the horizon touches, (days of it inside the horizon, days in
        the month): a month cut by the horizon's start or end is only part of one."""
        days = pd.date_range(self.start, periods=round(self.horizon_weeks * 7), freq="D")
        inside = days.to_period("M").value_counts()
        return {str(m): (int(n), m.days_in_month) for m, n in inside.sort_index().items()}

    def to_frame(self) -> pd.DataFrame:
        """Every summary in one tidy frame: scope (overall, month, origin, segment, owner),
        key, metric, mean, p10, p90, and for a month cut by the horizon `part` ("6 of 30
        days"; empty otherwise)."""
        parts = [self.summary().assign(scope="overall", key="")]
        for scope in SCOPES:
            part = self.summary(scope)
            # one segment (or month) only repeats the overall line
            if not part.empty and (scope == "owner" or part[scope].nunique() > 1):
                parts.append(part.rename(columns={scope: "key"}).assign(scope=scope))
        frame = pd.concat(parts, ignore_index=True)
        cut = {m: f"{n} of {d} days" for m, (n, d) in self.month_days().items() if n < d}
        frame["part"] = [
            cut.get(key, "") if scope == "month" else ""
            for scope, key in zip(frame["scope"], frame["key"], strict=True)
        ]
        return frame[["scope", "key", "metric", "mean", *QUANTILES, "part"]]

    def to_json(self) -> dict:
        """As docs/scenario-language.md writes it: overall, `by_month`, `by_origin`,
        `by_segment`, `by_owner`."""

        def numbers(frame: pd.DataFrame) -> dict:
            return {
                row["metric"]: {k: float(row[k]) for k in ("mean", *QUANTILES)}
                for _, row in frame.iterrows()
            }

        out = {
            "variant": self.variant,
            "replications": self.replications,
            "horizon_weeks": self.horizon_weeks,
            "start": self.start.isoformat(),
            "does_not_keep_up": [evidence[0] for evidence in self.behind],
            **numbers(self.summary()),
        }
        for scope in SCOPES:
            table = self.summary(scope)
            out[f"by_{scope}"] = (
                [{scope: key, **numbers(rows)} for key, rows in table.groupby(scope, sort=False)]
                if not table.empty
                else []
            )
        days = self.month_days()
        for month in out["by_month"]:
            month["days"] = days[month["month"]][0]  # inside the horizon
        return out

    def against(self, baseline: Forecast) -> pd.DataFrame:
        """Deals won and value won minus `baseline`'s (another variant forecast with the same
        seed and replications), replication by replication: the same leads with the same
        luck, so "what losing this deal costs the quarter" is its mean with a 95% interval
        (columns metric, mean, low, high)."""
        mine = (self.replications, self.start, self.horizon_weeks)
        if (baseline.replications, baseline.start, baseline.horizon_weeks) != mine:
            raise ConfigError.unplaced(
                "<arguments>",
                "baseline",
                "forecast both with the same start, horizon and replications (and seed)",
            )
        mine, theirs = self.totals(None), baseline.totals(None)
        rows = []
        for metric in METRICS:
            gap = paired(mine[metric], theirs[metric])
            rows.append({"metric": metric, "mean": gap.mean, "low": gap.low, "high": gap.high})
        return pd.DataFrame(rows)

    def cumulative(self) -> pd.DataFrame:
        """Value won by the end of each week of the horizon, per replication (the fan)."""
        weeks = int(np.ceil(self.horizon_weeks))
        by_week = self.bookings.groupby(["replication", "week"])["value"].sum()
        full = pd.MultiIndex.from_product(
            [range(self.replications), range(weeks)], names=["replication", "week"]
        )
        return by_week.reindex(full, fill_value=0.0).groupby(level="replication").cumsum()

    def plot(self):
        """A fan chart: value won to date, week by week, its 10-90 and 25-75 bands."""
        from orgsim.report.figures import forecast_fan

        return forecast_fan(self.cumulative().unstack("week"), self.horizon_weeks)


def _bookings(records: Records, model: Model, start: date, horizon: float) -> pd.DataFrame:
    """One replication's wins inside the horizon, with where each came from and who won it."""
    wins, leads = records.wins, records.leads
    inside = wins["time"] < horizon
    lead = wins["lead"][inside]
    source = leads["source"][lead]
    rep = wins["rep"][inside]
    names = np.append(records.reps["person"], "")  # only a named person is an owner
    when = pd.Timestamp(start) + pd.to_timedelta(wins["time"][inside], unit="h")
    return pd.DataFrame(
        {
            "week": (wins["time"][inside] // WEEK).astype(int),
            "month": when.to_period("M").astype(str),
            "origin": np.where(source < 0, "open pipeline", "new leads"),
            "segment": np.array(model.segments, dtype=object)[leads["segment"][lead]],
            "owner": names[np.where(rep >= 0, rep, -1)].astype(object),
            "value": wins["value"][inside],
        }
    )


def forecast(
    scenario: Scenario | str | Path,
    horizon: str | None = None,
    replications: int | None = None,
    seed: int | None = None,
    variant: str | None = None,
    executor: Executor | None = None,
) -> Forecast:
    """Bookings over `horizon` (`13w`, default the scenario's) from the market's book and
    its sources, worked by the variant's org (its hires, departures and switch included),
    with no warm-up: the run starts today, at the scenario's `start`."""
    today = starting_today(as_scenario(scenario), horizon)
    hours = today.horizon
    results = simulate(today, replications, seed, variant, records=True, executor=executor)
    start = today.start
    bookings = results.per_replication(lambda r, m: _bookings(r, m, start, hours))
    return Forecast(
        bookings=bookings,
        replications=results.replications,
        horizon_weeks=hours / WEEK,
        start=start,
        variant=results.variant,
        behind=[shortfall.evidence() for shortfall in results.shortfalls()],
    )


def starting_today(scenario: Scenario, horizon: str | None) -> Scenario:
    """The scenario a forecast runs: from its start with no warm-up, for `horizon`."""
    hours = scenario.horizon if horizon is None else forecast_horizon(horizon)
    return scenario.model_copy(update={"horizon": hours, "warmup": 0.0})


def nearest_rank(replications: int, percentile: float) -> int:
    """Which of `replications` sorted outcomes (1 = the smallest) a nearest-rank
    `percentile` is: the 10th of 20 is the 3rd."""
    ranks = np.arange(1, replications + 1)
    return int(np.percentile(ranks, percentile, method="nearest"))


LONGEST = 520 * WEEK
"""The furthest a forecast looks: ten years (a planning horizon, not a simulation's)."""


def forecast_horizon(text: str) -> float:
    """A forecast's horizon in hours, from a duration between a week and ten years."""
    try:
        hours = parse_duration(text)
    except PydanticCustomError as error:
        raise ConfigError.unplaced("<arguments>", "horizon", error.message()) from None
    if not WEEK <= hours <= LONGEST:
        raise ConfigError.unplaced(
            "<arguments>", "horizon", "forecast at least a week (1w) and at most ten years (10y)"
        )
    return hours
