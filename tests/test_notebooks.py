"""The notebooks are documents: committed without outputs, using only the public API.

(nbmake executes them as part of the test run; see pyproject's addopts.)"""

import ast
import json

import pytest

import orgsim

from .conftest import ROOT

NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_the_seven_planning_notebooks_exist():
    assert [n.name for n in NOTEBOOKS] == [
        "01_quickstart.ipynb",
        "02_reorg_functional_vs_process_stage.ipynb",
        "03_headcount_planning.ipynb",
        "04_hiring_plan.ipynb",
        "05_reorg_transition.ipynb",
        "06_from_your_crm.ipynb",
        "07_forecast_accuracy.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[n.stem for n in NOTEBOOKS])
def test_notebook_is_stripped_and_uses_only_the_public_api(path):
    notebook = json.loads(path.read_text())
    cells = notebook["cells"]
    assert sum(c["cell_type"] == "markdown" for c in cells) >= 5
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        assert cell["outputs"] == [] and cell["execution_count"] is None, "strip outputs"
        source = "".join(cell["source"])
        tree = ast.parse(
            "\n".join(line for line in source.splitlines() if not line.startswith("%"))
        )
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom | ast.Import):
                names = (
                    [node.module]
                    if isinstance(node, ast.ImportFrom)
                    else [a.name for a in node.names]
                )
                for name in names:
                    assert not (name or "").startswith("orgsim."), f"private import {name}"
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "orgsim"
            ):
                assert node.attr in orgsim.__all__, f"orgsim.{node.attr} is not public"
    assert "QUICK" in "".join(cells[1]["source"]), "one parameter cell, second in the notebook"
