"""The benchmarks still run (smoke test on tiny workloads; the measurements are not tests)."""

import sys

import pytest

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))

import auto
import calibrate
import engine
import plan
import startup
import sweep


@pytest.mark.slow
def test_engine_benchmark_parts_run():
    assert engine.hand_written_mmc(4.0, 5, 200.0, 1) > 500
    assert engine.orgsim_queue(5, "4/h", "1w", "pool", 1) > 500
    probe = engine.memory_probe()
    assert probe["variants"] == 4 and probe["leads"] > 1000 and probe["heap_mib"] > 0


def test_sweep_benchmark_counts_workers():
    assert sweep.counts(16) == [1, 2, 4, 8, 16]
    assert sweep.counts(6) == [1, 2, 4, 6]
    assert 0 < sweep.cpu_ceiling(1, 1000) < 10


@pytest.mark.slow
def test_plan_benchmark_runs():
    timing, ratio, ran = plan.main(1, replications=3, weeks=13)
    assert timing[1].endswith(" s") and float(ratio[1]) > 1 and 0 < float(ran[1]) <= 1


@pytest.mark.slow
def test_auto_benchmark_runs():
    ratio, took = auto.main(1, ["smb_velocity.yaml"], weeks=4)
    assert float(ratio[1]) > 0 and int(took[1]) >= 10
    assert "same verdicts where the fixed count was sure: True" in took[2]


def test_quick_commands_load_no_heavy_library():
    """`--help` and `validate` start without pandas, scipy, matplotlib, networkx or numpy
    (what keeps them under half a second, benchmarks/startup.py); `capacity` of a team
    without shifts needs numpy alone (scipy only for the weekly chain, no simpy)."""
    assert startup.loaded(["--help"]) == []
    assert startup.loaded(["validate", startup.SCENARIO]) == []
    assert startup.loaded(["capacity", "--help"]) == []
    assert startup.loaded(["capacity", startup.SCENARIO]) == ["numpy"]


def test_calibration_benchmark_runs():
    timing, ratio = calibrate.main(1, rows=20_000)
    assert timing[1].endswith(" s") and float(ratio[1].rstrip("x")) > 1


@pytest.mark.matrix
@pytest.mark.parametrize("name", auto.SCENARIOS)
def test_auto_reaches_the_fixed_counts_verdicts_on_every_shipped_scenario(name):
    """`replications: auto` and the scenario's fixed count agree on every target the fixed
    count is sure of (a minute or two per scenario on 2 cores: --runslow; the figures are
    `python benchmarks/run.py auto`'s)."""
    _, took = auto.main(1, [name])
    assert "same verdicts where the fixed count was sure: True" in took[2], took
