"""Sweep scaling: throughput against the number of worker processes, in the same run.

The workload is the shipped headcount sweep (12 grid points) with enough
replications to keep every worker busy. One worker runs in this process (the
baseline); more workers use the local process pool. Speedup = time with one
worker / time with k; parallel efficiency = speedup / k. Targets: at least
0.85 at 2 workers, at least 0.8 at 16 workers on a 16-core machine.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import orgsim
from orgsim.experiment.sweep import sweep

ROOT = Path(__file__).resolve().parent.parent


def counts(cores: int) -> list[int]:
    steps = [1]
    while steps[-1] * 2 <= cores:
        steps.append(steps[-1] * 2)
    if steps[-1] != cores:
        steps.append(cores)
    return steps


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def cpu_ceiling(k: int, n: int = 5_000_000) -> float:
    """This machine's own parallel efficiency for k processes of pure arithmetic (no
    orgsim): the best a sweep could hope for here, since cores may be shared."""
    from concurrent.futures import ProcessPoolExecutor

    start = time.perf_counter()
    for _ in range(k):
        _spin(n)
    serial = time.perf_counter() - start
    with ProcessPoolExecutor(k) as pool:
        list(pool.map(_spin, [1000] * k))  # start the workers first
        start = time.perf_counter()
        list(pool.map(_spin, [n] * k))
        parallel = time.perf_counter() - start
    return serial / parallel / k


def main(workers: str | None = None, replications: int | None = None, repeat: int = 2) -> None:
    cores = os.cpu_count() or 1
    chosen = [int(w) for w in workers.split(",")] if workers else counts(cores)
    scenario = orgsim.load(ROOT / "scenarios/headcount_plan.yaml")
    scenario = scenario.only(scenario.variant().name)  # the same workload as ever
    points = 1
    for values in scenario.sweep.values():
        points *= len(values)
    reps = replications or max(8, 2 * max(chosen))
    runs = points * len(scenario.variants) * reps
    print(
        f"  workload: {points} grid points x {len(scenario.variants)} variant x {reps} "
        f"replications = {runs} runs; {cores} cores here; best of {repeat}"
    )
    best: dict[int, float] = {}
    reference = None
    for _ in range(repeat):  # interleaved, so every count sees the same machine weather
        for k in chosen:
            start = time.perf_counter()
            result = sweep(scenario, replications=reps, workers=k, progress=False)
            elapsed = time.perf_counter() - start
            best[k] = min(best.get(k, elapsed), elapsed)
            reference = reference or result.to_json()
            assert result.to_json() == reference, "every worker count must give the same table"
    print(
        f"  {'workers':>7} {'seconds':>8} {'runs/s':>7} {'speedup':>8} {'efficiency':>10} "
        f"{'cpu ceiling':>11}"
    )
    for k in chosen:
        speedup = best[chosen[0]] * chosen[0] / best[k]
        ceiling = cpu_ceiling(k) if k > 1 else 1.0
        print(
            f"  {k:>7} {best[k]:>8.2f} {runs / best[k]:>7.1f} {speedup:>8.2f} "
            f"{speedup / k:>10.2f} {ceiling:>11.2f}"
        )


if __name__ == "__main__":
    main()
