"""orgsim: simulate a revenue organisation before you reorganise it."""

from orgsim.analytic.capacity import Capacity, capacity
from orgsim.config import ConfigError, Scenario, load, load_text
from orgsim.experiment.compare import Comparison, compare
from orgsim.experiment.plan import Plan, plan
from orgsim.experiment.results import Results, simulate
from orgsim.experiment.sweep import SweepResult, sweep
from orgsim.version import __version__

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
