"""Every YAML block of docs/modelling-guide.md is a valid org or scenario, and runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import orgsim

DOCS = Path(__file__).resolve().parents[1] / "docs"
BLOCKS = re.findall(r"```yaml\n(.*?)```", (DOCS / "modelling-guide.md").read_text(), re.S)


def test_the_guide_has_its_recipes():
    assert len(BLOCKS) >= 9


@pytest.mark.parametrize("text", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_each_block_loads_and_runs(tmp_path, text):
    """An org block runs against the shipped mid-market market; a scenario block as written.
    One short replication each: the recipe must simulate, not only validate."""
    if text.startswith("kind: org"):
        (tmp_path / "org.yaml").write_text(text, encoding="utf-8")
        market = DOCS.parent / "configs/markets/saas_midmarket.yaml"
        text = f"kind: scenario\nname: recipe\nmarket: {market}\norg: org.yaml\nhorizon: 4w\n"
        scenario = orgsim.load_text(text, tmp_path)
    else:
        assert text.startswith("kind: scenario")
        scenario = orgsim.load_text(text, DOCS)
    for variant in scenario.variants:
        results = orgsim.simulate(scenario, replications=1, variant=variant, progress=False)
        assert results.kpis["leads"].iloc[0] > 0
