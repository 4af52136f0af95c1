"""Hostile and mistaken input (issue 28): files that are not files, text that is markup or
turns a line round, and the Python API given what the command line would refuse. Each ends
in exit 2 or a ConfigError naming the argument, within seconds, with nothing but the asked
outputs written."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.config import ConfigError
from orgsim.config.units import WEEK

from .conftest import ROOT

SMB = ROOT / "scenarios" / "smb_velocity.yaml"
LINE = re.compile(r"^[^:]+:\d+:\d+: \S.*?: .+$")


def _validate(*paths) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["validate", *map(str, paths)])
    return result.exit_code, result.output


def _scenario_text(**replace: str) -> str:
    """The shipped SMB scenario over 6 weeks (these tests judge messages, not numbers)."""
    text = SMB.read_text(encoding="utf-8").replace("../configs", str(ROOT / "configs"))
    text = re.sub(r"^horizon: .*$", "horizon: 6w", text, flags=re.M)
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


# ----------------------------------------------------------- files that are not files


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_a_device_a_folder_and_a_huge_file_are_refused_unread(tmp_path):
    pipe = tmp_path / "pipe.yaml"
    os.mkfifo(pipe)  # reading it would block every command
    folder = tmp_path / "folder.yaml"
    folder.mkdir()
    huge = tmp_path / "huge.yaml"
    with open(huge, "wb") as f:  # sparse: 6 GB on paper, nothing on disk
        f.truncate(6 * 2**30)
    code, said = _validate(pipe, "/dev/zero", folder, huge)
    assert code == 2
    assert f"{pipe}:1:1: <document>: is a device, pipe or socket, not a file" in said
    assert "/dev/zero:1:1: <document>: is a device, pipe or socket" in said
    assert f"{folder}:1:1: <document>: is a folder, not a file" in said
    assert f"{huge}:1:1: <document>: the file is 6,442,450,944 bytes" in said


def test_an_include_that_is_a_folder_says_so(tmp_path):
    (tmp_path / "market.yaml").mkdir()
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text(**{f"{ROOT}/configs/markets/smb_velocity.yaml": "market.yaml"}))
    code, said = _validate(path)
    assert code == 2
    assert "the market file 'market.yaml' (looked for " in said and "is a folder" in said


def test_a_name_with_a_trailing_newline_is_not_a_name(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text(**{"  two_more_sdrs:": '  "two_more_sdrs\\n":'}))
    code, said = _validate(path)
    assert code == 2 and "is not a valid name" in said, said


# ------------------------------------------------------------------------- text is data


def test_markup_in_a_name_is_shown_as_written_and_a_right_to_left_override_is_an_error(tmp_path):
    evil = "[link=https://evil.example/x]click[/link] [/bold]"
    path = tmp_path / "s.yaml"
    path.write_text(
        _scenario_text(**{"name: Speed to lead in a velocity SMB team": f'name: "{evil}"'})
    )
    run = CliRunner().invoke(app, ["run", str(path), "-n", "2"])
    assert run.exit_code == 0, run.output
    assert evil in run.output
    report, markdown = tmp_path / "r.html", tmp_path / "r.md"
    args = ["compare", str(path), "-n", "2", "--report", str(report), "--markdown", str(markdown)]
    compare = CliRunner().invoke(app, args)
    assert compare.exit_code == 0, compare.output
    for page in (report, markdown):
        assert 'href="https://evil' not in page.read_text(encoding="utf-8")
    path.write_text(
        _scenario_text(**{"name: Speed to lead in a velocity SMB team": 'name: "a\\u202eb"'})
    )
    code, said = _validate(path)
    assert code == 2 and "name: the text holds the bidirectional control '\\u202e'" in said


# ----------------------------------------------- the API holds the command line's bounds


@pytest.fixture(scope="module")
def smb():
    return orgsim.load_text(_scenario_text(), directory=ROOT / "scenarios")


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"replications": 0}, "replications: must be at least 1, got 0"),
        ({"replications": 1.5}, "replications: expected a whole number, got 1.5"),
        ({"replications": 10**9}, "replications: must be at most 100000"),
        ({"seed": -1}, "seed: must be at least 0, got -1"),
        ({"executor": "pool"}, "executor: 'pool' is not an executor"),
    ],
)
def test_simulate_refuses_what_the_command_line_refuses(smb, arguments, says):
    with pytest.raises(ConfigError) as caught:
        orgsim.simulate(smb, **{"replications": 2, **arguments}, progress=False)
    assert says in str(caught.value)
    assert all(LINE.match(line) for line in str(caught.value).splitlines())


@pytest.mark.parametrize(
    ("arguments", "says"),
    [
        ({"utilization_cap": 85}, "utilization_cap: 85 is not a share: write 0.85"),
        ({"max_plans": 0}, "max_plans: 0: the search needs at least 1 plan"),
        ({"targets": "won_per_week>=3"}, "targets: targets are a mapping"),
    ],
)
def test_plan_refuses_what_the_command_line_refuses(smb, arguments, says):
    with pytest.raises(ConfigError) as caught:
        orgsim.plan(smb, **{"replications": 2, **arguments}, progress=False)
    assert says in str(caught.value)


def test_overrides_unknown_kpis_and_empty_sweeps_are_clear_errors(smb):
    with pytest.raises(ConfigError, match="overrides are a mapping of dotted paths"):
        smb.with_set(["org.roles.sdr.headcount", 3])
    with pytest.raises(ConfigError, match="no values to sweep"):
        orgsim.sweep(smb, {"org.roles.sdr.headcount": []}, replications=2, progress=False)
    comparison = orgsim.compare(smb.with_run(replications=2), progress=False)
    with pytest.raises(ConfigError, match="'nope' is not a KPI this scenario reports"):
        comparison.difference(comparison.variants[1], "nope")
    with pytest.raises(ConfigError, match="no design 'gone' here"):
        comparison.difference("gone", "won_per_week")


def test_a_list_index_past_the_end_says_how_many_entries_there_are():
    """`market.book.9` in a six-entry book names what is there, counted from 0."""
    scenario = orgsim.load("scenarios/quarter_forecast.yaml")
    with pytest.raises(ConfigError, match=r"no entry 9 in market\.book: it has entries 0 to 5"):
        scenario.with_set({"market.book.9.count": 3})


def test_a_parameter_swept_twice_is_an_error_not_the_last_one_wins():
    from orgsim.experiment.grid import from_text

    with pytest.raises(ConfigError, match="swept twice: give all its values in one --param"):
        from_text(["org.roles.sdr.headcount=2,3", "org.roles.sdr.headcount=4"])


# --------------------------------------------------------- nothing overwritten, ever


def _saved(tmp_path, command: str, name: str) -> tuple[Path, Path]:
    """The SMB scenario written to tmp_path, and the folder `orgsim COMMAND --out` saved."""
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text())
    folder = tmp_path / name
    ran = CliRunner().invoke(app, [command, str(path), "-n", "2", "--out", str(folder)])
    assert ran.exit_code == 0, ran.output
    return path, folder


def _listing(folder) -> dict:
    return {p: p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_no_output_may_overwrite_an_input_or_sit_on_a_device(tmp_path):
    path, saved = _saved(tmp_path, "run", "saved")
    link = tmp_path / "null.md"
    link.symlink_to("/dev/null")  # were it replaced, only this link would go, not /dev/null
    before = _listing(tmp_path)
    attempts = {
        "is what this command reads": [
            ["compare", str(path), "-n", "2", "--report", str(path)],
            ["compare", str(path), "-n", "2", "--markdown", str(path)],
            ["report", str(saved), "-o", str(saved / "results.json")],
        ],
        "holds this command's input": [["run", str(path), "-n", "2", "--out", str(tmp_path)]],
        "is a device, pipe or stream": [["compare", str(path), "-n", "2", "--markdown", str(link)]],
    }
    for says, commands in attempts.items():
        for command in commands:
            result = CliRunner().invoke(app, command)
            assert result.exit_code == 2 and says in result.output, (command, result.output)
    assert _listing(tmp_path) == before and link.is_symlink()


# ------------------------------------------------ saved results know what they are


def test_a_report_refuses_a_design_folder_from_another_run(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text())
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    for folder, seed in ((ours, "3"), (theirs, "4")):
        args = ["compare", str(path), "-n", "2", "--seed", seed, "--out", str(folder)]
        assert CliRunner().invoke(app, args).exit_code == 0
    swapped = next(p for p in sorted(ours.iterdir()) if p.is_dir())
    for file in (theirs / swapped.name).iterdir():
        (swapped / file.name).write_bytes(file.read_bytes())
    result = CliRunner().invoke(app, ["report", str(ours), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2
    assert f"design '{swapped.name}' was saved by another run (seed 4, not 3" in result.output
    assert not (tmp_path / "r.html").exists()


def test_a_rewrite_that_dies_half_way_leaves_no_complete_looking_folder(tmp_path, monkeypatch):
    from orgsim.experiment import results as results_module

    path, out = _saved(tmp_path, "compare", "out")
    comparison = orgsim.compare(orgsim.load(path).with_run(replications=2, seed=9), progress=False)
    calls = []

    def dies_on_the_second_design(self, directory):
        calls.append(directory)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return saving(self, directory)

    saving = results_module.Results.save
    monkeypatch.setattr(results_module.Results, "save", dies_on_the_second_design)
    with pytest.raises(KeyboardInterrupt):
        comparison.save(out)
    result = CliRunner().invoke(app, ["report", str(out), "-o", str(tmp_path / "r.html")])
    assert result.exit_code == 2 and "no comparison.json or results.json here" in result.output


def test_resume_redoes_a_point_copied_from_another_sweep(tmp_path, smb):
    grid = {"org.roles.sdr.headcount": [3, 4]}
    other, ours = tmp_path / "other", tmp_path / "ours"
    orgsim.sweep(smb, grid, replications=2, seed=8, out=other, progress=False)
    whole = orgsim.sweep(smb, grid, replications=2, seed=3, out=ours, progress=False)
    for suffix in (".csv", ".parquet", ".json"):  # point 1 swapped for the other sweep's
        copied = other / "points" / f"00001{suffix}"
        if copied.exists():
            (ours / "points" / copied.name).write_bytes(copied.read_bytes())
    resumed = orgsim.sweep(smb, grid, replications=2, seed=3, out=ours, resume=True, progress=False)
    assert any("point 1" in notice and "simulated again" in notice for notice in resumed.notices)
    assert resumed.to_json() == whole.to_json()


# --------------------------------------------------------- bounded work before any work


def test_a_loop_that_would_spin_without_end_is_refused_at_validation(tmp_path):
    market = (ROOT / "configs/markets/smb_velocity.yaml").read_text(encoding="utf-8")
    for old, new in (("outcomes: {renewal: 0.85}", "outcomes: {renewal: 0.9999999}"),
                     ("    buyer_delay: 12mo", "    buyer_delay: 0h")):  # fmt: skip
        assert old in market
        market = market.replace(old, new)
    (tmp_path / "m.yaml").write_text(market)
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text(**{f"{ROOT}/configs/markets/smb_velocity.yaml": "m.yaml"}))
    code, said = _validate(path)
    assert code == 2
    assert "journey.renewal: a lead comes back here about 10,000,000 times on average, with" in said


def test_the_size_check_counts_visits_and_seasonal_peaks(smb):
    from orgsim.config import size

    variant = smb.variant()
    hours = smb.warmup + smb.horizon
    plain = size.leads_per_replication(variant, hours)
    loud = smb.with_set({"market.sources.signups.seasonality": [1e6] * 12}).variant()
    assert size.leads_per_replication(loud, hours) > 1e5 * plain
    weekly = {  # a renewal every week at 0.999: a customer comes back about 1,000 times
        "market.journey.renewal.outcomes": {"renewal": 0.999},
        "market.journey.renewal.buyer_delay": "1w",
    }
    looping = smb.with_set(weekly).variant()
    assert size.bytes_per_lead(variant, hours) == size.LEAD_BYTES  # no more than calibrated
    longer = [size.bytes_per_lead(looping, weeks * WEEK) for weeks in (6, 100)]
    assert 2 * size.LEAD_BYTES < longer[0] < longer[1]  # more visits, more so over longer


def test_an_unpaired_surrogate_is_an_error_at_its_line(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(
        _scenario_text(**{"name: Speed to lead in a velocity SMB team": 'name: "a \\ud800"'})
    )
    code, said = _validate(path)
    assert code == 2 and "name: the text holds an unpaired surrogate '\\ud800'" in said


def test_a_zero_conversion_into_the_opportunity_stage_is_no_false_error(tmp_path):
    market = (ROOT / "configs/markets/smb_velocity.yaml").read_text(encoding="utf-8")
    assert "outcomes: {opportunity: 0.55}" in market
    (tmp_path / "m.yaml").write_text(market.replace("{opportunity: 0.55}", "{opportunity: 0}"))
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text(**{f"{ROOT}/configs/markets/smb_velocity.yaml": "m.yaml"}))
    _, said = _validate(path)
    assert "reached only after a won milestone" not in said, said


def test_a_name_too_long_for_the_disk_is_refused_before_simulating(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text())
    report = tmp_path / ("r" * 300 + ".html")
    result = CliRunner().invoke(app, ["compare", str(path), "-n", "2", "--report", str(report)])
    assert result.exit_code == 2 and "the name is 305 bytes" in result.output, result.output


def test_a_horizon_shorter_than_a_week_is_refused(tmp_path):
    path = tmp_path / "s.yaml"
    text = _scenario_text()
    horizon = next(line for line in text.splitlines() if line.startswith("horizon:"))
    path.write_text(text.replace(horizon, "horizon: 1min"))
    code, said = _validate(path)
    assert code == 2 and "horizon: 1min is shorter than a week: a horizon is at least 1w" in said


def test_capacity_of_a_window_with_no_working_hours_says_so(tmp_path):
    path = tmp_path / "s.yaml"
    text = _scenario_text()
    horizon = next(line for line in text.splitlines() if line.startswith("horizon:"))
    week = ", ".join(f"2025-01-{day:02d}" for day in range(6, 13))  # the default start's week
    path.write_text(text.replace(horizon, f"horizon: 1w\nstart: 2025-01-06\nholidays: [{week}]"))
    result = CliRunner().invoke(app, ["capacity", str(path), "--json"])
    assert result.exit_code == 0, result.output
    roles = json.loads(result.output)["roles"].values()
    assert all("holds none of this role's scheduled hours" in r["wait_method"] for r in roles)


def test_a_century_long_horizon_and_attrition_no_org_plans_are_refused(tmp_path):
    org = (ROOT / "configs/orgs/smb_velocity_team.yaml").read_text(encoding="utf-8")
    assert "attrition:" in org
    lines = [
        re.sub(r"attrition: [^ #]+", "attrition: 1000000000/year", line)
        for line in org.splitlines()
    ]
    (tmp_path / "o.yaml").write_text("\n".join(lines) + "\n")
    path = tmp_path / "s.yaml"
    text = _scenario_text(**{f"{ROOT}/configs/orgs/smb_velocity_team.yaml": "o.yaml"})
    horizon = next(line for line in text.splitlines() if line.startswith("horizon:"))
    path.write_text(text.replace(horizon, "horizon: 1000000000000h"))
    code, said = _validate(path)
    assert code == 2
    assert "horizon: 1.142e+08 years is beyond any plan: at most 100y" in said
    assert "attrition: 1e+09 a year is more than any org plans for" in said


def test_a_source_with_no_month_of_leads_is_an_error_not_a_warning_from_numpy(smb):
    with pytest.raises(ConfigError, match="every month is 0: no lead would ever come"):
        smb.with_set({"market.sources.signups.seasonality": [0] * 12})


def test_a_sweep_of_ten_thousand_points_is_told_how_long_it_takes(smb):
    from orgsim.config import size

    assert size.check(smb.with_run(replications=2), ["today"], 2) is None
    note = size.check(smb.with_run(replications=20), ["today"], 2, points=10_000)
    assert re.search(r"this takes about \d+ (hours|days): try fewer replications first", note)


def test_a_refused_command_leaves_no_folder_behind(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text())
    deep = tmp_path / "new" / "deeper" / "out"
    args = ["compare", str(path), "-n", "2", "--out", str(deep), "--report", str(path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "is what this command reads" in result.output
    assert not (tmp_path / "new").exists()


def test_a_disk_that_fills_during_the_run_is_a_message_not_a_traceback(tmp_path, monkeypatch):
    import errno

    from orgsim.experiment import storage

    def full(path, write):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(storage, "atomic_write", full)
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text())
    result = CliRunner().invoke(app, ["run", str(path), "-n", "2", "--out", str(tmp_path / "o")])
    assert result.exit_code == 2, result.output
    assert "cannot write (No space left on device)" in result.output
    assert "Traceback" not in result.output


def test_markdown_to_a_dash_is_printed_not_written(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text())
    result = CliRunner().invoke(app, ["compare", str(path), "-n", "2", "--markdown", "-"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("### ") and not (tmp_path / "-").exists()


def test_an_org_of_more_roles_than_any_org_draws_is_refused(tmp_path):
    roles = "\n".join(f"  r{i}: {{headcount: 1, schedule: always}}" for i in range(101))
    path = tmp_path / "o.yaml"
    path.write_text(f"kind: org\nname: huge\nstructure: functional\nroles:\n{roles}\n")
    code, said = _validate(path)
    assert code == 2 and "roles: 101 roles is more than any org draws: at most 100" in said, said


def test_the_python_api_never_replaces_a_device_or_a_stream(tmp_path):
    from orgsim.experiment import storage

    link = tmp_path / "null.md"
    link.symlink_to("/dev/null")
    for target in (link, Path("/dev/null")):
        with pytest.raises(ConfigError, match="is a device, pipe or stream, not a file"):
            storage.write_text(target, "x")
    assert link.is_symlink() and Path("/dev/null").is_char_device()


# ----------------------------------------- a random family: outputs against inputs


OUTPUTS = ["fine", "scenario", "market", "holds inputs", "null link", "pipe"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(report=st.sampled_from(OUTPUTS), markdown=st.sampled_from(OUTPUTS[:3] + OUTPUTS[4:]))
def test_any_mix_of_outputs_is_refused_whole_or_written_and_no_input_changes(
    tmp_path_factory, report, markdown
):
    root = tmp_path_factory.mktemp("mix")
    market = root / "m.yaml"
    market.write_text((ROOT / "configs/markets/smb_velocity.yaml").read_text(encoding="utf-8"))
    path = root / "s.yaml"
    path.write_text(_scenario_text(**{f"{ROOT}/configs/markets/smb_velocity.yaml": "m.yaml"}))
    (root / "null.md").symlink_to("/dev/null")
    os.mkfifo(root / "pipe.md")
    where = {
        "fine": lambda name: root / "out" / name,
        "scenario": lambda name: path,
        "market": lambda name: market,
        "holds inputs": lambda name: root,
        "null link": lambda name: root / "null.md",
        "pipe": lambda name: root / "pipe.md",
    }
    before = _listing(root)
    args = ["compare", str(path), "-n", "2"]
    args += ["--report", str(where[report]("r.html")), "--markdown", str(where[markdown]("r.md"))]
    result = CliRunner().invoke(app, args)
    if report == markdown == "fine":
        assert result.exit_code == 0, result.output
        assert (root / "out" / "r.html").exists() and (root / "out" / "r.md").exists()
    else:
        assert result.exit_code == 2, (report, markdown, result.output)
        assert "Traceback" not in result.output
        assert _listing(root) == before and not (root / "out").exists()
    assert (root / "null.md").is_symlink() and stat.S_ISFIFO(os.stat(root / "pipe.md").st_mode)


def test_a_report_rebuilt_from_saved_results_never_lands_on_a_yaml_file(tmp_path):
    path, saved = _saved(tmp_path, "run", "saved")
    before = path.read_bytes()
    summary = str(tmp_path / "m.yaml")
    for args in (
        ["report", str(saved), "-o", str(path)],
        ["compare", str(path), "-n", "2", "--markdown", summary],
    ):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and "file's name ends in" in result.output, result.output
    assert path.read_bytes() == before and not (tmp_path / "m.yaml").exists()


# ------------------------------------- random families: one for each group of the issue
#
# Outputs against inputs have their family above; these cover the other five groups.
# Each example asserts the exit (0 with the right result, or 2), that every problem is
# one placed line, and that nothing outside the asked outputs changed.


PATH_LINE = re.compile(r"^/[^:]+: \S.+$")


def _placed(said: str) -> bool:
    """Every line an exit 2 printed is `PLACE:LINE:COL: path: message` (or, for a folder,
    `PATH: what: how to fix`), and no traceback."""
    lines = [line for line in said.splitlines() if line.strip()]
    return (
        bool(lines)
        and "Traceback" not in said
        and all(LINE.match(line) or PATH_LINE.match(line) for line in lines)
    )


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def saved_pair(tmp_path_factory):
    """One compare saved twice, by seed 3 and by seed 4, and the report seed 3's makes."""
    root = tmp_path_factory.mktemp("saved")
    path = root / "s.yaml"
    path.write_text(_scenario_text())
    for folder, seed in (("ours", "3"), ("theirs", "4")):
        args = ["compare", str(path), "-n", "2", "--seed", seed, "--out", str(root / folder)]
        assert CliRunner().invoke(app, args).exit_code == 0
    report = root / "pristine.html"
    assert CliRunner().invoke(app, ["report", str(root / "ours"), "-o", str(report)]).exit_code == 0
    files = sorted(p.relative_to(root / "ours") for p in (root / "ours").rglob("*") if p.is_file())
    return root, files, _sha(report)


DAMAGE = ["delete", "truncate", "empty", "flip a byte", "copy from the other run"]


@pytest.mark.slow
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_a_damaged_or_mixed_saved_folder_reports_as_saved_or_is_refused(
    saved_pair, tmp_path_factory, data
):
    root, files, pristine = saved_pair
    folder = tmp_path_factory.mktemp("damaged") / "out"
    shutil.copytree(root / "ours", folder)
    moves = data.draw(st.lists(st.tuples(st.sampled_from(files), st.sampled_from(DAMAGE)),
                               min_size=1, max_size=2))  # fmt: skip
    for relative, damage in moves:
        target = folder / relative
        if not target.exists():
            continue
        body = target.read_bytes()
        if damage == "delete":
            target.unlink()
        elif damage == "truncate":
            target.write_bytes(body[: len(body) // 2])
        elif damage == "empty":
            target.write_bytes(b"")
        elif damage == "flip a byte":
            target.write_bytes(body[: len(body) // 2] + bytes([body[len(body) // 2] ^ 1])
                               + body[len(body) // 2 + 1 :])  # fmt: skip
        else:
            target.write_bytes((root / "theirs" / relative).read_bytes())
    before = _listing(folder)
    report = folder.parent / "r.html"
    result = CliRunner().invoke(app, ["report", str(folder), "-o", str(report)])
    if result.exit_code == 0:  # only when every damage left the bytes as they were saved
        assert _sha(report) == pristine, moves
    else:
        assert result.exit_code == 2 and _placed(result.output), (moves, result.output)
        assert not report.exists()
    assert _listing(folder) == before


SPECIAL = ["pipe", "folder", "/dev/zero", "a link to nowhere", "a loop of links", "6 GB",
           "empty", "binary"]  # fmt: skip


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
@settings(
    max_examples=16, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(which=st.sampled_from(["scenario", "market", "org"]), kind=st.sampled_from(SPECIAL))
def test_an_input_that_is_no_yaml_file_is_a_placed_error_and_never_read(
    tmp_path_factory, which, kind
):
    root = tmp_path_factory.mktemp("special")
    names = {"scenario": "s.yaml", "market": "m.yaml", "org": "o.yaml"}
    for name, shipped in (("market", "markets/smb_velocity"), ("org", "orgs/smb_velocity_team")):
        (root / names[name]).write_text((ROOT / f"configs/{shipped}.yaml").read_text())
    (root / "s.yaml").write_text(_scenario_text(**{
        f"{ROOT}/configs/markets/smb_velocity.yaml": "m.yaml",
        f"{ROOT}/configs/orgs/smb_velocity_team.yaml": "o.yaml",
    }))  # fmt: skip
    target = root / names[which]
    target.unlink()
    if kind == "pipe":
        os.mkfifo(target)
    elif kind == "folder":
        target.mkdir()
    elif kind == "/dev/zero":
        target.symlink_to("/dev/zero")
    elif kind == "a link to nowhere":
        target.symlink_to(root / "nowhere.yaml")
    elif kind == "a loop of links":
        target.symlink_to(target)
    elif kind == "6 GB":
        with open(target, "wb") as f:
            f.truncate(6 * 2**30)
    elif kind == "empty":
        target.write_bytes(b"")
    else:
        target.write_bytes(bytes(range(256)) * 4)
    code, said = _validate(root / "s.yaml")
    assert code == 2 and _placed(said), (which, kind, said)


@pytest.mark.slow
@settings(max_examples=10, deadline=None)
@given(
    renewal=st.sampled_from(["0.5", "0.9", "0.999", "0.9999999"]),
    delay=st.sampled_from(["0h", "1min", "1h", "12mo"]),
    attrition=st.sampled_from(["0/year", "12/year", "13/year", "1000000000/year"]),
    rate=st.sampled_from(["1/week", "400/week", "10000000/week"]),
)
def test_loops_and_extreme_rates_end_in_seconds_with_a_result_or_a_placed_error(
    tmp_path_factory, renewal, delay, attrition, rate
):
    root = tmp_path_factory.mktemp("extreme")
    market = (ROOT / "configs/markets/smb_velocity.yaml").read_text(encoding="utf-8")
    for old, new in (("outcomes: {renewal: 0.85}", f"outcomes: {{renewal: {renewal}}}"),
                     ("    buyer_delay: 12mo", f"    buyer_delay: {delay}"),
                     ("rate: 400/week", f"rate: {rate}")):  # fmt: skip
        assert old in market
        market = market.replace(old, new)
    (root / "m.yaml").write_text(market)
    org = (ROOT / "configs/orgs/smb_velocity_team.yaml").read_text(encoding="utf-8")
    (root / "o.yaml").write_text(re.sub(r"attrition: [^ #\n]+", f"attrition: {attrition}", org))
    path = root / "s.yaml"
    path.write_text(_scenario_text(**{
        f"{ROOT}/configs/markets/smb_velocity.yaml": "m.yaml",
        f"{ROOT}/configs/orgs/smb_velocity_team.yaml": "o.yaml",
    }))  # fmt: skip
    before = _listing(root)
    for command in (
        ["validate", str(path)],
        ["capacity", str(path)],
        ["run", str(path), "-n", "1"],
    ):
        result = CliRunner().invoke(app, command)
        assert result.exit_code in (0, 2), (command, result.output)
        if result.exit_code == 2:
            assert _placed(result.output), (command, result.output)
            break
    assert _listing(root) == before


HOSTILE_TEXT = ["[/bold]", "[link=https://evil.example/x]x[/link]", "a\u202eb", "\x1b[31mred",
                "two\nlines", "tab\there", "\u200f", "é ü 日本", "\ud800"]  # fmt: skip


@pytest.mark.slow
@settings(max_examples=5, deadline=None)
@given(
    field=st.sampled_from(["name", "description", "variant"]),
    text=st.lists(st.sampled_from(HOSTILE_TEXT), min_size=1, max_size=3).map("".join),
)
def test_hostile_text_anywhere_is_shown_as_written_or_is_an_error_at_its_line(
    tmp_path_factory, field, text
):
    root = tmp_path_factory.mktemp("text")
    quoted = json.dumps(text, ensure_ascii=True)  # YAML reads JSON's escapes
    if field == "name":
        scenario = _scenario_text(
            **{"name: Speed to lead in a velocity SMB team": f"name: {quoted}"}
        )
    elif field == "description":
        scenario = _scenario_text() + f"description: {quoted}\n"
    else:
        scenario = _scenario_text(**{"  two_more_sdrs:": f"  {quoted}:"})
    path = root / "s.yaml"
    path.write_text(scenario)
    result = CliRunner().invoke(app, ["compare", str(path), "-n", "1",
                                      "--markdown", str(root / "r.md")])  # fmt: skip
    shown = result.output + ((root / "r.md").read_text() if result.exit_code == 0 else "")
    if result.exit_code == 2:
        assert _placed(result.output) and not (root / "r.md").exists(), result.output
    else:
        assert result.exit_code == 0, result.output
    assert not any(c in shown for c in "\x1b\u202e\u200f\ud800"), shown
    assert "]8;" not in shown  # no terminal hyperlink


# None is left out: for every one of these arguments it means "the default"
JUNK = [-1, 0, 1.5, "x", [], {}, 10**9, True, float("nan"), float("inf"), ["sdr"],
        {"a": []}, {"won_per_week": "x"}, "\ud800"]  # fmt: skip
API = {
    "simulate": ["replications", "seed", "variant", "executor"],
    "compare": ["replications", "seed", "executor"],
    "plan": ["targets", "max_plans", "utilization_cap", "roles", "variant", "replications"],
    "sweep": ["grid", "replications", "seed", "workers", "variant"],
    "capacity": ["variant"],
}


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(
    call=st.sampled_from([(f, a) for f, arguments in API.items() for a in arguments]),
    junk=st.sampled_from(JUNK),
)
def test_any_wrong_argument_to_the_api_is_a_config_error_naming_it(smb, call, junk):
    function, argument = call
    quick = {"progress": False, "replications": 1} if function != "capacity" else {}
    quick |= {"max_plans": 2} if function == "plan" else {}
    quick |= {"grid": {"org.roles.sdr.headcount": [3]}} if function == "sweep" else {}
    try:
        getattr(orgsim, function)(smb, **(quick | {argument: junk}))
    except ConfigError as error:
        said = str(error)  # named as the argument, or as the grid's own entries (`<grid>[1]`)
        assert re.search(rf"(: {argument}(\.\S+)?: |^<{argument}>)", said), said


# ------------------------------------- a second adversarial pass (issue 28, re-run)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_or_a_device_in_place_of_a_saved_facts_file_is_refused_unread(tmp_path):
    _, saved = _saved(tmp_path, "run", "saved")
    facts = saved / "results.json"
    for swap in (lambda: os.mkfifo(facts), lambda: facts.symlink_to("/dev/zero")):
        facts.unlink()
        swap()
        result = CliRunner().invoke(app, ["report", str(saved), "-o", str(tmp_path / "r.html")])
        assert result.exit_code == 2 and "is not a regular file" in result.output, result.output


def test_facts_without_their_seal_or_naming_a_folder_outside_are_refused(tmp_path):
    from orgsim.experiment import storage

    _, out = _saved(tmp_path, "compare", "out")
    facts = json.loads((out / "comparison.json").read_text())
    report = ["report", str(out), "-o", str(tmp_path / "r.html")]
    facts.pop("sha256")
    (out / "comparison.json").write_text(json.dumps(facts))
    result = CliRunner().invoke(app, report)
    assert result.exit_code == 2 and "comparison.json:1:1: <saved results>: has no seal" in (
        result.output
    )
    storage.write_sealed_json(out / "comparison.json", {**facts, "variants": ["../../elsewhere"]})
    result = CliRunner().invoke(app, report)
    assert result.exit_code == 2 and "'../../elsewhere' is not a design's name" in result.output


def test_a_run_saved_over_a_comparison_is_what_the_report_shows(tmp_path):
    path, out = _saved(tmp_path, "compare", "out")
    args = ["run", str(path), "-n", "2", "--seed", "9", "--out", str(out)]
    assert CliRunner().invoke(app, args).exit_code == 0
    assert not (out / "comparison.json").exists()
    from orgsim.experiment.compare import saved

    assert saved(out).seed == 9


def test_a_sweep_folder_with_a_folder_for_a_lock_or_a_file_for_its_points_is_refused(tmp_path, smb):
    grid = {"org.roles.sdr.headcount": [3]}
    for name, make in ((".lock", lambda p: p.mkdir()), ("points", lambda p: p.write_text("x"))):
        out = tmp_path / name.strip(".")
        out.mkdir()
        make(out / name)
        with pytest.raises(ConfigError, match=re.escape(str(out / name))):
            orgsim.sweep(smb, grid, replications=1, out=out, progress=False)


def test_outputs_among_devices_or_named_twice_are_refused_before_simulating(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text())
    twice = str(tmp_path / "o" / "x.html")
    for args, says in (
        (["run", str(path), "-n", "2", "--out", "/dev/shm/orgsim-test-out"], "is among devices"),
        (["compare", str(path), "-n", "2", "--report", twice, "--markdown", twice],
         "is named for two outputs"),
    ):  # fmt: skip
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2 and says in result.output, result.output
    assert not Path("/dev/shm/orgsim-test-out").exists() and not (tmp_path / "o").exists()


def test_the_python_api_holds_the_command_lines_output_rules(tmp_path, smb):
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text())
    scenario = orgsim.load(path)
    comparison = orgsim.compare(scenario, replications=1, progress=False)
    before = path.read_bytes()
    with pytest.raises(ConfigError, match="is what this command reads"):
        comparison.write_report(path)
    with pytest.raises(ConfigError, match=r"name ends in \.html or \.htm"):
        comparison.write_report(tmp_path / "r.txt")
    with pytest.raises(ConfigError, match="holds this command's input"):
        comparison.results["today"].save(tmp_path)
    with pytest.raises(ConfigError, match="<arguments>:1:1: directory: 5 is not a path"):
        comparison.save(5)
    with pytest.raises(ConfigError, match="/dev/null:1:1: <output>: is a file, not a folder"):
        orgsim.sweep(smb, {"org.roles.sdr.headcount": [3]}, replications=1, out="/dev/null")
    assert path.read_bytes() == before


def test_wrong_types_and_truthy_flags_are_config_errors_naming_the_argument(tmp_path, smb):
    for call, argument in (
        (lambda: orgsim.load(5), "path"),
        (lambda: orgsim.load_text(5), "text"),
        (lambda: orgsim.simulate(smb, allow_large="no", progress=False), "allow_large"),
        (lambda: orgsim.sweep(smb, {"org.roles.sdr.headcount": [3]}, resume="yes"), "resume"),
        (lambda: orgsim.plan(smb, hires="yes", progress=False), "hires"),
        (lambda: orgsim.plan(smb, roles=[], progress=False), "roles"),
        (lambda: smb.with_set({"market.name": "a\u202eb"}), "market.name"),
    ):
        with pytest.raises(ConfigError, match=rf":1:1: {re.escape(argument)}: "):
            call()
    assert orgsim.capacity(SMB).bottleneck  # a path is read as orgsim.load reads it


def test_an_instant_task_in_closed_hours_never_runs_the_clock_backwards(tmp_path):
    """A journey loop whose work takes no time, on a business-hours role: a touch begun
    after closing used to finish at the last closing time, earlier than it began, and the
    lead went round the loop without time passing (tens of thousands of visits, gigabytes).
    Now each visit takes its 10-hour buyer delay: at most horizon / 10h visits a lead."""
    text = """
kind: scenario
name: instant work
horizon: 2w
replications: 1
market: {kind: market, name: M, segments: {x: {deal_value: 1000}},
         sources: {s: {rate: 50/week, enters: a}},
         journey: {a: {outcomes: {a: 0.99999}, buyer_delay: 10h}}}
org: {kind: org, name: O, roles: {rep: {headcount: 3}}, work: {a: {role: rep, effort: 0min}}}
"""
    from orgsim.engine import compile_model, run_replication

    sc = orgsim.load_text(text)
    records = run_replication(compile_model(sc), 1, check=True)
    visits = np.bincount(records.tasks["lead"])
    assert visits.max() <= 2 * 168 / 10 + 1
    assert (records.tasks["finish"] >= records.tasks["start"]).all()


def test_a_market_that_does_not_load_brings_no_false_error_about_targets(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(_scenario_text(**{f"{ROOT}/configs/markets/smb_velocity.yaml": "/dev/zero"}))
    code, said = _validate(path)
    assert code == 2 and "is a device, pipe or socket" in said and "targets" not in said, said
