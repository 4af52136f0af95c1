"""`orgsim capacity`, `orgsim plan` and `orgsim sweep`: how much work the org can take, the
least-cost headcount or hiring plan that meets the targets, and a grid of designs."""

from __future__ import annotations

import json
from contextlib import nullcontext
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from orgsim.cli.shell import (
    AllowLarge,
    AutoReps,
    Json,
    Reps,
    ScenarioPath,
    Seed,
    Variant,
    Workers,
    _Command,
    app,
    at_fixed_count,
    check_outputs,
    check_size,
    check_variant,
    load_scenario,
    out,
    pool,
    refuse,
    reported_errors,
    say,
    with_reps,
)
from orgsim.config.saturation import BUSY


@app.command("capacity", cls=_Command)
def capacity_command(
    scenario_file: ScenarioPath,
    variant: Variant = None,
    as_json: Json = False,
) -> None:
    """Bottleneck, utilization and headroom from queueing formulas: no simulation.

    Steady-state flows through the journey (loops included) give each stage's
    entries per week and each role's offered work against its scheduled hours.
    Waits and SLA attainment of pooled roles come from Erlang C, or from the
    exact weekly Markov chain under shifts and office-hours arrivals; where no
    method is within its measured budget (docs/capacity-accuracy.md) it says
    "no reliable estimate: simulate" and why. Confirm anything that matters
    with `orgsim run`.

    Example: [bold]orgsim capacity scenarios/reorg_sdr_split.yaml --variant
    process_stage[/bold]
    """
    from orgsim.analytic.capacity import capacity
    from orgsim.report import terminal

    scenario = load_scenario(scenario_file)
    check_variant(scenario, variant, scenario_file)
    result = capacity(scenario, variant)
    if as_json:
        print(json.dumps(result.to_json(), allow_nan=False))
        return
    for part in terminal.capacity_report(scenario.name, result, scenario.horizon_weeks):
        out.print(part)


Targets = Annotated[
    list[str] | None,
    typer.Option(
        help="A target such as 'won_per_week>=9' (repeatable; default: the scenario's targets)."
    ),
]
PlannedRoles = Annotated[
    list[str] | None,
    typer.Option(help="Plan only this role (repeatable); the others keep their headcount."),
]
MaxPlans = Annotated[
    int, typer.Option(min=1, help="Stop after simulating this many plans (it says so).")
]
UtilizationCap = Annotated[
    float,
    typer.Option(
        min=0.0,
        max=1.0,
        help="Every planned role stays at or below this utilization, a share (0.85 for "
        "85%), unless a target says otherwise; 1: no cap.",
    ),
]
Hires = Annotated[
    bool,
    typer.Option(
        "--hires",
        help="Plan when to hire how many instead of a headcount: today's team stays, "
        "hires join at the start of a plan quarter. Pairs with dated targets such as "
        "'quarter.4.won_per_week>=5.5'.",
    ),
]


@app.command("plan", cls=_Command)
def plan_command(
    scenario_file: ScenarioPath,
    target: Targets = None,
    variant: Variant = None,
    role: PlannedRoles = None,
    reps: AutoReps = None,
    seed: Seed = None,
    max_plans: MaxPlans = 400,
    utilization_cap: UtilizationCap = BUSY,
    hires: Hires = False,
    workers: Workers = None,
    allow_large: AllowLarge = False,
    as_json: Json = False,
) -> None:
    """The least-cost headcount per role that meets every target.

    Every candidate is simulated on common random numbers (a target is met when
    its 95% interval is on the right side), and every planned role must keep up
    (no backlog that surely grows while the role is busy or by a lead per rep a
    week, and no plan quarter whose work reaches its hours; a queue that rises a
    little with seasonal demand at a role with room to spare is not an overload)
    and stay under the utilization cap. A candidate is rejected as soon as one of
    its targets is surely missed (after 5 replications, then 10, ...). The search
    brackets and bisects each role, which finds the cheapest plan when more people
    never make a target worse. Costs come from each role's cost_per_year. Exit
    status 1 when no plan meets every target, with or without --json.

    With --hires it answers "how many do we hire, and when?": today's team stays
    (attrition and backfills included), new reps join at the start of a plan
    quarter and ramp, and the plan shows the hires per quarter and their cost
    over the horizon.

    Example: [bold]orgsim plan scenarios/headcount_plan.yaml --role sdr --role ae
    --target 'sla.mql.attainment>=0.95'[/bold]
    """
    from orgsim.config import targets as target_rules
    from orgsim.experiment.plan import plan as run_plan

    scenario = with_reps(load_scenario(scenario_file), reps, None, None, None)
    check_variant(scenario, variant, scenario_file)
    check_size(scenario, None, [variant or next(iter(scenario.variants))], workers, allow_large)
    with reported_errors(), pool(workers) as executor:
        targets = target_rules.from_text(target) if target else None
        result = run_plan(
            scenario,
            targets,
            variant,
            None,
            seed,
            executor=executor,
            max_plans=max_plans,
            roles=role or None,
            utilization_cap=utilization_cap if utilization_cap < 1 else None,
            hires=hires,
            allow_large=allow_large,
        )
    if as_json:
        print(json.dumps(result.to_json(), allow_nan=False))
    else:
        _show_plan(result, scenario, scenario.replications)
    if result.chosen is None:
        raise typer.Exit(1)


def _show_plan(result, scenario, replications: int) -> None:
    """The plan as the terminal shows it, with what stops a leader trusting it."""
    from orgsim.config import kpis as catalogue
    from orgsim.report import format as fmt
    from orgsim.report import terminal

    shown = result.chosen or result.closest
    for part in terminal.plan_report(
        f"{scenario.name} ({result.variant})",
        result.today,
        shown.headcount,
        shown.cost_per_year,
        shown.people,
        len(result.evaluated),
        shown.summary,
        [(o.in_words(), o.key()[0], o.people) for o in result.alternatives],
        missed=None if result.chosen else shown.missed,
        largest=_largest_tried(result),
        hires=result.hires_by_quarter(shown),
        hires_cost=shown.hires_cost,
        targets=result.targets,
        currency=scenario.currency,
        written=catalogue.written_rates(scenario.variant(result.variant).market),
    ):
        out.print(part)
    if shown.unplanned_behind:  # the same words as compare's warning
        behind = fmt.shortfalls({"this plan": shown.unplanned_behind})
        out.print(
            f"[bold red]Warning:[/bold red] {behind}; the plan does not change these roles "
            "(plan them too with --role).",
            highlight=False,
        )
    if result.stopped:
        out.print(f"[bold yellow]Note:[/bold yellow] {result.stopped}.", highlight=False)
    if replications < FEW:
        out.print(
            f"[bold yellow]Note:[/bold yellow] with {replications} replications the "
            "intervals are wide, and a plan may add people only to narrow them (more "
            "reps average out luck and skill); confirm it with --reps "
            f"{FEW} or more.",
            highlight=False,
        )


FEW = 10
"""Fewer replications than this make a plan's intervals, and so its answer, unreliable."""


def _largest_tried(result) -> str | None:
    """Why no headcount helps: the targets still missed by the largest plan tried."""
    from orgsim.report import format as fmt

    largest = result.largest
    if largest is None:
        return None
    parts = []
    for kpi in result.limits:
        if kpi in largest.summary.index:
            row = largest.summary.loc[kpi]
            interval = fmt.kpi_interval(kpi, row["ci_low"], row["ci_high"])
            target = result.targets[kpi]
            parts.append(f"{fmt.target(kpi, target.min, target.max)} wanted, {interval} reached")
        else:
            parts.append(kpi)
    return f"even with {largest.in_words()}: {'; '.join(parts)}"


class Backend(StrEnum):
    local = "local"
    dask = "dask"


Params = Annotated[
    list[str] | None,
    typer.Option(
        help="A swept parameter, PATH=V1,V2,... (repeatable: the grid is the cross "
        "product). Default: the scenario's sweep."
    ),
]
SweepWorkers = Annotated[
    int | None,
    typer.Option(min=1, help="Processes (default and most: the cores available)."),
]
DaskOrLocal = Annotated[Backend, typer.Option(help="local (process pool) or dask.")]
Scheduler = Annotated[
    str | None,
    typer.Option(
        help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster)."
    ),
]
SweepOut = Annotated[
    Path | None,
    typer.Option("--out", help="Write each grid point as it finishes, plus a manifest."),
]
Resume = Annotated[bool, typer.Option(help="Finish a sweep in --out: run only the missing points.")]
Rows = Annotated[
    bool,
    typer.Option("--json", help="Print every row as JSON records (sorted, byte-stable)."),
]
SweptVariant = Annotated[
    str | None,
    typer.Option(help="Sweep this variant only (default: every variant takes the grid)."),
]


@app.command("sweep", cls=_Command)
def sweep_command(
    scenario_file: ScenarioPath,
    param: Params = None,
    reps: Reps = None,
    seed: Seed = None,
    workers: SweepWorkers = None,
    allow_large: AllowLarge = False,
    backend: DaskOrLocal = Backend.local,
    scheduler: Scheduler = None,
    out_dir: SweepOut = None,
    resume: Resume = False,
    as_json: Rows = False,
    variant: SweptVariant = None,
) -> None:
    """Run a grid of designs (every point x variant x replication) on every core.

    Every point uses the same seeds, so the table is identical on one core, a
    process pool or a Dask cluster. With --out, finished points are written as
    they complete and --resume picks up after a crash.

    Example: [bold]orgsim sweep scenarios/headcount_plan.yaml --param
    org.roles.ae.headcount=8,10,12 --out results/ae[/bold]
    """
    from orgsim.config import kpis as catalogue
    from orgsim.experiment import sweep as sweeping
    from orgsim.experiment.grid import Grid, from_text
    from orgsim.experiment.runner import dask_executor
    from orgsim.report import terminal

    scenario = load_scenario(scenario_file)
    if resume and out_dir is None:
        refuse(["--resume needs --out DIR (the folder of the sweep to finish)"])
    check_variant(scenario, variant, scenario_file)
    check_outputs(folders=[out_dir], inputs=scenario.source_files())
    swept = [variant] if variant else list(scenario.variants)
    with reported_errors():
        grid = from_text(param) if param else Grid(dict(scenario.sweep))
    check_size(scenario, reps, swept, workers, allow_large, points=len(grid.points()))
    at_fixed_count(scenario, reps, "sweep")
    with reported_errors():
        if variant is not None:
            scenario = scenario.only(variant)
        dask = backend is Backend.dask
        with dask_executor(scheduler, workers) if dask else nullcontext() as executor:
            result = sweeping.sweep(
                scenario,
                grid,
                reps,
                seed,
                executor,
                out_dir,
                resume,
                workers=workers,
                allow_large=allow_large,
            )
    for notice in result.notices:
        say(notice)
    if as_json:
        print(result.to_json())
        return
    frame = result.to_frame()
    kpis = list(scenario.targets) or catalogue.key_kpis()
    kpis = [k for k in kpis if k in frame] or [frame.columns[-1]]
    title = f"{result.scenario_name}: sweep (mean ±95% half-interval)"
    summaries = {kpi: result.summary(kpi) for kpi in kpis}
    out.print(terminal.sweep_table(title, result.grid, summaries, dict(scenario.targets)))
