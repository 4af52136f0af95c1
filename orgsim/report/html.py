"""A self-contained HTML report a leadership team can read without help.

One file: inline CSS, figures embedded as PNG data, no scripts and no
network requests, so it can be mailed or archived. The template is jinja2
with autoescaping on: a scenario or variant called `<script>` shows as text.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path

import jinja2

from orgsim.analysis import storage
from orgsim.analysis.compare import Comparison
from orgsim.config import kpis as catalogue
from orgsim.config.units import format_duration
from orgsim.report import format as fmt

CAPTIONS = {
    "funnel": "Leads entering each stage per week. Where the bars shrink is where leads "
    "are lost; where designs differ is where the org changes the funnel.",
    "weekly_won": "New customers per week; the band is the 95% interval over replications. "
    "The shaded weeks are warm-up, simulated but not counted.",
    "speed_to_lead": "How quickly new leads get their first touch. Faster contact converts "
    "better when the market has response decay.",
    "cycle_time": "Days from a lead's creation to the signed deal, for every deal won.",
    "utilization": "How busy each role is. Near 100% means queues build and leads wait.",
    "queues": "Work waiting for each role, week by week: a line that keeps rising is a bottleneck.",
    "rep_spread": "Deals won per closing rep per year, every rep of every replication: "
    "the gap between quartiles is luck and skill, not design.",
}


KEY_KPIS = (
    "won_per_week",
    "won_value",
    "cycle_time_mean",
    "speed_to_lead_p50",
    "leaked",
    "cost_per_won",
)
"""KPIs the markdown summary reports, besides the targets."""


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("orgsim", "report/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def _png(figure) -> tuple[str, int, int]:
    buffer = io.BytesIO()
    dpi = 100
    figure.savefig(buffer, format="png", dpi=dpi)
    width, height = figure.get_size_inches() * dpi
    return base64.b64encode(buffer.getvalue()).decode("ascii"), int(width), int(height)


def _kpi_groups(comparison: Comparison) -> list[dict]:
    tidy = comparison.to_frame()
    groups = []
    for group in catalogue.GROUPS:
        rows = []
        for kpi in comparison.kpi_names():
            if catalogue.group(kpi) != group or not catalogue.is_headline(kpi):
                continue
            cells = []
            for variant in comparison.variants:
                match = tidy[(tidy.kpi == kpi) & (tidy.variant == variant)]
                if match.empty:
                    cells.append(
                        {
                            "mean": "–",
                            "interval": "",
                            "diff": "–",
                            "diff_interval": "",
                            "diff_class": "faint",
                        }
                    )
                    continue
                row = match.iloc[0]
                cell = {
                    "mean": fmt.kpi_value(kpi, row["mean"]),
                    "interval": fmt.kpi_interval(kpi, row["ci_low"], row["ci_high"]),
                    "diff": "–",
                    "diff_interval": "",
                    "diff_class": "faint",
                }
                if "diff" in row and row.get("diff") == row.get("diff"):
                    cell["diff"] = fmt.kpi_difference(kpi, row["diff"])
                    cell["diff_interval"] = fmt.kpi_interval(kpi, row["diff_low"], row["diff_high"])
                    better = row.get("better")
                    cell["diff_class"] = (
                        "faint"
                        if not row["significant"]
                        else "neutral"
                        if better is None or better != better
                        else "better"
                        if better
                        else "worse"
                    )
                cells.append(cell)
            rows.append({"kpi": kpi, "meaning": catalogue.describe(kpi)[2], "cells": cells})
        if rows:
            groups.append({"name": group, "rows": rows})
    return groups


def _verdict_rows(comparison: Comparison) -> list[dict]:
    verdicts = comparison.verdicts()
    rows = []
    for kpi, target in comparison.targets.items():
        cells = []
        for variant in comparison.variants:
            row = verdicts[(verdicts.variant == variant) & (verdicts.kpi == kpi)].iloc[0]
            share = row["share_of_replications"]
            cells.append(
                {
                    "met": row["met"],
                    "mean": fmt.kpi_value(kpi, row["mean"]),
                    "interval": fmt.kpi_interval(kpi, row["ci_low"], row["ci_high"]),
                    "share": "–" if share != share else f"{share:.0%}",
                }
            )
        rows.append({"kpi": kpi, "target": target.describe(), "cells": cells})
    return rows


def render(comparison: Comparison) -> str:
    """The report as one HTML string."""
    first = next(iter(comparison.results.values()))
    pictures = []
    for kind in (
        "funnel",
        "weekly_won",
        "speed_to_lead",
        "cycle_time",
        "utilization",
        "queues",
        "rep_spread",
    ):
        figure = comparison.plot(kind)
        png, width, height = _png(figure)
        pictures.append(
            {
                "png": png,
                "width": width,
                "height": height,
                "title": figure.axes[0].get_title(),
                "caption": CAPTIONS[kind],
            }
        )
    meta = first.meta
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            scenario=comparison.scenario_name,
            description=comparison.description,
            variants=comparison.variants,
            replications=comparison.replications,
            horizon=format_duration(meta.get("horizon_hours", 0)),
            warmup=format_duration(meta.get("warmup_hours", 0))
            if meta.get("warmup_hours")
            else "no",
            seed=comparison.seed,
            seeds=", ".join(str(s) for s in meta.get("seeds", [])),
            version=meta.get("orgsim_version", ""),
            date=meta.get("date", ""),
            headline=comparison.headline(),
            verdicts=_verdict_rows(comparison),
            kpi_groups=_kpi_groups(comparison),
            figures=pictures,
            assumptions=[
                {
                    "name": name,
                    "org": r.meta.get("org", ""),
                    "yaml": r.meta.get("composed_yaml", ""),
                }
                for name, r in comparison.results.items()
            ],
        )
    )


def write(comparison: Comparison, path: Path) -> Path:
    """Write the report to `path` atomically."""
    return storage.write_text(Path(path), render(comparison))


def markdown(comparison: Comparison) -> str:
    """A short summary for a pull request or a chat message."""
    lines = [f"### {comparison.scenario_name}", "", comparison.headline(), ""]
    if comparison.targets:
        lines += [
            "| target | " + " | ".join(comparison.variants) + " |",
            "|---|" + "---|" * len(comparison.variants),
        ]
        for row in _verdict_rows(comparison):
            cells = [f"{'✅' if c['met'] else '❌'} {c['mean']}" for c in row["cells"]]
            lines.append(f"| `{row['kpi']}` {row['target']} | " + " | ".join(cells) + " |")
        lines.append("")
    key = list(dict.fromkeys([*comparison.targets, *KEY_KPIS]))
    for variant in comparison.variants[1:]:
        changes = []
        for kpi in key:
            diff = comparison.difference(variant, kpi)
            if diff is None or not diff.excludes_zero:
                continue
            direction = catalogue.direction(kpi)
            word = (
                ""
                if direction == 0
                else (" better" if (diff.mean > 0) == (direction > 0) else " worse")
            )
            changes.append(f"`{kpi}` {fmt.kpi_difference(kpi, diff.mean)}{word}")
        summary = "; ".join(changes) if changes else "no significant change in the key KPIs"
        lines.append(f"- **{variant}** vs {comparison.baseline}: {summary}")
    if len(comparison.variants) > 1:
        lines.append("")
    lines.append(
        f"_{comparison.replications} replications per design, root seed {comparison.seed}; orgsim._"
    )
    return "\n".join(lines) + "\n"
