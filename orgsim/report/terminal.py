"""Tables for a terminal (rich): KPIs with intervals, comparisons, capacity, plans, sweeps."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from orgsim.config import kpis as catalogue
from orgsim.config import saturation, scorecard
from orgsim.config import targets as target_rules
from orgsim.config.units import WEEK
from orgsim.report import format as fmt
from orgsim.text import printable

if TYPE_CHECKING:  # pandas costs `orgsim capacity` a third of its start
    import pandas as pd

    from orgsim.config.schema import Target


def user_text(text: str) -> str:
    """A user's text (a scenario's name, a variant's) as rich shows it: markup escaped, control
    and bidirectional characters visible."""
    return escape(printable(text))


def kpi_label(name: str, written: dict | None = None) -> Text:
    """A KPI as a leader reads it, its name dim after it: `Speed to lead, median ·
    speed_to_lead_p50` (the name is what targets and `--json` use); a conversion with the
    rate the market writes for it, from `written` (`kpis.written_rates`)."""
    return Text.assemble(f"  {fmt.label(name, written)} ", (f"· {name}", "dim"))


def sections_by_measure(names: Iterable[str], currency: str | None) -> list[tuple[str, list]]:
    """Flow, speed, capacity and money, the money heading naming the currency."""
    return [(fmt.group_label(g, currency), m) for g, m in catalogue.by_measure(names)]


def sections_by_team(
    names: Iterable[str],
    owned: dict,
    targets: Iterable[str],
    currency: str | None,
    every: bool = False,
) -> list[tuple[str, list]]:
    """A scorecard: each team's own KPIs (`scorecard.by_team`, every KPI with `every`);
    money in `currency`."""
    return [
        (fmt.team_label(team, currency), members)
        for team, members in scorecard.by_team(names, owned, keep=targets, every=every)
    ]


def _shown(names: Iterable[str], show_all: bool, shown: set) -> list[str]:
    return [n for n in names if show_all or n in shown or catalogue.info(n).headline]


def kpi_table(
    title: str,
    summary,
    show_all: bool = False,
    shown: Iterable[str] = (),
    currency: str | None = None,
    sections: list[tuple[str, list]] | None = None,
    written: dict | None = None,
) -> Table:
    """A rich table of KPIs with 95% intervals, in `sections` (heading, KPI names), by
    default grouped by measure. Headline KPIs only unless `show_all`, and the KPIs in
    `shown` (the targets) in any case; conversions with their `written` rates."""
    shown = set(shown)
    table = Table(title=user_text(title), title_justify="left", header_style="bold")
    # every column wraps at spaces, and folds a word only when the terminal is too narrow
    # for it: a label or `12.1 h – 14.0 h` takes two lines, and nothing is ever cut off
    table.add_column("KPI", overflow="fold")
    table.add_column("mean", justify="right", overflow="fold")
    table.add_column("95% interval", justify="right", overflow="fold")
    chosen = sections is not None  # a scorecard has chosen its KPIs already
    for heading, names in sections or sections_by_measure(summary.index, currency):
        rows = [n for n in names if n in summary.index]
        rows = rows if chosen else _shown(rows, show_all, shown)
        if not rows:
            continue
        table.add_section()
        table.add_row(Text(heading, "bold"), "", "")
        for name in rows:
            row = summary.loc[name]
            mean, interval = fmt.kpi_mean_interval(name, row["mean"], row["ci_low"], row["ci_high"])
            table.add_row(kpi_label(name, written), mean, interval)
    return table


def comparison_table(
    title: str,
    variants: list[str],
    frame: pd.DataFrame,
    show_all: bool = False,
    shown: Iterable[str] = (),
    currency: str | None = None,
    sections: list[tuple[str, list]] | None = None,
    written: dict | None = None,
) -> Table:
    """KPIs of every variant with intervals, and paired differences against the first variant
    coloured by direction, from a comparison's tidy frame (one row per KPI and variant), in
    `sections` (by default by measure): headline KPIs unless `show_all`, and the KPIs in
    `shown` (the targets) in any case."""
    shown = set(shown)
    table = Table(title=user_text(title), title_justify="left", header_style="bold")
    table.add_column("KPI", overflow="fold")  # wraps, never cut: see kpi_table
    baseline = variants[0]
    for variant in variants:
        table.add_column(variant, justify="right", overflow="fold")
        if variant != baseline:
            table.add_column(f"vs {baseline}", justify="right", overflow="fold")
    tidy = frame.set_index(["kpi", "variant"])
    present = list(dict.fromkeys(frame.kpi))
    chosen = sections is not None  # a scorecard has chosen its KPIs already
    for heading, names in sections or sections_by_measure(present, currency):
        rows = [n for n in names if n in set(present)]
        rows = rows if chosen else _shown(rows, show_all, shown)
        if not rows:
            continue
        table.add_section()
        table.add_row(Text(heading, "bold"))
        for kpi in rows:
            cells = [kpi_label(kpi, written)]
            for variant in variants:
                if (kpi, variant) not in tidy.index:
                    cells += ["–"] if variant == baseline else ["–", ""]
                    continue
                row = tidy.loc[(kpi, variant)]
                cells.append(fmt.kpi_plus_minus(kpi, row["mean"], row["ci_low"], row["ci_high"]))
                if variant != baseline:
                    cells.append(_difference_cell(kpi, row))
            table.add_row(*cells)
    return table


SPARKS = "▁▂▃▄▅▆▇█"
SPARK_WIDTH = 52
"""At most this many characters: a longer run's weeks are averaged in equal groups."""


def sparkline(values, top: float) -> str:
    """Values as a line of block characters, ▁ for 0 and █ for `top` (at most SPARK_WIDTH:
    neighbouring values are averaged)."""
    values = np.asarray(values, dtype=float)
    if len(values) > SPARK_WIDTH:
        values = np.array([part.mean() for part in np.array_split(values, SPARK_WIDTH)])
    steps = len(SPARKS) - 1
    levels = np.clip(np.round(values / max(top, 1e-9) * steps), 0, steps).astype(int)
    return "".join(SPARKS[i] for i in levels)


PERSON_COLUMNS = (
    ("deals won", "won", "count"),
    ("value won", "won_value", "money"),
    ("quota attainment", "attainment", "share"),
    ("utilization", "utilization", "share"),
    ("tasks", "tasks", "count"),
)


def person_table(people: pd.DataFrame, title: str) -> Table:
    """Each named person (`Results.people`), most deals won first: the mean over
    replications and its 95% interval, so a top and a bottom performer sit side by side."""
    table = Table(title=user_text(title), title_justify="left", header_style="bold")
    table.add_column("person")
    table.add_column("role")
    shown = [c for c in PERSON_COLUMNS if people[c[1]].notna().any()]  # attainment: quotas
    for label, _, _ in shown:
        table.add_column(f"{label} (95% interval)", justify="right")
    for _, row in people.sort_values("won", ascending=False, kind="stable").iterrows():
        cells = [
            f"{fmt.number(row[c], kind)} ({fmt.number(row[c + '_low'], kind)} – "
            f"{fmt.number(row[c + '_high'], kind)})"
            for _, c, kind in shown
        ]
        table.add_row(user_text(row["person"]), row["role"], *cells)
    return table


def people_tables(
    timeseries: pd.DataFrame, summary: pd.DataFrame, horizon: float, warmup: float
) -> list[Table]:
    """For each role whose people change or ramp: people on the payroll and ramped-rep
    equivalents by plan quarter beside new customers per week, then week by week as
    sparklines (means over replications; a role's two lines share one scale, so the gap
    between them shows). Quarters are whole plan quarters of the measured `horizon`; they
    are left out when the warm-up is not whole weeks (the weeks would straddle them)."""
    quarter_weeks = catalogue.QUARTER_WEEKS
    measured = timeseries[~timeseries["warmup"].astype(bool)]
    weekly = measured.groupby("week").mean(numeric_only=True)
    whole_weeks = abs(warmup / WEEK - round(warmup / WEEK)) < 1e-9
    quarter = (weekly.index - weekly.index[0]) // quarter_weeks
    roles = [c.removeprefix("headcount.") for c in weekly if c.startswith("headcount.")]
    columns = [(f"{role} {what}", f"{key}.{role}") for role in roles for what, key in PEOPLE]
    by_quarter = Table(
        title=f"People by plan quarter ({quarter_weeks} weeks each, counted after warm-up; "
        "means over replications)",
        title_justify="left",
        header_style="bold",
    )
    by_quarter.add_column("quarter")
    for label, _ in columns:
        by_quarter.add_column(label, justify="right")
    by_quarter.add_column("won per week", justify="right")
    for q in range(1, catalogue.quarters(horizon) + 1 if whole_weeks else 1):
        rows = weekly[quarter == q - 1]
        won = catalogue.quarter_kpi(q, "won_per_week")
        by_quarter.add_row(
            f"Q{q}",
            *[fmt.number(rows[column].mean(), "count") for _, column in columns],
            fmt.kpi_plus_minus(won, *summary.loc[won, ["mean", "ci_low", "ci_high"]])
            if won in summary.index
            else fmt.number(rows["won"].mean(), "per_week"),
        )
    by_week = Table(
        title="Week by week (▁ is none, █ the most in the measured weeks)",
        title_justify="left",
        show_header=False,
    )
    by_week.add_column("", no_wrap=True)
    by_week.add_column("", no_wrap=True)
    for role in roles:
        top = weekly[f"headcount.{role}"].max()
        for label, key in PEOPLE:
            by_week.add_row(f"{role} {label}", sparkline(weekly[f"{key}.{role}"], top))
    by_week.add_row("won per week", sparkline(weekly["won"], weekly["won"].max()))
    tables = [by_quarter] if by_quarter.row_count else []
    return [*tables, by_week]


PEOPLE = (("on the payroll", "headcount"), ("ramped", "ramped"))
"""The weekly people columns of a role: a label and the column's prefix."""


STYLES = {"faint": "dim", "neutral": "bold", "better": "bold green", "worse": "bold red"}


def _difference_cell(kpi: str, row) -> str:
    if row.get("diff") != row.get("diff"):
        return "–"
    text = fmt.kpi_plus_minus(kpi, row["diff"], row["diff_low"], row["diff_high"], signed=True)
    style = STYLES[fmt.judgement(row)]
    return f"[{style}]{text}[/{style}]"


def capacity_report(name: str, result, horizon_weeks: float) -> list:
    """The capacity of one design: each role's load quarter by quarter over the horizon and
    in the long run, flows, bottleneck, headroom and notes."""
    parts = [_capacity_roles(name, result, horizon_weeks)]
    parts.append(Text.from_markup(over_horizon(result)))
    parts += _capacity_stages(result)
    parts.append(
        Text.from_markup(
            f"in the long run (steady state, every loop filled): bottleneck "
            f"[bold]{result.bottleneck}[/bold]; the org sustains about "
            f"{fmt.number(result.max_leads_per_week, 'count')} leads/week before it saturates "
            f"(today {fmt.number(result.leads_per_week, 'count')}: headroom "
            f"{fmt.number(result.headroom, 'share')})"
        )
    )
    if result.peak_month is not None:
        parts.append(_seasonal_peak(result))
    for note in result.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    return parts


def _capacity_roles(name: str, result, horizon_weeks: float) -> Table:
    """Each role's people, load by quarter and in the long run, and its wait."""
    roles = Table(
        title=user_text(f"{name} — {result.variant}: capacity by role over the ")
        + f"{horizon_weeks:g}-week horizon",
        title_justify="left",
        header_style="bold",
    )
    columns = [
        "role",
        "people",
        _quarters_heading([result]),
        "reaches its hours",
        "long-run load",
        "wait",
        "how the wait is estimated",
    ]
    for column in columns:
        left = column in ("role", "how the wait is estimated") or column.startswith("load")
        roles.add_column(column, justify="left" if left else "right")
    for role, load in result.roles.items():
        week = load.reaches_hours_week
        roles.add_row(
            role,
            str(load.headcount),
            " ".join(_load_text(q) for q in load.load_by_quarter),
            f"week {week}" if week is not None else "not in 10 years",
            _load_text(load.utilization),
            fmt.number(load.wait_mean, "hours"),
            load.method.replace("_", " "),
        )
        for pod, share in load.pods.items():  # pods do not lend reps: each keeps up alone
            people, quarters, long_run = _load_cells(share)
            roles.add_row(f"  in {pod}", people, quarters, "", long_run, "", "")
    return roles


def _quarters_heading(results) -> str:
    """`load in quarters 1-4`, or `load over the horizon` for one shorter than two."""
    quarters = max(
        (len(load.load_by_quarter) for result in results for load in result.roles.values()),
        default=0,
    )
    return f"load in quarters 1-{quarters}" if quarters > 1 else "load over the horizon"


def _load_cells(load) -> list[str]:
    """A role's (or a pod's) people, load by quarter and long-run load."""
    quarters = " ".join(_load_text(q) for q in load.load_by_quarter) or "–"
    return [str(load.headcount), quarters, _load_text(load.utilization)]


def capacity_side_by_side(designs: dict[str, Any]) -> Table:
    """Each role's people and load in several designs (name -> capacity), side by side:
    quarter by quarter over the horizon, and in the long run. What the workshop page shows
    first."""
    table = Table(
        title="people and load by role, quarter by quarter and in the long run",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("role")
    for name in designs:
        for column in ("people", _quarters_heading(designs.values()), "long run"):
            table.add_column(f"{name}\n{column}", justify="right")
    roles = dict.fromkeys(role for result in designs.values() for role in result.roles)
    for role in roles:
        loads = [result.roles.get(role) for result in designs.values()]
        table.add_row(role, *_cells_of(loads))
        for pod in dict.fromkeys(p for load in loads if load for p in load.pods):
            pods = [load.pods.get(pod) if load else None for load in loads]
            table.add_row(f"  in {pod}", *_cells_of(pods))  # pods lend no reps: each alone
    return table


def _cells_of(loads: list) -> list[str]:
    """Each design's cells of one row, dashes where a design has no such role or pod."""
    return [cell for load in loads for cell in (_load_cells(load) if load else ["–"] * 3)]


def _capacity_stages(result) -> list:
    """Each stage's entries, wait and SLA attainment in steady state; a column no stage has
    an estimate for is left out, and a line says so (the roles' table says why)."""
    measures = [
        ("wait to first touch", "wait_mean", "hours"),
        ("SLA attainment", "sla_attainment", "share"),
    ]
    flows = result.stages.values()
    shown = [m for m in measures if any(getattr(f, m[1]) is not None for f in flows)]
    stages = Table(title="flow by stage (steady state)", title_justify="left", header_style="bold")
    for column in ("stage", "entries/week", *(m[0] for m in shown)):
        stages.add_column(column, justify="left" if column == "stage" else "right")
    for stage, flow in result.stages.items():
        cells = [getattr(flow, attribute) for _, attribute, _ in shown]
        stages.add_row(
            stage,
            fmt.number(flow.entries_per_week, "per_week"),
            *(
                "" if value is None else fmt.number(value, unit)
                for value, (_, _, unit) in zip(cells, shown, strict=True)
            ),
        )
    left_out = [m[0] for m in measures if m not in shown]
    if not left_out:
        return [stages]
    said = Text(
        f"{' and '.join(left_out)}: no stage has an estimate within the measured budget "
        "(the roles' table says why): simulate"
    )
    return [stages, said]


def _seasonal_peak(result) -> Text:
    """The peak month of a seasonal market, and the first month some role saturates."""
    peak = result.peak_month
    loads = ", ".join(f"{r} {fmt.number(u, 'share')}" for r, u in peak.utilization.items())
    rise = peak.leads_per_week / result.leads_per_week - 1 if result.leads_per_week else 0
    saturated = result.first_saturated
    where = (
        f"; from {saturated.month} some role's work reaches its hours "
        f"({', '.join(r for r, u in saturated.utilization.items() if u >= 1)})"
        if saturated is not None
        else "; no role's work reaches its hours in any month"
    )
    ties = [m.month for m in result.months if m.leads_per_week == peak.leads_per_week]
    also = f" (also {', '.join(ties[1:])})" if len(ties) > 1 else ""
    return Text.from_markup(
        f"in the long run, seasonality: the peak month is [bold]{peak.month}[/bold]{also} "
        f"({fmt.number(peak.leads_per_week, 'count')} leads/week, "
        f"{rise:+.0%} on the year's average): {loads}{where}"
    )


def _load_text(load: float) -> str:
    """A load as a whole percentage, red at or above the hours, yellow above BUSY."""
    text = f"{load:.0%}" if math.isfinite(load) else "no one to do it"
    style = "bold red" if load >= 1 else "yellow" if saturation.over(load) else ""
    return f"[{style}]{text}[/{style}]" if style else text


def over_horizon(result) -> str:
    """The horizon's verdict in one line: who does not keep up, or the fullest role and
    how far the sources' leads could grow before it runs out of hours."""
    behind = {
        r + (f" in {load.fullest_pod}" if load.fullest_pod else ""): load.fullest_quarter
        for r, load in result.roles.items()
        if load.fullest_quarter
    }
    if behind:
        worst = [
            f"[bold]{r}[/bold] (quarter {q} "
            + (
                "with nobody at work)"
                if math.isinf(top)
                else f"at {fmt.number(top, 'share')} of its hours)"
            )
            for r, (top, q) in behind.items()
        ]
        verb = "does" if len(worst) == 1 else "do"
        return f"over the horizon: {', '.join(worst)} {verb} not keep up"
    role = result.horizon_bottleneck
    if role is None or math.isinf(result.horizon_headroom):
        return "over the horizon: every role keeps up"
    top, quarter, pod = result.roles[role].fullest()
    where = f" in {pod}" if pod else ""
    return (
        f"over the horizon: every role keeps up; the fullest is [bold]{role}[/bold]{where} "
        f"(quarter {quarter} at {fmt.number(top, 'share')} of its hours): the "
        f"sources' leads could grow about {fmt.number(result.horizon_headroom, 'share')} before "
        "it runs out"
    )


def plan_report(
    title: str,
    today: dict[str, int],
    plan: dict[str, int],
    cost_per_year: float,
    people: int,
    evaluated: int,
    summary: pd.DataFrame,
    runners_up: list[tuple[str, float, int]],
    missed: list[str] | None = None,
    largest: str | None = None,
    hires: pd.DataFrame | None = None,
    hires_cost: float | None = None,
    targets: Mapping[str, Target] | None = None,
    currency: str | None = None,
    written: dict | None = None,
) -> list:
    """A headcount plan against today's, its cost and KPIs, and the runners-up as (plan in
    words, cost, people). With `missed`, no plan met every target: this is the closest, and
    `largest` says what still missed at the largest plan tried. Planning hires, `hires` is
    the plan's hires by plan quarter (a row per line) and `hires_cost` their cost over the
    horizon; the runners-up's cost is then theirs too."""
    parts = _plan_heading(title, missed, largest, targets or {})
    parts.append(_plan_table(today, plan, hires))
    parts += _plan_cost(hires, hires_cost, cost_per_year, people, evaluated)
    parts.append(
        kpi_table(
            f"KPIs of the plan ({summary['n'].max():.0f} replications)",
            summary,
            shown=targets or (),
            currency=currency,
            written=written,
        )
    )
    if runners_up:
        parts.append(_runners_up(runners_up, hiring=hires is not None))
    return parts


def _plan_heading(title: str, missed, largest: str | None, targets) -> list:
    """What the plan is: the cheapest that meets every target, or the closest miss and why."""
    if missed is None:
        return [
            Text.from_markup(
                f"[bold]{user_text(title)}[/bold]: the cheapest plan that meets every target"
            )
        ]
    missing = f"[bold red]{user_text(title)}: no plan meets every target.[/bold red]"
    parts = [Text.from_markup(missing)]
    if largest:
        parts.append(
            Text(
                f"More people do not fix it, {largest}: the market or the journey limits "
                "these targets, or their intervals are too wide to judge (try more "
                "replications)."
            )
        )
    words = [fmt.target(m, targets[m].min, targets[m].max) if m in targets else m for m in missed]
    parts.append(
        Text(f"The closest plan, shown below, does not surely reach {fmt.listing(words)}.")
    )
    return parts


def _plan_table(today: dict[str, int], plan: dict[str, int], hires) -> Table:
    """Each line's headcount today and in the plan (and when its hires join)."""
    table = Table(header_style="bold")
    quarters = [] if hires is None else list(hires.columns)
    for column in ("role", "today", *[f"hire in {q}" for q in quarters], "plan", "change"):
        table.add_column(column, justify="left" if column == "role" else "right")
    for name, count in plan.items():
        joining = [str(hires.loc[name, q]) if hires.loc[name, q] else "" for q in quarters]
        change = count - today[name]
        moved = f"{change:+d}".replace("-", "−") if change else "0"
        table.add_row(name, str(today[name]), *joining, f"[bold]{count}[/bold]", moved)
    return table


def _plan_cost(hires, hires_cost, cost_per_year: float, people: int, evaluated: int) -> list:
    """What the plan costs: per year, or (planning hires) the hires over the horizon."""
    if hires is None:
        return [
            Text.from_markup(
                f"people cost per year: [bold]{fmt.number(cost_per_year, 'money')}"
                f"[/bold] ({people} people); {evaluated} plans simulated"
            )
        ]
    return [
        Text(
            "Hires join at the start of a quarter (week 0, 13, 26, ... after warm-up, as "
            "`at` counts) and ramp; today's team keeps its attrition and backfills."
        ),
        Text.from_markup(
            f"cost of the hires over the horizon: [bold]{fmt.number(hires_cost, 'money')}"
            f"[/bold]; people cost per year once all have joined: "
            f"{fmt.number(cost_per_year, 'money')} ({people} people); "
            f"{evaluated} plans simulated"
        ),
    ]


def _runners_up(runners_up: list[tuple[str, float, int]], hiring: bool) -> Table:
    runners = Table(title="runners-up (also meet every target)", title_justify="left")
    cost = "cost of the hires" if hiring else "cost per year"
    for column in ("plan", cost, "people"):
        runners.add_column(column)
    for words, money, count in runners_up:
        runners.add_row(words, fmt.number(money, "money"), str(count))
    return runners


def sweep_table(
    title: str, grid: dict[str, list], summaries: dict[str, pd.DataFrame], targets: dict
) -> Table:
    """Grid points with the KPIs that matter most: one summary frame per KPI (a row per grid
    point and variant, with mean, interval and n), and whether each point meets `targets`."""
    table = Table(title=user_text(title), title_justify="left", header_style="bold")
    for path in grid:
        table.add_column(path.removeprefix("org.").removeprefix("market."), justify="right")
    table.add_column("variant")
    for kpi in summaries:
        header = Text.assemble(catalogue.info(kpi).label, "\n", (kpi, "dim"))
        table.add_column(header, justify="right")
    if targets:
        table.add_column("meets targets")
    first = next(iter(summaries.values()))
    for i in range(len(first)):
        row = [user_text(str(first.iloc[i][p])) for p in grid] + [str(first.iloc[i]["variant"])]
        met = True
        for kpi, summary in summaries.items():
            cell = summary.iloc[i]
            row.append(fmt.kpi_plus_minus(kpi, cell["mean"], cell["ci_low"], cell["ci_high"]))
            if kpi in targets:
                met &= target_rules.met(targets[kpi], cell["ci_low"], cell["ci_high"], cell["n"])
        if targets:
            row.append("[green]yes[/green]" if met else "[dim]no[/dim]")
        table.add_row(*row)
    return table


def _estimate_kind(name: str) -> str:
    """How a calibrated number reads: a rate per week, a share, a duration or money."""
    if name.endswith(".rate"):
        return "per_week"
    if ".buyer_delay." in name:
        return "hours"
    if name.endswith(".deal_value.cv"):
        return "cv"
    if ".deal_value." in name:
        return "money"
    return "share"


def estimate_cells(row) -> tuple[str, str, str, str]:
    """A calibrated number as a planner reads it: what it sets, its value, its 95% interval
    and the count it rests on."""
    kind = _estimate_kind(row["name"])
    shown = [
        f"{row[c]:.2f}" if kind == "cv" else fmt.number(row[c], kind)
        for c in ("value", "ci_low", "ci_high")
    ]
    return row["name"], shown[0], f"{shown[1]} – {shown[2]}", f"{row['n']:,}"


def spreads_in_words(spread: dict[str, float]) -> str:
    """Each stage's skill spread beyond chance: `prospecting 0.14, negotiation none seen`."""
    return (
        ", ".join(
            f"{stage} {value:.2f}" if value > 0 else f"{stage} none seen"
            for stage, value in spread.items()
        )
        or "no stage"
    )


def calibration_table(
    estimates: pd.DataFrame, people: pd.DataFrame, spread: dict[str, float]
) -> list:
    """What calibration estimated, each with its 95% interval and the count it rests on,
    then each owner's skill as the data shows it and as written (shrunk towards the team)."""
    table = Table(title="Calibrated from your history", title_justify="left", header_style="bold")
    for column, justify in (
        ("sets", "left"),
        ("value", "right"),
        ("95% interval", "right"),
        ("n", "right"),
    ):
        table.add_column(column, justify=justify, overflow="fold")
    for _, row in estimates.iterrows():
        name, *cells = estimate_cells(row)
        table.add_row(user_text(name), *cells)
    if people.empty:
        return [table]
    spreads = spreads_in_words(spread)
    team = Table(
        title=f"Skill by owner and stage (1 = the team; true spread about {spreads})",
        title_justify="left",
        header_style="bold",
    )
    for column in (
        "owner",
        "stage",
        "as seen",
        "written",
        "95% interval",
        "decided visits",
        "reading",
    ):
        team.add_column(column, justify="right" if column[0] in "aw9d" else "left")
    funnel = {stage: i for i, stage in enumerate(spread)}  # the journey's order
    ordered = people.assign(_at=people["stage"].map(funnel))
    ordered = ordered.sort_values(["_at", "skill"], ascending=[True, False], kind="stable")
    for _, s in ordered.iterrows():
        kept = (s["skill"] - 1) / (s["raw"] - 1) if abs(s["raw"] - 1) > 1e-9 else 1.0
        reading = "mostly noise" if kept < 0.5 else "mostly real" if kept > 0.8 else "part noise"
        band = f"{max(s['low'], 0):.2f} – {s['high']:.2f}"
        if not s["told_apart"]:  # the stage shows no spread beyond chance
            reading = "too few decided visits to tell from the team"
        team.add_row(
            user_text(s["owner"]) + (" (left)" if s.get("left", False) else ""),
            s["stage"],
            f"{s['raw']:.2f}",
            f"{s['skill']:.2f}",
            band,
            f"{s['visits']:,}",
            reading,
        )
    return [table, team]


def backtest_table(months: pd.DataFrame, pipeline: pd.DataFrame) -> list:
    """A backtest month by month: for each metric the history's value, the simulation's mean
    and 95% band, and whether the month lies inside; then the pipeline at the snapshot."""
    kinds = {"created": "count", "won": "count", "won_value": "money"}
    table = Table(title="Your history against the model", title_justify="left", header_style="bold")
    table.add_column("month")
    for metric in kinds:
        table.add_column(f"{metric}: yours / model (95% band)", justify="right")
    for month, rows in months.groupby("month", sort=True):
        cells = []
        for metric, kind in kinds.items():
            row = rows[rows["metric"] == metric].iloc[0]
            mark = "" if row["inside"] else " [bold red]outside[/]"
            shown = [_count(row[c], kind) for c in ("actual", "mean", "low", "high")]
            cells.append(f"{shown[0]} / {shown[1]} ({shown[2]} – {shown[3]}){mark}")
        table.add_row(month, *cells)
    stages = Table(
        title="Open at the snapshot, by stage", title_justify="left", header_style="bold"
    )
    for column in ("stage", "yours", "model", "95% band", ""):
        stages.add_column(column, justify="left" if column == "stage" else "right")
    for _, row in pipeline.iterrows():
        stages.add_row(
            user_text(row["stage"]),
            _count(row["actual"], "count"),
            _count(row["mean"], "count"),
            f"{_count(row['low'], 'count')} – {_count(row['high'], 'count')}",
            "" if row["inside"] else "[bold red]outside[/]",
        )
    return [table, stages]


def _count(value: float, kind: str) -> str:
    if kind == "money":
        return fmt.number(value, "money")
    return f"{value:,.0f}" if float(value).is_integer() or abs(value) >= 100 else f"{value:,.1f}"


def forecast_table(frame: pd.DataFrame, title: str, currency: str | None = None) -> Table:
    """A forecast: deals won and value won, each its average and the range 8 outcomes in 10
    fall in (10th to 90th percentile), overall, then by month, origin, segment and owner."""
    table = Table(title=user_text(title), title_justify="left", header_style="bold")
    table.add_column("")
    money = f" ({currency})" if currency else ""
    for column in (
        "deals won: average (8 in 10 between)",
        f"value won{money}: average (8 in 10 between)",
    ):
        table.add_column(column, justify="right")
    headings = {
        "overall": "overall",
        "month": "by month",
        "origin": "from",
        "segment": "by segment",
        "owner": "by owner",
    }
    for scope, rows in frame.groupby("scope", sort=False):
        table.add_section()
        for key, pair in rows.groupby("key", sort=False):
            cells = []
            for metric, kind in (("won", "count"), ("won_value", "money")):
                r = pair[pair["metric"] == metric].iloc[0]
                shown = [_count(r[c], kind) for c in ("mean", "p10", "p90")]
                cells.append(f"{shown[0]} ({shown[1]} – {shown[2]})")
            label = headings[scope] if scope == "overall" else f"{headings[scope]}: {key}"
            part = pair["part"].iloc[0] if "part" in pair else ""
            table.add_row(user_text(label + (f" ({part})" if part else "")), *cells)
    return table


def score_table(summary: pd.DataFrame, title: str, words: dict[str, str]) -> Table:
    """Forecasting methods, most accurate first: what each is, its bias and MAPE with their
    95% intervals, and how often its 10-90 band held the quarter's bookings."""
    table = Table(title=user_text(title), title_justify="left", header_style="bold")
    for column in ("method", "how it forecasts", "bias (95% interval)", "on the total",
                   "MAPE (95% interval)", "band held"):  # fmt: skip
        table.add_column(column, justify="left" if column != "band held" else "right")

    def share(row, name: str) -> str:
        low, high = row[f"{name}_low"], row[f"{name}_high"]
        sign = "" if name == "mape" else "+"
        shown = f"{row[name]:{sign}.1%}"
        return shown if math.isnan(low) else f"{shown} ({low:{sign}.1%} to {high:{sign}.1%})"

    for _, row in summary.iterrows():
        held = "—" if math.isnan(row["coverage"]) else f"{row['coverage']:.0%}"
        table.add_row(
            row["method"],
            words[row["method"]],
            share(row, "bias"),
            share(row, "total_bias"),
            share(row, "mape"),
            held,
        )
    return table
