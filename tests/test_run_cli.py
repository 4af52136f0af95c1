"""`orgsim run`: the KPI table, `--json` exactly as SCENARIO-SPEC section 6, `--out` files."""

import json
import math
import re

import pandas as pd
import pytest
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.experiment import storage

from .conftest import ROOT

SCENARIO = str(ROOT / "scenarios/smb_velocity.yaml")


def test_json_output_is_the_spec_object():
    result = CliRunner().invoke(app, ["run", SCENARIO, "--reps", "3", "--seed", "5", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "scenario",
        "variant",
        "replications",
        "stopping",
        "seed",
        "currency",
        "kpis",
        "does_not_keep_up",
        "runs_out_of_hours",
    ]
    assert data["currency"] == "USD"
    assert data["scenario"] == "Speed to lead in a velocity SMB team"
    assert (data["variant"], data["replications"], data["seed"]) == ("today", 3, 5)
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout
    won = data["kpis"]["won"]
    assert set(won) == {"mean", "ci95"}
    assert won["ci95"][0] <= won["mean"] <= won["ci95"][1]
    for name in (
        "leads",
        "won_per_week",
        "sla.mql.attainment",
        "role.sdr.utilization",
        "cost_per_won",
        "stage.mql.conversion.sql",
        "speed_to_lead_p90",
    ):
        assert name in data["kpis"]
    for entry in data["kpis"].values():
        for value in [entry["mean"], *entry["ci95"]]:
            assert value is None or math.isfinite(value)


def test_variant_option_and_unknown_variant():
    ok = CliRunner().invoke(
        app, ["run", SCENARIO, "-n", "2", "--variant", "two_more_sdrs", "--json"]
    )
    assert json.loads(ok.stdout)["variant"] == "two_more_sdrs"
    bad = CliRunner().invoke(app, ["run", SCENARIO, "--variant", "nope"])
    assert bad.exit_code == 2
    assert "no variant 'nope'" in bad.output


def test_table_groups_kpis():
    result = CliRunner().invoke(app, ["run", SCENARIO, "-n", "2"], terminal_width=120)
    assert result.exit_code == 0, result.output
    for group in ("flow", "speed", "capacity", "money"):
        assert group in result.output
    assert "95% interval" in result.output


def test_out_writes_every_table(tmp_path):
    result = CliRunner().invoke(app, ["run", SCENARIO, "-n", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    kpis = storage.read_table(tmp_path / "kpis")
    assert list(kpis.replication) == [0, 1]
    cases = storage.read_table(tmp_path / "cases")
    book = cases[cases.source == "book"]  # the market's book: 445 leads a replication
    assert len(book) == 2 * (300 + 110 + 35) and (book.created == 0).all()
    assert len(cases) == kpis.leads.sum() + len(book)  # no warm-up: every other lead counts
    visits = storage.read_table(tmp_path / "visits")
    assert set(visits.record_type) <= {"visit", "handoff_leak", "sla_breach", "escalation"}
    assert {"sla_breach", "visit"} <= set(visits.record_type)
    reps = storage.read_table(tmp_path / "reps")
    assert set(reps.role) == {"sdr", "ae", "csm"}
    weeks = storage.read_table(tmp_path / "timeseries")
    assert {"leads", "won", "queue.sdr", "utilization.ae"} <= set(weeks.columns)
    assert json.loads((tmp_path / "summary.json").read_text())["replications"] == 2
    assert "kind: market" in (tmp_path / "scenario.yaml").read_text()
    assert not list(tmp_path.glob(".*.tmp"))  # nothing half-written left behind


def test_tables_fall_back_to_csv(tmp_path):
    frame = pd.DataFrame({"a": [1, 2]})
    path = storage.write_table(frame, tmp_path / "t", parquet=False)
    assert path.suffix == ".csv"
    assert storage.read_table(tmp_path / "t").equals(frame)


def test_workers_do_not_change_the_numbers():
    one = CliRunner().invoke(app, ["run", SCENARIO, "-n", "3", "--json", "--workers", "1"])
    two = CliRunner().invoke(app, ["run", SCENARIO, "-n", "3", "--json", "--workers", "2"])
    assert one.exit_code == two.exit_code == 0
    assert one.stdout == two.stdout


@pytest.mark.slow
def test_piped_tables_never_cut_a_number(tmp_path):
    """Output to a file or a CI log (no terminal, no COLUMNS) is as wide as its tables: no
    cell ends in an ellipsis. `run` names the variants it did not run."""
    import os
    import pathlib
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    for command, mark in ((["compare"], "±"), (["run"], "–")):
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "orgsim",
                *command,
                "scenarios/reorg_sdr_split.yaml",
                "--reps",
                "2",
                "--workers",
                "1",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=pathlib.Path(__file__).resolve().parents[1],
            check=True,
        )
        assert mark in done.stdout and "…" not in done.stdout, done.stdout
    assert "the others are process_stage, process_stage_auto_handoff, pods" in done.stderr


def test_json_stays_valid_when_nobody_is_in_a_worked_role(tmp_path):
    """A worked role with headcount 0 is a warning, not an error; its load is
    infinite, which JSON cannot hold: `--json` says `nobody_in_role` instead of crashing,
    and the terminal says it in words."""
    text = (ROOT / "scenarios/smb_velocity.yaml").read_text(encoding="utf-8")
    assert "\nset:" not in text
    sc = tmp_path / "nobody.yaml"
    text = text.replace("../configs/", f"{ROOT}/configs/") + "\nset: {org.roles.csm.headcount: 0}\n"
    sc.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(sc), "--reps", "2", "--json"])
    assert result.exit_code == 0, result.output
    found = {s["role"]: s for s in json.loads(result.stdout)["does_not_keep_up"]}
    assert found["csm"]["nobody_in_role"] and found["csm"]["quarter_load"] is None
    shown = CliRunner().invoke(app, ["run", str(sc), "--reps", "2"])
    assert "csm does not keep up" in shown.output and "nobody at work to do it" in shown.output


def test_output_paths_are_checked_before_any_replication(tmp_path, monkeypatch):
    """A path that cannot be written is reported before simulating (nothing is lost)."""
    import orgsim.experiment.results as results

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before checking the output paths")

    monkeypatch.setattr(results, "simulate", no_simulation)
    a_file, a_folder = tmp_path / "a_file", tmp_path / "a_folder"
    a_file.write_text("x")
    a_folder.mkdir()
    cases = [
        (["run", SCENARIO, "--out", str(a_file)], "is a file, not a folder"),
        (["compare", SCENARIO, "--report", str(a_folder)], "is a folder: name the file"),
        (["compare", SCENARIO, "--markdown", str(a_file / "x.md")], "cannot write there"),
        (["report", str(tmp_path), "-o", str(a_folder)], "is a folder"),
        (["report", str(a_file)], "is a file, not a folder"),
        (["sweep", SCENARIO, "--out", str(a_file)], "is a file, not a folder"),
        (["schema", "--out", str(a_file)], "is a file, not a folder"),
    ]
    for args, says in cases:
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert says in result.output and "Traceback" not in result.output, result.output


def test_a_run_too_big_for_the_machine_is_refused_before_it_starts(tmp_path):
    """A valid but absurd rate: the size check names the memory it would need, and the
    flag that runs it anyway, instead of asking numpy for terabytes."""
    import orgsim
    from orgsim.config import size

    market = (ROOT / "configs/markets/saas_midmarket.yaml").read_text()
    (tmp_path / "m.yaml").write_text(market.replace("rate: 120/week", "rate: 5000000/week"))
    text = (ROOT / "scenarios/reorg_sdr_split.yaml").read_text()
    text = text.replace("../configs/markets/saas_midmarket.yaml", str(tmp_path / "m.yaml"))
    (tmp_path / "s.yaml").write_text(text.replace("../configs", str(ROOT / "configs")))
    result = CliRunner().invoke(app, ["run", str(tmp_path / "s.yaml")])
    assert result.exit_code == 2
    assert "leads a replication need about" in result.output and "--allow-large" in result.output
    shipped = orgsim.load(ROOT / "scenarios/reorg_sdr_split.yaml")
    assert size.check(shipped, ["functional"], 2) is None
    note = size.check(shipped.with_run(replications=1000), ["functional"], 2)
    assert note.startswith("note: about") and re.search(r"this takes about \d+ minutes$", note)
    days = size.check(shipped.with_run(replications=100_000), ["functional"], 2)
    assert re.search(r"this takes about \d+ hours: try fewer replications first$", days), days


def test_an_error_on_line_100_prints_as_written(tmp_path):
    """Rich would read ':100:' in FILE:100:2 as an emoji code (found by the fuzzer)."""
    path = tmp_path / "m.yaml"
    path.write_text("#\n" * 99 + "kind: [market]\n")
    result = CliRunner().invoke(app, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:100:7: kind:" in result.output, result.output


def test_every_command_line_value_error_is_a_problem_line():
    """A value an option cannot take reads like a YAML problem (OPTION:1:1: name: message,
    exit status 2) before any work, never typer's box or a Python type's words."""
    cases = [
        (["run", SCENARIO, "--reps", "abc"], "--reps:1:1: reps: 'abc' is not a whole number or"),
        (["run", SCENARIO, "-n", "2.5"], "--reps:1:1: reps: '2.5' is not a whole number"),
        (["run", SCENARIO, "-n", "0"], "--reps:1:1: reps: 0 is too small: the least is 1"),
        (["run", SCENARIO, "-n", "1000001"], "--reps:1:1: reps: 1000001 is too large: the most"),
        (["compare", SCENARIO, "--seed", "-1"], "--seed:1:1: seed: -1 is too small"),
        (["run", SCENARIO, "--by", "nope"], "--by:1:1: by: 'nope' is not one of 'measure'"),
        (["run", SCENARIO, "--variant", "nope"], "--variant:1:1: variant: no variant 'nope'"),
        (["sweep", SCENARIO, "--backend", "x"], "--backend:1:1: backend: 'x' is not one of"),
        (["sweep", SCENARIO, "--workers", "x"], "--workers:1:1: workers: 'x' is not a whole"),
        (["plan", SCENARIO, "--utilization-cap", "x"], "--utilization-cap:1:1: utilization-cap: "),
        (
            ["plan", SCENARIO, "--utilization-cap", "85"],
            "--utilization-cap:1:1: utilization-cap: 85",
        ),
        (["plan", SCENARIO, "--max-plans", "0"], "--max-plans:1:1: max-plans: 0 is too small"),
        (["schema", "nope"], "KIND:1:1: kind: unknown kind 'nope'"),
    ]
    for args, says in cases:
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert result.output.startswith(says), (args, result.output)
        assert len(result.output.splitlines()) == 1, result.output


def test_python_runs_are_size_checked_too(tmp_path, monkeypatch):
    """A notebook gets the same refusal as the command line (naming allow_large), and a
    sweep checks every swept market value, not just the scenario's own."""
    import orgsim
    import orgsim.experiment.results as results
    import orgsim.experiment.sweep as sweeping

    def no_work(*args, **kwargs):
        raise AssertionError("simulated before checking the size")

    monkeypatch.setattr(results, "run_jobs", no_work)
    monkeypatch.setattr(sweeping, "run_jobs", no_work)
    shipped = orgsim.load(ROOT / "scenarios/reorg_sdr_split.yaml")
    huge = shipped.with_set({"market.sources.inbound.rate": "5000000/week"})
    calls = [
        lambda: orgsim.simulate(huge, progress=False),
        lambda: orgsim.compare(huge, progress=False),
        lambda: orgsim.plan(huge, {"won_per_week": {"min": 1}}, progress=False),
        lambda: orgsim.sweep(
            shipped, {"market.sources.inbound.rate": ["120/week", "5000000/week"]}
        ),
    ]
    for call in calls:
        with pytest.raises(orgsim.ConfigError, match=r"allow_large=True in Python"):
            call()
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            str(ROOT / "scenarios/reorg_sdr_split.yaml"),
            "--param",
            "market.sources.inbound.rate=120/week,5000000/week",
        ],
    )
    assert result.exit_code == 2 and "leads a replication need about" in result.output


def test_results_summary_reads_like_the_command_line_and_raw_gives_numbers():
    """Hours in a unit a person reads (not 3.1e+01), shares as percentages, intervals cut to
    what a KPI can be; `raw=True` keeps the numbers for analysis."""
    results = orgsim.simulate(orgsim.load(SCENARIO), replications=2, progress=False)
    shown, raw = results.summary(), results.summary(raw=True)
    assert list(shown.index) == list(raw.index)
    assert list(shown.columns) == ["label", "mean", "95% interval", "n", "meaning"]
    assert shown.loc["speed_to_lead_p90", "mean"].split()[-1] in ("min", "h", "d")
    assert shown.loc["win_rate", "mean"].endswith("%")
    assert not any("e+" in text or "e-" in text for text in shown["mean"])
    low = raw["ci_low"]
    cut = [k for k in raw.index if low[k] < 0 and orgsim.config.kpis.possible(k)[0] == 0]
    assert cut, "two replications should leave some interval below zero"
    for kpi in cut:  # never a negative count, share or duration
        assert "−" not in shown.loc[kpi, "95% interval"].split("–")[0]


def test_run_shows_each_stage_conversion_beside_the_rate_the_market_writes():
    """Realised conversions differ from the written ones (decay, skill, routing, handoffs):
    the table says both, per segment where the market writes one per segment."""
    shown = CliRunner().invoke(app, ["run", SCENARIO, "--reps", "2"], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "mql → sql (written 25%)" in shown.output
    assert "opportunity → won (written 28%)" in shown.output
    assert "→ lost" not in shown.output  # ends stay one --all away
