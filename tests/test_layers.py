"""The package's layers import only downward (docs/architecture.md), and no module reaches
for another package's private names."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re

import orgsim

from .conftest import ROOT

LAYERS = ["config", "engine", "measure", "analytic", "report", "experiment", "history", "workshop"]
"""Lowest first; a module imports only its own layer and lower ones. The command line and
the public API (orgsim/__init__.py, __main__.py, the cli package) sit on top of all of them;
orgsim/version.py, orgsim/lazy.py and orgsim/text.py, which import nothing of orgsim, below
all of them."""
TOP = {"orgsim", "orgsim.__main__", "orgsim.cli"}
BASE = {"orgsim.version", "orgsim.lazy", "orgsim.text"}


def _layer(module: str) -> int:
    if module in TOP or module.startswith("orgsim.cli."):
        return len(LAYERS)
    if module in BASE:
        return -1
    return LAYERS.index(module.split(".")[1])


def _package(module: str) -> str:
    if module.startswith("orgsim.cli"):
        return "orgsim.cli"
    return module if module in TOP | BASE else module.split(".")[1]


def _imports(path) -> list[tuple[str, list[str], int]]:
    """(module imported, names taken from it, line) for every orgsim import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("orgsim"):
            found.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("orgsim"):
                    found.append((alias.name, [], node.lineno))
    return found


def _modules() -> list[tuple[str, object]]:
    package = ROOT / "orgsim"
    modules = []
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules.append((name, path))
    return modules


def test_every_package_is_a_known_layer():
    packages = {m.name for m in pkgutil.iter_modules(orgsim.__path__) if m.ispkg}
    modules = {m.name for m in pkgutil.iter_modules(orgsim.__path__) if not m.ispkg}
    assert packages == {*LAYERS, "cli"}
    assert {f"orgsim.{m}" for m in modules} == (TOP | BASE) - {"orgsim", "orgsim.cli"}


def test_layers_import_only_downward_and_no_private_names_across_packages():
    problems = []
    for name, path in _modules():
        for module, names, line in _imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            if _layer(module) > _layer(name):
                problems.append(f"{where}: {name} imports {module}, a higher layer")
            other = _package(module) != _package(name)
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            private += [p for p in module.split(".") if p.startswith("_")]
            if other and private:
                problems.append(f"{where}: {name} imports private {private} from {module}")
    assert not problems, "\n".join(problems)


def test_each_package_says_its_job_in_its_docstring():
    for layer in LAYERS:
        package = importlib.import_module(f"orgsim.{layer}")
        doc = (package.__doc__ or "").strip()
        assert doc and len(doc) < 300, f"orgsim.{layer} needs a one-sentence docstring"


def test_the_architecture_page_names_every_module_and_only_real_ones():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"^\| `([a-z_/]+\.py)` \|", page, flags=re.M))
    package = ROOT / "orgsim"
    real = {
        p.relative_to(package).as_posix()
        for p in package.rglob("*.py")
        if p.name not in ("__init__.py", "__main__.py", "version.py")
    }
    assert listed == real, (sorted(real - listed), sorted(listed - real))
