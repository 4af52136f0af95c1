"""`orgsim.backtest`: does the model reproduce last year? The scenario simulated over the
history's own months, compared with what the history shows, month by month.

Each month's actual count is one outcome of the real process, so it is judged against the
spread of single simulated months (between the j-th smallest and largest of k
replications: a prediction band whose level, (k + 1 - 2j) / (k + 1), is exact), not
against the interval of their mean. A model that is right covers
about 95% of its months; one that misses a run of months in a row is wrong there, and the
verdict names the months.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from orgsim.config.scenario import Scenario
from orgsim.config.units import WEEK
from orgsim.experiment.results import as_scenario, simulate
from orgsim.history.export import OPEN, History, gone, read
from orgsim.history.mapping import Mapping, load_mapping

MIN_REPLICATIONS = 40
"""Replications a backtest runs unless told: the fewest whose band is a 95% band."""
METRICS = ("created", "won", "won_value")
TOTALS_Z = float(stats.norm.ppf(1 - 0.01 / (2 * len(METRICS))))
"""A total is a sum of months, near normal: the three are judged together at 99%."""
"""What is compared each month: new leads, deals won, the value won."""


@dataclass
class Backtest:
    """The months compared: per month and metric the actual value, the simulated mean and
    95% prediction band, and whether the actual lies inside; the pipeline open at the
    snapshot by stage, the same way."""

    months: pd.DataFrame
    totals: pd.DataFrame
    """Per metric, the whole history's total against the simulated totals' band (their
    mean plus or minus TOTALS_Z standard deviations): a model a little high every month
    can cover each month and still be biased."""
    pipeline: pd.DataFrame
    replications: int
    notes: list[str]

    def to_frame(self) -> pd.DataFrame:
        """One row per month and metric: actual, mean, low, high, inside."""
        return self.months.copy()

    def consistent(self) -> bool:
        """Whether the model reproduces the history: every total inside its band, and no
        fewer months inside theirs than a right model would show (the 1% quantile of a
        binomial count at 95%)."""
        least = stats.binom.ppf(0.01, len(self.months), band_level(self.replications))
        return bool(self.totals["inside"].all() and self.months["inside"].sum() >= least)

    def coverage(self, metric: str | None = None) -> float:
        """The share of months (of one metric, or all) whose actual lies inside its band."""
        rows = self.months if metric is None else self.months[self.months["metric"] == metric]
        return float(rows["inside"].mean()) if len(rows) else float("nan")

    def plot(self):
        """The months against the simulated 95% bands, one panel per metric."""
        from orgsim.report.history import backtest_bands

        return backtest_bands(self.months)

    def verdict(self) -> str:
        """The evidence: a first line that says whether the model reproduces the history,
        then a sentence per metric (months reproduced, the worst miss, a biased total)."""
        lines = [
            "Consistent with your history: the months and the totals fall where a right "
            "model's would."
            if self.consistent()
            else "Not consistent with your history: fix what the lines below name before "
            "planning or forecasting with this model."
        ]
        for metric in METRICS:
            rows = self.months[self.months["metric"] == metric]
            if rows.empty:
                continue
            inside = int(rows["inside"].sum())
            line = f"{metric}: the model reproduces {inside} of {len(rows)} months"
            missed = rows[~rows["inside"]]
            if not missed.empty:
                worst = missed.loc[(missed["actual"] - missed["mean"]).abs().idxmax()]
                line += (
                    f"; it misses {month_name(worst['month'])}, where the data shows "
                    f"{_shown(worst['actual'])} against {_shown(worst['mean'])} expected "
                    f"({_shown(worst['low'])} to {_shown(worst['high'])})"
                )
            total = self.totals.set_index("metric").loc[metric]
            if not total["inside"]:
                way = "above" if total["mean"] > total["actual"] else "below"
                off = abs(total["mean"] / total["actual"] - 1) if total["actual"] else np.inf
                line += (
                    f"; over the whole history the model is {off:.0%} {way} yours "
                    f"({_shown(total['mean'])} against {_shown(total['actual'])}, band "
                    f"{_shown(total['low'])} to {_shown(total['high'])})"
                )
            lines.append(line)
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {
            "replications": self.replications,
            "band_level": band_level(self.replications),
            "coverage": self.coverage(),
            "coverage_by_metric": {m: self.coverage(m) for m in METRICS},
            "consistent": self.consistent(),
            "months": self.months.to_dict(orient="records"),
            "totals": self.totals.to_dict(orient="records"),
            "pipeline": self.pipeline.to_dict(orient="records"),
            "verdict": self.verdict(),
            "notes": self.notes,
        }


def _shown(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 or float(x).is_integer() else f"{x:,.1f}"


def _order(k: int) -> int:
    """Which order statistics bound the band of k draws: the j-th smallest and largest."""
    return max(1, int(0.025 * (k + 1)))


def band_level(k: int) -> float:
    """The chance that one more draw falls between the j-th smallest and the j-th largest of
    k draws (exact, whatever the distribution): 95% needs 39 or more replications."""
    return (k + 1 - 2 * _order(k)) / (k + 1)


def _band(draws: np.ndarray) -> tuple[float, float]:
    """The prediction band of single months: simulated values themselves (order
    statistics), so a band of counts is whole counts and its level is exact."""
    ordered = np.sort(draws)
    j = _order(len(ordered))
    return float(ordered[j - 1]), float(ordered[len(ordered) - j])


def month_name(month: str) -> str:
    """`2024-07` as a reader says it: `July 2024`."""
    return pd.Period(month, "M").strftime("%B %Y")


def replay(scenario: Scenario, history: History) -> Scenario:
    """The scenario over the history's own span: from the Monday on or before its first
    record to its snapshot (at least a week), no warm-up, and no book (the history starts
    empty)."""
    first = history.start.date()
    monday = first - timedelta(days=first.weekday())
    hours = (history.snapshot - pd.Timestamp(monday)) / pd.Timedelta(hours=1)
    replayed = scenario.with_set({"market.book": []}) if scenario.market.book else scenario
    update = {"start": monday, "horizon": max(float(hours), WEEK), "warmup": 0.0}
    return replayed.model_copy(update=update)


def backtest(
    scenario: Scenario | str | Path,
    history: list[str | Path],
    mapping: str | Path | Mapping,
    replications: int | None = None,
    variant: str | None = None,
) -> Backtest:
    """Simulate `scenario` over the history's months and compare created, won and won value
    month by month, and the pipeline open at the snapshot by stage. `replications`: at
    least 40 by default (the scenario's, if more), so that each band is a 95% band."""
    scenario = as_scenario(scenario)
    if isinstance(history, str | Path):
        history = [history]
    mapping = mapping if isinstance(mapping, Mapping) else load_mapping(mapping)
    seen = read([Path(p) for p in history], mapping)
    replayed = replay(scenario, seen)
    replications = replications or max(scenario.replications, MIN_REPLICATIONS)
    results = simulate(replayed, replications, variant=variant, records=True)
    start = pd.Timestamp(replayed.start)
    months, totals = _months(seen, results, start)
    return Backtest(
        months=months,
        totals=totals,
        pipeline=_pipeline(seen, results),
        replications=results.replications,
        notes=_notes(seen, results.replications),
    )


def _month(times: pd.Series) -> pd.Series:
    return times.dt.to_period("M").astype(str)


def _actual(history: History) -> pd.DataFrame:
    """The history's months: new records, and the wins and value of those records (the
    replay starts empty, so a record created before the history has no twin in it)."""
    records = history.records.set_index("record")
    created = _month(records.loc[records["new"], "created"]).value_counts()
    wins = history.visits[history.visits["next"] == "won"]
    wins = wins[wins["record"].map(records["new"]).fillna(False).astype(bool)]
    won_month = _month(wins["exited"])
    won = won_month.value_counts()
    value = records["amount"].reindex(wins["record"]).fillna(0).groupby(won_month.to_numpy()).sum()
    return pd.DataFrame({"created": created, "won": won, "won_value": value}).fillna(0)


def _simulated(results, start: pd.Timestamp) -> pd.DataFrame:
    """Per replication and month: leads created (book leads excluded), deals won, value."""
    cases = results.cases
    cases = cases[cases["source"] != "book"]
    created = start + pd.to_timedelta(cases["created"], unit="h")
    won_at = start + pd.to_timedelta(cases["won_at"], unit="h")
    made = cases.assign(month=_month(created)).groupby(["replication", "month"]).size()
    winners = cases.assign(month=_month(won_at))[cases["won_at"].notna()]
    won = winners.groupby(["replication", "month"]).agg(
        won=("lead", "size"), won_value=("deal_value", "sum")
    )
    frame = pd.DataFrame({"created": made}).join(won, how="outer").fillna(0)
    full = pd.MultiIndex.from_product(
        [range(results.replications), frame.index.get_level_values("month").unique()],
        names=["replication", "month"],
    )
    return frame.reindex(full, fill_value=0)


def _judged(actual: float, draws: np.ndarray, band: tuple[float, float]) -> dict:
    """An actual value against the simulation's draws and band."""
    low, high = band
    return {
        "actual": actual,
        "mean": float(draws.mean()),
        "low": low,
        "high": high,
        "inside": bool(low <= actual <= high),
    }


def _total_band(draws: np.ndarray) -> tuple[float, float]:
    half = TOTALS_Z * draws.std(ddof=1)
    return float(draws.mean() - half), float(draws.mean() + half)


def _months(history: History, results, start: pd.Timestamp) -> tuple[pd.DataFrame, ...]:
    actual = _actual(history)
    simulated = _simulated(results, start)
    months = sorted(set(actual.index) | set(simulated.index.get_level_values("month")))
    months = [m for m in months if m <= history.snapshot.strftime("%Y-%m")]
    covered = {m: _covers_in_part(m, history) for m in months}
    rows, totals = [], []
    for metric in METRICS:
        by_month = simulated[metric].unstack("month").reindex(columns=months, fill_value=0)
        draws = by_month.sum(axis=1).to_numpy(dtype=float)
        value = float(actual[metric].reindex(months, fill_value=0).sum())
        totals.append({"metric": metric, **_judged(value, draws, _total_band(draws))})
        for month in months:
            draws = by_month[month].to_numpy(dtype=float)
            value = float(actual[metric].get(month, 0.0))
            judged = _judged(value, draws, _band(draws))
            rows.append({"month": month, "metric": metric, **judged, "partial": covered[month]})
    return pd.DataFrame(rows), pd.DataFrame(totals)


def _covers_in_part(month: str, history: History) -> bool:
    """Whether the history covers only part of a month (it starts or ends inside it)."""
    period = pd.Period(month, "M")
    starts_inside = history.start.normalize() > period.start_time
    return bool(starts_inside or history.snapshot < period.end_time.floor("D"))


def _pipeline(history: History, results) -> pd.DataFrame:
    """Leads open at the end by stage: the history's snapshot against the simulation's."""
    actual = history.visits[history.visits["next"] == OPEN]["stage"].value_counts()
    visits = results.visits
    still = visits[visits["left"].isna() & visits["stage"].isin(history.journey)]
    counts = still.groupby(["replication", "stage"], observed=True).size().unstack(fill_value=0)
    rows = []
    for stage in history.journey:
        draws = counts.get(stage, pd.Series(0, index=counts.index)).reindex(
            range(results.replications), fill_value=0
        )
        draws = draws.to_numpy(dtype=float)
        rows.append({"stage": stage, **_judged(float(actual.get(stage, 0)), draws, _band(draws))})
    return pd.DataFrame(rows)


def _notes(history: History, replications: int) -> list[str]:
    notes = []
    if band_level(replications) < 0.95:
        notes.append(
            f"{replications} replications make each band a {band_level(replications):.0%} "
            f"band, not 95%: expect more months outside (run {MIN_REPLICATIONS} or more)"
        )
    left = gone(history.visits, history.snapshot)
    if left.any():
        notes.append(
            f"{', '.join(left[left].index)} left during the history: the replay's team is "
            "today's roster, so their months run on the people who stayed"
        )
    earlier = history.records.loc[~history.records["new"], "record"]
    if len(earlier):
        wins = history.visits["next"].eq("won") & history.visits["record"].isin(earlier)
        notes.append(
            f"{len(earlier):,} records were created before the history: the replay starts "
            f"empty, so they and their {int(wins.sum()):,} wins are left out of both sides"
        )
    return notes
