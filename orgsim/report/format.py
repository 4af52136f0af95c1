"""Numbers as a planner reads them: 93.5%, 12.4 h, 1,250,000, 412."""

from __future__ import annotations

import math

from orgsim.config.kpis import info
from orgsim.config.units import WEEK


def number(value: float | None, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "share":
        return f"{value * 100:.1f}%"
    if kind == "hours":
        return f"{value:,.1f} h"
    if kind == "money":
        return f"{value:,.0f}"
    if kind == "months":
        return f"{value:,.1f} mo"
    if kind in ("per_week", "items"):
        return f"{value:,.2f}"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}"


def group_label(group: str, currency: str | None) -> str:
    """A KPI group's heading; the money group names the scenario's currency."""
    return f"{group} ({currency})" if currency and group == "money" else group


def kpi_value(name: str, value: float | None) -> str:
    return number(value, info(name).unit)


def kpi_interval(name: str, low: float | None, high: float | None) -> str:
    if low is None or high is None or not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{kpi_value(name, low)} – {kpi_value(name, high)}"


def signed(value: float, kind: str) -> str:
    """A number with its sign always shown, and a true minus: +1,250 or −3.5."""
    return ("+" if value >= 0 else "−") + number(abs(value), kind)


def kpi_difference(name: str, value: float | None) -> str:
    """A difference keeps its sign; shares are shown in percentage points."""
    if value is None or not math.isfinite(value):
        return "–"
    kind = info(name).unit
    if kind == "share":
        return f"{value * 100:+.1f} pp"
    return signed(value, kind)


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


def shortfalls(found: dict[str, list[tuple]]) -> str:
    """Roles that do not keep up, per design, in a planner's words: `found` maps a design to
    its (role, backlog growth as (mean, low, high) or None, long-run load or None)."""
    by_role: dict[str, list[str]] = {}
    loops = False
    for design, roles in found.items():
        for role, growth, long_run in roles:
            evidence = []
            if growth is not None:
                evidence.append(
                    f"backlog +{growth[0]:,.1f} items a week, 95% interval "
                    f"{growth[1]:,.1f} to {growth[2]:,.1f}"
                )
            if long_run == math.inf:
                evidence.append("nobody in the role to do its work")
            elif long_run is not None:
                evidence.append(f"long-run load {long_run:.0%} of its hours")
                loops = True
            by_role.setdefault(role, []).append(f"{design} ({'; '.join(evidence)})")
    if not by_role:
        return ""
    parts = [f"{role} does not keep up in {', '.join(where)}" for role, where in by_role.items()]
    note = " (loops such as renewals take longer than the horizon to fill)" if loops else ""
    return "; ".join(parts) + note


def payback(effect) -> str:
    """A switch's cost and payback in one sentence (`orgsim.measure.payback.Payback`)."""
    from orgsim.measure.payback import MEASURES  # loaded already: `effect` comes from it

    def change(column: str, kind: str, at) -> str:
        """The measure's name, its paired change and the interval: `new ARR −3 (−5 to −1)`."""
        ci = at[column]
        text = f"{MEASURES[column]} {signed(ci.mean, kind)}"
        if not (math.isfinite(ci.low) and math.isfinite(ci.high)):
            return text
        return f"{text} ({signed(ci.low, kind)} to {signed(ci.high, kind)})"

    text = f"{effect.variant} switches in week {effect.switch_week} (at {effect.at / WEEK:g}w): "
    if effect.dip_week is None:
        text += f"no dip against {effect.against}"
    else:
        text += (
            f"by week {effect.dip_week}, its deepest, "
            f"{change('won_value', 'money', effect.dip)} and "
            f"{change('won', 'count', effect.dip)} against {effect.against}"
        )
    if effect.payback_week is None:
        text += f"; it does not pay back within the {effect.weeks} weeks"
    elif effect.dip_week is not None:
        sure = (
            f"95% sure by week {effect.sure_payback_week}"
            if effect.sure_payback_week is not None
            else "not 95% sure within the horizon"
        )
        text += f"; it pays back in week {effect.payback_week} ({sure})"
    return text + f". Over all {effect.weeks} weeks: {change('won_value', 'money', effect.at_end)}."
