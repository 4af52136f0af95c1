"""The shipped example library: every file validates, and the JSON Schemas agree."""

import json

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from orgsim.cli import app
from orgsim.config import check_file
from orgsim.config.jsonschema import schemas

from .conftest import ROOT

FILES = sorted([*ROOT.glob("configs/**/*.yaml"), *ROOT.glob("scenarios/*.yaml")])


def test_there_is_an_example_library():
    names = {f.relative_to(ROOT).as_posix() for f in FILES}
    for required in [
        "configs/markets/saas_midmarket.yaml",
        "configs/orgs/functional.yaml",
        "configs/orgs/process_stage.yaml",
        "configs/orgs/pods.yaml",
        "scenarios/reorg_sdr_split.yaml",
        "scenarios/headcount_plan.yaml",
    ]:
        assert required in names
    assert len([n for n in names if n.startswith("configs/markets/")]) >= 2


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_every_shipped_file_validates_without_warnings(path):
    kind, _model, warnings = check_file(path)
    assert kind == yaml.safe_load(path.read_text())["kind"]
    assert not warnings


def test_validate_command_over_the_library(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = CliRunner().invoke(app, ["validate", *[str(f.relative_to(ROOT)) for f in FILES]])
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok: ") == len(FILES)
    assert (
        "scenarios/reorg_sdr_split.yaml: ok: scenario 'Split full-cycle reps into SDR + AE'"
        ": 4 variants" in result.output
    )


class _Yaml12(yaml.SafeLoader):
    """YAML as an editor's language server reads it (YAML 1.2: `2025-01-06` is a string,
    which the schema describes as a date), not PyYAML's 1.1 timestamps."""


_Yaml12.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.mark.parametrize("path", FILES, ids=[f.name for f in FILES])
def test_json_schema_accepts_every_shipped_file(path):
    data = yaml.load(path.read_text(), Loader=_Yaml12)
    schema = schemas()[data["kind"]]
    jsonschema.Draft202012Validator(schema).validate(data)


def test_json_schema_rejects_an_unknown_field():
    data = yaml.safe_load((ROOT / "configs/orgs/functional.yaml").read_text())
    data["roles"]["rep"]["headcont"] = 3
    errors = list(jsonschema.Draft202012Validator(schemas()["org"]).iter_errors(data))
    assert errors


def test_schema_command_writes_three_files(tmp_path):
    result = CliRunner().invoke(app, ["schema", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for kind in ("market", "org", "scenario"):
        schema = json.loads((tmp_path / f"{kind}.schema.json").read_text())
        assert schema["title"] == f"orgsim {kind}"
