"""Run replications anywhere: in this process, a process pool, or a Dask cluster.

A `Job` is what travels to a worker: the scenario (plain, picklable config),
which variant, which sweep point, and which replications with their seeds.
Never a SimPy object. A worker compiles the model, runs the replications and
sends back small rows of KPIs (and the records, only when asked for).

Seeds depend only on (root seed, replication): replication i of every
variant and every sweep point gets the same seed, whichever worker runs it
and whenever it finishes. That is what makes results identical on one core,
many cores or a cluster, and what makes variants paired (common random
numbers).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm import tqdm

from orgsim.config import kpis
from orgsim.config.errors import ConfigError
from orgsim.config.scenario import Scenario
from orgsim.engine import compile_model, run_replication
from orgsim.engine.recorder import Records
from orgsim.measure import tables
from orgsim.measure.kpis import compute


def replication_seeds(root: int, replications: int) -> list[int]:
    """The seed of each replication: a pure function of (root seed, replication index)."""
    children = np.random.SeedSequence(int(root)).spawn(replications)
    return [int(child.generate_state(1, np.uint64)[0]) for child in children]


@dataclass(frozen=True, kw_only=True)
class Job:
    scenario: Scenario
    variant: str
    replications: tuple[int, ...]
    seeds: tuple[int, ...]
    point: tuple[tuple[str, Any], ...] = ()
    """A sweep point's dotted-path overrides, already applied to `scenario` (resolved once,
    in the parent): they label the rows."""
    records: bool = False
    details: bool = False
    """Keep the small tables figures need (weekly series, reps, cycle times)."""
    point_index: int = -1
    """Which grid point this job belongs to (sweeps)."""
    team_seed: int | None = None
    """Draw today's unnamed team once, from this seed, for every replication (hold_team)."""


@dataclass(slots=True, kw_only=True)
class ReplicationResult:
    """One replication's result, as it comes back from a worker."""

    variant: str
    replication: int
    seed: int
    kpis: dict[str, float]
    point: tuple[tuple[str, Any], ...] = ()
    records: Records | None = None
    model: Any = field(default=None, repr=False)
    details: dict[str, Any] | None = None
    point_index: int = -1


def run_job(job: Job) -> list[ReplicationResult]:
    """Run a job's replications (in whatever process receives it)."""
    scenario = job.scenario
    model = compile_model(scenario, job.variant)
    model.team_seed = job.team_seed
    names = kpis.of_variant(scenario.variant(job.variant), scenario.horizon)
    results = []
    for replication, seed in zip(job.replications, job.seeds, strict=True):
        records = run_replication(model, seed)
        keep = job.details or job.records
        results.append(
            ReplicationResult(
                variant=job.variant,
                replication=replication,
                seed=seed,
                kpis=compute(records, model, names),
                point=job.point,
                records=records if job.records else None,
                model=model if job.records else None,
                details=tables.details(records, model) if keep else None,
                point_index=job.point_index,
            )
        )
    return results


def jobs(
    scenario: Scenario, variants, seeds: list[int], size: int, first: int = 0, **fields
) -> list[Job]:
    """Every variant's replications `first` onwards (to the end of `seeds`) as jobs of `size`
    replications each; `fields` (a sweep point, whether to keep records) go to every job."""
    return [
        Job(
            scenario=scenario,
            variant=variant,
            replications=batch,
            seeds=tuple(seeds[i] for i in batch),
            **fields,
        )
        for variant in variants
        for batch in batches(range(first, len(seeds)), size)
    ]


def batches(replications: range, size: int) -> list[tuple[int, ...]]:
    """Replication indexes grouped so that small runs are not all scheduling overhead."""
    size = max(1, size)
    return [tuple(replications[i : i + size]) for i in range(0, len(replications), size)]


def run_jobs(
    jobs: Iterable[Job],
    executor: Executor | None = None,
    progress: bool | None = None,
    description: str = "replications",
) -> Iterator[ReplicationResult]:
    """Run jobs and yield each replication's result as its job finishes.

    Without an executor the jobs run here, one after the other. The progress bar
    counts replications; it shows on a terminal (progress=None) and can be forced
    on or off.
    """
    if executor is not None and not isinstance(executor, Executor):
        raise ConfigError.unplaced(
            "<arguments>",
            "executor",
            f"{executor!r} is not an executor: pass a concurrent.futures.Executor (a process "
            "pool, Dask's client.get_executor()) or None to run here",
        )
    jobs = list(jobs)
    total = sum(len(job.replications) for job in jobs)
    disable = None if progress is None else not progress
    with tqdm(total=total, desc=description, unit="rep", disable=disable, leave=False) as bar:
        if executor is None:
            for job in jobs:
                results = run_job(job)
                bar.update(len(results))
                yield from results
            return
        futures = [executor.submit(run_job, job) for job in jobs]
        for future in as_completed(futures):
            results = future.result()
            bar.update(len(results))
            yield from results


def _watch_parent(parent: int) -> None:
    while True:
        time.sleep(0.5)
        if os.getppid() != parent:  # the main process is gone (SIGKILL, SIGTERM, crash)
            os._exit(1)


def _worker_start(parent: int) -> None:
    """In each pool worker: leave Ctrl-C to the main process, which stops the whole pool at
    once, and die within a second when the main process dies without stopping it (a
    worker holds up to a few hundred MB and would otherwise run on, orphaned)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


@contextmanager
def interrupts_left_to_this_process() -> Iterator[None]:
    """Processes started inside inherit Ctrl-C ignored: the terminal sends it to every
    process of the command, and only the main one should act on it (it stops the rest)."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may set signal handlers; its caller owns Ctrl-C
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def cores() -> int:
    """The cores this process may run on (a container or `taskset` may allow fewer than
    the machine has)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def worker_count(workers: int | None) -> int:
    """Processes to run replications on: `workers`, all the cores by default, never more
    than the cores (more only fight over them, and `--workers 100000` would fork until
    the machine hangs)."""
    return min(workers or cores(), cores())


@contextmanager
def local_executor(workers: int | None) -> Iterator[Executor | None]:
    """A process pool of `workers`, at most the cores available (all by default); none at
    all for one worker. Interrupted (Ctrl-C, an error), it stops its workers at once
    instead of waiting for their replications to finish."""
    workers = worker_count(workers)
    if workers <= 1:
        yield None
        return
    pool = ProcessPoolExecutor(
        max_workers=workers, initializer=_worker_start, initargs=(os.getpid(),)
    )
    try:
        yield pool
    except BaseException:
        for child in multiprocessing.active_children():
            child.terminate()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


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
        try:
            client = Client(scheduler, timeout="15s")
        except (ValueError, OSError, TimeoutError) as err:
            raise ConfigError.unplaced(
                "--scheduler",
                "dask",
                f"cannot reach a Dask scheduler at '{scheduler}' ({err}): give the address "
                "its scheduler prints, such as tcp://10.0.0.5:8786",
            ) from None
        with client:
            yield client.get_executor()
        return
    with interrupts_left_to_this_process():  # the workers it starts ignore Ctrl-C
        cluster = LocalCluster(
            n_workers=worker_count(workers),
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
        )
    with _levels_kept(SHUTDOWN_LOGGERS), cluster, Client(cluster) as client:
        client.run(_quiet_cancels)
        try:
            yield client.get_executor()
        except BaseException:  # Ctrl-C or an error: nothing left worth finishing
            for name in SHUTDOWN_LOGGERS:  # until the cluster is gone: then as they were
                logging.getLogger(name).setLevel(logging.CRITICAL)
            _stop_now(client, cluster)
            raise


SHUTDOWN_LOGGERS = ("distributed", "tornado.application")
"""What logs the connections a stopped cluster drops (the main process says once that the
sweep was interrupted; a replication's own error still reaches it as the task's)."""


@contextmanager
def _levels_kept(names) -> Iterator[None]:
    """These loggers' levels as they were when the block began, whatever it set."""
    levels = {name: logging.getLogger(name).level for name in names}
    try:
        yield
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def _stop_now(client, cluster) -> None:
    """Stop a LocalCluster's workers within a second: Dask's own close lets each running
    replication go on for up to 4 s before it kills the worker."""
    import asyncio  # with Dask only: the process pool starts 0.04 s sooner without it

    async def close(nannies):
        await asyncio.gather(*(nanny.close(timeout=1) for nanny in nannies))

    client.close()
    cluster.sync(close, list(cluster.workers.values()))


def _quiet_cancels() -> None:
    """In each local Dask worker: a replication cancelled by Ctrl-C is not worth a warning,
    nor a heartbeat to a scheduler already gone (the main process says once that the sweep
    was interrupted; a replication's own error still reaches it as the task's exception)."""
    logging.getLogger("distributed.worker.state_machine").setLevel(logging.ERROR)
    logging.getLogger("distributed.worker").setLevel(logging.CRITICAL)
