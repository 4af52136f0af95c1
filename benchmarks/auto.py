"""Replications on demand: `compare` with `replications: auto` against the scenario's fixed
count, on the shipped scenarios, in one run.

For each scenario: seconds with the fixed count and with `auto` (best of `repeat`, on
every core), their ratio, the replications `auto` took and why it stopped, and whether
both reach the same verdict on every target of every design (met, or not). The ratio is
the figure to read: absolute seconds depend on the machine.
"""

from __future__ import annotations

import time
from pathlib import Path

import orgsim
from orgsim.experiment.runner import local_executor

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted(path.name for path in (ROOT / "scenarios").glob("*.yaml"))
"""Every shipped scenario (tests/test_sequential.py holds each to the same verdicts)."""


def _timed(scenario, replications, executor, repeat: int):
    best, found = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        found = orgsim.compare(scenario, replications=replications, executor=executor,
                               progress=False)  # fmt: skip
        best = min(best, time.perf_counter() - start)
    return best, found


def _verdicts(comparison) -> dict:
    """Each (design, target): met, not_sure or missed (`compare --json`'s verdicts)."""
    said = comparison.to_json()["verdicts"]
    return {(design, kpi): word for design, kpis in said.items() for kpi, word in kpis.items()}


def same_where_sure(auto: dict, fixed: dict) -> bool:
    """Whether auto reaches the fixed count's verdict on every target that count was sure of."""
    return all(auto[key] == word for key, word in fixed.items() if word != "not_sure")


def _agreement(auto: dict, fixed: dict) -> str:
    """Whether auto reaches the fixed count's verdicts where that count was sure, and how
    many of the ones it left not sure auto settled."""
    settled = sum(fixed[key] == "not_sure" != auto[key] for key in fixed)
    return (
        f"same verdicts where the fixed count was sure: {same_where_sure(auto, fixed)}; "
        f"settled {settled} it was not"
    )


def main(
    repeat: int = 1, names: list[str] | None = None, weeks: float | None = None
) -> list[tuple[str, str, str]]:
    """`weeks` shortens each scenario's horizon (the test suite's smoke run)."""
    rows = []
    with local_executor(None) as executor:
        for name in names or SCENARIOS:
            scenario = orgsim.load(ROOT / "scenarios" / name)
            if weeks is not None:
                scenario = scenario.model_copy(update={"horizon": weeks * 168.0})
            fixed_seconds, fixed = _timed(scenario, scenario.replications, executor, repeat)
            auto_seconds, auto = _timed(scenario, "auto", executor, repeat)
            rows += [
                (
                    f"{name}: compare, auto / fixed {scenario.replications}",
                    f"{auto_seconds / fixed_seconds:.2f}",
                    f"{auto_seconds:.1f} s against {fixed_seconds:.1f} s",
                ),
                (
                    f"{name}: replications auto took",
                    f"{auto.replications}",
                    f"{auto.stop.reason}; {_agreement(_verdicts(auto), _verdicts(fixed))}",
                ),
            ]
    return rows
