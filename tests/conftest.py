"""Shared fixtures; `--runslow` runs the minutes-long checks too (`matrix`).

The fast lane, `pytest -m "not statistical and not slow"`, leaves out the tests marked
`statistical` (many replications against theory) and `slow` (the notebooks, the published
figures, interrupts, the planner against exhaustive search, the slowest end-to-end command
checks): every module still runs."""

from __future__ import annotations

import importlib
import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser):
    parser.addoption(
        "--runslow",
        action="store_true",
        help="also run the minutes-long checks: the capacity-accuracy matrix, the planner's "
        "selection, auto against the fixed count on every shipped scenario",
    )


def pytest_collection_modifyitems(config, items):
    skip = pytest.mark.skip(
        reason="minutes long (capacity accuracy, planner selection, auto on every shipped "
        "scenario): --runslow"
    )
    for item in items:
        if item.path.suffix == ".ipynb":  # nbmake's notebooks: a minute or more each
            item.add_marker(pytest.mark.slow)
        if "matrix" in item.keywords and not config.getoption("--runslow"):
            item.add_marker(skip)


def needs(module: str):
    """Import a tool a test needs: skipped on a developer's machine without it, a failure in
    CI (where the README's install command must have brought it)."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module)


@pytest.fixture
def root() -> Path:
    return ROOT


@pytest.fixture
def write(tmp_path):
    """Write a dedented YAML file into the test's folder and return its path."""

    def _write(name: str, text: str) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return _write
