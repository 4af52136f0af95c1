"""YAML is read safely, exactly, and with positions; YAML 1.1 surprises do not leak through."""

import pytest

from orgsim.config.errors import ConfigError
from orgsim.config.yamlio import parse


def test_yaml_1_2_scalars():
    tree = parse("a: no\nb: yes\nc: 1e-3\nd: on\ne: 08:00\nf: true\ng: ~\nh: 0x10\ni: 010\n", "f")
    assert tree.data == {
        "a": "no",
        "b": "yes",
        "c": 0.001,
        "d": "on",
        "e": "08:00",
        "f": True,
        "g": None,
        "h": 16,
        "i": 10,
    }


def test_a_segment_called_no_stays_a_string(write):
    from orgsim.config import check_file

    path = write(
        "m.yaml",
        """
        kind: market
        name: m
        segments: {no: {deal_value: 1e3}, yes: {deal_value: 5}}
        sources: {s: {rate: 1/h, enters: a, mix: {no: 0.5, yes: 0.5}}}
        journey: {a: {outcomes: {b: 0.5}}, b: {}}
    """,
    )
    _kind, market, _ = check_file(path)
    assert list(market.segments) == ["no", "yes"]
    assert market.segments["no"].deal_value == 1000.0


def test_positions_are_one_based_and_point_at_the_value():
    tree = parse("a:\n  b: [1, 2]\n  c: {d: x}\n", "f")
    assert tree.values[("a", "b", 1)][1:3] == (2, 10)
    assert tree.keys[("a", "c")][1:3] == (3, 3)
    assert tree.values[("a", "c", "d")][1:3] == (3, 10)


def test_duplicate_keys_are_errors_everywhere():
    with pytest.raises(ConfigError) as err:
        parse("a: 1\nb: {x: 1, x: 2}\na: 3\n", "f.yaml")
    text = str(err.value)
    assert "f.yaml:2:11: b.x: duplicate key 'x'" in text
    assert "f.yaml:3:1: a: duplicate key 'a' (first written at line 1)" in text


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['touch /tmp/pwned']",
        "!!python/name:os.system",
        "!custom x",
        "!!binary aGk=",
        "!!timestamp 2024-01-01",
        "!!set {a, b}",
    ],
)
def test_tags_are_refused_and_never_constructed(tag, tmp_path):
    with pytest.raises(ConfigError, match="not allowed"):
        parse(f"a: {tag}\n", "f.yaml")


def test_merge_keys_and_anchors_work():
    tree = parse("base: &b {x: 1, y: 2}\nc: {<<: *b, y: 3}\n", "f")
    assert tree.data["c"] == {"x": 1, "y": 3}


@pytest.mark.parametrize(
    ("text", "says"),
    [("", "empty"), ("a: [1, 2\n", "YAML syntax"), ("a: 1\n---\nb: 2\n", "YAML syntax")],
)
def test_unreadable_documents(text, says):
    with pytest.raises(ConfigError, match=says):
        parse(text, "f.yaml")


def _bomb(levels: int = 8) -> str:
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for i in range(1, levels + 1):
        name, previous = chr(97 + i), chr(96 + i)
        text += f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 9) + "]\n"
    return text


@pytest.mark.parametrize(
    ("text", "line", "says"),
    [
        (_bomb(), 1, "expands to more than 200,000 values"),  # 9^9 values, 400 bytes
        ("name: &x [*x]\n", 1, "nested deeper than 64 levels"),  # an alias inside itself
        ("name: " + "[" * 3000 + "]" * 3000 + "\n", 1, "nested too deeply"),
        ("a: !!float abc\n", 1, "'abc' is not a number"),
        ("a: !!int zz\n", 1, "'zz' is not a whole number"),
        ("a: !!bool maybe\n", 1, "'maybe' is not true or false"),
        ("a: " + "9" * 400 + "\n", 1, "400-digit integer is too large"),
        ('a: "\\e[31mred"\n', 1, "control character '\\x1b'"),
        ('"\\e]0;title\\a": 1\n', 1, "a key holds a control character"),
        ("a: " + "x" * 2_000_001 + "\n", 1, "orgsim reads files of up to 2,000,000"),
    ],
)
def test_hostile_yaml_gets_a_placed_error_quickly(text, line, says):
    """Bombs, recursion, deep nesting, tags that do not fit their text, huge integers and
    terminal escape sequences: a FILE:LINE error each, never a traceback or a hang."""
    with pytest.raises(ConfigError) as caught:
        parse(text, "f.yaml")
    problem = caught.value.problems[0]
    assert problem.file == "f.yaml" and problem.line == line and says in problem.message


@pytest.mark.parametrize(
    ("written", "huge", "field"),
    [
        ("rate: 120/week", "rate: 99999999999999999999/week", "sources.inbound.rate"),
        ("mean: 9000,", "mean: 1000000000000000,", "segments.smb.deal_value.mean"),
        ("buyer_delay: 60d", "buyer_delay: 9999999999999999d", "journey.nurture.buyer_delay"),
    ],
)
def test_values_beyond_any_plan_are_refused_at_their_line(written, huge, field, tmp_path):
    from orgsim.config import check_file

    from .conftest import ROOT

    text = (ROOT / "configs/markets/saas_midmarket.yaml").read_text(encoding="utf-8")
    assert text.count(written) == 1
    line = text[: text.index(written)].count("\n") + 1
    path = tmp_path / "m.yaml"
    path.write_text(text.replace(written, huge), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        check_file(path)
    (problem,) = caught.value.problems
    assert (problem.line, problem.path) == (line, field) and "too large" in problem.message


@pytest.mark.parametrize(
    ("written", "changed", "says"),
    [
        ("cv: 0.5}}", "cv: 1e300}}", "too large"),  # lognormal: sigma would overflow
        ("cv: 0.5}}", "cv: 1e-300}}", "must be at least 0.001"),
        ("cv: 0.5}}", "cv: 500}}", "must be at most 100"),
    ],
)
def test_distribution_parameters_that_cannot_be_sampled_are_refused(
    written, changed, says, tmp_path
):
    from orgsim.config import check_file

    from .conftest import ROOT

    text = (ROOT / "configs/markets/saas_midmarket.yaml").read_text(encoding="utf-8")
    assert text.count(written) == 1
    path = tmp_path / "m.yaml"
    path.write_text(text.replace(written, changed), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        check_file(path)
    (problem,) = caught.value.problems
    assert problem.path == "segments.smb.deal_value.cv" and says in problem.message


def test_a_shift_from_midnight_to_midnight_is_empty(write):
    from orgsim.config import check_file

    path = write(
        "o.yaml",
        """
        kind: org
        name: o
        roles:
          sdr: {headcount: 1, schedule: {days: [mon], start: "24:00", end: "00:00"}}
        """,
    )
    with pytest.raises(ConfigError) as caught:
        check_file(path)
    assert any("the shift is empty" in p.message for p in caught.value.problems)


def test_a_headcount_no_org_has_is_refused(tmp_path):
    """A billion reps would hang capacity's Erlang sum and the engine's per-rep state."""
    from orgsim.config import check_file

    from .conftest import ROOT

    text = (ROOT / "configs/orgs/process_stage.yaml").read_text(encoding="utf-8")
    assert "headcount: 5" in text
    path = tmp_path / "o.yaml"
    path.write_text(text.replace("headcount: 5", "headcount: 1000000000", 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        check_file(path)
    (problem,) = caught.value.problems
    assert problem.path.endswith(".headcount") and "100000" in problem.message
