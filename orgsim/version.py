"""orgsim's version, in a module of its own so that any layer can stamp results with it."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("orgsim")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0"
