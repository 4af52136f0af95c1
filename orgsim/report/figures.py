"""Figures where a picture beats a table, drawn from tidy frames and plain values.

Each figure takes a `FigureData` (what was simulated, one frame per table with a
`variant` column) and `ax=None`: it draws on `ax` when given (so figures compose
into a notebook's own layout) or on a new matplotlib `Figure`, and returns the
figure. Result objects build the `FigureData` and delegate here (SALib's
pattern). Figures are built without pyplot, so nothing is shown twice in a
notebook and nothing needs a display.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from orgsim.config.errors import ConfigError
from orgsim.config.kpis import QUARTER_WEEKS, info, role_kpi, stage_kpi
from orgsim.config.units import WEEK, YEAR
from orgsim.measure.payback import cumulative
from orgsim.measure.stats import interval
from orgsim.report.format import duration

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

LINESTYLES = ("-", "--", ":", "-.")


class _Matplotlib:
    """matplotlib's parts, imported at the first figure drawn: a comparison printed to the
    terminal draws none and starts 0.3 s sooner without them (benchmarks/run.py auto)."""

    def __getattr__(self, name: str):
        from matplotlib.figure import Figure
        from matplotlib.lines import Line2D
        from matplotlib.ticker import FuncFormatter, MaxNLocator, PercentFormatter

        parts = [Figure, Line2D, FuncFormatter, MaxNLocator, PercentFormatter]
        self.__dict__.update((part.__name__, part) for part in parts)
        return self.__dict__[name]


mpl = _Matplotlib()


def _canvas(ax: Axes | None, size=(8.0, 4.5)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = mpl.Figure(figsize=size, layout="constrained")
    return figure, figure.subplots()


def _styles(n: int) -> list[str]:
    """A line style per variant as well as a colour, so that no line hides another where
    designs coincide (and the figure survives a grey-scale printer)."""
    return [LINESTYLES[i % len(LINESTYLES)] for i in range(n)]


def _palette(n: int) -> list[str]:
    base = [
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
    ]
    return [base[i % len(base)] for i in range(n)]


@dataclass(frozen=True)
class EntrySLA:
    """The SLA new leads meet first, marked on the speed-to-lead figure."""

    stage: str
    hours: float
    clock: str


@dataclass(frozen=True)
class FigureData:
    """What figures draw: tidy frames with a `variant` column, and plain facts of the runs."""

    variants: list[str]
    kpis: pd.DataFrame
    """One row per variant and replication, one column per KPI."""
    timeseries: pd.DataFrame
    reps: pd.DataFrame
    cycle_times: pd.DataFrame
    speed_to_lead: pd.DataFrame
    stages: list[str]
    """Journey stages, in order."""
    roles: list[str]
    """Roles that work a stage in any variant, in order of first appearance."""
    horizon_hours: float
    warmup_hours: float
    entry_slas: list[EntrySLA] = field(default_factory=list)
    switches: dict[str, float] = field(default_factory=dict)
    """Variants that switch org during the run: hours after warm-up of the switch."""
    targets: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    """The scenario's targets, KPI -> (min, max), marked where a figure shows the KPI."""

    def years(self) -> dict[str, float]:
        """Measured years per variant, over all its replications: what turns a count pooled
        over replications into a count a year."""
        runs = self.kpis["variant"].value_counts()
        return {v: max(int(runs.get(v, 0)), 1) * self.horizon_hours / YEAR for v in self.variants}

    def each(self, table: str) -> Iterator[tuple[str, pd.DataFrame]]:
        """(variant, its rows of `table`) in the variants' order."""
        frame = getattr(self, table)
        for variant in self.variants:
            yield variant, frame[frame["variant"] == variant]

    @staticmethod
    def combine(parts: list[FigureData]) -> FigureData:
        """Several runs' data in one (each part one or more variants of the same horizon)."""
        first = parts[0]
        frames = {
            name: pd.concat([getattr(p, name) for p in parts], ignore_index=True)
            for name in ("kpis", "timeseries", "reps", "cycle_times", "speed_to_lead")
        }
        return FigureData(
            variants=[v for p in parts for v in p.variants],
            stages=first.stages,
            roles=list(dict.fromkeys(r for p in parts for r in p.roles)),
            horizon_hours=first.horizon_hours,
            warmup_hours=first.warmup_hours,
            entry_slas=list(dict.fromkeys(sla for p in parts for sla in p.entry_slas)),
            switches={v: at for p in parts for v, at in p.switches.items()},
            **frames,
        )


def _mean_and_error(values) -> tuple[float, float]:
    """Mean and the half-width of its 95% interval (0 where there is none), for error bars."""
    ci = interval(values)
    return ci.mean, 0.0 if np.isnan(ci.low) else ci.mean - ci.low


def _grouped_bars(
    ax: Axes, data: FigureData, labels: list[str], column, horizontal: bool = False
) -> None:
    """One bar per label and variant: the mean over replications of the KPI column
    `column(label)` (scaled by `scale`), with its 95% interval as an error bar."""
    size = 0.8 / max(1, len(data.variants))
    at = np.arange(len(labels))
    for i, ((name, kpis), color) in enumerate(
        zip(data.each("kpis"), _palette(len(data.variants)), strict=True)
    ):
        bars = [
            _mean_and_error(kpis.get(column(label), pd.Series(dtype=float))) for label in labels
        ]
        means, errors = zip(*bars, strict=True) if bars else ((), ())
        if horizontal:
            ax.barh(at + i * size, means, size, xerr=errors, label=name, color=color, capsize=2)
        else:
            ax.bar(at + i * size, means, size, yerr=errors, label=name, color=color, capsize=3)
    ticks = at + size * (len(data.variants) - 1) / 2
    (ax.set_yticks if horizontal else ax.set_xticks)(ticks, labels)


def funnel(data: FigureData, ax: Axes | None = None) -> Figure:
    """Entries to each stage per week, by variant, with 95% intervals."""
    figure, ax = _canvas(ax)
    stages = [s for s in data.stages if stage_kpi(s, "entered") in data.kpis]
    weeks = data.horizon_hours / WEEK
    per_week = {f"{s}/week": data.kpis[stage_kpi(s, "entered")] / weeks for s in stages}
    weekly = pd.concat([data.kpis, pd.DataFrame(per_week)], axis=1)
    _grouped_bars(
        ax,
        FigureData(**{**data.__dict__, "kpis": weekly}),
        stages,
        lambda stage: f"{stage}/week",
        horizontal=True,
    )
    ax.invert_yaxis()
    ax.set_xlabel("entries per week (mean, 95% interval)")
    ax.set_title("Funnel: how many leads reach each stage")
    ax.legend(loc="lower right", fontsize="small")
    return figure


def cycle_time(data: FigureData, ax: Axes | None = None) -> Figure:
    """Distribution of days from a lead's creation to won, by variant."""
    figure, ax = _canvas(ax)
    days = {name: part["hours"].to_numpy() / 24 for name, part in data.each("cycle_times")}
    everything = np.concatenate([d for d in days.values() if len(d)] or [np.zeros(1)])
    bins = np.linspace(0, max(1.0, np.quantile(everything, 0.99)), 40)
    years = data.years()
    for (name, d), color, style in zip(
        days.items(), _palette(len(days)), _styles(len(days)), strict=True
    ):
        if not len(d):
            continue
        median = float(np.median(d))
        ax.hist(
            d,
            bins=bins,
            histtype="step",
            linewidth=1.8,
            linestyle=style,
            density=True,
            color=color,
            label=f"{name} (median {median:.0f} d, about {len(d) / years[name]:,.0f} deals a year)",
        )
        ax.axvline(median, color=color, linestyle=style, linewidth=1)
    ax.set_xlabel("days from lead created to won")
    ax.set_ylabel("share of won deals per day")
    ax.set_title("Sales cycle of won deals")
    if any(len(d) for d in days.values()):
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no deals won in the horizon", ha="center", transform=ax.transAxes)
    return figure


def speed_to_lead(data: FigureData, ax: Axes | None = None) -> Figure:
    """Share of new leads touched within t hours, by variant, with the SLA marked."""
    figure, ax = _canvas(ax)
    top = 1.0
    n = len(data.variants)
    for (name, part), color, style in zip(
        data.each("speed_to_lead"), _palette(n), _styles(n), strict=True
    ):
        hours = np.sort(part["hours"].to_numpy())
        if not len(hours):
            continue
        top = max(top, float(np.quantile(hours, 0.98)))
        ax.step(
            hours,
            np.arange(1, len(hours) + 1) / len(hours),
            where="post",
            color=color,
            linestyle=style,
            linewidth=1.6,
            label=f"{name} (median {duration(float(np.median(hours)))})",
        )
    for sla in data.entry_slas:
        ax.axvline(sla.hours, color="black", linestyle=":", linewidth=1.2)
        ax.annotate(
            f"SLA at {sla.stage}: {sla.hours:g} h ({sla.clock} clock)",
            (sla.hours, 0.03),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize="small",
        )
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(mpl.PercentFormatter(1.0))
    ax.set_xlabel("hours from lead created to first touch (calendar hours)")
    ax.set_ylabel("share of leads touched")
    ax.set_title("Speed to lead")
    ax.legend(loc="lower right", fontsize="small")
    return figure


def utilization(data: FigureData, ax: Axes | None = None) -> Figure:
    """Utilization of each role, by variant, with 95% intervals."""
    figure, ax = _canvas(ax)
    _grouped_bars(ax, data, data.roles, lambda role: role_kpi(role, "utilization"))
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
    ax.yaxis.set_major_formatter(mpl.PercentFormatter(1.0))
    ax.set_ylim(0, max(1.05, ax.get_ylim()[1]))
    ax.set_ylabel("share of scheduled hours at work")
    ax.set_title("Utilization by role (mean, 95% interval)")
    ax.legend(fontsize="small")
    return figure


def quota_roles(data: FigureData) -> list[str]:
    """Roles with a quota in these results (their attainment KPIs are there)."""
    return [r for r in data.roles if role_kpi(r, "attainment_mean") in data.kpis]


def attainment(data: FigureData, ax: Axes | None = None) -> Figure:
    """Quota attainment per role and design: the seats' 10th to 90th percentile as a bar
    and their mean as a dot (means over replications), with each share at quota."""
    figure, ax = _canvas(ax)
    roles = quota_roles(data)
    size = 0.8 / max(1, len(data.variants))
    for i, ((name, kpis), color) in enumerate(
        zip(data.each("kpis"), _palette(len(data.variants)), strict=True)
    ):
        for j, role in enumerate(roles):
            x = j + i * size
            low, mean, high, at_quota = (
                float(kpis[role_kpi(role, facet)].mean())
                for facet in ("attainment_p10", "attainment_mean", "attainment_p90",
                              "share_at_quota")
            )  # fmt: skip
            ax.bar(x, high - low, size * 0.8, bottom=low, color=color, alpha=0.45,
                   label=name if j == 0 else None)  # fmt: skip
            ax.plot([x], [mean], "o", color=color)
            ax.annotate(f"{at_quota:.0%}", (x, high), xytext=(0, 3),
                        textcoords="offset points", ha="center", fontsize="x-small")  # fmt: skip
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
    ax.set_xticks(np.arange(len(roles)) + size * (len(data.variants) - 1) / 2, roles)
    ax.yaxis.set_major_formatter(mpl.PercentFormatter(1.0))
    ax.set_ylim(bottom=0)
    ax.set_ylabel("quota attainment (seat and period)")
    ax.set_title("Quota attainment: 10th to 90th percentile, mean; above each bar, share at quota")
    ax.legend(fontsize="small")
    return figure


def _shade_warmup(ax: Axes, data: FigureData) -> None:
    warmup = data.warmup_hours / WEEK
    if warmup > 0:
        ax.axvspan(0, warmup, color="0.9", zorder=0)
        ax.annotate(
            "warm-up",
            (warmup / 2, 0.97),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="top",
            fontsize="small",
            color="0.4",
        )


def _mark_switches(ax: Axes, data: FigureData, colors: dict[str, str]) -> None:
    """A dotted line where variants switch org (weeks from t = 0), one label per date."""
    by_date: dict[float, list[str]] = {}
    for variant, at in data.switches.items():
        by_date.setdefault(at, []).append(variant)
    for at, variants in by_date.items():
        week = (data.warmup_hours + at) / WEEK
        color = colors.get(variants[0], "0.4") if len(variants) == 1 else "0.4"
        ax.axvline(week, color=color, linestyle=":", linewidth=1.2)
        ax.annotate(
            f"{', '.join(variants)} {'switches' if len(variants) == 1 else 'switch'}",
            (week, 0.02),
            xycoords=("data", "axes fraction"),
            rotation=90,
            ha="right",
            va="bottom",
            fontsize="x-small",
            color="0.3",
        )


def queues(data: FigureData, ax: Axes | None = None) -> Figure:
    """Items waiting in each role's queues, week by week (mean over replications)."""
    figure, ax = _canvas(ax)
    roles = data.roles
    colors = dict(zip(roles, _palette(len(roles)), strict=True))
    several = len(data.variants) > 1
    for (name, part), style in zip(data.each("timeseries"), LINESTYLES * 4, strict=False):
        weekly = part.groupby("week").mean(numeric_only=True)
        for role in roles:
            column = f"queue.{role}"
            if column in weekly:
                ax.plot(
                    weekly.index + 0.5,
                    weekly[column],
                    linestyle=style,
                    color=colors[role],
                    label=f"{role} ({name})" if several else role,
                )
    _shade_warmup(ax, data)
    _mark_switches(ax, data, {})
    ax.set_xlabel("week")
    ax.set_ylabel("items waiting (weekly average)")
    ax.set_title("Queues over time")
    ax.legend(fontsize="small", ncol=max(1, len(data.variants)))
    return figure


def rep_spread(data: FigureData, ax: Axes | None = None) -> Figure:
    """Deals won per rep per year, every rep of every replication, quartiles marked."""
    figure, ax = _canvas(ax)
    labels = []
    hours = data.horizon_hours + data.warmup_hours
    for i, ((name, reps), color) in enumerate(
        zip(data.each("reps"), _palette(len(data.variants)), strict=True)
    ):
        closers = reps.groupby("role", observed=True)["deals_won"].sum()
        closers = closers[closers > 0].index
        won = reps[reps.role.isin(closers)]["deals_won"].to_numpy() * YEAR / max(hours, 1.0)
        if not len(won):
            continue
        jitter = np.random.default_rng(0).uniform(-0.18, 0.18, len(won))
        ax.scatter(np.full(len(won), i) + jitter, won, s=10, alpha=0.5, color=color)
        q1, q3 = np.quantile(won, [0.25, 0.75])
        for q, text in ((q3, "top quartile"), (q1, "bottom quartile")):
            ax.hlines(q, i - 0.3, i + 0.3, color="black", linewidth=1.5)
            ax.annotate(f"{text} {q:.0f}", (i + 0.32, q), fontsize="x-small", va="center")
        labels.append((i, f"{name}\n({', '.join(closers)})"))
    ax.set_xticks([i for i, _ in labels], [t for _, t in labels])
    ax.set_xlim(-0.6, len(data.variants) - 0.1)
    ax.set_ylabel("deals won per rep per year")
    ax.set_title("Rep performance spread")
    return figure


def weekly_won(data: FigureData, ax: Axes | None = None) -> Figure:
    """New customers per week, mean over replications with a 95% band."""
    figure, ax = _canvas(ax)
    colors = {}
    for (name, part), style in zip(
        data.each("timeseries"), _styles(len(data.variants)), strict=True
    ):
        table = part.pivot_table(index="week", columns="replication", values="won")
        rows = [interval(table.loc[w]) for w in table.index]
        mean = np.array([c.mean for c in rows])
        low = np.array([c.low for c in rows])
        high = np.array([c.high for c in rows])
        (line,) = ax.plot(table.index + 0.5, mean, linestyle=style, linewidth=1.6, label=name)
        colors[name] = line.get_color()
        ax.fill_between(
            table.index + 0.5, np.clip(low, 0, None), high, alpha=0.2, color=line.get_color()
        )
    _shade_warmup(ax, data)
    _mark_switches(ax, data, colors)
    ax.set_xlabel("week")
    ax.set_ylabel("deals won")
    ax.set_title("Deals won per week (mean, 95% band)")
    ax.legend(fontsize="small")
    return figure


def territory_columns(data: FigureData) -> list[str]:
    """The weekly `accounts_left.<source>.<segment>` columns: outbound sources' territories."""
    return [c for c in data.timeseries.columns if c.startswith("accounts_left.")]


def territory(data: FigureData, ax: Axes | None = None) -> Figure:
    """Accounts left to prospect at each week's end, by outbound source and segment (mean over
    replications): where a line reaches zero, the territory has run out."""
    figure, ax = _canvas(ax)
    columns = territory_columns(data)
    colors = dict(zip(columns, _palette(len(columns)), strict=True))
    several = len(data.variants) > 1
    for (name, part), style in zip(
        data.each("timeseries"), _styles(len(data.variants)), strict=True
    ):
        weekly = part.groupby("week").mean(numeric_only=True)
        for column in columns:
            _, source, segment = column.split(".")
            label = (
                f"{source}: {segment}" if len({c.split(".")[1] for c in columns}) > 1 else segment
            )
            ax.plot(
                weekly.index + 1,
                weekly[column],
                linestyle=style,
                color=colors[column],
                label=f"{label} ({name})" if several else label,
            )
    _shade_warmup(ax, data)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("week")
    ax.set_ylabel("accounts left to prospect")
    ax.set_title("Outbound territory: accounts left")
    ax.legend(fontsize="small", ncol=max(1, len(data.variants)))
    return figure


TRADE_OFF = ("won_per_week", "cost_per_won")
"""The trade-off every reorganisation faces: what a design delivers against what each new
customer costs."""


def _including(limits: tuple[float, float], *bounds: float | None) -> tuple[float, float]:
    """Axis limits widened to show every bound, with a little room beyond it."""
    low, high = limits
    shown = [b for b in bounds if b is not None]
    if shown:
        room = 0.08 * (max(high, *shown) - min(low, *shown))
        low, high = min(low, min(shown) - room), max(high, max(shown) + room)
    return low, high


def trade_off(data: FigureData, ax: Axes | None = None) -> Figure:
    """Each design as a point, new customers per week against cost per new customer, with
    95% intervals both ways; the targets on either as dashed lines, the corner that meets
    both shaded."""
    figure, ax = _canvas(ax, size=(6.0, 4.6))
    x_kpi, y_kpi = TRADE_OFF
    n = len(data.variants)
    markers = ["o", "s", "D", "^", "v", "P", "X", "*"]
    for (name, kpis), color, marker in zip(
        data.each("kpis"), _palette(n), (markers * n)[:n], strict=True
    ):
        if x_kpi not in kpis or y_kpi not in kpis:
            continue
        (x, dx), (y, dy) = _mean_and_error(kpis[x_kpi]), _mean_and_error(kpis[y_kpi])
        ax.errorbar(
            x, y, xerr=dx, yerr=dy, fmt=marker, color=color, capsize=4, markersize=8, label=name
        )
    ax.margins(0.25)
    (x_min, x_max), (y_min, y_max) = (
        data.targets.get(x_kpi, (None, None)),
        data.targets.get(y_kpi, (None, None)),
    )
    left, right = _including(ax.get_xlim(), x_min, x_max)  # a target far off stays in view
    bottom, top = _including(ax.get_ylim(), y_min, y_max)
    for bound in (x_min, x_max):
        if bound is not None:
            ax.axvline(bound, color="0.35", linestyle="--", linewidth=1)
    for bound in (y_min, y_max):
        if bound is not None:
            ax.axhline(bound, color="0.35", linestyle="--", linewidth=1)
    if any(b is not None for b in (x_min, x_max, y_min, y_max)):
        ax.fill_between(
            [x_min if x_min is not None else left, x_max if x_max is not None else right],
            y_min if y_min is not None else bottom,
            y_max if y_max is not None else top,
            color="#1a7f37",
            alpha=0.08,
            label="the targets' side (met when a whole cross is inside)",
        )
    ax.legend(loc="best", fontsize="small")
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.yaxis.set_major_formatter(mpl.FuncFormatter(lambda value, _: f"{value:,.0f}"))
    ax.set_xlabel("new customers per week (higher is better)")
    ax.set_ylabel("cost per new customer (lower is better)")
    ax.set_title("What each design delivers, and at what cost")
    return figure


def people_roles(data: FigureData) -> list[str]:
    """Roles whose headcount or ramp changes over time (they have weekly headcount columns)."""
    return [r for r in data.roles if f"headcount.{r}" in data.timeseries]


def _mark_quarters(ax: Axes, data: FigureData) -> None:
    """Plan quarters (from the end of warm-up, as hires' `at` counts them),
    labelled along the top of the panel."""
    start, end = data.warmup_hours / WEEK, (data.warmup_hours + data.horizon_hours) / WEEK
    for q, at in enumerate(np.arange(start, end - QUARTER_WEEKS + 0.01, QUARTER_WEEKS), 1):
        ax.axvline(at, color="0.75", linewidth=0.8, zorder=0)
        ax.annotate(
            f"Q{q}",
            (at + QUARTER_WEEKS / 2, 0.97),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="top",
            fontsize="small",
            color="0.4",
        )


def people(data: FigureData, ax: Axes | None = None) -> Figure:
    """Headcount against ramped capacity, week by week, for each role whose people change or
    ramp (one panel each), above new customers per week with each plan quarter's average
    (means over replications): the gap between a role's two lines is capacity paid for but
    not yet there (new reps ramping, seats empty between a leaver and the backfill). Given
    `ax`, every role is drawn on it, without the won panel."""
    roles = people_roles(data)
    if ax is not None:
        figure, axes = ax.figure, [ax] * len(roles)
    else:
        figure = mpl.Figure(figsize=(8.0, 2.3 * (len(roles) + 1)), layout="constrained")
        axes = list(figure.subplots(len(roles) + 1, 1, sharex=True, squeeze=False)[:, 0])
    colors = dict(zip(data.variants, _palette(len(data.variants)), strict=True))
    for v, (name, part) in enumerate(data.each("timeseries")):
        weekly = part.groupby("week").mean(numeric_only=True)
        weeks = weekly.index + 0.5
        for i, (role, panel) in enumerate(zip(roles, axes, strict=False)):
            # one axis: a style per role; a panel per role: a style per design, so that
            # designs with the same people do not hide one another
            style = LINESTYLES[(i if ax is not None else v) % len(LINESTYLES)]
            panel.plot(weeks, weekly[f"headcount.{role}"], color=colors[name], linestyle=style)
            panel.plot(
                weeks, weekly[f"ramped.{role}"], color=colors[name], linestyle=style, alpha=0.45
            )
        if ax is None:
            _won_by_quarter(axes[-1], weekly, colors[name], LINESTYLES[v % len(LINESTYLES)], name)
    for panel in dict.fromkeys(axes):
        _shade_warmup(panel, data)
        panel.set_ylim(0, panel.get_ylim()[1] * 1.1)  # lines at the top stay off the frame
    if ax is None:
        _mark_quarters(axes[-1], data)
    for role, panel in zip(roles, axes, strict=False):
        panel.set_ylabel("people" if ax is not None else f"{role}: people")
    axes[0].legend(handles=_people_key(roles, colors, one_axis=ax is not None), **SMALL_KEY)
    if ax is None:
        _finish_won(axes[-1], data)
    axes[-1].set_xlabel("week")
    axes[0].set_title("Headcount and ramped capacity over time (mean over replications)")
    return figure


SMALL_KEY = {"fontsize": "x-small", "loc": "lower left"}


def _won_by_quarter(won: Axes, weekly: pd.DataFrame, color, dash: str, name: str) -> None:
    """Deals won each week (thin) and each whole plan quarter's average (thick)."""
    weeks = weekly.index + 0.5
    won.plot(weeks, weekly["won"], color=color, alpha=0.3, linewidth=0.8)
    measured = weekly[~weekly["warmup"].astype(bool)]
    quarter = (measured.index - measured.index[0]) // QUARTER_WEEKS
    grouped = measured["won"].groupby(quarter)
    means = grouped.mean()[grouped.size() == QUARTER_WEEKS]  # whole quarters only
    starts = measured.index[0] + QUARTER_WEEKS * means.index.to_numpy()
    won.hlines(
        means,
        starts,
        starts + QUARTER_WEEKS,
        color=color,
        linewidth=2.2,
        linestyles=dash,
        label=name,
    )


def _people_key(roles: list[str], colors: dict, one_axis: bool) -> list[Line2D]:
    """The legend: the two lines, then roles (on one axis) or designs (a panel per role)."""
    key = [
        mpl.Line2D([], [], color="0.2", label="on the payroll"),
        mpl.Line2D([], [], color="0.2", alpha=0.45, label="ramped-rep equivalents"),
    ]
    if one_axis:
        key += [
            mpl.Line2D([], [], color="0.5", linestyle=LINESTYLES[i % len(LINESTYLES)], label=role)
            for i, role in enumerate(roles)
        ]
        if len(colors) > 1:
            key += [mpl.Line2D([], [], color=c, label=v) for v, c in colors.items()]
    elif len(colors) > 1:
        key += [
            mpl.Line2D([], [], color=c, linestyle=LINESTYLES[i % len(LINESTYLES)], label=v)
            for i, (v, c) in enumerate(colors.items())
        ]
    return key


def _finish_won(won: Axes, data: FigureData) -> None:
    _shade_warmup(won, data)
    won.set_ylabel("deals won per week")
    won.set_ylim(bottom=0)
    won.legend(
        title="thick: plan quarter average",
        title_fontsize="x-small",
        fontsize="x-small",
        loc="lower left",
        ncol=min(3, len(data.variants)),
    )


def payback(data: FigureData, ax: Axes | None = None) -> Figure:
    """For each variant that switches org, the cumulative difference of new ARR against the
    first variant (today's org) week by week from the end of warm-up, with its pointwise 95%
    band (paired, on common random numbers): the dip below zero is what the switch costs,
    the week it climbs back to zero for good is its payback."""
    if not data.switches:
        raise ValueError("the payback figure needs a variant with a `transition`")
    figure, ax = _canvas(ax)
    baseline = data.variants[0]
    colors = dict(zip(data.variants, _palette(len(data.variants)), strict=True))
    for variant, at in data.switches.items():
        if variant == baseline:
            continue
        running = cumulative(data.timeseries, variant, baseline, "won_value")
        color = colors[variant]
        ax.plot(running["week"], running["mean"], color=color, label=variant)
        ax.fill_between(running["week"], running["low"], running["high"], color=color, alpha=0.2)
        ax.axvline(at / WEEK, color=color, linestyle=":", linewidth=1.2)
    ax.axhline(0, color="0.3", linewidth=0.8)
    ax.yaxis.set_major_formatter(lambda value, _: f"{value / 1000:,.0f}k")
    ax.set_xlabel("weeks after warm-up (dotted: the switch)")
    ax.set_ylabel(f"new ARR won, minus {baseline}'s, so far")
    ax.set_title("Cost of the switch and its payback (mean, 95% band)")
    ax.legend(fontsize="small")
    return figure


UNIT_WORDS = {"hours": "hours", "money": "money", "months": "months", "per_week": "a week"}
"""What a sweep plot's axis says a KPI is counted in (shares show as percentages)."""


def _parameter_words(path: str) -> str:
    """`org.roles.ae.headcount` -> `ae headcount (people)`; any other path as written."""
    parts = path.split(".")
    if parts[-1] == "headcount" and len(parts) >= 2:
        return f"{parts[-2]} headcount (people)"
    return path


def sweep_lines(
    summary: pd.DataFrame, kpi: str, x: str, grid: dict[str, list], ax: Axes | None = None
) -> Figure:
    """A KPI against the swept parameter `x`, with its 95% band, from a sweep's summary (one
    row per grid point and variant): one line per variant and value of the other parameters."""
    figure, ax = _canvas(ax)
    others = [p for p in grid if p != x]
    positions = {value: i for i, value in enumerate(grid[x])}
    numeric = all(isinstance(v, int | float) for v in grid[x])
    markers = "osD^v"
    for i, (key, group) in enumerate(summary.groupby([*others, "variant"], sort=False)):
        key = key if isinstance(key, tuple) else (key,)
        label = ", ".join(
            [
                f"{_parameter_words(p).removesuffix(' (people)')} {v}"
                for p, v in zip(others, key[:-1], strict=True)
            ]
            + ([key[-1]] if summary.variant.nunique() > 1 else [])
        )
        xs = group[x].to_numpy() if numeric else group[x].map(positions).to_numpy()
        style = LINESTYLES[i % len(LINESTYLES)]  # equal lines stay visible, one over another
        (line,) = ax.plot(
            xs, group["mean"], marker=markers[i % 5], linestyle=style, label=label or key[-1]
        )
        ax.fill_between(xs, group["ci_low"], group["ci_high"], alpha=0.2, color=line.get_color())
    if not numeric:
        ax.set_xticks(range(len(grid[x])), [str(v) for v in grid[x]])
    elif all(isinstance(v, int) for v in grid[x]):  # headcounts: whole people only
        ax.xaxis.set_major_locator(mpl.MaxNLocator(integer=True))
    about = info(kpi)
    unit = UNIT_WORDS.get(about.unit, "")
    if about.unit == "share":
        ax.yaxis.set_major_formatter(mpl.PercentFormatter(1.0))
    ax.set_xlabel(_parameter_words(x))
    ax.set_ylabel(f"{about.label}{f' ({unit})' if unit else ''}")
    ax.set_title(f"{about.label} across {_parameter_words(x)} (mean, 95% band)")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize="small")
    return figure


def forecast_fan(cumulative: pd.DataFrame, horizon_weeks: float, ax: Axes | None = None):
    """A forecast's fan: value won to date by the end of each week, one row per
    replication; the 10-90 and 25-75 bands shaded, the median a line."""
    figure, ax = _canvas(ax)
    weeks = np.arange(cumulative.shape[1] + 1)  # from today, when nothing is won yet
    values = np.hstack([np.zeros((len(cumulative), 1)), cumulative.to_numpy(dtype=float)])
    p10, p25, p50, p75, p90 = np.percentile(values, [10, 25, 50, 75, 90], axis=0)
    ax.fill_between(weeks, p10, p90, alpha=0.2, color="#1f77b4", label="80% of outcomes")
    ax.fill_between(weeks, p25, p75, alpha=0.35, color="#1f77b4", label="50% of outcomes")
    ax.plot(weeks, p50, color="#1f77b4", label="median")
    ax.set_xlim(0, max(horizon_weeks, 1))
    ax.set_ylim(bottom=0)
    ax.set_xlabel("weeks from today")
    ax.set_ylabel("value won to date")
    ax.yaxis.set_major_formatter(mpl.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.set_title(f"Bookings forecast over {horizon_weeks:g} weeks")
    ax.legend(loc="upper left", fontsize="small")
    return figure


def forecast_scores(quarters: pd.DataFrame, summary: pd.DataFrame, title: str) -> Figure:
    """Scored forecasting methods: forecast against what the quarter booked, one panel per
    method (most accurate first), the diagonal where a forecast is exact; the simulation's
    10-90 band as a bar."""
    methods = summary["method"].tolist()
    columns = min(len(methods), 2)
    rows = -(-len(methods) // columns)
    figure = mpl.Figure(figsize=(4.2 * columns, 3.6 * rows), layout="constrained")
    axes = np.atleast_1d(figure.subplots(rows, columns, sharex=True, sharey=True)).ravel()
    shown = quarters[["forecast", "actual", "p10", "p90"]]
    low, high = 0.9 * shown.min().min(), 1.05 * shown.max().max()
    money = mpl.FuncFormatter(lambda v, _: f"{v:,.0f}")
    for ax, (_, row) in zip(axes, summary.iterrows(), strict=False):
        mine = quarters[quarters["method"] == row["method"]]
        if mine["p10"].notna().any():
            below, above = mine["forecast"] - mine["p10"], mine["p90"] - mine["forecast"]
            ax.errorbar(mine["actual"], mine["forecast"], yerr=[below, above], fmt="none",
                        ecolor="#1f77b4", alpha=0.25)  # fmt: skip
        ax.scatter(mine["actual"], mine["forecast"], s=12, color="#1f77b4")
        ax.plot([low, high], [low, high], color="grey", linestyle="--", linewidth=1)
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
        ax.xaxis.set_major_locator(mpl.MaxNLocator(4))
        ax.set_title(
            f"{row['method']}: bias {row['bias']:+.0%}, MAPE {row['mape']:.0%}", fontsize="medium"
        )
        ax.xaxis.set_major_formatter(money)
        ax.yaxis.set_major_formatter(money)
        ax.set_xlabel("value won in the quarter")
        ax.set_ylabel("forecast at its start")
    for ax in axes[len(methods) :]:
        ax.set_visible(False)
    figure.suptitle(title, fontsize="medium")
    handles = [mpl.Line2D([], [], color="grey", linestyle="--", label="forecast = actual")]
    if quarters["p10"].notna().any():
        handles.append(mpl.Line2D([], [], color="#1f77b4", alpha=0.4, label="10-90 band"))
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize="small",
    )
    return figure


FIGURES: dict[str, Callable[..., Figure]] = {
    "trade_off": trade_off,
    "funnel": funnel,
    "cycle_time": cycle_time,
    "speed_to_lead": speed_to_lead,
    "utilization": utilization,
    "queues": queues,
    "rep_spread": rep_spread,
    "weekly_won": weekly_won,
    "territory": territory,
    "attainment": attainment,
    "people": people,
    "payback": payback,
}


def draw(kind: str, data: FigureData, ax: Axes | None = None) -> Figure:
    """Draw the figure called `kind` (one of FIGURES)."""
    if not isinstance(kind, str) or kind not in FIGURES:
        why = f"unknown figure {kind!r}; choose one of {', '.join(FIGURES)}"
        raise ConfigError.unplaced("<arguments>", "kind", why)
    if kind == "people" and not people_roles(data):
        raise ConfigError.unplaced(
            "<arguments>",
            "kind",
            "no role's people change or ramp in these results: the 'people' figure needs "
            "attrition, hires or a ramp on a role that works a stage",
        )
    if kind == "attainment" and not quota_roles(data):
        raise ConfigError.unplaced(
            "<arguments>",
            "kind",
            "no role carries a quota in these results: 'attainment' needs one",
        )
    if kind == "territory" and not territory_columns(data):
        raise ConfigError.unplaced(
            "<arguments>", "kind", "no outbound source in these results: 'territory' needs one"
        )
    return FIGURES[kind](data, ax=ax)
