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
are in (`points/NNNN.csv` or `.parquet`), next to a manifest of the grid
and seeds. `resume=True` reads what is there and runs only what is missing,
so a sweep killed halfway loses at most the points it was working on.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from orgsim.config.compose import Override
from orgsim.config.errors import ConfigError, Problem
from orgsim.config.scenario import Scenario
from orgsim.config.yamlio import Located, Mark
from orgsim.experiment import storage
from orgsim.experiment.results import as_scenario
from orgsim.experiment.runner import (
    ReplicationResult,
    cores,
    jobs,
    local_executor,
    replication_seeds,
    run_jobs,
)
from orgsim.measure.stats import interval
from orgsim.report import figures

MANIFEST = "manifest.json"


def grid_points(grid: dict[str, list]) -> list[tuple[tuple[str, Any], ...]]:
    """The cross product of a grid, in a fixed order: the last parameter varies fastest."""
    paths = list(grid)
    return [
        tuple(zip(paths, values, strict=True))
        for values in itertools.product(*(grid[p] for p in paths))
    ]


class SweepResult:
    """Every grid point x variant x replication of a sweep, as tidy KPI rows."""

    def __init__(self, scenario_name: str, grid: dict[str, list], seed: int, frame: pd.DataFrame):
        self.scenario_name = scenario_name
        self.grid = grid
        self.seed = seed
        self.frame = frame

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
        """Mean and 95% interval of a KPI at every grid point and variant."""
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
        if x not in self.grid:
            raise ValueError(f"'{x}' is not swept; swept: {', '.join(self.grid)}")
        return figures.sweep_lines(self.summary(kpi), kpi, x, self.grid, ax=ax)

    def __repr__(self) -> str:
        return (
            f"<SweepResult {self.scenario_name!r} points={len(grid_points(self.grid))} "
            f"rows={len(self.frame)}>"
        )


def check_grid(
    scenario: Scenario,
    grid: dict[str, list],
    source: str = "<grid>",
    columns: list[list[int]] | None = None,
) -> None:
    """Every value of every parameter applied to every variant must give a valid scenario.

    Problems name `source[i]` (the i-th parameter): column 1 for a wrong path, the value's
    own column (`columns[i - 1]`, where the parameter was typed) for a wrong value."""
    overrides = []
    for i, (path, values) in enumerate(grid.items(), 1):
        columns_here = columns[i - 1] if columns else [1] * len(values)
        where = f"{source}[{i}]"
        overrides += [
            Override(
                path,
                Located(value, {(): Mark(where, 1, column, (path,))}),
                Mark(where, 1, 1, (path,)),
            )
            for value, column in zip(values, columns_here, strict=False)
        ]
    _only_in_some_variants(scenario, grid, source)
    scenario.check_overrides(overrides)


def _only_in_some_variants(scenario: Scenario, grid: dict[str, list], source: str) -> None:
    """A swept path that some variants have and others lack (their orgs differ) is asked of
    one variant: say which have it, and how to sweep one of them."""
    if len(scenario.variants) < 2:
        return
    problems = []
    for i, (path, values) in enumerate(grid.items(), 1):
        probe = [Override.from_python(path, values[0], f"{source}[{i}]")]
        having = []
        for name in scenario.variants:
            try:
                scenario.only(name).check_overrides(probe)
                having.append(name)
            except ConfigError:
                continue
        if having and len(having) < len(scenario.variants):
            problems.append(
                Problem.unplaced(
                    f"{source}[{i}]",
                    path,
                    f"only variants {', '.join(having)} have this (their orgs differ): sweep "
                    f"one of them with --variant {having[0]}, or variant='{having[0]}'",
                )
            )
    if problems:
        raise ConfigError(problems)


def _fingerprint(scenario: Scenario) -> str:
    """Changes when the study changes (market, org, horizon, variants), so a resume never
    mixes results of two different scenarios."""
    text = json.dumps(
        {
            "horizon": scenario.horizon,
            "warmup": scenario.warmup,
            "variants": {v: scenario.composed(v) for v in scenario.variants},
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _point_stem(out: Path, index: int) -> Path:
    return out / "points" / f"{index:05d}"


def _manifest(scenario: Scenario, grid: dict, seed: int, replications: int) -> dict:
    return {
        "scenario": scenario.name,
        "fingerprint": _fingerprint(scenario),
        "grid": grid,
        "seed": seed,
        "replications": replications,
        "variants": list(scenario.variants),
        "seeds": replication_seeds(seed, replications),
    }


def _prepare(out: Path, manifest: dict, resume: bool) -> set[int]:
    """Write or check the manifest; the grid points already done."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / MANIFEST
    if path.exists():
        found = json.loads(path.read_text(encoding="utf-8"))
        if not resume:
            raise ConfigError.unplaced(
                str(path),
                "<document>",
                "a sweep was already "
                "written here: pass --resume to finish it, or choose "
                "another --out folder",
            )
        if found != json.loads(json.dumps(manifest)):
            raise ConfigError.unplaced(
                str(path),
                "<document>",
                "this folder holds a "
                "different sweep (scenario, grid, seed or "
                "replications differ); choose another --out folder",
            )
    else:
        storage.write_json(path, manifest)
    for leftover in (out / "points").glob(".*.tmp"):  # half-written by a killed run
        leftover.unlink(missing_ok=True)
    done = set()
    for index in range(len(grid_points(manifest["grid"]))):
        if storage.table_exists(_point_stem(out, index)):
            done.add(index)
    return done


def _rows(
    results: list[ReplicationResult], grid: dict, index: int, variants: list[str], names: list[str]
) -> pd.DataFrame:
    point = dict(grid_points(grid)[index])
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


@contextmanager
def dask_executor(scheduler: str | None, workers: int | None) -> Iterator[Executor]:
    """Dask's executor: on the cluster at `scheduler`, or on a LocalCluster."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ConfigError.unplaced(
            "--backend", "dask", "Dask is not installed: pip install 'orgsim[dask]'"
        ) from None
    if scheduler:
        with Client(scheduler) as client:
            yield client.get_executor()
        return
    with (
        LocalCluster(
            n_workers=min(workers or cores(), cores()),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client.get_executor()


def sweep(
    scenario: Scenario | str | Path,
    grid: dict[str, list] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    progress: bool | None = None,
    workers: int | None = None,
    variant: str | None = None,
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
    grid = dict(grid if grid is not None else scenario.sweep)
    if not grid:
        raise ConfigError.unplaced(
            scenario.file or "<scenario>",
            "sweep",
            "nothing to sweep: add `sweep:` to the scenario or pass --param PATH=V1,V2",
        )
    check_grid(scenario, grid)
    scenario = scenario.with_run(replications=replications, seed=seed)
    n, root = scenario.replications, scenario.seed
    seeds = replication_seeds(root, n)
    points = grid_points(grid)
    variants = list(scenario.variants)
    names = scenario.kpi_names()
    out_dir = Path(out) if out is not None else None
    done = _prepare(out_dir, _manifest(scenario, grid, root, n), resume) if out_dir else set()
    todo = [i for i in range(len(points)) if i not in done]
    frames: dict[int, pd.DataFrame] = {}
    if out_dir:
        for index in done:
            frames[index] = storage.read_table(_point_stem(out_dir, index))
    with _executor(executor, workers) as chosen_executor:
        slots = 1 if chosen_executor is None else min(workers or cores(), cores())
        size = max(1, min(n, (len(todo) * len(variants) * n) // max(1, 4 * slots)))
        work = [
            job
            for p in todo
            for job in jobs(
                scenario, scenario.variants, seeds, size, point=points[p], point_index=p
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
                    storage.write_table(frame, _point_stem(out_dir, index))
                frames[index] = frame
    table = pd.concat([frames[i] for i in sorted(frames)], ignore_index=True)
    table = table.drop(columns="point")
    kpi_columns = [c for c in names if c in table]
    table[kpi_columns] = table[kpi_columns].astype(float)
    return SweepResult(scenario.name, grid, root, table)


@contextmanager
def _executor(executor: Executor | None, workers: int | None):
    if executor is not None:
        yield executor
        return
    with local_executor(workers) as pool:
        yield pool
