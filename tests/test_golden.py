"""The golden file: KPIs of every shipped scenario and variant at a fixed seed, compared to
a relative 1e-9 (the last digits of a sum or a fit may differ between numpy and pandas
versions; a real change moves far more). A number that moves fails here, naming the key and
by how much; when one moves on purpose, regenerate the file in its own commit and say why:

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


RELATIVE = 1e-9


def same(was: list | None, now: list) -> bool:
    """Equal to a relative 1e-9 (an absolute 1e-9 near zero), null where null."""
    if was is None or len(was) != len(now):
        return False
    return all(
        (a is None) == (b is None)
        and (a is None or math.isclose(a, b, rel_tol=RELATIVE, abs_tol=RELATIVE))
        for a, b in zip(was, now, strict=True)
    )


def moved_by(was: list | None, now: list) -> str:
    """How far a key moved, in words: the largest relative change of its replications."""
    if was is None:
        return f"new: {now}"
    changes = [
        abs(b - a) / max(abs(a), abs(b), 1e-300)
        for a, b in zip(was, now, strict=False)
        if a is not None and b is not None
    ]
    worst = f" (by up to {max(changes):.2e} relative)" if changes else ""
    return f"{was} -> {now}{worst}"


def test_every_seeded_kpi_is_where_the_golden_file_says():
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    now = golden_kpis()
    moved = [
        f"{scenario}/{variant}/{kpi}: {moved_by(golden[scenario][variant].get(kpi), values)}"
        for scenario, variants in now.items()
        for variant, kpis in variants.items()
        for kpi, values in kpis.items()
        if not same(golden.get(scenario, {}).get(variant, {}).get(kpi), values)
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
