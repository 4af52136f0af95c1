"""A simulation the workshop page starts, watches and may cancel, without waiting on it.

The baseline and the edited design run on common random numbers in batches on a thread of
their own (the replications themselves on a process pool when there is one): after each
batch the page reads a `Comparison` of what is done so far, with its intervals. Batches
follow `replications: auto` (`experiment.sequential`): a first look after a few
replications, then more until the targets or the paired differences are answered, or the
scenario's count is reached. Cancelling stops before the next replication starts.
"""

from __future__ import annotations

import threading
from concurrent.futures import Executor
from dataclasses import dataclass

from orgsim.config.scenario import Scenario
from orgsim.config.schema import Auto
from orgsim.experiment import sequential
from orgsim.experiment.compare import Comparison
from orgsim.experiment.results import Results
from orgsim.experiment.runner import ReplicationResult, jobs, replication_seeds, run_job

FIRST_LOOK = 5
"""Replications per design before the first result shows: intervals within seconds."""


@dataclass(frozen=True)
class Snapshot:
    """What the page shows of a simulation at one moment."""

    done: int
    """Replications finished, all designs together."""
    aim: int
    """Replications the present batch will reach, all designs together."""
    comparison: Comparison | None = None
    """Every design on the replications all of them have finished (paired)."""
    open: int | None = None
    """Questions still open after the last batch (`experiment.sequential`), of `questions`."""
    questions: int | None = None
    stop: sequential.Stop | None = None
    finished: bool = False
    cancelled: bool = False
    error: str | None = None


def budget(scenario: Scenario) -> Auto:
    """The scenario's own `auto`, or a first look of FIRST_LOOK up to its fixed count."""
    if scenario.auto is not None:
        return scenario.auto
    return Auto(least=min(FIRST_LOOK, scenario.replications), most=scenario.replications)


class Simulation:
    """Every design of `scenario` on a thread: `start()`, `snapshot()`, `cancel()`."""

    def __init__(self, scenario: Scenario, executor: Executor | None = None):
        self.scenario = scenario
        self.executor = executor
        self.auto = budget(scenario)
        self._cancel = threading.Event()
        self._lock = threading.Lock()
        self._snapshot = Snapshot(0, self.auto.least * len(scenario.variants))
        self._thread = threading.Thread(target=self._run, daemon=True, name="orgsim-simulate")

    def start(self) -> Simulation:
        self._thread.start()
        return self

    def cancel(self) -> None:
        self._cancel.set()

    def snapshot(self) -> Snapshot:
        with self._lock:
            return self._snapshot

    def wait(self, timeout: float | None = None) -> Snapshot:
        self._thread.join(timeout)
        return self.snapshot()

    def _show(self, **changes) -> None:
        with self._lock:
            self._snapshot = Snapshot(**{**self._snapshot.__dict__, **changes})

    def _run(self) -> None:
        try:
            self._replicate()
        except Exception as error:  # shown on the page, never lost in a thread
            self._show(finished=True, error=f"{type(error).__name__}: {error}")

    def _replicate(self) -> None:
        scenario, variants = self.scenario, list(self.scenario.variants)
        seeds = replication_seeds(scenario.seed, self.auto.most)
        done: dict[str, list[ReplicationResult]] = {name: [] for name in variants}
        n, aim, asked = 0, self.auto.least, None
        while True:
            if not self._batch(jobs(scenario, variants, seeds[:aim], 1, n, details=True), done):
                self._show(finished=True, cancelled=True)
                return
            comparison = self._comparison(done)
            kpis = {v: results.kpis for v, results in comparison.results.items()}
            if asked is None:
                reported = {v: list(frame.columns) for v, frame in kpis.items()}
                asked = sequential.questions(variants, scenario.targets, reported)
            n = aim
            aim, still, stop = sequential.next_count(n, asked, kpis, self.auto)
            self._show(
                comparison=comparison,
                aim=aim * len(variants),
                stop=stop,
                open=still,
                questions=len(asked),
            )
            if stop is not None:
                self._show(finished=True)
                return

    def _batch(self, work, done: dict[str, list[ReplicationResult]]) -> bool:
        """Run one batch's jobs; False when cancelled (the jobs not yet started are dropped)."""
        if self.executor is None:
            for job in work:
                if self._cancel.is_set():
                    return False
                self._finished(run_job(job), done)
            return True
        futures = [self.executor.submit(run_job, job) for job in work]
        try:
            for future in futures:
                while not self._cancel.wait(0.05):
                    if future.done():
                        break
                if self._cancel.is_set():
                    return False
                self._finished(future.result(), done)
            return True
        finally:  # cancelled or failed: the jobs not started leave the shared pool
            for rest in futures:
                rest.cancel()

    def _finished(self, results: list[ReplicationResult], done) -> None:
        for result in results:
            done[result.variant].append(result)
        self._show(done=sum(len(d) for d in done.values()))

    def _comparison(self, done: dict[str, list[ReplicationResult]]) -> Comparison:
        scenario = self.scenario
        results = {
            v: Results.from_replications(scenario, v, scenario.seed, finished)
            for v, finished in done.items()
        }
        return Comparison(
            scenario.name, scenario.seed, results, dict(scenario.targets), scenario.description
        )
