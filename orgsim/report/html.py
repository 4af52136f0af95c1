"""A self-contained HTML report a leadership team can read without help, and a markdown
summary for a chat message, both from a comparison's tidy frames and plain facts.

One file: inline CSS, figures embedded as PNG data, no scripts and no
network requests, so it can be mailed or archived. The template is jinja2
with autoescaping on: a scenario or variant called `<script>` shows as text.
"""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass, field

import jinja2
import pandas as pd

from orgsim.config import kpis as catalogue
from orgsim.config import targets as target_rules
from orgsim.config.units import format_duration
from orgsim.report import figures as drawing
from orgsim.report import format as fmt
from orgsim.text import one_line

CAPTIONS = {
    "trade_off": "New customers per week against cost per new customer: each design's mean "
    "and 95% interval; dashed lines mark any targets on these two KPIs, and a design meets "
    "them when its whole cross lies in the shaded area. Designs saw the same leads, so "
    "their paired differences (below) are surer than these crosses.",
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
    "territory": "Accounts of each outbound source left to prospect, week by week: never "
    "worked, or back after their cool-off. Where a line reaches zero the territory has run "
    "out, and more prospecting time finds nobody new to call until accounts come back.",
    "attainment": "How the reps who carry a quota attain it, each seat and period (month or "
    "quarter): the bar spans the 10th to the 90th percentile, the dot is the mean, the "
    "dotted line is quota. An empty seat's quota counts as missed. A design that gives each "
    "rep more deals lifts the bar; luck and skill spread it.",
    "people": "People on the payroll (solid) against ramped-rep equivalents (faint), week by "
    "week, for roles whose people come and go or ramp; below them, new customers per week. "
    "The gap is capacity paid for but not yet there: new reps ramping, seats empty until "
    "the backfill starts.",
    "payback": "New ARR won so far by each design that switches org, minus today's org's, on "
    "the same leads with the same luck; the band is the 95% interval. Below zero is what "
    "the switch has cost so far; where the line climbs back above zero for good, it has "
    "paid back.",
}


@dataclass(frozen=True)
class ReportFacts:
    """The plain facts of a comparison that the report states."""

    scenario: str
    description: str | None
    variants: list[str]
    replications: int
    seed: int
    headline: str
    """Which designs meet the targets (`Comparison.verdict`)."""
    targets: dict[str, tuple[float | None, float | None]]
    """KPI -> its (min, max), in the scenario's order."""
    warning: str = ""
    """The roles that do not keep up, or nothing."""
    outlook: str = ""
    """The roles that will run out of hours after the horizon, with the week, or nothing."""
    teams: list[tuple[str, list[str]]] = field(default_factory=list)
    """The scorecard: each team and the KPIs it answers for (`scorecard.by_team`)."""
    horizon_hours: float = 0.0
    warmup_hours: float = 0.0
    start: str = ""
    """The calendar date of t = 0 (the start of warm-up)."""
    holidays: str | list[str] | None = None
    currency: str | None = None
    seeds: list[int] = field(default_factory=list)
    version: str = ""
    date: str = ""
    assumptions: list[dict] = field(default_factory=list)
    """Per variant: name, description (or its org's name), org and the composed YAML it ran."""
    transitions: list[str] = field(default_factory=list)
    """A sentence per design that switches org: its cost and payback."""
    stopping: str = ""
    """With `replications: auto`, how many it took and why it stopped (`Stop.in_words`)."""
    sources: list[str] = field(default_factory=list)
    """The lead sources, every one of which the headline speed to lead covers."""
    written: dict = field(default_factory=dict)
    """The conversions the market writes, by KPI (`kpis.written_rates`)."""
    people: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Per design, its named people (`Results.people`); empty without a roster."""


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


def _kpi_groups(
    facts: ReportFacts,
    table: pd.DataFrame,
    sections: list[tuple[str, list[str]]],
    chosen: bool = False,
) -> list[dict]:
    """A table's sections (heading, KPIs): each variant's mean and interval, and its paired
    difference against the first variant, coloured by the table's `better` column. The
    headline KPIs and the targets, or every KPI of sections `chosen` already (a
    scorecard)."""
    groups = []
    for heading, names in sections:
        rows = [
            {
                "kpi": kpi,
                "label": fmt.label(kpi, facts.written),
                "meaning": catalogue.info(kpi).meaning,
                "cells": [_kpi_cell(kpi, table, variant) for variant in facts.variants],
            }
            for kpi in names
            if chosen or catalogue.info(kpi).headline or kpi in facts.targets
        ]
        if rows:
            groups.append({"name": heading, "rows": rows})
    return groups


def _scorecard(facts: ReportFacts) -> list[tuple[str, list[str]]]:
    return [(fmt.team_label(team, facts.currency), names) for team, names in facts.teams]


def _by_measure(facts: ReportFacts, table: pd.DataFrame) -> list[tuple[str, list[str]]]:
    names = catalogue.by_measure(dict.fromkeys(table.kpi))
    return [(fmt.group_label(group, facts.currency), members) for group, members in names]


def _kpi_cell(kpi: str, table: pd.DataFrame, variant: str) -> dict:
    cell = {"mean": "–", "interval": "", "diff": "–", "diff_interval": "", "diff_class": "faint"}
    match = table[(table.kpi == kpi) & (table.variant == variant)]
    if match.empty:
        return cell
    row = match.iloc[0]
    cell["mean"], cell["interval"] = fmt.kpi_mean_interval(
        kpi, row["mean"], row["ci_low"], row["ci_high"]
    )
    if "diff" in row and row.get("diff") == row.get("diff"):
        cell["diff"] = fmt.kpi_difference(kpi, row["diff"])
        cell["diff_interval"] = fmt.kpi_difference_interval(kpi, row["diff_low"], row["diff_high"])
        cell["diff_class"] = fmt.judgement(row)
    return cell


def _verdict_rows(facts: ReportFacts, verdicts: pd.DataFrame) -> list[dict]:
    rows = []
    for kpi, (low, high) in facts.targets.items():
        cells = []
        for variant in facts.variants:
            row = verdicts[(verdicts.variant == variant) & (verdicts.kpi == kpi)].iloc[0]
            share = row["share_of_replications"]
            cells.append(
                {
                    "met": row["met"],
                    "verdict": target_rules.verdict(row["mean"], low, high, bool(row["met"])),
                    "mean": fmt.kpi_value(kpi, row["mean"]),
                    "margin": fmt.margin(kpi, row["mean"], low, high, bool(row["met"])),
                    "interval": fmt.kpi_interval(kpi, row["ci_low"], row["ci_high"]),
                    "share": "–" if share != share else f"{share:.0%}",
                }
            )
        rows.append(
            {
                "kpi": kpi,
                "label": catalogue.info(kpi).label,
                "target": fmt.bound(kpi, low, high),
                "cells": cells,
            }
        )
    return rows


def _people_rows(facts: ReportFacts) -> list[dict]:
    """Each named person, most deals won in the first design first (so the top and the
    bottom performers sit at either end), with their deals and value won in every design:
    `None` where the design does not have them."""
    frames = {v: f.set_index("person") for v, f in facts.people.items() if not f.empty}
    if not frames:
        return []
    names = list(dict.fromkeys(n for f in frames.values() for n in f.index))
    first = frames.get(facts.variants[0])
    if first is not None:
        names.sort(key=lambda n: -first["won"].get(n, -1.0))
    rows = []
    for name in names:
        cells = []
        for variant in facts.variants:
            frame = frames.get(variant)
            cells.append(
                _person_cell(frame.loc[name]) if frame is not None and name in frame.index else None
            )
        role = next(frames[v].loc[name, "role"] for v in frames if name in frames[v].index)
        rows.append({"person": one_line(name), "role": role, "cells": cells})
    return rows


def _holidays(holidays: str | list[str] | None) -> str:
    if not holidays:
        return "none"
    return f"those of {holidays}" if isinstance(holidays, str) else ", ".join(holidays)


def _person_cell(row: pd.Series) -> dict:
    low, high = fmt.number(row["won_low"], "count"), fmt.number(row["won_high"], "count")
    return {
        "won": fmt.number(row["won"], "count"),
        "interval": f"{low} – {high}",
        "value": fmt.number(row["won_value"], "money"),
        "utilization": fmt.number(row["utilization"], "share"),
        "attainment": None
        if pd.isna(row.get("attainment"))
        else fmt.number(row["attainment"], "share"),
    }


def _covers(kind: str, sources: list[str]) -> str:
    """Which sources a speed-to-lead figure covers, where there are several."""
    if kind != "speed_to_lead" or len(sources) < 2:
        return ""
    return (
        f" It covers the new leads of every source ({', '.join(sources)}) together; the "
        "scorecard gives each source's speed to lead under the team that answers it."
    )


def render(
    facts: ReportFacts, table: pd.DataFrame, verdicts: pd.DataFrame, data: drawing.FigureData
) -> str:
    """The report as one HTML string, from the comparison's tidy KPI table (one row per KPI
    and variant, with paired differences), its verdicts and the data of its figures."""
    pictures = []
    for kind in CAPTIONS:
        if (
            (kind == "people" and not drawing.people_roles(data))
            or (kind == "territory" and not drawing.territory_columns(data))
            or (kind == "attainment" and not drawing.quota_roles(data))
            or (kind == "payback" and not set(data.switches) - {facts.variants[0]})
            or (kind == "trade_off" and not set(drawing.TRADE_OFF) <= set(data.kpis))
        ):
            continue
        figure = drawing.draw(kind, data)
        png, width, height = _png(figure)
        pictures.append(
            {
                "png": png,
                "width": width,
                "height": height,
                "title": figure.axes[0].get_title(),
                "caption": CAPTIONS[kind] + _covers(kind, facts.sources),
                "kind": kind,
            }
        )
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            scenario=facts.scenario,
            description=facts.description,
            variants=facts.variants,
            replications=facts.replications,
            stopping=facts.stopping,
            horizon=format_duration(facts.horizon_hours),
            warmup=format_duration(facts.warmup_hours) if facts.warmup_hours else "no",
            start=facts.start,
            holidays=_holidays(facts.holidays),
            currency=facts.currency or "not given",
            seed=facts.seed,
            seeds=", ".join(str(s) for s in facts.seeds),
            version=facts.version,
            date=facts.date,
            headline=facts.headline,
            warning=facts.warning,
            outlook=facts.outlook,
            verdicts=_verdict_rows(facts, verdicts),
            scorecard=_kpi_groups(facts, table, _scorecard(facts), chosen=True),
            kpi_groups=_kpi_groups(facts, table, _by_measure(facts, table)),
            figures=[p for p in pictures if p["kind"] not in ("payback", "trade_off")],
            payback=next((p for p in pictures if p["kind"] == "payback"), None),
            trade_off=next((p for p in pictures if p["kind"] == "trade_off"), None),
            assumptions=facts.assumptions,
            transitions=facts.transitions,
            people=_people_rows(facts),
        )
    )


MARKS = {"met": "✅", "not sure": "⚠️", "missed": "❌"}
"""A target's verdict in a Markdown cell (`targets.verdict`)."""
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~!])")


def _plain_markdown(text: str) -> str:
    """Free text (a scenario's name) as plain words in Markdown: no HTML, links, headings or
    emphasis of its own, on one line. Names of stages, roles and designs are
    `[a-z0-9_]` by the scenario language, so only free text needs it."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def markdown(facts: ReportFacts, table: pd.DataFrame, verdicts: pd.DataFrame) -> str:
    """A short summary for a pull request or a chat message."""
    lines = [f"### {_plain_markdown(facts.scenario)}", "", facts.headline, ""]
    if facts.warning:
        lines += [f"**{facts.warning}**", ""]
    if facts.outlook:
        lines += [facts.outlook, ""]
    if facts.transitions:
        lines += [f"- {sentence}" for sentence in facts.transitions] + [""]
    if facts.targets:
        lines += [
            "| target | " + " | ".join(facts.variants) + " |",
            "|---|" + "---|" * len(facts.variants),
        ]
        for row in _verdict_rows(facts, verdicts):
            cells = [f"{MARKS[c['verdict']]} {c['mean']} ({c['margin']})" for c in row["cells"]]
            target = f"{row['label']} {row['target']} (`{row['kpi']}`)"
            lines.append(f"| {target} | " + " | ".join(cells) + " |")
        lines.append("")
    key = list(dict.fromkeys([*facts.targets, *catalogue.key_kpis()]))
    baseline = facts.variants[0]
    for variant in facts.variants[1:]:
        changes = []
        for kpi in key:
            match = table[(table.kpi == kpi) & (table.variant == variant)]
            if match.empty or match.iloc[0].get("diff") != match.iloc[0].get("diff"):
                continue
            row = match.iloc[0]
            judgement = fmt.judgement(row)
            if judgement == "faint":
                continue
            word = f" {judgement}" if judgement in ("better", "worse") else ""
            label = catalogue.info(kpi).label
            changes.append(f"{label} {fmt.kpi_difference(kpi, row['diff'])}{word}")
        summary = "; ".join(changes) if changes else "no significant change in the key KPIs"
        lines.append(f"- **{variant}** vs {baseline}: {summary}")
    if len(facts.variants) > 1:
        lines.append("")
    counted = facts.stopping or f"{facts.replications} replications per design"
    lines.append(f"_{counted}, root seed {facts.seed}; orgsim._")
    return "\n".join(lines) + "\n"
