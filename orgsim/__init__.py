"""orgsim: simulate a revenue organisation before you reorganise it.

The names below are imported on first use (`orgsim.lazy`): `orgsim --help`, `validate`
and `capacity` do not pay for pandas, scipy and matplotlib.
"""

from orgsim.lazy import lazy_names

_HOMES = {
    "Backtest": "orgsim.history.backtest",
    "backtest": "orgsim.history.backtest",
    "Calibration": "orgsim.history.calibrate",
    "calibrate": "orgsim.history.calibrate",
    "Capacity": "orgsim.analytic.capacity",
    "capacity": "orgsim.analytic.capacity",
    "ConfigError": "orgsim.config",
    "Scenario": "orgsim.config",
    "load": "orgsim.config",
    "load_text": "orgsim.config",
    "Comparison": "orgsim.experiment.compare",
    "compare": "orgsim.experiment.compare",
    "Forecast": "orgsim.experiment.forecast",
    "forecast": "orgsim.experiment.forecast",
    "ForecastScore": "orgsim.experiment.score",
    "score_forecasts": "orgsim.experiment.score",
    "Plan": "orgsim.experiment.plan",
    "plan": "orgsim.experiment.plan",
    "Results": "orgsim.experiment.results",
    "simulate": "orgsim.experiment.results",
    "SweepResult": "orgsim.experiment.sweep",
    "sweep": "orgsim.experiment.sweep",
    "__version__": "orgsim.version",
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
