"""Figures and the HTML report: readable, self-contained, escaped, and checked in a browser."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from matplotlib.figure import Figure

import orgsim
from orgsim.config import ConfigError
from orgsim.experiment.compare import compare
from orgsim.report import figures

from .conftest import ROOT

NASTY = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    folder = tmp_path_factory.mktemp("nasty")
    for sub in ("configs", "scenarios"):
        shutil.copytree(ROOT / sub, folder / sub)
    path = folder / "scenarios/smb_velocity.yaml"
    text = path.read_text().replace(
        "name: Speed to lead in a velocity SMB team", f"name: '{NASTY} & co'"
    )
    text = text.replace("kind: scenario", f"kind: scenario\ndescription: '{NASTY}'")
    text = text.replace(  # a design that switches org, for the payback figure and section
        "targets:",
        "  switch:\n    transition: {at: 4w, org: ../configs/orgs/smb_velocity_team.yaml}\n"
        "    set: {transition.org.roles.sdr.headcount: 6}\n"
        "  prospecting:\n"  # SDRs who also prospect, for the territory figure
        "    set:\n"
        "      market.sources.outbound: {kind: outbound, accounts: {smb: 300}, enters: sql,\n"
        "        attempts: 4, connect: 0.2, meeting: 0.2}\n"
        "      org.work.outbound: {role: sdr, effort: 5min}\n"
        "      org.roles.sdr.outbound_share: 0.5\n"
        "      org.roles.ae.quota: {per: month, value: 30000}\n"  # the attainment figure
        "      org.roles.ae.commission: {rate: 0.1, tiers: [{from: 1.0, rate: 0.15}]}\n"
        "targets:",
    )
    path.write_text(text)
    org = folder / "configs/orgs/smb_velocity_team.yaml"
    org.write_text(
        org.read_text().replace(
            "name: Velocity team (SDR -> AE, CSM pool)", f"name: '{NASTY} team'"
        )
    )
    return compare(path, replications=3, progress=False)


@pytest.mark.parametrize("kind", list(figures.FIGURES))
def test_every_figure_draws_alone_or_on_a_given_axis(comparison, kind):
    figure = comparison.plot(kind)
    assert isinstance(figure, Figure)
    ax = figure.axes[0]
    assert ax.get_title() and (ax.get_xlabel() or ax.get_ylabel())
    mine = Figure()
    axis = mine.subplots()
    assert comparison.plot(kind, ax=axis) is mine
    assert axis.has_data()


def test_a_single_results_plots_too():
    results = orgsim.simulate(ROOT / "scenarios/smb_velocity.yaml", replications=2, progress=False)
    axes = results.plot("utilization").axes[0]  # a bar per role, as tall as its utilization
    roles = [label.get_text() for label in axes.get_xticklabels()]
    means = results.summary(raw=True)["mean"]
    assert roles == ["sdr", "ae", "csm"]
    assert [bar.get_height() for bar in axes.patches] == [
        means[f"role.{r}.utilization"] for r in roles
    ]
    with pytest.raises(ConfigError, match="unknown figure"):
        results.plot("pie")


def test_report_escapes_names_and_is_self_contained(comparison, tmp_path):
    path = comparison.write_report(tmp_path / "report.html")
    text = path.read_text()
    assert NASTY not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in text
    assert "<script" not in text.lower()
    assert "http://" not in text and "https://" not in text.replace("https://json-schema.org", "")
    assert text.count('src="data:image/png;base64,') == len(figures.FIGURES)  # people too
    for section in (
        'id="headline"',
        'id="transitions"',
        'id="targets"',
        'id="kpi-table"',
        'id="run-facts"',
        "kind: market",
        "kind: org",
    ):
        assert section in text


def _missing(what: str) -> None:
    """Skip on a developer's machine without the tool; fail in CI, which must have it."""
    if os.environ.get("CI"):
        pytest.fail(f"CI must have {what}: .ci/run installs it")
    pytest.skip(f"needs {what}")


def _browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and driver):
        _missing("Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:  # pragma: no cover - selenium is a dev dependency
        _missing("selenium (pip install -e '.[dev]')")
    return chromium, driver, webdriver, Service


@pytest.mark.slow
@pytest.mark.browser
def test_report_renders_in_headless_chromium(comparison, tmp_path):
    chromium, driver_path, webdriver, Service = _browser()
    report = comparison.write_report(tmp_path / "report.html")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,2000",
        f"--user-data-dir={tmp_path / 'profile'}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(Path(report).as_uri())
        assert driver.title.startswith("<script>alert(1)</script> & co")
        images = driver.execute_script(
            "return Array.from(document.images).map(i => [i.complete, i.naturalWidth]);"
        )
        assert len(images) == len(figures.FIGURES)
        assert all(done and width > 0 for done, width in images), images
        rows = driver.execute_script(
            "return document.querySelectorAll('#kpi-table tbody tr').length;"
        )
        assert rows > 20
        alerts = driver.execute_script("return document.querySelectorAll('script').length;")
        assert alerts == 0
        errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
        assert not errors, errors
        # the whole page, as a reader scrolls it: look at it (ORGSIM_SCREENSHOTS=DIR keeps it)
        height = driver.execute_script("return document.documentElement.scrollHeight;")
        driver.set_window_size(1280, height)
        shot = Path(os.environ.get("ORGSIM_SCREENSHOTS", tmp_path)) / "report-full-page.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        assert driver.save_screenshot(str(shot))
        assert shot.stat().st_size > 10_000
    finally:
        driver.quit()


def test_chromium_is_present_where_ci_installs_it():
    """CI installs chromium; make the browser test's skip visible if it ever does not."""
    if shutil.which("chromium") is None:
        _missing("Debian's chromium")
    version = subprocess.run(["chromium", "--version"], capture_output=True, text=True)
    assert "Chromium" in version.stdout


def test_markdown_prints_free_text_as_plain_words(comparison):
    """A scenario's name reaches a chat message or a pull request as text: no HTML, link,
    heading or emphasis of its own."""
    title = comparison.markdown().splitlines()[0]
    assert title == "### \\<script\\>alert(1)\\</script\\> & co"


def test_the_report_names_what_moves_conversion_from_the_written_rates(comparison):
    """Written rates beside the realised ones, and where reps differ in skill, the
    routing that selects among them is named among the assumptions."""
    page = comparison.report_html()
    assert "mql → sql (written 25%)" in page
    assert 'id="skill-effects"' in page
    assert "lead-weighted mean skill" in page
