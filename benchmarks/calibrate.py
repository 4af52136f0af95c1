"""Calibration from a large export: a stage history of N rows (the shipped example's year,
repeated under new record ids), timed against a plain `pandas.read_csv` of the same file
measured in the same run. The brief's bar: a million rows in under a minute on 2 cores."""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pandas as pd

EXAMPLE = Path(__file__).resolve().parent.parent / "configs" / "history" / "opportunity_history.csv"


def export(rows: int, folder: Path) -> Path:
    """A stage history of `rows` rows: the example repeated, each copy its own records."""
    one = pd.read_csv(EXAMPLE, dtype=str, keep_default_na=False)
    copies = [
        one.assign(OPPORTUNITYID=one["OPPORTUNITYID"] + f"-{i}")
        for i in range(rows // len(one) + 1)
    ]
    path = folder / f"history_{rows}.csv"
    pd.concat(copies).iloc[:rows].to_csv(path, index=False)
    return path


def best(run, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main(repeat: int = 3, rows: int = 1_000_000) -> list[tuple[str, str, str]]:
    from orgsim.history.calibrate import calibrate

    with tempfile.TemporaryDirectory() as folder:
        path = export(rows, Path(folder))
        baseline = best(lambda: pd.read_csv(path, dtype=str), repeat)
        took = best(lambda: calibrate([path], "salesforce_stage_history", progress=False), repeat)
    return [
        (f"calibrate {rows:,} stage-history rows", f"{took:.1f} s", f"{rows / took:,.0f} rows/s"),
        (
            "  against reading the file alone (read_csv)",
            f"{took / baseline:.1f}x",
            f"read_csv {baseline:.1f} s, same run",
        ),
    ]
