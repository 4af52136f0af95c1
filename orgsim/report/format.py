"""Numbers as a planner reads them: 93.5%, 12.4 h, 1,250,000, 412."""

from __future__ import annotations

import math

from orgsim.config.kpis import info


def number(value: float | None, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:,.1f} h"
    if kind == "money":
        return f"{value:,.0f}"
    if kind in ("per_week", "items"):
        return f"{value:,.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def kpi_value(name: str, value: float | None) -> str:
    return number(value, info(name).unit)


def kpi_interval(name: str, low: float | None, high: float | None) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{kpi_value(name, low)} – {kpi_value(name, high)}"


def kpi_difference(name: str, value: float | None) -> str:
    """A difference keeps its sign; shares are shown in percentage points."""
    if value is None or not math.isfinite(value):
        return "–"
    kind = info(name).unit
    if kind == "share":
        return f"{value * 100:+.1f} pp"
    text = number(abs(value), kind)
    return ("+" if value >= 0 else "−") + text


def kpi_plus_minus(
    name: str, mean: float | None, low: float | None, high: float | None, signed: bool = False
) -> str:
    """`5.85 ±1.29`: a mean and the half-width of its 95% interval, compact for tables."""
    text = kpi_difference(name, mean) if signed else kpi_value(name, mean)
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return text
    half = (high - low) / 2
    kind = info(name).unit
    spread = f"{half * 100:.1f}" if kind == "share" else number(half, kind).removesuffix(" h")
    return f"{text} ±{spread}"


def judgement(row) -> str:
    """How a paired difference reads, from a comparison row: `faint` (not distinguishable from
    zero), `neutral` (significant, on a KPI where neither direction is better), `better` or
    `worse`. The HTML report, the markdown summary and the terminal all read it from here."""
    if not row["significant"]:
        return "faint"
    better = row.get("better")
    if better is None or better != better:
        return "neutral"
    return "better" if better else "worse"
