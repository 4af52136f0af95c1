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


shots = importlib.util.spec_from_file_location("screenshot", ROOT / "docs/screenshot.py")
screenshot = importlib.util.module_from_spec(shots)
sys.modules["screenshot"] = screenshot
shots.loader.exec_module(screenshot)


@pytest.mark.parametrize("name", list(screenshot.SHOTS))
def test_the_readme_screenshots_are_current(name):
    """The README shows the report's first screen and the workshop page (docs/screenshot.py
    takes them); this fails when a file that shapes one changed after it was taken."""
    shot = screenshot.SHOTS[name]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"({shot.image.relative_to(ROOT).as_posix()})" in readme
    assert not shot.stale(), f"the {name} screenshot is stale: run docs/screenshot.py {name}"
    assert shot.image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
