"""Numbers as a planner reads them: 93.5%, 45 min, 12.4 h, 43.6 d, 1,250,000, 412, −3.

Durations are kept in hours everywhere else (`--json` included) and shown here in the unit
people use for their size; a negative number always carries a true minus sign."""

from __future__ import annotations

import math

from orgsim.config.kpis import info, possible
from orgsim.config.units import WEEK

DurationUnit = tuple[float, str]
"""Hours per unit, and the unit's symbol."""


def duration_unit(hours: float) -> DurationUnit:
    """Minutes under an hour, hours under two days, days beyond (as they round: 59.7 min is
    `1.0 h`, never `60 min`): speed to lead reads in minutes or hours, a sales cycle in
    days."""
    size = abs(hours)
    return (1 / 60, "min") if size * 60 < 59.5 else (1.0, "h") if size < 47.95 else (24.0, "d")


def duration(hours: float, unit: DurationUnit | None = None) -> str:
    per, symbol = unit or duration_unit(hours)
    value = hours / per
    return _minus(f"{value:,.0f} min" if symbol == "min" else f"{value:,.1f} {symbol}")


def _minus(text: str) -> str:
    """A true minus sign; none on a number that shows as zero (`-0.00` is `0.00`)."""
    if not text.startswith("-"):
        return text
    return text[1:] if _shows_zero(text) else "−" + text[1:]


def _shows_zero(text: str) -> bool:
    """Whether a formatted number reads as zero (`0.0`, `0 min`): no digit but zeros."""
    return not any(c in "123456789" for c in text)


def number(value: float | None, kind: str) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    if kind == "share":
        return _minus(f"{value * 100:.1f}%")
    if kind == "hours":
        return duration(value)
    if kind == "money":
        return _minus(f"{value:,.0f}")
    if kind == "months":
        return _minus(f"{value:,.1f} mo")
    if kind in ("per_week", "items"):
        return _minus(f"{value:,.2f}")
    return _minus(f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.1f}")


def team_label(team: str, currency: str | None) -> str:
    """A scorecard section's heading: the team in words, and the currency its money is in."""
    return team.replace("_", " ") + (f" (money in {currency})" if currency else "")


def group_label(group: str, currency: str | None) -> str:
    """A KPI group's heading; the money group names the scenario's currency."""
    return f"{group} ({currency})" if currency and group == "money" else group


def kpi_value(name: str, value: float | None) -> str:
    return number(value, info(name).unit)


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def bound(name: str, low: float | None, high: float | None) -> str:
    """A target's bound in words: `at least 80.0%`, `at most 14,500`."""
    if low is not None and high is not None:
        return f"between {kpi_value(name, low)} and {kpi_value(name, high)}"
    if low is not None:
        return f"at least {kpi_value(name, low)}"
    return f"at most {kpi_value(name, high)}"


def target(name: str, low: float | None, high: float | None) -> str:
    """A target in words, for a sentence: `mql: SLA met at least 80.0%`, `cost per new
    customer at most 14,500`."""
    label = info(name).label
    if not label[:2].isupper():  # `CAC` stays; `New customers` reads `new customers`
        label = label[0].lower() + label[1:]
    return f"{label} {bound(name, low, high)}"


def margin(
    name: str, mean: float | None, low: float | None, high: float | None, met: bool = True
) -> str:
    """How far a mean is from a target's nearer bound, in the KPI's own unit: `1.0 pp
    above`, `1,715 over`; `0.6 pp above, not surely` where the mean is on the right side
    but its interval crosses the bound (the target is not `met`)."""
    if not _finite(mean):
        return ""
    gaps = []
    if low is not None:
        gaps.append((mean - low, "above", "below"))
    if high is not None:
        gaps.append((high - mean, "under", "over"))
    gap, inside, outside = min(gaps)
    text = f"{kpi_difference(name, abs(gap)).lstrip('+')} {inside if gap >= 0 else outside}"
    return text if met or gap < 0 else f"{text}, not surely"


def listing(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _clipped(name: str, low: float, high: float) -> tuple[float, float]:
    floor, ceiling = possible(name)
    return min(max(low, floor), ceiling), min(max(high, floor), ceiling)


def kpi_interval(name: str, low: float | None, high: float | None) -> str:
    """`12.1 h – 14.0 h`, cut to what the KPI can be; a duration's two ends in one unit."""
    return kpi_mean_interval(name, None, low, high)[1]


def kpi_mean_interval(
    name: str, mean: float | None, low: float | None, high: float | None
) -> tuple[str, str]:
    """A mean and its 95% interval (cut to what the KPI can be) as a table shows them side
    by side: a duration's three numbers in one unit, the largest one's (`41 min` beside
    `18 min – 1.1 h` would read as two scales)."""
    interval = "–"
    if _finite(low, high):
        low, high = _clipped(name, low, high)
    if info(name).unit != "hours":
        if _finite(low, high):
            interval = f"{kpi_value(name, low)} – {kpi_value(name, high)}"
        return kpi_value(name, mean), interval
    sizes = [abs(v) for v in (mean, low, high) if _finite(v)]
    unit = duration_unit(max(sizes)) if sizes else None
    if _finite(low, high):
        interval = f"{duration(low, unit)} – {duration(high, unit)}"
    return (duration(mean, unit) if _finite(mean) else "–"), interval


def _with_sign(value: float, magnitude: str) -> str:
    """`magnitude` (the formatted size of `value`) with a + or a true minus; none where it
    shows as zero, so a change too small to show never reads as a gain or a loss."""
    if _shows_zero(magnitude.split()[0]):
        return magnitude
    return ("+" if value >= 0 else "−") + magnitude


def signed(value: float, kind: str) -> str:
    """A number with its sign always shown, and a true minus: +1,250 or −3.5 (0 for none)."""
    return _with_sign(value, number(abs(value), kind))


def kpi_difference(name: str, value: float | None) -> str:
    """A difference keeps its sign; shares are shown in percentage points."""
    if not _finite(value):
        return "–"
    kind = info(name).unit
    if kind == "share":
        return f"{_points(value)} pp"
    return signed(value, kind)


def _points(share: float) -> str:
    """A share's change in percentage points, signed: +2.5 or −0.8."""
    return _with_sign(share, f"{abs(share) * 100:.1f}")


NOISE = 1e-9
"""A difference this small is rounding in the sums (two designs with the same NRR differ by
4e-14), not a difference: shown as 0."""


def kpi_difference_interval(name: str, low: float | None, high: float | None) -> str:
    """The 95% interval of a paired difference in the difference's own unit: `−1.2 to +3.4
    pp` for a share, `−2.0 d to −0.5 d` for a duration. An end that is not zero never
    shows as zero (`−0.4 to −0.05 pp`): the colour of a significant change and its
    interval must agree."""
    if not _finite(low, high):
        return "–"
    low, high = (0.0 if abs(v) < NOISE else v for v in (low, high))
    kind = info(name).unit
    unit = duration_unit(max(abs(low), abs(high))) if kind == "hours" else None

    def end(value: float) -> str:
        if kind == "share":
            text = f"{_points(value)}"
        elif kind == "hours":
            text = _signed_duration(value, unit)
        else:
            text = signed(value, kind)
        if value == 0 or not _shows_zero(text):
            return text
        per, symbol = unit or (1.0, "")
        size = abs(value) * (100 if kind == "share" else 1 / per)
        return f"{'+' if value > 0 else '−'}{size:.1g}{f' {symbol}' if symbol else ''}"

    return f"{end(low)} to {end(high)}{' pp' if kind == 'share' else ''}"


def _signed_duration(hours: float, unit: DurationUnit) -> str:
    return _with_sign(hours, duration(abs(hours), unit))


def kpi_plus_minus(
    name: str, mean: float | None, low: float | None, high: float | None, signed: bool = False
) -> str:
    """`5.85 ±1.29`: a mean and the half-width of its 95% interval, compact for tables."""
    text = kpi_difference(name, mean) if signed else kpi_value(name, mean)
    if not _finite(mean, low, high):
        return text
    if not signed and _clipped(name, low, high) != (low, high):
        # ± would reach values the KPI cannot take (a share above 100%): the cut interval
        shown, interval = kpi_mean_interval(name, mean, low, high)
        return f"{shown} ({interval})"
    half = (high - low) / 2
    kind = info(name).unit
    if kind == "share":
        spread = f"{half * 100:.1f}"
    elif kind == "hours":  # in the unit the mean shows, or the spread's own if larger
        unit = duration_unit(max(abs(mean), half))
        text = _signed_duration(mean, unit) if signed else duration(mean, unit)
        spread = duration(half, unit).rsplit(" ", 1)[0]
    else:
        spread = number(half, kind).removesuffix(" mo")
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
    its (role, backlog growth as (mean, low, high) or None, the analytic load of its fullest
    plan quarter or None, that quarter or None)."""
    by_role: dict[str, list[str]] = {}
    for design, roles in found.items():
        for role, growth, load, quarter in roles:
            evidence = []
            if growth is not None:
                evidence.append(
                    f"backlog +{growth[0]:,.1f} items a week, 95% interval "
                    f"{growth[1]:,.1f} to {growth[2]:,.1f}"
                )
            if load == math.inf:
                evidence.append("nobody at work to do it")
            elif load is not None:
                evidence.append(f"quarter {quarter}'s work {load:.0%} of its hours")
            by_role.setdefault(role, []).append(f"{design} ({'; '.join(evidence)})")
    parts = [f"{role} does not keep up in {', '.join(where)}" for role, where in by_role.items()]
    return "; ".join(parts)


def runs_out(found: dict[str, list[tuple]], horizon_weeks: float) -> str:
    """Roles that keep up over the horizon but run out of hours later, per design: `found`
    maps a design to its (role, week) pairs."""
    by_role: dict[str, list[str]] = {}
    for design, roles in found.items():
        for role, week in roles:
            years = f", about {week / 52:.0f} years out" if week >= 78 else ""
            by_role.setdefault(role, []).append(f"{design} (week {week}{years})")
    if not by_role:
        return ""
    parts = [f"{role} reaches its hours in {', '.join(where)}" for role, where in by_role.items()]
    return (
        "; ".join(parts)
        + f" as the customer base grows (weeks from the end of warm-up; the horizon is "
        f"{horizon_weeks:g} weeks): plan a hire by then"
    )


def label(name: str, written: dict | None = None) -> str:
    """A KPI's label, and for a conversion the rate the market writes for it (`written`,
    from `kpis.written_rates`): `mql → sql (written 35%)`, or one per segment where they
    differ (`smb 30%, mid 24%, ent 18%`)."""
    rate = (written or {}).get(name)
    if rate is None:
        return info(name).label
    said = (
        ", ".join(f"{g} {p:.0%}" for g, p in rate.items())
        if isinstance(rate, dict)
        else f"{rate:.0%}"
    )
    return f"{info(name).label} (written {said})"


def readable(summary):
    """A KPI summary (mean, ci_low, ci_high, n, meaning per KPI) as the command line shows it:
    label, mean and 95% interval in the KPI's unit, the interval cut to what it can be."""
    import pandas as pd  # loaded already where there is a summary; kept out of start-up

    rows = {}
    for name, row in summary.iterrows():
        mean, interval = kpi_mean_interval(name, row["mean"], row["ci_low"], row["ci_high"])
        rows[name] = {
            "label": info(name).label,
            "mean": mean,
            "95% interval": interval,
            "n": int(row["n"]),
            "meaning": row["meaning"],
        }
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = "kpi"
    return frame


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
