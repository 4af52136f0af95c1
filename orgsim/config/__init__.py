"""The scenario language: read YAML exactly, check it, and say precisely what is wrong.

The names below are imported on first use (`orgsim.lazy`): a light module of this package
(`errors`, `saturation`) can be imported without building every model.
"""

from orgsim.lazy import lazy_names

_HOMES = {
    "ConfigError": "orgsim.config.errors",
    "Problem": "orgsim.config.errors",
    "Scenario": "orgsim.config.scenario",
    "check_file": "orgsim.config.scenario",
    "load": "orgsim.config.scenario",
    "load_text": "orgsim.config.scenario",
    "Market": "orgsim.config.schema",
    "Org": "orgsim.config.schema",
    "Variant": "orgsim.config.schema",
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
