"""The lead-flow simulation: compile a variant, run one replication from a seed."""

from orgsim.engine.model import Model, compile_model, compile_variant
from orgsim.engine.recorder import Records
from orgsim.engine.run import run_replication
from orgsim.engine.sources import Arrivals

__all__ = ["Arrivals", "Model", "Records", "compile_model", "compile_variant", "run_replication"]
