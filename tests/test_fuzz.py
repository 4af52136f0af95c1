"""Random damage to every shipped file never gives a traceback or a hang: `orgsim validate`
exits 0 or 2, every error line is FILE:LINE:COL: path: message naming a real line of the
damaged file, and a mutant that is still valid simulates a replication.

Damage comes two ways, one to three times per example: to the data (a value swapped for
another type, a huge or tiny number, a key deleted or renamed) and to the text (a YAML tag,
an alias, an anchor that repeats itself, deep nesting, a control character, torn text).
FUZZ_EXAMPLES=2000 runs a long campaign; CI runs the default.
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.config import ConfigError

from .conftest import ROOT

pytestmark = pytest.mark.slow

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): \S.*?: .+$")
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.sampled_from([10**40, -(10**40), 1e300, -1e300, 1e-300, 0, -1]),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        ["4h", "0.5", "1e-3", "no", "150/week", "lost", "sdr", "mql", "-1h", "{", "dist"]
    ),
    st.sampled_from(["999999999999999999999d", "1e400/week", "24:00", "\x1b[31m", "9" * 40]),
    # text that is markup, turns a line round, cannot be encoded or hides a line break
    st.sampled_from(["[/bold]", "[link=https://x.example]x[/link]", "a\u202eb", "\ud800", "sdr\n"]),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.just({"dist": "gamma", "mean": "2h", "cv": 1e-300}),
    st.just({"dist": "lognormal", "mean": "2h", "cv": 1e300}),
    st.just({"by_segment": {"smb": 1}}),
)
TEXT_DAMAGE = st.sampled_from(
    [
        "!!float abc",
        "!!int zz",
        "!!python/object/apply:os.system ['echo hi']",
        "*nowhere",
        "&a [*a]",
        "[" * 200 + "]" * 200,
        '"\\e]0;title\\a"',
        "\t",
        ": :",
        "<<: 3",
    ]
)
FILES = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "configs").glob("*/*.yaml")) + sorted(
    str(p.relative_to(ROOT)) for p in (ROOT / "scenarios").glob("*.yaml")
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _paths(value, (*prefix, i))


def _mutate(data, path, action, junk):
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "replace":
        parent[last] = junk
    elif action == "delete" and isinstance(parent, dict):
        del parent[last]
    elif action == "rename" and isinstance(parent, dict):
        parent[f"{last}x"] = parent.pop(last)


def _damage(target: Path, moves) -> None:
    for kind, pick, junk, action, text_damage in moves:
        if kind == "text":  # damage the text itself: tags, aliases, nesting, torn lines
            text = target.read_text()
            cut = pick % max(1, len(text))
            target.write_text(text[:cut] + text_damage + text[cut + 3 :])
            continue
        try:
            data = yaml.safe_load(target.read_text())
        except (yaml.YAMLError, ValueError, RecursionError):  # torn by an earlier move
            continue
        paths = [p for p in _paths(data) if p]
        if paths:
            _mutate(data, paths[pick % len(paths)], action, junk)
            target.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=False))


def _scenarios_reading(file: str) -> list[str]:
    """The shipped scenarios that read `file` (a scenario reads itself)."""
    if file.startswith("scenarios/"):
        return [file]
    name = Path(file).name
    return [
        str(p.relative_to(ROOT))
        for p in sorted((ROOT / "scenarios").glob("*.yaml"))
        if name in p.read_text()
    ]


MOVE = st.tuples(
    st.sampled_from(["data", "text"]),
    st.integers(min_value=1),
    JUNK,
    st.sampled_from(["replace", "delete", "rename"]),
    TEXT_DAMAGE,
)


@settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 60)),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(file=st.sampled_from(FILES), moves=st.lists(MOVE, min_size=1, max_size=3))
def test_damage_gives_a_result_or_placed_errors_and_valid_mutants_simulate(file, moves):
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(ROOT / "configs", work / "configs")
        shutil.copytree(ROOT / "scenarios", work / "scenarios")
        target = work / file
        _damage(target, moves)
        lines_in_file = target.read_text(errors="replace").count("\n") + 1
        result = CliRunner().invoke(app, ["validate", str(target)])
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert result.exit_code in (0, 2), result.output
        if result.exit_code == 2:
            errors = [line for line in result.output.splitlines() if "warning:" not in line]
            assert errors, result.output
            for line in errors:
                match = LINE.match(line)
                assert match, line
                if Path(match["file"]) == target:
                    assert 1 <= int(match["line"]) <= lines_in_file, line
            return
        for scenario in _scenarios_reading(file):  # still valid: it must also run
            try:
                loaded = orgsim.load(work / scenario)
            except ConfigError:  # the file is fine alone, not with its scenario: said clearly
                continue
            orgsim.simulate(loaded.with_run(replications=1), progress=False)
