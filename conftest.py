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
