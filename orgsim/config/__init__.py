"""The scenario language: read YAML exactly, check it, and say precisely what is wrong."""

from orgsim.config.errors import ConfigError, Problem
from orgsim.config.scenario import Scenario, check_file, load, load_text
from orgsim.config.schema import Market, Org, Variant

__all__ = [
    "ConfigError",
    "Market",
    "Org",
    "Problem",
    "Scenario",
    "Variant",
    "check_file",
    "load",
    "load_text",
]
