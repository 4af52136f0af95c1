"""The golden file: KPIs of every shipped scenario and variant at a fixed seed, compared
exactly. A number that moves fails here; when one moves on purpose, regenerate the file in
its own commit and say why:

    python tests/test_golden.py --write
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import orgsim

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden" / "kpis.json"
REPLICATIONS = 2
HORIZON = 13 * 168.0  # hours: long enough for every stage to see work, short enough to be quick
WARMUP = 2 * 168.0
AFTER_SWITCH = 4 * 168.0  # hours: a variant that switches org is run this far past its switch


def horizon(scenario: orgsim.Scenario) -> float:
    """HORIZON, or longer where a variant switches org later (so the switch is covered)."""
    switches = [v.transition.at + AFTER_SWITCH for v in scenario.variants.values() if v.transition]
    return min(scenario.horizon, max([HORIZON, *switches]))


def golden_kpis() -> dict:
    """{scenario: {variant: {kpi: [value per replication]}}}, NaN as null."""
    result = {}
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        scenario = orgsim.load(path)
        short = scenario.model_copy(
            update={
                "horizon": horizon(scenario),
                "warmup": min(scenario.warmup, WARMUP),
                "replications": REPLICATIONS,
            }
        )
        result[path.stem] = {
            name: {
                kpi: [None if math.isnan(v) else float(v) for v in column]
                for kpi, column in orgsim.simulate(short, variant=name, progress=False).kpis.items()
            }
            for name in scenario.variants
        }
    return result


def test_every_seeded_kpi_is_where_the_golden_file_says():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = golden_kpis()
    moved = [
        f"{scenario}/{variant}/{kpi}: {golden[scenario][variant].get(kpi)} -> {values}"
        for scenario, variants in now.items()
        for variant, kpis in variants.items()
        for kpi, values in kpis.items()
        if golden.get(scenario, {}).get(variant, {}).get(kpi) != values
    ]
    gone = [
        f"{scenario}/{variant}/{kpi}"
        for scenario, variants in golden.items()
        for variant, kpis in variants.items()
        for kpi in kpis
        if kpi not in now.get(scenario, {}).get(variant, {})
    ]
    assert not moved and not gone, "numbers moved:\n" + "\n".join((moved + gone)[:20])


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        sys.exit(__doc__)
    GOLDEN.write_text(json.dumps(golden_kpis(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)}")
