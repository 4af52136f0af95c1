"""The lead-flow simulation: compile a variant, run one replication from a seed.

The names below are imported on first use (`orgsim.lazy`): capacity compiles a model
without loading simpy and the replication machinery.
"""

from orgsim.lazy import lazy_names

_HOMES = {
    "Arrivals": "orgsim.engine.sources",
    "Model": "orgsim.engine.model",
    "Records": "orgsim.engine.recorder",
    "compile_model": "orgsim.engine.model",
    "compile_variant": "orgsim.engine.model",
    "run_replication": "orgsim.engine.run",
}

__all__ = sorted(_HOMES)
__getattr__, __dir__ = lazy_names(__name__, _HOMES)
