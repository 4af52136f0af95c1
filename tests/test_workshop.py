"""The workshop page (`orgsim serve`): its controls write valid overrides, its simulation is
the fixed run's numbers and can be cancelled, and in a real browser moving the AE headcount
changes the capacity view, a simulation shows its table and "save as variant" writes a file
that loads."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

import orgsim
from orgsim.config.units import WEEK
from orgsim.workshop import controls as knobs
from orgsim.workshop.simulation import Simulation

from .conftest import ROOT, needs

REORG = "scenarios/reorg_sdr_split.yaml"


@pytest.fixture
def study(tmp_path) -> Path:
    """The reorg example in a folder of its own (saving writes beside the scenario)."""
    shutil.copytree(ROOT / "configs", tmp_path / "configs")
    (tmp_path / "scenarios").mkdir()
    shutil.copy(ROOT / REORG, tmp_path / REORG)
    return tmp_path / REORG


@pytest.mark.parametrize("path", sorted((ROOT / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_every_shipped_design_offers_controls_that_change_nothing_as_written(path):
    scenario = orgsim.load(path)
    for variant in scenario.variants:
        found = knobs.controls(scenario, variant)
        assert found, f"{path.name}: {variant} offers no control"
        assert knobs.edits(found, {c.path: c.value for c in found}) == {}
        for control in found:
            assert control.group in knobs.GROUPS
            if control.kind == "choice":
                assert control.value in control.choices


def test_an_edit_is_the_scenario_with_an_override_and_is_checked_as_a_file_is(study):
    scenario = orgsim.load(study)
    found = knobs.controls(scenario, "process_stage")
    changes = knobs.edits(found, {"org.roles.ae.headcount": 12, "org.work.mql.sla.first_touch": 2})
    assert changes == {"org.roles.ae.headcount": 12, "org.work.mql.sla.first_touch": "2h"}
    both = knobs.edited(scenario, study.read_text(), "functional", "process_stage", changes)
    assert list(both.variants) == ["functional", knobs.EDITED]
    edited = both.variant(knobs.EDITED)
    assert edited.org.roles["ae"].headcount == 12
    assert edited.org.work["mql"].sla.first_touch == 2.0
    # everything else is the design as written, its own `set` (the pay plans) included
    original = scenario.variant("process_stage")
    assert edited.org.roles["ae"].quota == original.org.roles["ae"].quota
    assert edited.org.roles["sdr"].headcount == original.org.roles["sdr"].headcount
    with pytest.raises(orgsim.ConfigError, match="sum to at most 1"):
        too_many = {"market.journey.mql.outcomes.sql": 0.9}  # with 0.2 to nurture
        knobs.edited(scenario, study.read_text(), "functional", "process_stage", too_many)


def test_save_as_variant_writes_a_file_that_loads_and_never_overwrites(study):
    scenario, text = orgsim.load(study), study.read_text()
    changes = {"org.pods.smb_pod.members.ae": 6}
    path = knobs.save_variant(scenario, text, "pods", "pods_more_smb_aes", changes)
    assert path == study.with_name("reorg_sdr_split.pods_more_smb_aes.yaml")
    saved = path.read_text()
    for line in text.splitlines():  # the file as written, comments and anchors included
        assert line in saved
    assert "&id" not in saved and "*id" not in saved
    again = orgsim.load(path)
    assert list(again.variants) == [*scenario.variants, "pods_more_smb_aes"]
    assert again.variant("pods_more_smb_aes").org.pods["smb_pod"].members["ae"] == 6
    assert again.targets == scenario.targets
    for name in scenario.variants:  # the designs as written are unchanged
        assert again.variant(name) == scenario.variant(name)
    with pytest.raises(orgsim.ConfigError, match="already exists"):
        knobs.save_variant(scenario, text, "pods", "pods_more_smb_aes", changes)
    with pytest.raises(orgsim.ConfigError, match="not a new design's name"):
        knobs.save_variant(scenario, text, "pods", "functional", changes)


@pytest.fixture
def short(study):
    """The reorg's baseline and an edited design, over 8 weeks: seconds, not minutes."""
    changes = {"org.roles.ae.headcount": 7}
    both = knobs.edited(
        orgsim.load(study), study.read_text(), "functional", "process_stage", changes
    )
    return both.model_copy(update={"horizon": 8 * WEEK, "warmup": 2 * WEEK}).with_run(
        replications=4
    )


def test_the_page_simulation_gives_the_fixed_runs_numbers(short):
    """A first look at 4 (the scenario's count): the same replications, seeds and KPIs as
    `orgsim.compare` at 4, so the page and the command line never disagree."""
    snap = Simulation(short).start().wait(timeout=120)
    assert snap.finished and not snap.cancelled and snap.error is None
    assert snap.comparison.replications == 4 and snap.done == 8
    fixed = orgsim.compare(short, progress=False)
    for name in short.variants:
        pd.testing.assert_frame_equal(snap.comparison.results[name].kpis, fixed.results[name].kpis)


def test_cancel_stops_before_the_next_replication(short):
    run = Simulation(short.with_run(replications=40))
    run.cancel()  # before it starts: not one replication runs
    snap = run.start().wait(timeout=60)
    assert snap.finished and snap.cancelled and snap.done == 0 and snap.comparison is None


# -- in a real browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _chromium() -> str:
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium: .ci/run installs it")
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return chromium


@pytest.mark.slow
@pytest.mark.browser
def test_the_page_in_chromium(study):
    """Move the AE headcount: the capacity view changes at once (and not in another tab);
    simulate: the KPI table with intervals appears; save as variant: the file is written
    and loads."""
    needs("panel")
    sync = needs("playwright.sync_api")
    chromium, port = _chromium(), _free_port()
    command = [sys.executable, "-m", "orgsim", "serve", str(study), "--port", str(port),
               "--no-show", "--workers", "1"]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for(f"http://127.0.0.1:{port}/", server)
        with sync.sync_playwright() as driver:
            browser = driver.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}/")
            table = page.locator(".capacity-table pre")
            table.wait_for(timeout=60_000)
            before = table.inner_text()
            assert "ae" in before and "edited" in before
            keeps_up = page.locator(".keeps-up-edited p")
            sync.expect(keeps_up).to_contain_text("edited (process_stage, 0 changes)")
            box = page.locator(f".{_css('org.roles.ae.headcount')} input")
            box.fill("6")
            box.press("Enter")
            sync.expect(keeps_up).to_contain_text("1 change", timeout=20_000)
            sync.expect(table).not_to_have_text(before, timeout=20_000)
            other = browser.new_page()  # a second tab is a session of its own
            other.goto(f"http://127.0.0.1:{port}/")
            sync.expect(other.locator(".keeps-up-edited p")).to_contain_text("0 changes")
            other.close()
            page.locator(".simulate button").click()
            kpis = page.locator(".kpis pre")
            kpis.wait_for(timeout=120_000)
            assert "±" in kpis.inner_text() and "vs functional" in kpis.inner_text()
            page.locator(".cancel button").click()  # or it settled first: either is said
            status = page.locator(".status p")
            sync.expect(status).to_contain_text(re.compile("Cancelled|replications: auto"))
            assert "Traceback" not in status.inner_text()
            page.locator(".variant-name input").fill("fewer_aes")
            page.locator(".save button").click()
            sync.expect(page.locator(".saved")).to_contain_text("Saved", timeout=20_000)
            browser.close()
    finally:
        server.terminate()
        output = server.communicate(timeout=30)[0].decode(errors="replace")
    saved = orgsim.load(study.with_name("reorg_sdr_split.fewer_aes.yaml"))
    assert saved.variant("fewer_aes").org.roles["ae"].headcount == 6
    assert "Traceback" not in output, output


def _css(path: str) -> str:
    from orgsim.workshop.page import css_class

    return css_class(path)


def _wait_for(url: str, server: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"orgsim serve stopped: {server.stdout.read().decode(errors='replace')}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"orgsim serve did not answer at {url} within {seconds} s")


# -- the page's behaviour, without a browser


def test_a_file_with_problems_shows_them_on_the_page_instead_of_starting(tmp_path):
    needs("panel")
    from orgsim.workshop.page import page

    broken = tmp_path / "broken.yaml"
    broken.write_text("kind: scenario\nname: x\nmarket: nowhere.yaml\norg: nowhere.yaml\n")
    shown = page(broken)
    assert "load-errors" in shown.css_classes
    text = " ".join(str(getattr(part, "object", "")) for part in shown.objects)
    assert "broken.yaml:3:9: market" in text and "Fix the file and reload" in text


def test_an_invalid_edit_is_named_and_nothing_can_start_until_it_is_fixed(study):
    needs("panel")
    from orgsim.workshop.page import Workshop

    shop = Workshop(orgsim.load(study), study.read_text(), None)
    baseline, edited, table = shop.detail["baseline"], shop.detail["edited"], shop.side_by_side
    before = (baseline.object, edited.object, table.object)
    assert shop.keeps_up["edited"].alert_type == "warning"  # csm runs out in 9 years
    assert "csm reaches its hours in edited (week 466" in shop.keeps_up["edited"].object
    shop.widgets["org.roles.ae.headcount"].value = 3
    assert baseline.object == before[0] and edited.object != before[1] != table.object
    keeps_up = shop.keeps_up["edited"]
    assert keeps_up.alert_type == "danger" and "ae" in keeps_up.object
    assert "overloaded" in keeps_up.object and "1 change" in keeps_up.object
    shop.widgets["market.journey.mql.outcomes.sql"].value = 0.9  # with 0.2 to nurture: 1.1
    assert shop.problems.visible and "sum to at most 1" in shop.problems.object
    assert shop.simulate.disabled and shop.save.disabled
    shop.widgets["market.journey.mql.outcomes.sql"].value = 0.45
    assert not shop.problems.visible and not shop.simulate.disabled
    shop.widgets["market.sources.inbound.rate"].value = -5  # named, never clamped away
    assert shop.problems.visible and "sources.inbound.rate" in shop.problems.object
    assert ".yaml:" not in shop.problems.object and shop.simulate.disabled
    shop.widgets["market.sources.inbound.rate"].value = 120
    shop.widgets["org.roles.ae.headcount"].value = 2.5  # refused, never read as 2 or 25
    assert shop.problems.visible and "whole number, got 2.5" in shop.problems.object
    shop.widgets["org.roles.ae.headcount"].value = 3
    assert shop.changes() == {"org.roles.ae.headcount": 3}


def test_the_page_shows_a_comparison_and_downloads_its_report(study, short):
    needs("panel")
    from orgsim.workshop.page import Workshop

    shop = Workshop(orgsim.load(study), study.read_text(), None)
    assert shop.download.disabled
    snap = Simulation(short).start().wait(timeout=120)
    shop.shown = snap
    shop._show(snap)
    assert "vs functional" in shop.kpis.object and "±" in shop.kpis.object
    assert shop.verdicts.object.count("<tr>") == 1 + 2 * len(short.targets)
    assert len(shop.figures.objects) == 2 and not shop.download.disabled
    report = shop._report().getvalue()
    assert report.startswith("<!DOCTYPE html>") and "edited" in report
    shop.widgets["org.roles.sdr.headcount"].value = 6  # the results on screen are now old
    assert "greyed results below are of the designs before" in shop.status.object
    assert shop.results.styles["opacity"] == "0.4" and shop.download.disabled


def test_serve_refuses_a_missing_file_and_warns_off_the_loopback(tmp_path):
    needs("panel")
    from typer.testing import CliRunner

    from orgsim.cli import app

    missing = CliRunner().invoke(app, ["serve", str(tmp_path / "nope.yaml"), "--no-show"])
    assert missing.exit_code == 2 and "no such file" in missing.output
    assert "Traceback" not in missing.output
    from orgsim.cli.serve import _loopback  # the warning is said for any other address

    assert all(map(_loopback, ["127.0.0.1", "localhost", "::1", "127.0.0.2"]))
    assert not any(map(_loopback, ["0.0.0.0", "192.168.1.4", "example.com"]))


# -- the edges a new user and a review found


def _saved_text(study: Path, text: str, changes=None) -> str:
    study.write_text(text)
    scenario = orgsim.load(study)
    variant = next(iter(scenario.variants))
    path = knobs.save_variant(scenario, text, variant, "added", changes or {})
    return path.read_text()


@pytest.mark.parametrize(
    "layout",
    ["no variants", "four spaces", "variants last", "no final newline"],
)
def test_save_adds_the_variant_to_any_block_layout_of_variants(study, layout):
    text = study.read_text()
    head, tail = text.split("variants:\n", 1)
    body, targets = tail.split("\ntargets:", 1)
    if layout == "no variants":
        text = head + "targets:" + targets
    elif layout == "four spaces":
        deeper = "\n".join("  " + line if line.strip() else line for line in body.split("\n"))
        text = head + "variants:\n" + deeper + "\ntargets:" + targets
    elif layout == "variants last":
        text = head + "targets:" + targets + "variants:\n" + body
    else:
        text = text.rstrip("\n")
    saved = _saved_text(study, text, {"org.roles.sales_manager.headcount": 3})
    again = orgsim.load(study.with_name("reorg_sdr_split.added.yaml"))
    assert list(again.variants)[-1] == "added"
    assert again.variant("added").org.roles["sales_manager"].headcount == 3
    assert all(line in saved for line in text.splitlines())  # every line kept


def test_save_refuses_variants_it_cannot_add_to_and_writes_nothing(study):
    flow = "variants: {a: {}, b: {set: {org.roles.sales_manager.headcount: 3}}}\n"
    text = study.read_text().split("variants:\n")[0] + flow
    with pytest.raises(orgsim.ConfigError, match="add it by hand"):
        _saved_text(study, text)
    assert not study.with_name("reorg_sdr_split.added.yaml").exists()


def test_a_cleared_box_is_named_and_a_design_called_edited_stays_apart(study):
    needs("panel")
    from orgsim.workshop.page import Workshop

    shop = Workshop(orgsim.load(study), study.read_text(), None)
    shop.widgets["org.roles.ae.headcount"].value = None
    assert shop.problems.visible and "ae: give a number" in shop.problems.object
    assert shop.simulate.disabled and shop.save.disabled
    text = study.read_text().replace("  functional:\n", "  edited:\n")
    study.write_text(text)
    both = knobs.edited(orgsim.load(study), text, "edited", "pods", {})
    assert list(both.variants) == ["edited", "edited_"]


def test_a_pod_hired_into_during_the_run_is_not_split_by_its_seats(study):
    hires = {"org.hires": [{"role": "ae", "pod": "smb_pod", "at": "10w", "count": 2}]}
    hired = orgsim.load(study).only("pods").with_set(hires)
    result = orgsim.capacity(hired, "pods")
    assert result.roles["ae"].pods == {} and result.roles["sdr"].pods != {}
    assert any("dated hires join the pods of ae" in note for note in result.notes)


def test_cancel_mid_run_keeps_the_replications_done(short):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        run = Simulation(short.with_run(replications=60), pool).start()
        deadline = time.monotonic() + 60
        while run.snapshot().comparison is None and time.monotonic() < deadline:
            time.sleep(0.02)
        run.cancel()
        snap = run.wait(timeout=60)
    assert snap.finished and snap.cancelled and snap.error is None
    assert 5 <= snap.comparison.replications < 60


def test_the_page_is_offered_only_to_its_own_address():
    from orgsim.cli.serve import _origins

    assert _origins("127.0.0.1", 5006) == ["127.0.0.1:5006", "localhost:5006"]
    assert _origins("::1", 5006) == ["[::1]:5006", "localhost:5006"]
    assert _origins("10.0.0.5", 80) == ["10.0.0.5:80"] and _origins("0.0.0.0", 80) == "*"
