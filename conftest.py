"""Test-session settings shared by tests/ and the notebooks run through nbmake."""

import os

# Notebooks read ORGSIM_QUICK to run with small replication counts under test;
# their kernels inherit this process's environment.
os.environ.setdefault("ORGSIM_QUICK", "1")
os.environ.setdefault("MPLBACKEND", "Agg")
