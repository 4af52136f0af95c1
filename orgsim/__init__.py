"""orgsim: simulate a revenue organisation before you reorganise it."""

from importlib.metadata import PackageNotFoundError, version

from orgsim.analysis.capacity import Capacity, capacity
from orgsim.analysis.compare import Comparison, compare
from orgsim.analysis.plan import Plan, plan
from orgsim.analysis.results import Results, simulate
from orgsim.analysis.sweep import SweepResult, sweep
from orgsim.config import ConfigError, Scenario, load, load_text

try:
    __version__ = version("orgsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"

__all__ = [
    "Capacity",
    "Comparison",
    "ConfigError",
    "Plan",
    "Results",
    "Scenario",
    "SweepResult",
    "__version__",
    "capacity",
    "compare",
    "load",
    "load_text",
    "plan",
    "simulate",
    "sweep",
]
