"""`orgsim.simulate`: many replications of one org design, and what they add up to."""

from __future__ import annotations

import math
from concurrent.futures import Executor
from pathlib import Path

import pandas as pd

from orgsim.analysis import tables
from orgsim.analysis.runner import Job, Outcome, batches, replication_seeds, run_jobs
from orgsim.analysis.stats import interval
from orgsim.config import kpis as catalogue
from orgsim.config.scenario import Scenario, load
from orgsim.engine.recorder import Records


def as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load(scenario)


def kpi_frame(outcomes: list[Outcome], names: list[str]) -> pd.DataFrame:
    """One row per replication, one column per KPI, in the catalogue's order."""
    outcomes = sorted(outcomes, key=lambda o: o.replication)
    frame = pd.DataFrame([o.kpis for o in outcomes], columns=names, dtype=float)
    frame.index = pd.Index([o.replication for o in outcomes], name="replication")
    return frame


def summarize(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean and 95% t interval of each KPI column (NaN replications left out)."""
    rows = []
    for name in frame.columns:
        ci = interval(frame[name])
        group, direction, meaning = catalogue.describe(name)
        rows.append(
            {
                "kpi": name,
                "group": group,
                "mean": ci.mean,
                "ci_low": ci.low,
                "ci_high": ci.high,
                "std": ci.std,
                "n": ci.n,
                "meaning": meaning,
                "better": {1: "higher", -1: "lower", 0: ""}[direction],
            }
        )
    return pd.DataFrame(rows).set_index("kpi")


def json_number(x: float) -> float | None:
    """JSON has no NaN or Infinity: an undefined value is null."""
    return None if x is None or not math.isfinite(x) else float(x)


def kpi_json(summary: pd.DataFrame) -> dict:
    return {
        name: {
            "mean": json_number(row["mean"]),
            "ci95": [json_number(row["ci_low"]), json_number(row["ci_high"])],
        }
        for name, row in summary.iterrows()
    }


class Results:
    """Replications of one variant: `kpis` (one row per replication) and, with
    `records=True`, the per-lead, per-visit, per-rep and weekly tables."""

    def __init__(self, scenario: Scenario, variant: str, seed: int, outcomes: list[Outcome]):
        self.scenario = scenario
        self.variant = variant
        self.seed = seed
        outcomes = sorted(outcomes, key=lambda o: o.replication)
        self.seeds = [o.seed for o in outcomes]
        chosen = scenario.variant(variant)
        self.kpi_names = catalogue.kpi_names(chosen.market, chosen.org)
        self.kpis = kpi_frame(outcomes, self.kpi_names)
        self._records: list[tuple[Records, object]] = [
            (o.records, o.model) for o in outcomes if o.records is not None
        ]

    @property
    def replications(self) -> int:
        return len(self.kpis)

    def summary(self) -> pd.DataFrame:
        """Per KPI: mean, 95% t interval, standard deviation, replications it is defined in."""
        return summarize(self.kpis)

    def to_frame(self) -> pd.DataFrame:
        """KPIs as tidy rows: variant, replication, one column per KPI."""
        frame = self.kpis.reset_index()
        frame.insert(0, "variant", self.variant)
        return frame

    def to_json(self) -> dict:
        """The `orgsim run --json` object of SCENARIO-SPEC section 6."""
        return {
            "scenario": self.scenario.name,
            "variant": self.variant,
            "replications": self.replications,
            "seed": self.seed,
            "kpis": kpi_json(self.summary()),
        }

    # -- tables from the records

    def _table(self, build) -> pd.DataFrame:
        if not self._records:
            raise ValueError("run simulate(..., records=True) to keep per-lead records")
        frames = []
        for replication, (records, model) in enumerate(self._records):
            frame = build(records, model)
            frame.insert(0, "replication", replication)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    @property
    def cases(self) -> pd.DataFrame:
        """One row per lead and replication."""
        return self._table(tables.cases)

    @property
    def visits(self) -> pd.DataFrame:
        """One row per stage visit and replication, with its record type."""
        return self._table(tables.visits)

    @property
    def reps(self) -> pd.DataFrame:
        """One row per rep and replication."""
        return self._table(tables.reps)

    @property
    def timeseries(self) -> pd.DataFrame:
        """One row per week and replication: leads, won, queue and utilization per role."""
        return self._table(tables.weekly)

    @property
    def records(self) -> list[Records]:
        return [r for r, _ in self._records]

    @property
    def model(self):
        return self._records[0][1] if self._records else None

    def __repr__(self) -> str:
        return (
            f"<Results {self.scenario.name!r} variant={self.variant!r} "
            f"replications={self.replications} seed={self.seed}>"
        )


def simulate(
    scenario: Scenario | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    variant: str | None = None,
    records: bool = False,
    executor: Executor | None = None,
    progress: bool | None = None,
) -> Results:
    """Run one variant of a scenario for many replications.

    Defaults come from the scenario file (`replications`, `seed`, the first
    variant). Replication i uses the same seed in every variant, so two runs of
    different variants are paired. `records=True` keeps every lead's history
    (see `Results.cases`, `.visits`, `.reps`, `.timeseries`).
    """
    scenario = as_scenario(scenario)
    variant = scenario.variant(variant).name
    n = scenario.replications if replications is None else int(replications)
    root = scenario.seed if seed is None else int(seed)
    seeds = replication_seeds(root, n)
    size = 1 if executor is None else max(1, n // 16)
    jobs = [
        Job(scenario, variant, batch, tuple(seeds[i] for i in batch), records=records)
        for batch in batches(n, size)
    ]
    outcomes = list(run_jobs(jobs, executor, progress))
    return Results(scenario, variant, root, outcomes)
