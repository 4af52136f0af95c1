"""`orgsim.sweep`: a grid of designs, on every core of a laptop or on a Dask cluster.

Every grid point runs every variant and replication. Replication i uses the
same seed at every point and in every variant (common random numbers over
the whole grid), so a sweep's table is the same whichever executor ran it,
in whatever order the work finished.

Written against `concurrent.futures.Executor`: a local process pool by
default, Dask's executor when asked. Only the scenario (plain config) and
seeds travel to workers; replications are batched per task; small KPI rows
come back.

With `out`, each grid point is written atomically as soon as all its runs
are in (`points/NNNN.csv` or `.parquet`), then its check (`points/NNNN.json`:
rows and SHA-256), next to a manifest of the grid and seeds; the folder is
locked while a sweep writes into it. `resume=True` reads every point that
passes its check (the right rows, each (variant, replication) of this point
once, the bytes it was written with) and runs the rest, so a sweep killed
halfway loses at most the points it was working on, and a damaged or swapped
file is simulated again (`SweepResult.notices` says which), never trusted.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from concurrent.futures import Executor
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pandas as pd

from orgsim.config import kpis as catalogue
from orgsim.config.errors import ConfigError
from orgsim.config.scenario import Scenario
from orgsim.experiment import preflight, storage
from orgsim.experiment import sweep_folder as folder
from orgsim.experiment.grid import Grid, check_size, points
from orgsim.experiment.grid import check as check_grid
from orgsim.experiment.results import as_scenario
from orgsim.experiment.runner import (
    ReplicationResult,
    jobs,
    local_executor,
    replication_seeds,
    run_jobs,
    worker_count,
)
from orgsim.measure.stats import interval
from orgsim.report import figures


class SweepResult:
    """Every grid point x variant x replication of a sweep, as tidy KPI rows."""

    def __init__(
        self,
        scenario_name: str,
        grid: dict[str, list],
        seed: int,
        frame: pd.DataFrame,
        notices: list[str] | None = None,
    ):
        self.scenario_name = scenario_name
        self.grid = grid
        """Each swept path and its values, as the table's cells show them (`cell`)."""
        self.seed = seed
        self.frame = frame
        self.notices = notices or []
        """What a resume found wrong in the folder and did again (one line each)."""

    def to_frame(self) -> pd.DataFrame:
        """Tidy rows: one column per grid parameter, variant, replication, KPI columns."""
        return self.frame.copy()

    def to_records(self) -> list[dict]:
        """Rows as plain dicts, in grid order, with null where a KPI is undefined."""
        frame = self.frame.astype(object).where(self.frame.notna(), None)
        return frame.to_dict(orient="records")

    def to_json(self) -> str:
        """The rows as JSON: sorted, no paths, no timings, so one grid and seed give the
        same bytes wherever it ran."""
        return json.dumps(self.to_records(), sort_keys=True, allow_nan=False)

    def summary(self, kpi: str) -> pd.DataFrame:
        """Mean and 95% interval of a KPI at every grid point and variant (ConfigError for a
        KPI the sweep did not report)."""
        reported = [
            c for c in self.frame.columns if c not in (*self.grid, "variant", "replication")
        ]
        if kpi not in reported:
            raise ConfigError.unplaced("<arguments>", "kpi", catalogue.unknown(kpi, reported))
        keys = [*self.grid, "variant"]
        rows = []
        for key, group in self.frame.groupby(keys, sort=False, dropna=False):
            ci = interval(group[kpi])
            rows.append(
                {
                    **dict(zip(keys, key, strict=True)),
                    "mean": ci.mean,
                    "ci_low": ci.low,
                    "ci_high": ci.high,
                    "n": ci.n,
                }
            )
        return pd.DataFrame(rows)

    def plot(self, kpi: str, x: str | None = None, ax=None):
        """The KPI against a swept parameter, with its 95% band: one line per variant (and
        per value of the other swept parameters)."""
        x = x or next(iter(self.grid))
        if not isinstance(x, str) or x not in self.grid:
            why = f"{x!r} is not swept; swept: {', '.join(self.grid)}"
            raise ConfigError.unplaced("<arguments>", "x", why)
        return figures.sweep_lines(self.summary(kpi), kpi, x, self.grid, ax=ax)

    def __repr__(self) -> str:
        return (
            f"<SweepResult {self.scenario_name!r} points={len(points(self.grid))} "
            f"rows={len(self.frame)}>"
        )


def cell(value: Any) -> Any:
    """A grid value as a table cell: a number or text as it is, a mapping or a list as its
    compact JSON text (hashable, so it groups and plots, and the same after a CSV resume)."""
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, separators=(", ", ": "))
    return value


def _rows(
    results: list[ReplicationResult], grid: dict, index: int, variants: list[str], names: list[str]
) -> pd.DataFrame:
    point = {path: cell(value) for path, value in points(grid)[index]}
    rows = [
        {"point": index, **point, "variant": o.variant, "replication": o.replication, **o.kpis}
        for o in results
    ]
    frame = pd.DataFrame(rows)
    order = {v: i for i, v in enumerate(variants)}
    frame = frame.sort_values(
        ["variant", "replication"],
        key=lambda c: c.map(order) if c.name == "variant" else c,
        ignore_index=True,
    )
    columns = ["point", *grid, "variant", "replication", *[n for n in names if n in frame]]
    return frame[columns]


def sweep(
    scenario: Scenario | str | Path,
    grid: Grid | dict[str, list] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    workers: int | None = None,
    variant: str | None = None,
    allow_large: bool = False,
) -> SweepResult:
    """Run every grid point x variant x replication; see the module's notes.

    Args:
        scenario: a `Scenario` or the path of a scenario file.
        grid: {dotted path: [values]}; default: the scenario's `sweep:`.
        replications, seed: override the scenario's (replication i uses one seed at
            every point and in every variant).
        executor: where to run (a Dask client's executor, say); default: a local
            process pool of `workers` processes (all cores by default).
        out: a folder to write each finished grid point to, as it finishes.
        resume: finish a sweep already in `out`, running only what is missing.
        progress: show a progress bar (default: on a terminal only).
        variant: sweep this variant only (its org alone takes the grid's values);
            default: every variant.
        allow_large: run even when a replication at some point would not fit in memory.

    Returns:
        `SweepResult`: `.to_frame()` (one row per point, variant and replication),
        `.summary(kpi)`, `.plot(kpi, x=...)`, `.to_json()` (byte-stable).

    Raises:
        ConfigError: no grid, a value that makes some variant invalid (named by
            path and value), or an `out` folder holding a different sweep.

    Example:
        >>> swept = orgsim.sweep("scenarios/headcount_plan.yaml",
        ...                      {"org.roles.ae.headcount": [10, 12, 14]}, replications=5)
        >>> swept.plot("stage.sql.wait_mean", x="org.roles.ae.headcount")
    """
    scenario = as_scenario(scenario)
    if variant is not None:
        scenario = scenario.only(variant)
    given = grid
    _check_arguments(grid, workers, resume)
    if not isinstance(grid, Grid):
        grid = Grid(dict(grid if grid is not None else scenario.sweep))
    if not grid.values:
        why = "nothing to sweep: add `sweep:` to the scenario or pass --param PATH=V1,V2"
        if given is not None:  # an empty grid of one's own, not a scenario without a sweep
            raise ConfigError.unplaced("<arguments>", "grid", "names no parameter to sweep")
        raise ConfigError.unplaced(scenario.file or "<scenario>", "sweep", why)
    check_grid(scenario, grid)  # once, placing problems where the grid was written
    scenario = scenario.with_run(replications=replications, seed=seed)
    check_size(scenario, grid, 1 if executor else worker_count(workers), allow_large)
    seeds = replication_seeds(scenario.seed, scenario.replications)
    names = scenario.kpi_names()
    out_dir = preflight.as_path(out, "out") if out is not None else None
    if out_dir is not None:
        preflight.check_outputs(folders=[out_dir], inputs=scenario.source_files())
    try:
        with storage.lock(out_dir) if out_dir else nullcontext():
            return _run(
                scenario, grid.values, seeds, names, executor, workers, out_dir, resume, progress
            )
    except storage.FolderBusy as busy:
        raise ConfigError.unplaced(str(out_dir), "--out", str(busy.args[0])) from None


def _check_arguments(grid, workers, resume) -> None:
    """A grid, a process count or a flag the command line could not have given, named."""
    if not isinstance(resume, bool):
        raise ConfigError.unplaced("<arguments>", "resume", f"{resume!r}: pass True or False")
    if grid is not None and not isinstance(grid, Grid | Mapping):
        why = f"{grid!r} is not a grid: pass {{dotted path: [values]}}"
        raise ConfigError.unplaced("<arguments>", "grid", why)
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        why = f"{workers!r}: pass a whole number of processes, at least 1 (None: every core)"
        raise ConfigError.unplaced("<arguments>", "workers", why)


def _run(scenario, grid, seeds, names, executor, workers, out_dir, resume, progress):
    """The sweep proper, with `out_dir` (if any) locked by this process."""
    n, root, every, variants = len(seeds), scenario.seed, points(grid), list(scenario.variants)
    frames: dict[int, pd.DataFrame] = {}
    notices: list[str] = []
    if out_dir:
        manifest = folder.manifest(scenario, grid, root, n)
        keys = [folder.point_key(manifest, point) for point in every]
        folder.prepare(out_dir, manifest, resume)
        for leftover in (out_dir / "points").glob(".*.tmp"):  # half-written by a killed run
            leftover.unlink(missing_ok=True)
        expected = {(v, r) for v in variants for r in range(n)}
        for index in range(len(every)) if resume else ():
            frame = folder.read_point(out_dir, index, expected, keys[index])
            if frame is not None:
                frames[index] = frame
            elif folder.clear_point(out_dir, index):
                notices.append(f"point {index} in {out_dir} failed its check: simulated again")
    todo = [i for i in range(len(every)) if i not in frames]
    with _executor(executor, workers) as chosen_executor:
        slots = 1 if chosen_executor is None else worker_count(workers)
        size = max(1, min(n, (len(todo) * len(variants) * n) // max(1, 4 * slots)))
        work = [
            job
            for p in todo
            for job in jobs(
                scenario.with_set(dict(every[p])),  # each point composed once, here
                scenario.variants,
                seeds,
                size,
                point=every[p],
                point_index=p,
            )
        ]
        expected = len(variants) * n
        pending: dict[int, list[ReplicationResult]] = {p: [] for p in todo}
        for result in run_jobs(work, chosen_executor, progress, "runs"):
            got = pending[result.point_index]
            got.append(result)
            if len(got) == expected:
                index = result.point_index
                frame = _rows(got, grid, index, variants, names)
                if out_dir:
                    folder.write_point(out_dir, index, frame, keys[index])
                frames[index] = frame
    table = pd.concat([frames[i] for i in sorted(frames)], ignore_index=True)
    table = table.drop(columns="point")
    kpi_columns = [c for c in names if c in table]
    table[kpi_columns] = table[kpi_columns].astype(float)
    shown = {path: [cell(v) for v in values] for path, values in grid.items()}
    return SweepResult(scenario.name, shown, root, table, notices)


@contextmanager
def _executor(executor: Executor | None, workers: int | None):
    if executor is not None:
        yield executor
        return
    with local_executor(workers) as pool:
        yield pool
