"""docs/reference.md is generated from the models, complete and current."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from typer.testing import CliRunner

from orgsim.cli import app

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("reference", ROOT / "docs/reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_field_has_a_description():
    assert _generator().missing() == []


def test_the_reference_page_is_current():
    """Regenerate with `python docs/reference.py` after changing a field or a KPI."""
    assert (ROOT / "docs/reference.md").read_text(encoding="utf-8") == _generator().render()


def test_the_reference_lists_every_kpi_of_a_shipped_scenario():
    import orgsim

    page = (ROOT / "docs/reference.md").read_text(encoding="utf-8")
    names = orgsim.load(ROOT / "scenarios/reorg_sdr_split.yaml").kpi_names()
    for name in names:
        parts = name.split(".")
        if parts[0] in ("stage", "sla", "role", "source", "quarter") and len(parts) >= 3:
            continue  # written with placeholders
        assert f"`{name}`" in page, name


def test_json_schemas_carry_the_descriptions(tmp_path):
    """Editors show a field's description on hover: the schema must hold it."""
    result = CliRunner().invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    market = json.loads(next(tmp_path.glob("*market*.json")).read_text())
    text = json.dumps(market)
    assert "Leads per unit of time" in text and "Share of revenue left" in text


def test_a_field_docstring_is_its_description_unless_it_gives_its_own():
    """`config/described.py` reads docstrings from the source, as pydantic's
    `use_attribute_docstrings` would: a field written with a description keeps it, a class
    variable is not a field, and a field given as a `Field(...)` is described there."""
    from typing import Annotated, ClassVar

    from pydantic import Field

    from orgsim.config.distributions import Frozen

    shared = Field(default=1)

    class Sample(Frozen):
        plain: int = 3
        """The plain one."""
        required: str
        """Must be given."""
        written: Annotated[int, Field(description="Its own words.")] = 0
        """Not these."""
        from_field: int = shared
        """Not read: a Field keeps only what it was given."""
        kind: ClassVar[str] = "sample"
        """A class variable."""

    fields = Sample.model_fields
    assert fields["plain"].description == "The plain one." and fields["plain"].default == 3
    assert fields["required"].description == "Must be given." and fields["required"].is_required()
    assert fields["written"].description == "Its own words."
    assert fields["from_field"].description is None and fields["from_field"].default == 1
    assert "kind" not in fields
    assert Sample(required="x").plain == 3
