"""Every figure the README and docs publish from running orgsim is what the code gives today
(docs/refresh.py regenerates them; this fails when one is stale)."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.slow

spec = importlib.util.spec_from_file_location("refresh", ROOT / "docs" / "refresh.py")
refresh = importlib.util.module_from_spec(spec)
sys.modules["refresh"] = refresh  # dataclasses look their module up while the file runs
spec.loader.exec_module(refresh)

PUBLISHED = [
    pytest.param(page, name, text, id=f"{page.name}:{name}")
    for page in refresh.PAGES
    for name, text in refresh.blocks(page)
]


def test_the_readme_publishes_figures():
    assert {p.values[1] for p in PUBLISHED} == set(refresh.FIGURES)


@pytest.mark.parametrize("page, name, text", PUBLISHED)
def test_a_published_figure_matches_what_the_code_gives(page, name, text):
    assert text == refresh.FIGURES[name].render(), (
        f"{page.name}: the '{name}' figure is stale: run `python docs/refresh.py`"
    )


@pytest.mark.matrix
def test_the_published_capacity_error_table_matches_a_fresh_matrix():
    """docs/capacity-accuracy.md's table is what docs/capacity_accuracy.py gives today (the
    whole matrix takes about four minutes on 2 cores: run with --runslow)."""
    spec = importlib.util.spec_from_file_location("accuracy", ROOT / "docs/capacity_accuracy.py")
    accuracy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(accuracy)
    page = accuracy.PAGE.read_text(encoding="utf-8")
    published = page.split("<!-- accuracy -->\n")[1].split("<!-- /accuracy -->")[0]
    assert published == accuracy.markdown(accuracy.table(accuracy.matrix())), (
        "docs/capacity-accuracy.md is stale: run `python docs/capacity_accuracy.py --write`"
    )


def test_the_readme_screenshot_of_the_report_is_current():
    """The README shows the report's first screen (docs/screenshot.py takes it); this fails
    when a file that shapes that screen changed after the screenshot was taken."""
    spec = importlib.util.spec_from_file_location("screenshot", ROOT / "docs/screenshot.py")
    screenshot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(screenshot)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"({screenshot.IMAGE.relative_to(ROOT).as_posix()})" in readme
    assert not screenshot.stale(), "the report screenshot is stale: run docs/screenshot.py"
    assert screenshot.IMAGE.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_readme_screenshot_of_the_workshop_page_is_current():
    """The README shows the workshop page (docs/workshop_screenshot.py takes it); this fails
    when a file that shapes the page changed after the screenshot was taken."""
    spec = importlib.util.spec_from_file_location("shot", ROOT / "docs/workshop_screenshot.py")
    shot = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(shot)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"({shot.IMAGE.relative_to(ROOT).as_posix()})" in readme
    assert not shot.stale(), "the workshop screenshot is stale: run docs/workshop_screenshot.py"
    assert shot.IMAGE.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
