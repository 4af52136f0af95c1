"""`--help` teaches: every command explains itself with an example."""

import re

import pytest
from typer.testing import CliRunner

from orgsim.cli import app

COMMANDS = [c.name or c.callback.__name__ for c in app.registered_commands]


def test_top_level_help_lists_commands():
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.output
    assert not re.search(r"<(bool|int|float|str|path|list)", result.output, re.IGNORECASE)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(app, [command, "--help"], terminal_width=120)
    assert result.exit_code == 0, result.output
    assert "Example" in result.output
    assert f"orgsim {command}" in result.output
    # placeholders in words (N, PATH, TEXT), never Python types such as <list[str]>
    assert not re.search(r"<(bool|int|float|str|path|list)", result.output, re.IGNORECASE)


def test_a_missing_file_is_a_clean_error(tmp_path):
    result = CliRunner().invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert f"{tmp_path / 'nope.yaml'}:1:1: <document>: no such file" in result.output
