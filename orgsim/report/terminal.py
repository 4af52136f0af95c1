"""Tables for a terminal (rich): KPIs with intervals, comparisons, capacity, plans, sweeps."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text

from orgsim.config import kpis as catalogue
from orgsim.report import format as fmt


def kpi_table(title: str, summary, show_all: bool = False) -> Table:
    """A rich table of KPIs with 95% intervals, grouped: flow, speed, capacity, money."""
    table = Table(title=title, title_justify="left", header_style="bold")
    table.add_column("KPI", no_wrap=True)
    table.add_column("mean", justify="right", no_wrap=True)
    table.add_column("95% interval", justify="right", no_wrap=True)
    for group in catalogue.GROUPS:
        rows = summary[summary["group"] == group]
        rows = rows.loc[[n for n in rows.index if show_all or catalogue.is_headline(n)]]
        if rows.empty:
            continue
        table.add_section()
        table.add_row(f"[bold]{group}[/bold]", "", "")
        for name, row in rows.iterrows():
            table.add_row(
                f"  {name}",
                fmt.kpi_value(name, row["mean"]),
                fmt.kpi_interval(name, row["ci_low"], row["ci_high"]),
            )
    return table


def comparison_table(comparison, show_all: bool = False) -> Table:
    """KPIs of every variant with intervals, and paired differences coloured by direction."""
    table = Table(
        title=f"{comparison.scenario_name}: {comparison.replications} replications "
        f"per design, root seed {comparison.seed} (mean ±95% half-interval)",
        title_justify="left",
        header_style="bold",
    )
    table.add_column("KPI", no_wrap=True)
    baseline = comparison.baseline
    for variant in comparison.variants:
        table.add_column(variant, justify="right", no_wrap=True)
        if variant != baseline:
            table.add_column(f"vs {baseline}", justify="right", no_wrap=True)
    tidy = comparison.to_frame().set_index(["kpi", "variant"])
    for group in catalogue.GROUPS:
        names = [
            k
            for k in comparison.kpi_names()
            if catalogue.group(k) == group and (show_all or catalogue.is_headline(k))
        ]
        if not names:
            continue
        table.add_section()
        table.add_row(f"[bold]{group}[/bold]")
        for kpi in names:
            cells = [f"  {kpi}"]
            for variant in comparison.variants:
                if (kpi, variant) not in tidy.index:
                    cells += ["–"] if variant == baseline else ["–", ""]
                    continue
                row = tidy.loc[(kpi, variant)]
                cells.append(fmt.kpi_plus_minus(kpi, row["mean"], row["ci_low"], row["ci_high"]))
                if variant != baseline:
                    cells.append(_difference_cell(kpi, row))
            table.add_row(*cells)
    return table


def _difference_cell(kpi: str, row) -> str:
    if row.get("diff") != row.get("diff"):
        return "–"
    text = fmt.kpi_plus_minus(kpi, row["diff"], row["diff_low"], row["diff_high"], signed=True)
    if not row["significant"]:
        return f"[dim]{text}[/dim]"
    better = row.get("better")
    style = (
        "bold" if better is None or better != better else ("bold green" if better else "bold red")
    )
    return f"[{style}]{text}[/{style}]"


def capacity_report(name: str, result) -> list:
    """The capacity of one design: roles, flows, bottleneck, headroom and notes."""
    parts = []
    roles = Table(
        title=f"{name} — {result.variant}: capacity by role",
        title_justify="left",
        header_style="bold",
    )
    for column in (
        "role",
        "people",
        "utilization",
        "offered h/week",
        "available h/week",
        "wait",
        "how the wait is estimated",
    ):
        roles.add_column(
            column, justify="left" if column in ("role", "how the wait is estimated") else "right"
        )
    for role, load in result.roles.items():
        style = "bold red" if load.utilization >= 1 else "yellow" if load.utilization > 0.85 else ""
        roles.add_row(
            role,
            str(load.headcount),
            f"[{style}]{fmt.number(load.utilization, 'share')}[/{style}]"
            if style
            else fmt.number(load.utilization, "share"),
            fmt.number(load.offered_hours_per_week, "count"),
            fmt.number(load.available_hours_per_week, "count"),
            fmt.number(load.wait_mean, "hours"),
            load.method.replace("_", " "),
        )
    parts.append(roles)
    stages = Table(title="flow by stage (steady state)", title_justify="left", header_style="bold")
    for column in ("stage", "entries/week", "wait to first touch", "SLA attainment"):
        stages.add_column(column, justify="left" if column == "stage" else "right")
    for stage, flow in result.stages.items():
        stages.add_row(
            stage,
            fmt.number(flow.entries_per_week, "per_week"),
            fmt.number(flow.wait_mean, "hours") if flow.wait_mean is not None else "",
            fmt.number(flow.sla_attainment, "share") if flow.sla_attainment is not None else "",
        )
    parts.append(stages)
    parts.append(
        Text.from_markup(
            f"bottleneck: [bold]{result.bottleneck}[/bold]; the org sustains about "
            f"{fmt.number(result.max_leads_per_week, 'count')} leads/week before it saturates "
            f"(today {fmt.number(result.leads_per_week, 'count')}: headroom "
            f"{fmt.number(result.headroom, 'share')})"
        )
    )
    for note in result.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    return parts


def plan_report(name: str, result) -> list:
    """The chosen headcount plan, its cost and KPIs, and the runners-up."""
    chosen = result.chosen
    parts = []
    parts.append(
        Text.from_markup(f"[bold]{name}[/bold]: the cheapest plan that meets every target")
    )
    table = Table(header_style="bold")
    for column in ("team", "analytic start", "plan"):
        table.add_column(column, justify="left" if column == "team" else "right")
    for team, count in chosen.headcount.items():
        table.add_row(team, str(result.start[team]), f"[bold]{count}[/bold]")
    parts.append(table)
    parts.append(
        Text.from_markup(
            f"people cost per year: [bold]{fmt.number(chosen.cost_per_year, 'money')}"
            f"[/bold] ({chosen.people} people); {len(result.evaluated)} plans simulated"
        )
    )
    parts.append(kpi_table("KPIs of the plan", chosen.summary))
    if result.alternatives:
        runners = Table(title="runners-up (also meet every target)", title_justify="left")
        for column in ("plan", "cost per year", "people"):
            runners.add_column(column)
        for option in result.alternatives:
            runners.add_row(
                ", ".join(f"{k} {v}" for k, v in option.headcount.items()),
                fmt.number(option.cost_per_year, "money"),
                str(option.people),
            )
        parts.append(runners)
    return parts


def sweep_table(result, scenario) -> Table:
    """Grid points with the KPIs that matter most (the targets, or a few headline ones)."""
    kpis = list(scenario.targets) or ["won_per_week", "speed_to_lead_p50", "cost_per_won"]
    frame = result.to_frame()
    kpis = [k for k in kpis if k in frame]
    table = Table(
        title=f"{result.scenario_name}: sweep (mean ±95% half-interval)",
        title_justify="left",
        header_style="bold",
    )
    for path in result.grid:
        table.add_column(path.removeprefix("org.").removeprefix("market."), justify="right")
    table.add_column("variant")
    for kpi in kpis:
        table.add_column(kpi, justify="right")
    if scenario.targets:
        table.add_column("meets targets")
    summaries = {kpi: result.summary(kpi) for kpi in kpis}
    first = summaries[kpis[0]] if kpis else result.summary(frame.columns[-1])
    for i in range(len(first)):
        row = [str(first.iloc[i][p]) for p in result.grid] + [str(first.iloc[i]["variant"])]
        met = True
        for kpi in kpis:
            cell = summaries[kpi].iloc[i]
            row.append(fmt.kpi_plus_minus(kpi, cell["mean"], cell["ci_low"], cell["ci_high"]))
            target = scenario.targets.get(kpi)
            if target is not None:
                met &= cell["n"] > 1 and target.met_by(cell["ci_low"], cell["ci_high"])
        if scenario.targets:
            row.append("[green]yes[/green]" if met else "[dim]no[/dim]")
        table.add_row(*row)
    return table
