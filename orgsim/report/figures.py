"""Figures where a picture beats a table: each takes {variant: Results} and `ax=None`.

Every function draws on `ax` when given (so figures compose into a
notebook's own layout) or on a new matplotlib `Figure`, and returns the
figure. Figures are built without pyplot, so nothing is shown twice in a
notebook and nothing needs a display.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from orgsim.analysis.stats import interval
from orgsim.engine.calendar import WEEK, YEAR

LINESTYLES = ("-", "--", ":", "-.")


def _canvas(ax: Axes | None, size=(8.0, 4.5)) -> tuple[Figure, Axes]:
    if ax is not None:
        return ax.figure, ax
    figure = Figure(figsize=size, layout="constrained")
    return figure, figure.subplots()


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


def _roles(results: Mapping) -> list[str]:
    """Roles that work a stage in any of the variants, in order of first appearance."""
    roles: list[str] = []
    for r in results.values():
        roles += [role for role in r.meta.get("roles", []) if role not in roles]
    return roles


def _mean_and_error(values) -> tuple[float, float]:
    """Mean and the half-width of its 95% interval (0 where there is none), for error bars."""
    ci = interval(values)
    return ci.mean, 0.0 if np.isnan(ci.low) else ci.mean - ci.low


def _grouped_bars(
    ax: Axes, results: Mapping, labels: list[str], values, horizontal: bool = False
) -> None:
    """One bar per label and variant: the mean of `values(results, label)` over
    replications, with its 95% interval as an error bar."""
    size = 0.8 / max(1, len(results))
    at = np.arange(len(labels))
    for i, ((name, r), color) in enumerate(
        zip(results.items(), _palette(len(results)), strict=True)
    ):
        bars = [_mean_and_error(values(r, label)) for label in labels]
        means, errors = zip(*bars, strict=True) if bars else ((), ())
        if horizontal:
            ax.barh(at + i * size, means, size, xerr=errors, label=name, color=color, capsize=2)
        else:
            ax.bar(at + i * size, means, size, yerr=errors, label=name, color=color, capsize=3)
    ticks = at + size * (len(results) - 1) / 2
    (ax.set_yticks if horizontal else ax.set_xticks)(ticks, labels)


def _weeks(results) -> float:
    return results.meta.get("horizon_hours", float("nan")) / WEEK


def funnel(results: Mapping, ax: Axes | None = None) -> Figure:
    """Entries to each stage per week, by variant, with 95% intervals."""
    figure, ax = _canvas(ax)
    first = next(iter(results.values()))
    stages = [
        s
        for s in first.meta.get("stages", [])
        if any(f"stage.{s}.entered" in r.kpis for r in results.values())
    ]
    _grouped_bars(
        ax,
        results,
        stages,
        lambda r, stage: r.kpis.get(f"stage.{stage}.entered", np.array([np.nan])) / _weeks(r),
        horizontal=True,
    )
    ax.invert_yaxis()
    ax.set_xlabel("entries per week (mean, 95% interval)")
    ax.set_title("Funnel: how many leads reach each stage")
    ax.legend(loc="lower right", fontsize="small")
    return figure


def cycle_time(results: Mapping, ax: Axes | None = None) -> Figure:
    """Distribution of days from a lead's creation to won, by variant."""
    figure, ax = _canvas(ax)
    days = {name: r.cycle_times["hours"].to_numpy() / 24 for name, r in results.items()}
    everything = np.concatenate([d for d in days.values() if len(d)] or [np.zeros(1)])
    bins = np.linspace(0, max(1.0, np.quantile(everything, 0.99)), 40)
    for (name, d), color in zip(days.items(), _palette(len(days)), strict=True):
        if not len(d):
            continue
        median = float(np.median(d))
        ax.hist(
            d,
            bins=bins,
            histtype="step",
            linewidth=1.8,
            density=True,
            color=color,
            label=f"{name} (median {median:.0f} d, {len(d):,} deals)",
        )
        ax.axvline(median, color=color, linestyle="--", linewidth=1)
    ax.set_xlabel("days from lead created to won")
    ax.set_ylabel("share of won deals per day")
    ax.set_title("Sales cycle of won deals")
    ax.legend(fontsize="small")
    return figure


def speed_to_lead(results: Mapping, ax: Axes | None = None) -> Figure:
    """Share of new leads touched within t hours, by variant, with the SLA marked."""
    figure, ax = _canvas(ax)
    top = 1.0
    for (name, r), color in zip(results.items(), _palette(len(results)), strict=True):
        hours = np.sort(r.speed_to_lead["hours"].to_numpy())
        if not len(hours):
            continue
        top = max(top, float(np.quantile(hours, 0.98)))
        ax.step(
            hours,
            np.arange(1, len(hours) + 1) / len(hours),
            where="post",
            color=color,
            label=f"{name} (median {np.median(hours):.1f} h)",
        )
    slas = {}
    for r in results.values():
        sla = r.meta.get("entry_sla")
        if sla:
            slas[(sla["hours"], sla["clock"])] = sla["stage"]
    for (hours, clock), stage in slas.items():
        ax.axvline(hours, color="black", linestyle=":", linewidth=1.2)
        ax.annotate(
            f"SLA at {stage}: {hours:g} h ({clock} clock)",
            (hours, 0.03),
            xytext=(4, 0),
            textcoords="offset points",
            fontsize="small",
        )
    ax.set_xlim(0, top)
    ax.set_ylim(0, 1.01)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("hours from lead created to first touch (calendar hours)")
    ax.set_ylabel("share of leads touched")
    ax.set_title("Speed to lead")
    ax.legend(loc="lower right", fontsize="small")
    return figure


def utilization(results: Mapping, ax: Axes | None = None) -> Figure:
    """Utilization of each role, by variant, with 95% intervals."""
    figure, ax = _canvas(ax)
    _grouped_bars(
        ax, results, _roles(results), lambda r, role: r.kpis.get(f"role.{role}.utilization", [])
    )
    ax.axhline(1.0, color="black", linewidth=0.8, linestyle=":")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylim(0, max(1.05, ax.get_ylim()[1]))
    ax.set_ylabel("share of scheduled hours at work")
    ax.set_title("Utilization by role (mean, 95% interval)")
    ax.legend(fontsize="small")
    return figure


def _shade_warmup(ax: Axes, results: Mapping) -> None:
    warmup = next(iter(results.values())).meta.get("warmup_hours", 0) / WEEK
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


def queues(results: Mapping, ax: Axes | None = None) -> Figure:
    """Items waiting in each role's queues, week by week (mean over replications)."""
    figure, ax = _canvas(ax)
    roles = _roles(results)
    colors = dict(zip(roles, _palette(len(roles)), strict=True))
    for (name, r), style in zip(results.items(), LINESTYLES * 4, strict=False):
        weekly = r.timeseries.groupby("week").mean(numeric_only=True)
        for role in roles:
            column = f"queue.{role}"
            if column in weekly:
                ax.plot(
                    weekly.index + 0.5,
                    weekly[column],
                    linestyle=style,
                    color=colors[role],
                    label=f"{role} ({name})" if len(results) > 1 else role,
                )
    _shade_warmup(ax, results)
    ax.set_xlabel("week")
    ax.set_ylabel("items waiting (weekly average)")
    ax.set_title("Queues over time")
    ax.legend(fontsize="small", ncol=max(1, len(results)))
    return figure


def rep_spread(results: Mapping, ax: Axes | None = None) -> Figure:
    """Deals won per rep per year, every rep of every replication, quartiles marked."""
    figure, ax = _canvas(ax)
    labels = []
    for i, ((name, r), color) in enumerate(
        zip(results.items(), _palette(len(results)), strict=True)
    ):
        reps = r.reps
        closers = reps.groupby("role", observed=True)["won"].sum()
        closers = closers[closers > 0].index
        hours = r.meta.get("horizon_hours", 0) + r.meta.get("warmup_hours", 0)
        won = reps[reps.role.isin(closers)]["won"].to_numpy() * YEAR / max(hours, 1.0)
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
    ax.set_xlim(-0.6, len(results) - 0.1)
    ax.set_ylabel("deals won per rep per year")
    ax.set_title("Rep performance spread")
    return figure


def weekly_won(results: Mapping, ax: Axes | None = None) -> Figure:
    """New customers per week, mean over replications with a 95% band."""
    figure, ax = _canvas(ax)
    for name, r in results.items():
        table = r.timeseries.pivot_table(index="week", columns="replication", values="won")
        rows = [interval(table.loc[w]) for w in table.index]
        mean = np.array([c.mean for c in rows])
        low = np.array([c.low for c in rows])
        high = np.array([c.high for c in rows])
        (line,) = ax.plot(table.index + 0.5, mean, label=name)
        ax.fill_between(
            table.index + 0.5, np.clip(low, 0, None), high, alpha=0.2, color=line.get_color()
        )
    _shade_warmup(ax, results)
    ax.set_xlabel("week")
    ax.set_ylabel("deals won")
    ax.set_title("Deals won per week (mean, 95% band)")
    ax.legend(fontsize="small")
    return figure


FIGURES: dict[str, Callable[..., Figure]] = {
    "funnel": funnel,
    "cycle_time": cycle_time,
    "speed_to_lead": speed_to_lead,
    "utilization": utilization,
    "queues": queues,
    "rep_spread": rep_spread,
    "weekly_won": weekly_won,
}


def draw(kind: str, results: Mapping, ax: Axes | None = None) -> Figure:
    """Draw the figure called `kind` (one of FIGURES)."""
    if kind not in FIGURES:
        raise ValueError(f"unknown figure '{kind}'; choose one of {', '.join(FIGURES)}")
    return FIGURES[kind](results, ax=ax)
