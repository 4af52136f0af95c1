"""Planner benchmark: how long the shipped headcount plan takes, and how many plans it needs.

The README promises `orgsim plan scenarios/headcount_plan.yaml --role sdr --role ae`
finishes in well under 30 seconds on a 2-core machine; this measures it (best of
`repeat`) next to one simulation of the scenario, so the figure reads as "this many
simulations' worth" on any machine.
"""

from __future__ import annotations

import time
from pathlib import Path

import orgsim

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios/headcount_plan.yaml"


def main(
    repeat: int = 3, replications: int | None = None, weeks: float | None = None
) -> list[tuple[str, str, str]]:
    """`replications` and `weeks` (the horizon) shrink the workload (the suite's smoke run)."""
    scenario = orgsim.load(SCENARIO).with_run(replications=replications)
    if weeks is not None:
        scenario = scenario.model_copy(update={"horizon": weeks * 168.0})
    plan_seconds, one_seconds, plans, ran = float("inf"), float("inf"), 0, 0
    for _ in range(repeat):
        start = time.perf_counter()
        result = orgsim.plan(scenario, roles=["sdr", "ae"], progress=False)
        plan_seconds = min(plan_seconds, time.perf_counter() - start)
        plans = len(result.evaluated)
        ran = sum(int(c.summary["n"].max()) for c in result.evaluated)
        start = time.perf_counter()
        orgsim.simulate(scenario, progress=False)
        one_seconds = min(one_seconds, time.perf_counter() - start)
    return [
        (
            "headcount_plan.yaml, sdr and ae: seconds to plan",
            f"{plan_seconds:.1f} s",
            f"{plans} plans simulated; target < 30 s on 2 cores",
        ),
        (
            "same, in simulations of the scenario",
            f"{plan_seconds / one_seconds:.1f}",
            f"one simulation ({scenario.replications} replications) takes {one_seconds:.2f} s",
        ),
        (
            "replications run, against a fixed count for every plan",
            f"{ran / (plans * scenario.replications):.2f}",
            f"{ran} of {plans * scenario.replications}: plans judged early stop at 5",
        ),
    ]
