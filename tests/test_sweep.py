"""Sweeps: the same table everywhere, nothing lost after SIGKILL, clear errors for --param."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest
from typer.testing import CliRunner

import orgsim
from orgsim.cli import app
from orgsim.experiment.sweep import sweep

from .conftest import needs
from .models import scenario

MARKET = """
kind: market
name: small
segments: {all: {deal_value: 1000}}
sources: {web: {rate: 60/week, enters: mql}}
journey:
  mql: {outcomes: {sql: 0.4}, response_decay: {half_life: 4h, floor: 0.3}}
  sql: {buyer_delay: 1d, outcomes: {won: 0.3}}
  won: {milestone: won}
"""
ORG = """
kind: org
name: small
roles:
  sdr: {headcount: 2, cost_per_year: 90000}
  ae: {headcount: 2, cost_per_year: 150000}
work:
  mql: {role: sdr, effort: 30min, sla: {first_touch: 4h}}
  sql: {role: ae, effort: 1h}
"""
EXTRA = """
variants:
  manual: {}
  faster: {set: {org.work.mql.effort: 20min}}
sweep:
  org.roles.sdr.headcount: [1, 2, 3]
  org.roles.ae.headcount: [1, 2]
"""


@pytest.fixture
def small(tmp_path):
    sc = scenario(MARKET, ORG, horizon="6w", warmup="1w", replications=3, extra=EXTRA)
    path = tmp_path / "sweep.yaml"
    text = sc.composed_yaml("manual")
    data = {
        "kind": "scenario",
        "name": "small sweep",
        "horizon": "6w",
        "warmup": "1w",
        "replications": 3,
        "seed": 5,
    }
    import yaml

    composed = yaml.safe_load(text)
    data["market"], data["org"] = composed["market"], composed["org"]
    data.update(yaml.safe_load(EXTRA))
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def test_tables_are_identical_in_one_process_a_pool_and_dask(small):
    one = sweep(small, workers=1, progress=False)
    frame = one.to_frame()
    assert len(frame) == 6 * 2 * 3
    assert list(frame.columns[:4]) == [
        "org.roles.sdr.headcount",
        "org.roles.ae.headcount",
        "variant",
        "replication",
    ]
    pool = sweep(small, workers=2, progress=False)
    assert pool.to_json() == one.to_json()
    needs("distributed")
    from orgsim.experiment.runner import dask_executor

    with dask_executor(None, 2) as executor:
        cluster = sweep(small, executor=executor, progress=False)
    assert cluster.to_json() == one.to_json()


def test_every_point_and_variant_shares_the_replication_seeds(small):
    frame = sweep(small, workers=1, progress=False).to_frame()
    leads = frame.pivot_table(
        index="replication",
        columns=["org.roles.sdr.headcount", "org.roles.ae.headcount", "variant"],
        values="leads",
    )
    assert (leads.nunique(axis=1) == 1).all()  # the same leads everywhere, per replication
    assert leads.iloc[:, 0].nunique() == 3  # and different leads in each replication


def _cli(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "orgsim", *args], capture_output=True, text=True, **kwargs
    )


@pytest.mark.slow
def test_a_sweep_killed_halfway_resumes_to_the_same_table(small, tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "orgsim", "sweep", str(small), "--workers", "1", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 120
    while time.time() < deadline and process.poll() is None:
        if len(_tables(out)) >= 2:
            break
        time.sleep(0.05)
    assert process.poll() is None, "the sweep ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = _tables(out)
    assert 2 <= len(done) < 6, "the kill must land halfway"
    stamps = {p.name: p.stat().st_mtime_ns for p in done}
    resumed = _cli("sweep", str(small), "--workers", "1", "--out", str(out), "--resume", "--json")
    assert resumed.returncode == 0, resumed.stderr
    for path in done:  # finished points were read, not recomputed
        assert path.stat().st_mtime_ns == stamps[path.name]
    fresh = _cli("sweep", str(small), "--workers", "1", "--json")
    assert resumed.stdout == fresh.stdout
    rows = json.loads(resumed.stdout)
    keys = {
        (r["org.roles.sdr.headcount"], r["org.roles.ae.headcount"], r["variant"], r["replication"])
        for r in rows
    }
    assert len(rows) == len(keys) == 36  # no missing points, no duplicates
    again = _cli("sweep", str(small), "--workers", "1", "--out", str(out))
    assert again.returncode == 2 and "--resume" in again.stderr


def _tables(out):
    """The point tables of the points done so far: a point is done when its check
    (`NNNN.json`, written after its table) is in place, as the resume counts it."""
    return [
        p
        for p in (out / "points").glob("0*.*")
        if p.suffix in (".csv", ".parquet") and p.with_suffix(".json").exists()
    ]


def _damage_swap(points):
    """Point 1's files copied over point 0's (table and check alike)."""
    for first in points.glob("00000.*"):
        first.write_bytes((points / f"00001{first.suffix}").read_bytes())


def _damage_truncate(points):
    table = next(p for p in points.glob("00000.*") if p.suffix != ".json")
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])


def _damage_empty(points):
    next(p for p in points.glob("00000.*") if p.suffix != ".json").write_bytes(b"")


def _damage_folder(points):
    table = next(p for p in points.glob("00000.*") if p.suffix != ".json")
    table.unlink()
    table.mkdir()


def _damage_check(points):
    (points / "00000.json").write_text("{not json")


@pytest.mark.parametrize(
    "damage", [_damage_swap, _damage_truncate, _damage_empty, _damage_folder, _damage_check]
)
def test_resume_checks_every_point_and_redoes_a_damaged_one(small, tmp_path, damage):
    """A point file replaced, torn, emptied or turned into a folder, or its check damaged:
    the resume notices it, simulates that point again, and the table is the fresh one."""
    out = tmp_path / "out"
    fresh = sweep(small, out=out, workers=1, progress=False).to_frame()
    damage(out / "points")
    resumed = sweep(small, out=out, resume=True, workers=1, progress=False)
    assert resumed.notices == [f"point 0 in {out} failed its check: simulated again"]
    pd.testing.assert_frame_equal(resumed.to_frame(), fresh)
    again = sweep(small, out=out, resume=True, workers=1, progress=False)
    assert again.notices == []  # repaired for good


def test_a_damaged_manifest_and_a_busy_folder_are_clear_errors(small, tmp_path):
    from orgsim.config.errors import ConfigError
    from orgsim.experiment import storage

    out = tmp_path / "out"
    sweep(small, out=out, workers=1, progress=False)
    with storage.lock(out), pytest.raises(ConfigError, match="another orgsim run is writing"):
        sweep(small, out=out, resume=True, workers=1, progress=False)
    (out / "manifest.json").write_text('{"grid": ')
    result = _cli("sweep", str(small), "--workers", "1", "--out", str(out), "--resume")
    assert result.returncode == 2 and "the manifest is damaged" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_from_damaged_saved_results_is_a_clear_error(small, tmp_path):
    out = tmp_path / "saved"
    assert _cli("run", str(small), "--workers", "1", "-n", "2", "--out", str(out)).returncode == 0
    (out / "results.json").write_text("{")
    result = _cli("report", str(out), "-o", str(tmp_path / "r.html"))
    assert result.returncode == 2 and "<saved results>: cannot be read" in result.stderr
    assert "Traceback" not in result.stderr


def test_resume_refuses_a_different_sweep(small, tmp_path):
    out = tmp_path / "out"
    assert (
        _cli(
            "sweep",
            str(small),
            "--workers",
            "1",
            "--out",
            str(out),
            "--param",
            "org.roles.sdr.headcount=1",
        ).returncode
        == 0
    )
    other = _cli(
        "sweep",
        str(small),
        "--workers",
        "1",
        "--out",
        str(out),
        "--resume",
        "--param",
        "org.roles.sdr.headcount=2",
    )
    assert other.returncode == 2
    assert "holds a different sweep" in other.stderr


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        (
            "org.roles.sdr.headcont=1,2",
            "--param[1]:1:1: org.roles.sdr.headcont: no 'headcont' "
            "in org.roles.sdr; did you mean 'headcount'?",
        ),
        (
            "org.roles.sdr.headcount=2,-1",
            "--param[1]:1:27: org.roles.sdr.headcount: must be at least 0, got -1",
        ),
        (
            "market.sources.web.rate=60/fortnight",
            "--param[1]:1:25: market.sources.web.rate: unknown rate unit",
        ),
        (
            "org.roles.sdr.headcount",
            "--param[1]:1:1: sweep: 'org.roles.sdr.headcount' is not a parameter",
        ),
    ],
)
def test_param_errors_use_the_spec_format(small, param, expected):
    result = CliRunner().invoke(app, ["sweep", str(small), "--param", param, "--workers", "1"])
    assert result.exit_code == 2
    assert expected in result.output
    assert "Traceback" not in result.output


def test_param_grid_and_plot(small):
    result = CliRunner().invoke(
        app,
        [
            "sweep",
            str(small),
            "--workers",
            "1",
            "--reps",
            "2",
            "--param",
            "market.sources.web.rate=40/week,80/week",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["market.sources.web.rate"] for r in rows} == {"40/week", "80/week"}
    swept = sweep(
        small, {"org.roles.ae.headcount": [1, 2, 3]}, replications=2, workers=1, progress=False
    )
    figure = swept.plot("stage.sql.wait_mean", x="org.roles.ae.headcount")
    assert len(figure.axes[0].lines) == 2  # one per variant
    table = swept.summary("stage.sql.wait_mean")
    manual = table[table.variant == "manual"].set_index("org.roles.ae.headcount")["mean"]
    assert manual[1] > manual[3]  # more AEs, shorter waits
    frame = swept.to_frame()  # a row per point, variant and replication
    assert len(frame) == 3 * 2 * 2 and frame["org.roles.ae.headcount"].tolist().count(2) == 4


TWO_ORGS = """
kind: scenario
name: two orgs
horizon: 4w
replications: 2
market:
  kind: market
  name: m
  segments: {all: {deal_value: 1000}}
  sources: {web: {rate: 40/week, enters: mql}}
  journey:
    mql: {outcomes: {won: 0.3}}
    won: {}
org:
  kind: org
  name: full cycle
  roles: {rep: {headcount: 2}}
  work: {mql: {role: rep, effort: 30min}}
variants:
  full_cycle: {}
  split:
    org:
      kind: org
      name: split
      roles: {sdr: {headcount: 1}}
      work: {mql: {role: sdr, effort: 30min}}
"""


def test_a_path_only_some_variants_have_is_swept_per_variant(tmp_path):
    sc = orgsim.load_text(TWO_ORGS)
    with pytest.raises(orgsim.ConfigError, match="only variants split have this") as caught:
        sweep(sc, {"org.roles.sdr.headcount": [1, 2]}, progress=False)
    assert "--variant split" in str(caught.value)
    swept = sweep(sc, {"org.roles.sdr.headcount": [1, 2]}, variant="split", workers=1)
    assert set(swept.to_frame().variant) == {"split"}
    path = tmp_path / "two.yaml"
    path.write_text(TWO_ORGS, encoding="utf-8")
    command = ["sweep", str(path), "--param", "org.roles.sdr.headcount=1,2", "--workers", "1"]
    result = CliRunner().invoke(app, [*command, "--variant", "nope"])
    assert result.exit_code == 2 and "no variant 'nope'" in " ".join(result.output.split())
    result = CliRunner().invoke(app, [*command, "--variant", "split"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("parquet", [True, False])
def test_mapping_values_sweep_summarise_plot_and_resume(small, tmp_path, parquet, monkeypatch):
    """The docs allow a whole mapping as a swept value (an SLA): its cells are its compact
    JSON, so it groups, plots and reads back the same from CSV or Parquet."""
    from orgsim.experiment import storage

    if parquet:
        needs("pyarrow")
    monkeypatch.setattr(storage, "has_parquet", lambda: parquet)
    grid = {"org.work.mql.sla": [{"first_touch": "4h"}, {"first_touch": "1h", "clock": "calendar"}]}
    out = tmp_path / "out"
    first = sweep(small, grid, out=out, workers=1, progress=False)
    summary = first.summary("sla.mql.attainment")
    assert list(summary["org.work.mql.sla"].unique()) == [
        '{"first_touch": "4h"}',
        '{"clock": "calendar", "first_touch": "1h"}',
    ]
    figure = first.plot("sla.mql.attainment", x="org.work.mql.sla")
    ticks = [label.get_text() for label in figure.axes[0].get_xticklabels()]
    assert ticks == list(summary["org.work.mql.sla"].unique())
    (out / "points" / f"00001.{'parquet' if parquet else 'csv'}").unlink()
    resumed = sweep(small, grid, out=out, resume=True, workers=1, progress=False)
    pd.testing.assert_frame_equal(resumed.to_frame(), first.to_frame())


def test_a_scheduler_address_that_is_not_one_is_a_clear_error(small):
    needs("distributed")
    result = _cli("sweep", str(small), "--backend", "dask", "--scheduler", "not a url")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("--scheduler:1:1: dask: cannot reach a Dask scheduler")
    assert "Traceback" not in result.stderr
