"""`orgsim forecast`: the quarter's bookings from today's pipeline and tomorrow's leads."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from orgsim.cli.shell import (
    Json,
    Reps,
    ScenarioPath,
    Seed,
    Variant,
    Workers,
    _Command,
    app,
    check_outputs,
    check_size,
    check_variant,
    load_scenario,
    out,
    pool,
    reported_errors,
    say,
    writing,
)


@app.command(cls=_Command)
def forecast(
    scenario_file: ScenarioPath,
    horizon: Annotated[
        str | None,
        typer.Option(help="How far ahead (13w for a quarter; default: the scenario's horizon)."),
    ] = None,
    reps: Reps = None,
    seed: Seed = None,
    variant: Variant = None,
    plot: Annotated[
        Path | None, typer.Option(help="Draw the fan chart of value won into this PNG file.")
    ] = None,
    as_json: Json = False,
    workers: Workers = None,
) -> None:
    """Forecast bookings from today's open pipeline and the leads still to come.

    Starts from the market's book (today's open deals and customers) at the
    scenario's start, adds the sources' new leads, and works both through the
    org as it will be (its hires, departures and any switch) for the horizon,
    many times over. Prints deals won and value won with the 10th, 50th and
    90th percentiles (80% of outcomes fall between the first and the last),
    overall, per month, from the open pipeline against new leads, per segment
    and per owner.

    Example: [bold]orgsim forecast scenarios/reorg_transition.yaml --horizon 13w
    --plot fan.png[/bold]
    """
    from orgsim.experiment.forecast import forecast as run
    from orgsim.experiment.forecast import starting_today

    scenario = load_scenario(scenario_file)
    check_variant(scenario, variant, scenario_file)
    if plot is not None:
        check_outputs(files=[plot], inputs=scenario.source_files(), kinds={plot: "figure"})
    with reported_errors():
        today = starting_today(scenario, horizon)
    check_size(today, reps, [variant or next(iter(scenario.variants))], workers, False)
    with reported_errors(), pool(workers) as executor:
        found = run(scenario, horizon, reps, seed, variant, executor)
    if plot is not None:
        with writing():
            found.plot().savefig(plot, dpi=100)
        say(f"wrote {plot}")
    if as_json:
        print(json.dumps(found.to_json(), allow_nan=False))
        return
    from orgsim.report.terminal import forecast_table

    last = found.start + timedelta(weeks=found.horizon_weeks) - timedelta(days=1)
    title = (
        f"{scenario.name} — {found.variant}: bookings from {found.start} to {last} "
        f"({found.horizon_weeks:g} weeks), {found.replications} replications"
    )
    out.print(forecast_table(found.to_frame(), title, scenario.currency))
