"""Comparisons: paired statistics by hand, self-comparison, theory's sign, verdicts, CLI."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.config.schema import Target
from orgsim.experiment.compare import Comparison, compare
from orgsim.experiment.facts import RunFacts
from orgsim.experiment.results import Results

from .conftest import ROOT
from .models import single_queue


def _results(name: str, won: list[float], wait: list[float]) -> Results:
    kpis = pd.DataFrame(
        {"won": won, "stage.s.wait_mean": wait}, index=pd.Index(range(len(won)), name="replication")
    )
    facts = RunFacts(scenario="hand", variant=name, seed=7, seeds=list(range(len(won))))
    return Results("hand", name, 7, kpis, facts=facts)


def test_paired_difference_matches_a_hand_computation():
    a = _results("a", [10, 12, 9, 11, 13], [5.0, 6.0, 4.0, 5.5, 6.5])
    b = _results("b", [12, 13, 12, 12, 15], [4.0, 5.5, 3.0, 5.0, 5.0])
    comparison = Comparison("hand", 7, {"a": a, "b": b}, {"won": Target(min=11)})
    d = np.array([2, 1, 3, 1, 2], dtype=float)
    half = stats.t.ppf(0.975, 4) * d.std(ddof=1) / np.sqrt(5)
    table = comparison.table()
    assert table.loc["won", ("b", "diff")] == pytest.approx(1.8)
    assert table.loc["won", ("b", "diff_low")] == pytest.approx(1.8 - half)
    assert table.loc["won", ("b", "diff_high")] == pytest.approx(1.8 + half)
    assert bool(table.loc["won", ("b", "significant")])
    # the unpaired intervals overlap, the paired one does not: that is why pairing matters
    assert table.loc["won", ("a", "ci_high")] > table.loc["won", ("b", "ci_low")]
    tidy = comparison.to_frame()
    assert set(tidy.columns) >= {
        "kpi",
        "variant",
        "mean",
        "ci_low",
        "ci_high",
        "diff",
        "significant",
        "better",
    }
    assert tidy[(tidy.kpi == "won") & (tidy.variant == "b")].better.item() is True
    wait = tidy[(tidy.kpi == "stage.s.wait_mean") & (tidy.variant == "b")]
    assert wait.better.item() is True  # lower wait is better


def test_verdicts_judge_the_interval_and_count_replications():
    a = _results("a", [10, 12, 9, 11, 13], [5.0] * 5)
    b = _results("b", [12, 13, 12, 12, 15], [4.0] * 5)
    comparison = Comparison("hand", 7, {"a": a, "b": b}, {"won": Target(min=11)})
    verdicts = comparison.verdicts().set_index("variant")
    assert not verdicts.loc["a", "met"]  # mean 11, but the interval reaches below 11
    assert verdicts.loc["a", "share_of_replications"] == pytest.approx(0.6)
    assert verdicts.loc["b", "met"]  # interval [11.3, 14.3] lies above 11
    assert verdicts.loc["b", "share_of_replications"] == pytest.approx(1.0)
    assert comparison.headline() == "b is the only design that meets the target and keeps up."


def test_a_scenario_compared_with_itself_shows_no_difference():
    twin = single_queue(
        3,
        "2/h",
        "{dist: exponential, mean: 1h}",
        horizon="4w",
        replications=4,
        extra="variants: {a: {}, b: {}}\n",
    )
    comparison = compare(twin, progress=False)
    differences = comparison.to_json()["differences"]["b"]
    assert differences
    for entry in differences.values():
        if entry["mean"] is not None:
            assert entry["mean"] == 0
            assert entry["significant"] is False


def test_one_more_server_cuts_the_wait_significantly():
    """M/M/c with c = 3 and c = 4 at lambda 2.5/h: theory says the wait falls from 0.70 h
    to 0.13 h; the paired difference must be negative, significant and marked better."""
    sc = single_queue(
        3,
        "2.5/h",
        "{dist: exponential, mean: 1h}",
        horizon="20w",
        replications=6,
        extra="variants:\n  c3: {}\n  c4: {set: {org.roles.server.headcount: 4}}\n",
    )
    comparison = compare(sc, progress=False)
    diff = comparison.difference("c4", "stage.service.wait_mean")
    assert diff.high < 0
    row = comparison.to_frame().query("kpi == 'stage.service.wait_mean' and variant == 'c4'")
    assert row.better.item() is True
    from .theory import mmc_wait_mean

    theory = mmc_wait_mean(4, 2.5, 1) - mmc_wait_mean(3, 2.5, 1)
    assert diff.low - 0.15 < theory < diff.high + 0.15


@pytest.mark.slow
def test_compare_cli_json_markdown_out_and_report(tmp_path):
    scenario = str(ROOT / "scenarios/smb_velocity.yaml")
    result = CliRunner().invoke(
        app,
        [
            "compare",
            scenario,
            "-n",
            "3",
            "--json",
            "--markdown",
            str(tmp_path / "s.md"),
            "--out",
            str(tmp_path / "out"),
            "--report",
            str(tmp_path / "r.html"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == [
        "scenario",
        "replications",
        "stopping",
        "seed",
        "currency",
        "variants",
        "verdicts",
        "differences",
        "transitions",
    ]
    assert data["transitions"] == {}  # no design switches org
    assert data["stopping"] == {"mode": "fixed"}
    assert {v["replications"] for v in data["variants"].values()} == {data["replications"]}
    assert list(data["variants"]) == ["today", "two_more_sdrs", "recycle_stale"]
    assert list(data["differences"]) == ["two_more_sdrs", "recycle_stale"]
    assert data["variants"]["recycle_stale"]["kpis"]["stage.mql.recycled"]["mean"] > 0
    entry = data["differences"]["two_more_sdrs"]["stage.mql.wait_mean"]
    assert set(entry) == {"mean", "ci95", "significant"} and entry["mean"] < 0
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    markdown = (tmp_path / "s.md").read_text()
    assert markdown.startswith("### Speed to lead") and "| target |" in markdown
    rebuilt = tmp_path / "again.html"
    result = CliRunner().invoke(app, ["report", str(tmp_path / "out"), "-o", str(rebuilt)])
    assert result.exit_code == 0, result.output
    original = (tmp_path / "r.html").read_text()
    again = rebuilt.read_text()
    headline = original.split('id="headline">')[1].split("</div>")[0]
    assert headline and headline in again
    # every figure, the trade-off and the people figure too: smb_velocity's reps ramp, leave
    # and are backfilled
    assert again.count("<img ") == original.count("<img ") == 9
    assert 'id="scorecard"' in again and 'id="trade-off"' in again
    assert "Headcount and ramped capacity over time" in again


def test_report_of_a_single_run(tmp_path):
    scenario = str(ROOT / "scenarios/smb_velocity.yaml")
    CliRunner().invoke(app, ["run", scenario, "-n", "2", "--out", str(tmp_path / "run")])
    result = CliRunner().invoke(
        app, ["report", str(tmp_path / "run"), "-o", str(tmp_path / "r.html")]
    )
    assert result.exit_code == 0, result.output
    assert "kpi-table" in (tmp_path / "r.html").read_text()
    missing = CliRunner().invoke(app, ["report", str(tmp_path), "-o", str(tmp_path / "x.html")])
    assert missing.exit_code == 2


def test_results_round_trip_through_files(tmp_path):
    results = orgsim.simulate(ROOT / "scenarios/smb_velocity.yaml", replications=2, progress=False)
    results.save(tmp_path)
    again = Results.load(tmp_path)
    pd.testing.assert_frame_equal(results.kpis, again.kpis, check_dtype=False)
    assert again.facts.entry_sla == results.facts.entry_sla
    assert len(again.timeseries) == len(results.timeseries)


def test_a_comparison_without_details_says_the_same_and_keeps_no_tables():
    """`orgsim compare` printed to the terminal keeps no tables for figures (a tenth of each
    replication's time): its KPIs, intervals, verdicts and headline are unchanged."""
    sc = orgsim.load(ROOT / "scenarios/reorg_sdr_split.yaml").model_copy(
        update={"horizon": 8 * 168.0}
    )
    full = compare(sc, replications=3, progress=False)
    lean = compare(sc, replications=3, progress=False, details=False)
    pd.testing.assert_frame_equal(full.to_frame(), lean.to_frame())
    assert full.headline() == lean.headline() and full.verdicts().equals(lean.verdicts())
    assert all(r.details for r in full.results.values())
    assert not any(r.details for r in lean.results.values())
