"""Names a package offers but imports on first use (PEP 562).

`orgsim --help` and `orgsim validate` should not pay for pandas, scipy and matplotlib, nor
for building every model, only because a package's `__init__` re-exports them.
"""

from __future__ import annotations

from importlib import import_module


def lazy_names(package: str, homes: dict[str, str]):
    """A package's `__getattr__` and `__dir__` for `homes` (name -> module it lives in)."""

    def __getattr__(name: str):
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(import_module(homes[name]), name)
        import_module(package).__dict__[name] = value  # the next lookup is a plain one
        return value

    def __dir__():
        return sorted({*import_module(package).__dict__, *homes})

    return __getattr__, __dir__
