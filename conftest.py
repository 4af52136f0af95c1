"""Test-session settings shared by tests/ and the notebooks run through nbmake."""

import os

# Notebooks read ORGSIM_QUICK to run with small replication counts under test;
# their kernels inherit this process's environment.
os.environ.setdefault("ORGSIM_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
# Every replication the tests (and notebooks) simulate is checked against the engine's
# invariants: one task per rep at a time, work only in scheduled hours, leads and
# people conserved (orgsim/engine/invariants.py).
os.environ.setdefault("ORGSIM_CHECK", "1")

# The longest tests start first, so that CI's two workers finish together instead of one
# running a minute-long notebook or planner check alone at the end (measured: about a
# minute of the suite's wall time). Order within each group is kept.
LONGEST_FIRST = (
    "notebooks/",
    "tests/test_published_figures.py",
    "tests/test_planner.py",
    "tests/test_engine_theory.py",
    "tests/test_capacity_plan.py",
    "tests/test_calibration.py",
    "tests/test_benchmarks.py",
    "tests/test_forecast_scoring.py",
    "tests/test_engine_patience_theory.py",
)


def pytest_collection_modifyitems(items):
    """Stable sort: the files of LONGEST_FIRST first, everything else after, in its order."""
    items.sort(key=lambda item: not item.nodeid.startswith(LONGEST_FIRST))
