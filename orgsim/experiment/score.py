"""`orgsim.score_forecasts`: four ways of forecasting a quarter's bookings, judged over
many simulated quarters against what the simulation then books.

Which forecast a revenue team should trust depends on the team: how long its deals take,
how much of a quarter's business comes from deals not yet in the pipeline, how its reps
call their deals. A long run of the scenario is cut into quarters; at each quarter's start
every method forecasts the quarter's value won from what could be known then, and the run
itself books the truth. The methods:

- `weighted_pipeline`: each deal open in the pipeline (at or after the journey's
  `opportunity` milestone; every open lead where it has none) times its chance to be won
  (`Chain.win_chances`, the journey's chances): a CRM's default. In a steady state, where
  deals that win and deals that lose spend the same time in the pipeline, its expected
  bias on the total is Little's law's W / H - 1 (W: mean time from entering the pipeline
  to won, H: the quarter): it counts deals that close after the quarter and misses deals
  created inside it.
- `commit`: every pipeline deal the run wins inside the quarter, times the winning rep's
  role's `forecast_bias`: reps who know their own deals, then sandbag (below 1) or add
  happy ears (above 1). Beyond the bias it misses what is not yet in the pipeline.
- `run_rate`: last quarter's value won.
- `simulation`: `orgsim.forecast` from the quarter's snapshot as a CRM shows it (open
  leads by stage and segment, their ages and deal values drawn from those of the group,
  see `_Judge.book`; the sources' new leads; the org as written, its queues empty), with
  its 10-90 band.
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from orgsim.analytic.chain import Chain
from orgsim.config.errors import ConfigError
from orgsim.config.scenario import Scenario
from orgsim.config.units import WEEK
from orgsim.engine import compile_model
from orgsim.engine.model import Model
from orgsim.engine.recorder import Records
from orgsim.experiment.forecast import forecast_horizon, nearest_rank
from orgsim.experiment.results import as_scenario, simulate
from orgsim.experiment.runner import jobs, replication_seeds, run_jobs
from orgsim.measure.stats import Interval, interval, paired

METHODS = ("weighted_pipeline", "commit", "run_rate", "simulation")
WORDS = {
    "weighted_pipeline": "each open pipeline deal times its stage's chance to win",
    "commit": "the pipeline deals that go on to win in the period, as reps call them "
    "(times their forecast_bias)",
    "run_rate": "the previous period's bookings, again",
    "simulation": "orgsim forecast from the open deals (stage, age) and the leads to come",
}
"""Each method in a line, for tables."""
FEW = 40
"""Fewer scored quarters than this make a coverage check weak (a 95% interval wider than
about 30 points): the verdict says so."""


@dataclass
class ForecastScore:
    """Every scored quarter (`quarters`: replication, quarter, start, method, forecast, p10
    and p90 for a method with a band, actual, and `held`: the chance the band held it, 1 or
    0 unless the actual ties an end, see `held`) and how the scoring was run."""

    quarters: pd.DataFrame
    horizon_weeks: float
    variant: str
    forecast_replications: int
    behind: list[tuple] = field(default_factory=list)
    """Roles that do not keep up in the scored runs (`Shortfall.evidence()`): quarters of a
    growing backlog are not a steady state to score on."""

    @property
    def nominal_coverage(self) -> float:
        """The share of quarters the simulation's 10-90 band should cover when the model is
        right: its ends are the i-th and j-th of M forecasts, and a new outcome from the same
        distribution falls between them with chance (j - i) / (M + 1): 71% for M = 20."""
        m = self.forecast_replications
        return (nearest_rank(m, 90) - nearest_rank(m, 10)) / (m + 1)

    def errors(self) -> pd.DataFrame:
        """Per method and replication: the mean over its quarters that booked anything of
        the relative error (forecast - actual) / actual (`bias`) and of its absolute value
        (`mape`), and `total_bias`, its forecasts' sum over what its quarters booked, less
        one: the mean of ratios leans above zero by about the squared spread of quarterly
        bookings even for a forecast right on average; the ratio of sums does not."""
        scored = self.quarters[self.quarters["actual"] > 0]
        error = (scored["forecast"] - scored["actual"]) / scored["actual"]
        frame = scored[["replication", "method", "forecast", "actual"]].assign(
            bias=error, mape=error.abs()
        )
        grouped = frame.groupby(["method", "replication"], sort=False)
        out = grouped[["bias", "mape"]].mean()
        sums = grouped[["forecast", "actual"]].sum()
        out["total_bias"] = sums["forecast"] / sums["actual"] - 1
        return out

    def summary(self) -> pd.DataFrame:
        """Per method, most accurate first: bias and MAPE (means over the quarters that
        booked anything, as SCENARIO-SPEC 9.4 defines them) and the bias on the totals
        (see `errors`), each with a 95% interval from the spread between replications
        (quarters of one run are not independent); the 10-90 band's coverage where the
        method has one; how many quarters were scored."""
        per_rep = self.errors()
        rows = []
        for method, frame in self.quarters.groupby("method", sort=False):
            scored = frame[frame["actual"] > 0]
            error = (scored["forecast"] - scored["actual"]) / scored["actual"]
            total = scored["forecast"].sum() / scored["actual"].sum() - 1 if len(scored) else np.nan
            row = {"method": method, "quarters": len(scored)}
            for name, point in (
                ("bias", error.mean()),
                ("mape", error.abs().mean()),
                ("total_bias", total),
            ):
                mine = per_rep.loc[method, name] if len(scored) else pd.Series(dtype=float)
                spread = _around(float(point), mine)
                # an absolute error's mean is not below zero, whatever a t interval says
                low = max(spread.low, 0.0) if name == "mape" else spread.low
                row |= {name: spread.mean, f"{name}_low": low, f"{name}_high": spread.high}
            row["coverage"] = float(frame["held"].mean())  # NaN without a band
            rows.append(row)
        return pd.DataFrame(rows).sort_values("mape", kind="stable").reset_index(drop=True)

    def lead(self) -> tuple[str, str, Interval] | None:
        """The most accurate method, the runner-up, and the 95% interval of the difference
        of their MAPE (paired by replication): the lead is real when it excludes zero."""
        ranked = self.summary()["method"].tolist()
        if len(ranked) < 2:
            return None
        per_rep = self.errors()["mape"]
        best, second = ranked[:2]
        return best, second, _paired(per_rep.loc[best], per_rep.loc[second])

    def against(self, baseline: ForecastScore) -> pd.DataFrame:
        """Per method both scored, this design's bias, bias on the totals and MAPE minus
        `baseline`'s (another variant scored with the same seed, horizon and counts: the
        same markets), replication by replication, with 95% intervals: does one design's
        business forecast better?"""
        same = (self.horizon_weeks, self.forecast_replications, self.quarters["quarter"].max())
        theirs_are = (baseline.horizon_weeks, baseline.forecast_replications,
                      baseline.quarters["quarter"].max())  # fmt: skip
        if same != theirs_are:
            raise ConfigError.unplaced(
                "<arguments>", "baseline", "score both with the same horizon, quarters and "
                "forecast replications (and the same seed and replications)",
            )  # fmt: skip
        mine, theirs = self.errors(), baseline.errors()
        both = [m for m in mine.index.unique("method") if m in theirs.index.unique("method")]
        rows = []
        for method in both:
            row = {"method": method}
            for name in ("bias", "total_bias", "mape"):
                gap = _paired(mine.loc[method, name], theirs.loc[method, name])
                row |= {name: gap.mean, f"{name}_low": gap.low, f"{name}_high": gap.high}
            rows.append(row)
        return pd.DataFrame(rows)

    def verdict(self) -> list[str]:
        """Plain lines under the table: which method is most accurate and whether clearly
        so, and whether the simulation's band held as often as it should."""
        lines = [
            "bias: forecast minus what was booked, as a share of it (-20%: a fifth short), "
            "averaged over quarters; on the total: all forecasts against all bookings (an "
            "average of quarter ratios leans high when quarters swing)."
        ]
        lead = self.lead()
        if lead is not None:
            best, second, gap = lead
            points = f"{-gap.high * 100:.1f} to {-gap.low * 100:.1f} percentage points"
            lines.append(
                f"Most accurate: {best}, ahead of {second} by {points} of MAPE (95% interval)."
                if gap.high < 0
                else f"Most accurate: {best}, but not clearly ahead of {second} (the MAPE "
                f"difference, {points}, could be zero)."
            )
        banded = self.quarters.dropna(subset=["held"])
        held = banded["held"]
        if not held.empty:
            # quarters of one run are not independent: the interval from the runs, widened
            # to the binomial one over quarters where the runs happen to agree
            runs = _around(float(held.mean()), banded.groupby("replication")["held"].mean())
            quarters = stats.binomtest(round(held.sum()), len(held)).proportion_ci(0.95)
            ci = Interval(runs.mean, min(runs.low, quarters.low), max(runs.high, quarters.high),
                          runs.n, runs.std)  # fmt: skip
            expected = self.nominal_coverage
            how = (
                "as often as it should"
                if not ci.high < expected and not ci.low > expected  # NaN: one run
                else "less often than it should: its band is too narrow for these quarters"
                if ci.high < expected
                else "more often than it should: its band is too wide for these quarters"
            )
            weak = (
                f" (only {len(held)} quarters: a weak check; score more with --reps or --quarters)"
                if len(held) < FEW
                else ""
            )
            lines.append(
                f"The simulation's 10-90 band held {held.mean():.0%} of quarters "
                f"({max(ci.low, 0):.0%} to {min(ci.high, 1):.0%}); with "
                f"{self.forecast_replications} forecast "
                f"replications a band drawn from the right distribution holds {expected:.0%}: "
                f"{how}{weak}."
            )
        return lines

    def to_json(self) -> dict:
        """As docs/scenario-language.md writes it: `quarters` and per method `bias`, `mape`,
        `coverage` (null without a band), with their intervals."""

        def number(value) -> float | None:
            return None if pd.isna(value) else float(value)

        methods = {}
        for _, row in self.summary().iterrows():
            methods[row["method"]] = {
                "bias": number(row["bias"]),
                "bias_interval": [number(row["bias_low"]), number(row["bias_high"])],
                "total_bias": number(row["total_bias"]),
                "total_bias_interval": [
                    number(row["total_bias_low"]),
                    number(row["total_bias_high"]),
                ],
                "mape": number(row["mape"]),
                "mape_interval": [number(row["mape_low"]), number(row["mape_high"])],
                "coverage": number(row["coverage"]),
                "quarters_scored": int(row["quarters"]),
            }
        return {
            "variant": self.variant,
            "horizon_weeks": self.horizon_weeks,
            "quarters": int(self.quarters.groupby(["replication", "quarter"]).ngroups),
            "forecast_replications": self.forecast_replications,
            "nominal_coverage": self.nominal_coverage,
            "does_not_keep_up": [evidence[0] for evidence in self.behind],
            "methods": methods,
        }

    def plot(self):
        """Forecast against actual, quarter by quarter, one panel per method."""
        from orgsim.report.figures import forecast_scores

        title = (
            f"{self.variant}: forecast at the start of each of "
            f"{self.quarters.groupby(['replication', 'quarter']).ngroups} simulated "
            f"{self.horizon_weeks:g}-week periods against what it booked"
        )
        return forecast_scores(self.quarters, self.summary(), title)


def _paired(mine: pd.Series, theirs: pd.Series) -> Interval:
    """The paired interval of two per-replication series, matched by replication (a run
    with no quarter that booked anything is missing from one side)."""
    mine, theirs = mine.align(theirs, join="inner")
    return paired(mine, theirs)


def _around(point: float, per_replication: pd.Series) -> Interval:
    """`point` with a 95% t interval whose width comes from the replications' spread."""
    spread = interval(per_replication)
    if spread.n < 2:
        return Interval(point, np.nan, np.nan, spread.n, np.nan)
    half = float(stats.t.ppf(0.975, spread.n - 1)) * spread.std / np.sqrt(spread.n)
    return Interval(point, point - half, point + half, spread.n, spread.std)


def score_forecasts(
    scenario: Scenario | str | Path,
    horizon: str = "13w",
    quarters: int = 4,
    replications: int | None = None,
    forecast_replications: int = 20,
    seed: int | None = None,
    variant: str | None = None,
    methods: tuple[str, ...] = METHODS,
    executor: Executor | None = None,
    progress: bool | None = None,
) -> ForecastScore:
    """Score forecasting methods on `quarters` consecutive quarters (of `horizon`) of each
    of `replications` runs of a variant, after its warm-up and one quarter more (the run
    rate's). `simulation` forecasts each quarter with `forecast_replications` runs."""
    scenario = as_scenario(scenario)
    name = scenario.variant(variant).name
    hours = quarter_hours(horizon, quarters, forecast_replications, methods)
    first, truth = long_run(scenario, hours, quarters)
    model = compile_model(truth, name)
    _check_steady(model, name)
    if (replications or scenario.replications) < 2:
        raise ConfigError.unplaced(
            "<arguments>", "replications", "score at least 2: intervals come from their spread"
        )
    runs = simulate(truth, replications, seed, name, records=True, executor=executor,
                    progress=progress)  # fmt: skip
    judge = _Judge(model, Chain(model).win_chances(), _biases(scenario, name, model))
    starts = [first + k * hours for k in range(quarters)]
    frame, books = judge.quarters(runs.records, starts, hours)
    if "simulation" in methods:
        bands = _simulated(scenario.only(name), books, starts, hours, forecast_replications,
                           runs.seed, executor, progress)  # fmt: skip
        frame = pd.concat([frame, bands.assign(replication=bands["run"] // quarters,
                                               quarter=bands["run"] % quarters + 1)
                           .drop(columns="run")], ignore_index=True)  # fmt: skip
    frame = _scored(frame, methods)
    start = pd.Timestamp(scenario.start)
    frame["start"] = (start + pd.to_timedelta(frame.pop("t"), unit="h")).dt.date
    columns = ["replication", "quarter", "start", "method", "forecast", "p10", "p90", "actual",
               "held"]  # fmt: skip
    ordered = frame[columns].sort_values(["replication", "quarter"], kind="stable")
    return ForecastScore(
        quarters=ordered.reset_index(drop=True),
        horizon_weeks=hours / WEEK,
        variant=name,
        forecast_replications=forecast_replications,
        behind=[shortfall.evidence() for shortfall in runs.shortfalls()],
    )


def long_run(scenario: Scenario, hours: float, quarters: int) -> tuple[float, Scenario]:
    """The first scored quarter's start (after the warm-up, rounded up to a whole week so it
    falls on a Monday, and one quarter for the run rate) and the run that covers them."""
    first = float(np.ceil(scenario.warmup / WEEK) * WEEK + hours)
    return first, scenario.model_copy(
        update={"horizon": first - scenario.warmup + quarters * hours}
    )


def _scored(frame: pd.DataFrame, methods) -> pd.DataFrame:
    """The forecasts of `methods`, each beside what its quarter booked (`actual`) and, for
    a forecast with a band, whether the band `held` it."""
    actual = frame[frame["method"] == "actual"][["replication", "quarter", "forecast"]]
    frame = frame[frame["method"].isin(methods)].merge(
        actual.rename(columns={"forecast": "actual"}), on=["replication", "quarter"]
    )
    banded = frame["p10"].notna()
    frame["held"] = np.nan
    if banded.any():
        frame.loc[banded, "held"] = [
            held(sample, a)
            for sample, a in zip(frame["sample"][banded], frame["actual"][banded], strict=True)
        ]
    return frame


def quarter_hours(horizon: str, quarters: int, forecast_replications: int, methods) -> float:
    """The quarter in hours, once every argument is checked."""
    hours = forecast_horizon(horizon)
    problems = []
    if hours % WEEK:
        problems.append(("horizon", "score whole weeks (13w for a quarter)"))
    if not 1 <= quarters <= 200:
        problems.append(("quarters", "score between 1 and 200 quarters per replication"))
    if not 10 <= forecast_replications <= 1000:
        problems.append(("forecast_replications", "between 10 and 1000 (a 10-90 band needs 10)"))
    unknown = [m for m in methods if m not in METHODS] or ([] if methods else ["none"])
    if unknown:
        problems.append(("methods", f"{unknown[0]!r} is not one of {', '.join(METHODS)}"))
    if problems:
        raise ConfigError.unplaced("<arguments>", *problems[0])
    return hours


def _check_steady(model: Model, variant: str) -> None:
    """Scoring needs bookings, and a steady org: every quarter's simulation forecast starts
    from the org as written, so an org that changes on a date would be forecast as if each
    quarter were its first."""
    if not any(stage.won for stage in model.stages):
        raise ConfigError.unplaced(
            "<arguments>", "scenario", "its journey has no `won` milestone: nothing is booked"
        )
    dated = any(p.joins is not None or p.leaves is not None for r in model.roles for p in r.people)
    if model.hires or dated or model.transition is not None:
        change = "switches org" if model.transition is not None else "hires or loses people"
        raise ConfigError.unplaced(
            "<arguments>",
            "variant",
            f"{variant!r} {change} on a date; scoring replays quarter after quarter with the "
            "org as written, so score a variant whose org holds still (attrition and backfill "
            "are fine)",
        )


def _biases(scenario: Scenario, variant: str, model: Model) -> np.ndarray:
    """Each role's forecast bias, by role index (index -1: a deal won with nobody's touch)."""
    roles = scenario.variant(variant).org.roles
    return np.array([roles[role.name].forecast_bias for role in model.roles] + [1.0])


@dataclass
class _Judge:
    """What each method knows at a quarter's start, read from one run's records."""

    model: Model
    chances: np.ndarray
    """Per segment and stage, the chance to be won."""
    biases: np.ndarray

    def __post_init__(self):
        stages = self.model.stages
        built_in = len(self.model.places) - len(stages)
        self.resting = np.array([s.is_end or s.won for s in stages] + [True] * built_in)
        self.buyer_first = np.array([s.buyer_first for s in stages] + [False] * built_in)
        reachable = self.chances.max(axis=0) > 0
        start = self.model.opportunity
        after = _reachable(stages, start) if start is not None else set(range(len(stages)))
        self.pipeline = reachable & np.isin(np.arange(len(stages)), sorted(after))
        self.pipeline = np.append(self.pipeline, [False] * built_in)

    def under_way(self, records: Records, t: float) -> np.ndarray:
        """Which visits are under way at `t` (entered, not left, in a stage where leads stay)."""
        v = records.visits
        return (v["entered"] <= t) & ~(v["left"] <= t) & ~self.resting[v["stage"]]

    def cheap(self, records: Records, t: float, hours: float) -> dict[str, float]:
        """Actual value won in [t, t + hours), and the forecasts that need no simulation."""
        wins, leads = records.wins, records.leads
        inside = (wins["time"] >= t) & (wins["time"] < t + hours)
        before = (wins["time"] >= t - hours) & (wins["time"] < t)
        v = records.visits
        under_way = self.under_way(records, t)
        lead, stage = v["lead"][under_way], v["stage"][under_way]
        kept = self.pipeline[stage]
        lead, stage = lead[kept], stage[kept]
        chance = self.chances[leads["segment"][lead], stage]
        called = inside & np.isin(wins["lead"], lead)
        rep = wins["rep"][called]
        role = np.where(rep >= 0, records.reps["role"][np.maximum(rep, 0)], -1)
        return {
            "actual": float(wins["value"][inside].sum()),
            "weighted_pipeline": float((chance * leads["value"][lead]).sum()),
            "commit": float((self.biases[role] * wins["value"][called]).sum()),
            "run_rate": float(wins["value"][before].sum()),
        }

    def quarters(self, runs: list[Records], starts: list[float], hours: float):
        """Every run's quarters: the cheap methods' forecasts and the actual as rows, and
        each quarter's book for the simulation, in (run, quarter) order."""
        rows, books = [], []
        for r, records in enumerate(runs):
            for k, t in enumerate(starts):
                for method, value in self.cheap(records, t, hours).items():
                    rows.append((r, k + 1, t, method, value, np.nan, np.nan))
                books.append(self.book(records, t))
        columns = ["replication", "quarter", "t", "method", "forecast", "p10", "p90"]
        return pd.DataFrame(rows, columns=columns), books

    def book(self, records: Records, t: float) -> list[dict]:
        """The market's book at `t`, as a CRM snapshot shows it: every lead under way, by
        stage and segment, its age in the stage conditioning the rest of the buyer's delay;
        in a stage whose buyer delay runs first (a renewal's year), a lead whose delay is
        behind it waits on the team and falls due at once. Deal values are drawn from those
        of the open deals of the group, ages from theirs."""
        v = records.visits
        under_way = self.under_way(records, t)
        lead = v["lead"][under_way]
        frame = pd.DataFrame(
            {
                "stage": v["stage"][under_way],
                "segment": records.leads["segment"][lead],
                "age": t - v["entered"][under_way],
                # the buyer's time is behind it only where it runs first (a renewal's year)
                "due": self.buyer_first[v["stage"][under_way]] & (v["due"][under_way] <= t),
                "value": records.leads["value"][lead],
            }
        )
        entries = []
        for (s, g, due), group in frame.groupby(["stage", "segment", "due"]):
            entry = {
                "stage": self.model.stages[s].name,
                "count": len(group),
                "mix": {self.model.segments[g]: 1.0},
                "value": {"dist": "empirical", "values": group["value"].tolist()},
            }
            if not due:
                ages = [f"{max(age, 0.001):.3f}h" for age in group["age"]]
                entry["age"] = {"dist": "empirical", "values": ages}
            entries.append(entry)
        return entries


def _reachable(stages, start: int) -> set[int]:
    """Stages a lead can reach from `start` (itself included)."""
    seen, frontier = {start}, [start]
    while frontier:
        for target in stages[frontier.pop()].targets:
            if target < len(stages) and target not in seen:
                seen.add(target)
                frontier.append(target)
    return seen


def _simulated(base, books, starts, hours, replications, seed, executor, progress):
    """Each snapshot's forecast: mean and nearest-rank 10th and 90th percentiles of value
    won over `replications` runs from its book, seeded by (seed, snapshot)."""
    quarters = len(starts)
    work = []
    for i, book in enumerate(books):
        t = starts[i % quarters]
        today = base.with_set({"market.book": book}).model_copy(
            update={
                "start": base.start + timedelta(hours=t),
                "horizon": hours,
                "warmup": 0.0,
            }
        )
        root = int(np.random.SeedSequence([seed, i]).generate_state(1)[0])
        seeds = replication_seeds(root, replications)
        work += jobs(today, [base.variant().name], seeds, replications, point_index=i)
    values = np.zeros((len(books), replications))
    for result in run_jobs(work, executor, progress, "forecasts"):
        values[result.point_index, result.replication] = result.kpis["won_value"]
    rows = [
        {
            "run": i,
            "t": starts[i % quarters],
            "method": "simulation",
            "forecast": row.mean(),
            "p10": float(np.percentile(row, 10, method="nearest")),
            "p90": float(np.percentile(row, 90, method="nearest")),
            "sample": row,
        }
        for i, row in enumerate(values)
    ]
    return pd.DataFrame(rows)


def held(sample: np.ndarray, actual: float) -> float:
    """The chance that `actual` lies inside the band of `sample`'s nearest-rank 10th and
    90th percentiles, ties broken at random: its rank among the sample and itself is then
    uniform, so a band drawn from the right distribution holds it with chance exactly
    `nominal_coverage`, however lumpy (whole deals of one size) the outcomes are."""
    m = len(sample)
    low, high = nearest_rank(m, 10), nearest_rank(m, 90)
    below, equal = int((sample < actual).sum()), int((sample == actual).sum())
    ranks = np.arange(below + 1, below + equal + 2)  # equally likely
    return float(((ranks > low) & (ranks <= high)).mean())
