"""Figures of your own history: a backtest's months against the simulated bands, arrivals
over time, each stage's fitted time curve against the data's, owners' skill with and
without shrinkage. Drawn from plain frames and arrays, like every figure (no pyplot)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from orgsim.config.units import DAY

LABELS = {"created": "new leads", "won": "deals won", "won_value": "value won"}


def backtest_bands(months: pd.DataFrame) -> Figure:
    """One panel per metric: the history's months as points, the simulation's mean as a
    line and its 95% band shaded; a month outside its band is marked in red."""
    metrics = [m for m in LABELS if (months["metric"] == m).any()]
    figure = Figure(figsize=(9.0, 2.6 * len(metrics)), layout="constrained")
    axes = np.atleast_1d(figure.subplots(len(metrics), 1, sharex=True))
    for ax, metric in zip(axes, metrics, strict=True):
        rows = months[months["metric"] == metric]
        x = np.arange(len(rows))
        ax.fill_between(x, rows["low"], rows["high"], alpha=0.25, label="simulated 95% band")
        ax.plot(x, rows["mean"], label="simulated mean")
        inside = rows["inside"].to_numpy()
        ax.plot(x[inside], rows["actual"][inside], "o", color="black", label="your history")
        ax.plot(x[~inside], rows["actual"][~inside], "o", color="#d62728", label="outside")
        ax.set_ylabel(LABELS[metric])
        ax.set_xticks(
            x,
            [
                m + ("*" if part else "")
                for m, part in zip(rows["month"], rows["partial"], strict=True)
            ],
            rotation=45,
            ha="right",
        )
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    figure.suptitle(
        "Your history against the calibrated model, month by month "
        "(* a month the history covers only in part)"
    )
    axes[0].legend(
        loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4, fontsize="small", frameon=False
    )
    return figure


def arrivals(created: pd.DataFrame) -> Figure:
    """New records per week by source: a level, a season or a trend shows at a glance."""
    figure = Figure(figsize=(9.0, 3.2), layout="constrained")
    ax = figure.subplots()
    weekly = created.groupby([pd.Grouper(key="created", freq="W-SUN"), "source"]).size()
    for source, series in weekly.unstack(fill_value=0).items():
        ax.plot(series.index, series.to_numpy(), label=source)
    ax.set_ylabel("new records per week")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize="small")
    ax.set_title("Arrivals over the history")
    return figure


def stage_curves(curves: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Figure:
    """Per stage, the share of visits decided by each time: the data's (Kaplan-Meier, open
    visits censored) as steps, the fitted curve the market writes as a line."""
    figure = Figure(figsize=(9.0, 3.2), layout="constrained")
    axes = np.atleast_1d(figure.subplots(1, max(len(curves), 1)))
    for ax, (stage, (t, data, fitted)) in zip(axes, curves.items(), strict=False):
        ax.step(t / DAY, data, where="post", label="your data")
        ax.plot(t / DAY, fitted, label="fitted")
        ax.set_title(stage)
        ax.set_xlabel("days in stage")
        ax.set_ylim(0, 1)
    axes[0].set_ylabel("share decided")
    axes[0].legend(loc="lower right", fontsize="small")
    return figure


def skills(people: pd.DataFrame) -> Figure:
    """Each owner's skill as the data shows it (circles) and as written (dots, shrunk
    towards the team, with its 95% interval), one panel per stage in the journey's order,
    the owners in the same rows in every panel (best overall at the top)."""
    stages = list(dict.fromkeys(people["stage"]))
    owners = people.groupby("owner")["skill"].mean().sort_values().index.tolist()
    figure = Figure(
        figsize=(2.2 * len(stages) + 1.5, 0.35 * len(owners) + 1.6), layout="constrained"
    )
    axes = np.atleast_1d(figure.subplots(1, len(stages), sharey=True, sharex=True))
    y = {owner: i for i, owner in enumerate(owners)}
    for ax, stage in zip(axes, stages, strict=True):
        rows = people[people["stage"] == stage]
        at = rows["owner"].map(y).to_numpy()
        ax.scatter(
            rows["raw"], at, marker="o", facecolors="none", edgecolors="grey", label="as seen"
        )
        below = (rows["skill"] - rows["low"].clip(lower=0)).to_numpy()
        ax.errorbar(
            rows["skill"],
            at,
            xerr=[below, (rows["high"] - rows["skill"]).to_numpy()],
            fmt="o",
            label="written, 95%",
        )
        ax.axvline(1.0, color="black", linewidth=0.8)
        ax.set_title(stage, fontsize="medium")
        ax.xaxis.set_major_locator(MaxNLocator(3))
    axes[0].set_yticks(range(len(owners)), owners)
    figure.supxlabel("skill (1 = the team)")
    axes[-1].legend(loc="lower left", bbox_to_anchor=(1.02, 0), fontsize="small", frameon=False)
    return figure


def calibration_page(
    facts: dict, estimates: pd.DataFrame, figures: list[tuple[Figure, str]]
) -> str:
    """The calibration as one self-contained HTML page: the data's oddities, every estimate
    with its interval and method, and the figures (`facts`: source, rows, records, start,
    snapshot, oddities, folder, files, mapping)."""
    from orgsim.report.html import _environment, _png  # one way to embed a figure
    from orgsim.report.terminal import estimate_cells
    from orgsim.version import __version__

    shown = []
    for figure, caption in figures:
        png, width, height = _png(figure)
        shown.append({"png": png, "width": width, "height": height, "caption": caption})
    rows = [
        dict(zip(("name", "value", "interval", "n"), estimate_cells(row), strict=True))
        | {"method": row["method"]}
        for _, row in estimates.iterrows()
    ]
    template = _environment().get_template("calibration.html.j2")
    return template.render(version=__version__, estimates=rows, figures=shown, **facts)
