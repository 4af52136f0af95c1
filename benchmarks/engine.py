"""Engine benchmarks: orgsim against a hand-written SimPy model, measured in the same run.

(a) The M/M/5 workload (lambda 4/h, exponential effort with mean 1 h, 300
    weeks, about 200,000 leads, one replication) through orgsim, recording
    everything, and through a minimal hand-written SimPy model of the same
    queue (a process per customer and a `simpy.Resource`): orgsim time /
    hand-written time. Target: at most 2.0 (goal 1.0).
(b) Per-lead cost of a 200-rep org with per-rep queues against a 5-rep org at
    the same load per rep. Target: at most 1.3 (cost per lead stays flat as
    the org grows).
(c) Leads per second and peak memory on the shipped reorg scenario.
(d) The same scenario with people coming and going (30%/year attrition,
    6-week backfill, 20 days of PTO a year in every role) against it without
    them: leads per second, people / none. People events are rare, so the
    cost per lead moves only by what PTO costs: each rep on its own calendar.

Each figure is the best of `--repeat` runs, because these machines are noisy.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

import orgsim
from orgsim.engine import compile_model, run_replication

ROOT = Path(__file__).resolve().parent.parent

QUEUE = """
kind: scenario
name: {name}
horizon: {horizon}
market:
  kind: market
  name: Poisson calls
  segments: {{all: {{deal_value: 1}}}}
  sources: {{calls: {{rate: {rate}, enters: service}}}}
  journey:
    service: {{outcomes: {{done: 1.0}}}}
    done: {{}}
org:
  kind: org
  name: {servers} servers
  roles: {{server: {{headcount: {servers}, schedule: always}}}}
  work: {{service: {{role: server, effort: {{dist: exponential, mean: 1h}}, routing: {routing}}}}}
"""


def hand_written_mmc(rate: float, servers: int, hours: float, seed: int) -> int:
    """The textbook SimPy model: a process per customer waiting on a Resource."""
    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    waits: list[float] = []

    def customer(service: float):
        arrived = env.now
        with desk.request() as request:
            yield request
            waits.append(env.now - arrived)
            yield env.timeout(service)

    def source():
        n = int(rate * hours * 1.1) + 100
        gaps = rng.exponential(1 / rate, n).tolist()
        services = rng.exponential(1.0, n).tolist()
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(customer(service))

    env.process(source())
    env.run(until=hours)
    return len(waits)


def orgsim_queue(servers: int, rate: str, horizon: str, routing: str, seed: int) -> int:
    scenario = orgsim.load_text(
        QUEUE.format(name="bench", horizon=horizon, rate=rate, servers=servers, routing=routing)
    )
    records = run_replication(compile_model(scenario), seed)
    return len(records.leads["created"])


def best(function, repeat: int) -> tuple[float, int]:
    """Fastest wall time of `repeat` calls, and the call's result."""
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return min(times), result


def _peak_rss_mib() -> float:
    """This process's peak resident set (VmHWM), in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def memory_probe() -> dict:
    """Run in a fresh process: the reorg scenario's three variants, one replication each."""
    import tracemalloc

    scenario = orgsim.load(ROOT / "scenarios/reorg_sdr_split.yaml")
    models = [compile_model(scenario, name) for name in scenario.variants]
    before = _peak_rss_mib()
    start = time.perf_counter()
    leads = sum(len(run_replication(model, 1).leads["created"]) for model in models)
    elapsed = time.perf_counter() - start
    tracemalloc.start()
    try:
        for model in models:
            run_replication(model, 1)
        heap = tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()  # tracing slows everything after it several times over
    return {
        "leads": leads,
        "variants": len(models),
        "seconds": elapsed,
        "heap_mib": heap,
        "rss_mib": _peak_rss_mib(),
        "rss_before_mib": before,
    }


def reorg_models(people: bool) -> list:
    """The shipped reorg scenario's variants, with attrition, backfill and PTO set to the
    benchmark's figures in every role, or with none (ramps as shipped either way)."""
    from orgsim.config.schema import PTO, Backfill
    from orgsim.config.units import YEAR
    from orgsim.engine.model import compile_variant

    scenario = orgsim.load(ROOT / "scenarios/reorg_sdr_split.yaml")
    models = []
    for name in scenario.variants:
        chosen = scenario.variant(name)
        org = chosen.org
        people_fields = (
            {
                "attrition": 0.3 / YEAR,
                "backfill": Backfill.model_validate({"delay": "6w"}),
                "pto": PTO(days_per_year=20),
            }
            if people
            else {"attrition": 0.0, "backfill": None, "pto": None}
        )
        changed = {r: role.model_copy(update=people_fields) for r, role in org.roles.items()}
        org = org.model_copy(update={"roles": changed, "hires": []})
        models.append(compile_variant(chosen.market, org, name, scenario.warmup, scenario.horizon))
    return models


def people_ratio(repeat: int) -> tuple[float, float, float]:
    """Leads per second with and without people coming and going, interleaved runs."""
    plain, people = reorg_models(False), reorg_models(True)
    rates: dict[bool, list[float]] = {False: [], True: []}
    for _ in range(repeat):
        for flag, models in ((False, plain), (True, people)):
            start = time.perf_counter()
            leads = sum(len(run_replication(m, 1).leads["created"]) for m in models)
            rates[flag].append(leads / (time.perf_counter() - start))
    return max(rates[True]) / max(rates[False]), max(rates[True]), max(rates[False])


def main(repeat: int = 3) -> list[tuple[str, str, str]]:
    rows = []
    hours = 300 * 168
    hand, served = best(lambda: hand_written_mmc(4.0, 5, hours, 1), repeat)
    ours, leads = best(lambda: orgsim_queue(5, "4/h", "300w", "pool", 1), repeat)
    rows.append(
        (
            "(a) M/M/5, 300 weeks: orgsim / hand-written SimPy",
            f"{ours / hand:.2f}",
            f"orgsim {ours:.2f} s for {leads:,} leads; hand-written {hand:.2f} s "
            f"for {served:,}; target <= 2.0",
        )
    )
    gc.disable()  # orgsim pauses the collector during a run; give the baseline the same
    try:
        paused, _ = best(lambda: hand_written_mmc(4.0, 5, hours, 1), repeat)
    finally:
        gc.enable()
    rows.append(
        (
            "(a) same, baseline also without the collector",
            f"{ours / paused:.2f}",
            f"hand-written {paused:.2f} s with gc paused: the like-for-like engine cost",
        )
    )

    for routing in ("round_robin", "least_loaded"):
        # interleaved, so that both sizes see the same machine weather
        small, large = [], []
        for _ in range(repeat):
            for runs, args in ((small, (5, "4/h", "150w")), (large, (200, "160/h", "27d"))):
                start = time.perf_counter()
                n = orgsim_queue(*args, routing, 2)
                runs.append((time.perf_counter() - start) / n)
        ratio = min(large) / min(small)
        rows.append(
            (
                f"(b) per-lead cost, 200 reps / 5 reps ({routing})",
                f"{ratio:.2f}",
                f"{min(large) * 1e6:.1f} us vs {min(small) * 1e6:.1f} us per lead; target <= 1.3",
            )
        )

    probe = subprocess.run(
        [sys.executable, __file__, "--probe"], capture_output=True, text=True, check=True
    )
    stats = json.loads(probe.stdout)
    per_second = stats["leads"] / stats["seconds"]
    hand_per_second = served / hand
    rows.append(
        (
            "(c) reorg scenario: leads per second",
            f"{per_second:,.0f}",
            f"{stats['leads']:,} leads, {stats['variants']} variants x 1 replication, all records "
            "kept; "
            f"{per_second / hand_per_second:.2f} x the hand-written M/M/5 rate",
        )
    )
    rows.append(
        (
            "(c) reorg scenario: peak memory of a replication",
            f"{stats['heap_mib']:.1f} MiB",
            f"Python heap (tracemalloc); process peak {stats['rss_mib']:.0f} MiB, of "
            f"which {stats['rss_before_mib']:.0f} MiB is Python and libraries",
        )
    )
    ratio, with_people, without = people_ratio(repeat)
    rows.append(
        (
            "(d) reorg with attrition, backfill, PTO / without",
            f"{ratio:.2f}",
            f"{with_people:,.0f} vs {without:,.0f} leads per second (PTO gives each rep its own "
            "calendar: a bisection over its days off per task)",
        )
    )
    return rows


if __name__ == "__main__":
    if "--probe" in sys.argv:
        print(json.dumps(memory_probe()))
    else:
        for name, value, note in main():
            print(f"{name:<55} {value:>9}   {note}")
