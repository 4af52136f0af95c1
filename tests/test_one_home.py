"""One home per rule: a KPI family is declared once and computed once, a KPI name is built
only by the catalogue's builders, a target is read only by its module, and the utilization
line is crossed by one comparison (docs/architecture.md)."""

from __future__ import annotations

import ast

import orgsim
from orgsim.config import kpis as catalogue
from orgsim.engine import compile_model, run_replication
from orgsim.measure import kpis as measure

from .conftest import ROOT

PACKAGE = ROOT / "orgsim"
PREFIXES = ("role.", "stage.", "sla.", "source.", "quarter.")


def _sources():
    for path in sorted(PACKAGE.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def test_every_kpi_family_has_one_computation_and_every_computation_a_family():
    declared = [form for forms, _ in measure.COMPUTATIONS for form in forms]
    assert sorted(declared) == sorted(catalogue.FAMILIES), (
        "each family in config/kpis.FAMILIES needs exactly one @computes in measure/kpis.py"
    )


def test_each_computation_fills_only_its_own_families():
    scenario = orgsim.load(ROOT / "scenarios/reorg_transition.yaml").with_run(replications=1)
    for variant, chosen in scenario.variants.items():
        model = compile_model(scenario, variant)
        replication = measure.Replication(run_replication(model, 1), model)
        out: dict[str, float] = {}
        for forms, computation in measure.COMPUTATIONS:
            before = set(out)
            computation(replication, out)
            strays = {n for n in set(out) - before if catalogue.info(n).family not in forms}
            assert not strays, (computation.__name__, sorted(strays)[:5])
        reported = catalogue.of_variant(chosen, scenario.horizon)
        assert set(reported) <= set(out), sorted(set(reported) - set(out))[:5]


def _builds_a_kpi_name(node: ast.JoinedStr) -> bool:
    """An f-string such as f"role.{role}.utilization": a prefix, a value, then `.more`."""
    parts = node.values
    return (
        len(parts) >= 3
        and isinstance(parts[0], ast.Constant)
        and str(parts[0].value) in PREFIXES
        and isinstance(parts[1], ast.FormattedValue)
        and isinstance(parts[2], ast.Constant)
        and str(parts[2].value).startswith(".")
    )


def test_no_kpi_name_is_spelled_outside_the_catalogue():
    found = [
        f"{path}:{node.lineno}"
        for path, tree in _sources()
        if path != "orgsim/config/kpis.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.JoinedStr) and _builds_a_kpi_name(node)
    ]
    assert not found, f"build KPI names with config/kpis.py's builders: {found}"


def test_targets_are_read_only_by_their_module():
    homes = {"orgsim/config/targets.py", "orgsim/config/schema.py"}
    found = []
    for path, tree in _sources():
        if path in homes:
            continue
        for node in ast.walk(tree):
            called = isinstance(node, ast.Call) and ast.unparse(node.func) in (
                "Target",
                "Target.model_validate",
            )
            pattern = isinstance(node, ast.Constant) and ">=|<=" in str(node.value)
            if called or pattern:
                found.append(f"{path}:{node.lineno}")
    assert not found, f"read targets with config/targets.py: {found}"


def test_the_utilization_line_is_crossed_by_one_comparison():
    found = [
        f"{path}:{node.lineno}"
        for path, tree in _sources()
        if path != "orgsim/config/saturation.py"
        for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any("BUSY" in ast.unparse(part) for part in [node.left, *node.comparators])
    ]
    assert not found, f"compare with saturation.over: {found}"


LONGEST = 60
"""Lines a function may take, its docstring aside (a command's docstring is its `--help`)."""


def test_no_function_is_longer_than_a_screen():
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            lines = node.end_lineno - node.lineno + 1
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                lines -= first.end_lineno - first.lineno + 1
            if lines >= LONGEST:
                found.append(f"{path}:{node.lineno} {node.name} ({lines} lines)")
    assert not found, f"split these into steps that each say what they do: {found}"
