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
    at_fixed_count,
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
from orgsim.config.errors import ConfigError

Horizon = Annotated[
    str | None,
    typer.Option(
        help="How far ahead (13w for a quarter; default: the scenario's horizon, and 13w "
        "with --score)."
    ),
]
FanPlot = Annotated[
    Path | None,
    typer.Option(help="Draw the fan chart (with --score: the methods' scores) into this PNG."),
]
Against = Annotated[
    str | None,
    typer.Option(
        help="Also forecast this variant with the same luck and print the difference "
        "(what losing a deal or a late hire costs), with its 95% interval."
    ),
]
Score = Annotated[
    bool,
    typer.Option(
        "--score",
        help="Instead of forecasting, score four forecasting methods over many simulated "
        "quarters: weighted pipeline, commit, run rate and this simulation.",
    ),
]
Quarters = Annotated[
    int | None,
    typer.Option(help="With --score: quarters scored in each replication, 1-200 (default 4)."),
]
ForecastReps = Annotated[
    int | None,
    typer.Option(
        help="With --score: replications behind each quarter's simulation, 10-1000 (default 20)."
    ),
]


@app.command(cls=_Command)
def forecast(
    scenario_file: ScenarioPath,
    horizon: Horizon = None,
    reps: Reps = None,
    seed: Seed = None,
    variant: Variant = None,
    plot: FanPlot = None,
    as_json: Json = False,
    workers: Workers = None,
    against: Against = None,
    score: Score = False,
    quarters: Quarters = None,
    forecast_reps: ForecastReps = None,
) -> None:
    """Forecast bookings from today's open pipeline and the leads still to come.

    Starts from the market's book (today's open deals and customers) at the
    scenario's start, adds the sources' new leads, and works both through the
    org as it will be (its hires, departures and any switch) for the horizon,
    many times over. Prints deals won and value won, each its average and the
    range 8 outcomes in 10 fall in (the 10th to the 90th percentile; --json
    adds the 50th), overall, per month, from the open pipeline against new
    leads, per segment and per owner. With --against another variant, also the
    difference, replication by replication, with its 95% interval.

    With --score (a horizon of whole weeks; not with --against), plays the
    scenario quarter after quarter (--reps runs of --quarters quarters each,
    after its warm-up) and at each quarter's start
    forecasts it four ways, then scores each against what the quarter booked:
    bias and MAPE (mean absolute percentage error) of value won, with 95%
    intervals, and how often the simulation's 10-90 band held the outcome.
    Reps' commit calls are scaled by `roles.<role>.forecast_bias` (0.8:
    sandbagging).

    Example: [bold]orgsim forecast scenarios/reorg_transition.yaml --horizon 13w
    --plot fan.png[/bold]

    Example: [bold]orgsim forecast scenarios/reorg_sdr_split.yaml --score
    --variant process_stage[/bold]
    """
    from orgsim.experiment.forecast import forecast as run
    from orgsim.experiment.forecast import starting_today

    scenario = load_scenario(scenario_file)
    check_variant(scenario, variant, scenario_file)
    if plot is not None:
        check_outputs(files=[plot], inputs=scenario.source_files(), kinds={plot: "figure"})
    _check_options(score, against, quarters, forecast_reps)
    at_fixed_count(scenario, reps, "forecast")
    if score:
        _score(scenario, horizon, quarters or 4, forecast_reps or 20, reps, seed, variant, plot,
               as_json, workers)  # fmt: skip
        return
    with reported_errors():
        today = starting_today(scenario, horizon)
    check_size(today, reps, [variant or next(iter(scenario.variants))], workers, False)
    if against is not None:
        check_variant(scenario, against, scenario_file, "--against")
    with reported_errors(), pool(workers) as executor:
        found = run(scenario, horizon, reps, seed, variant, executor)
        baseline = None if against is None else run(scenario, horizon, reps, seed, against,
                                                    executor)  # fmt: skip
    _show(scenario, found, None if baseline is None else found.against(baseline), against,
          plot, as_json)  # fmt: skip


def _show(scenario, found, gap, against, plot, as_json) -> None:
    """A forecast as the command prints it: the fan to `plot`, then JSON or the table, the
    overload warning and the difference `--against` another variant."""
    _draw(found, plot)
    if as_json:
        facts = found.to_json()
        if gap is not None:
            facts["against"] = {"variant": against, **_numbers(gap)}
        print(json.dumps(facts, allow_nan=False))
        return
    from orgsim.report.terminal import forecast_table

    last = found.start + timedelta(weeks=found.horizon_weeks) - timedelta(days=1)
    days = round(found.horizon_weeks * 7)
    span = f"{days // 7} weeks" if days % 7 == 0 else f"{days} days"
    title = (
        f"{scenario.name} — {found.variant}: bookings from {found.start} to {last} "
        f"({span}), {found.replications} replications"
    )
    out.print(forecast_table(found.to_frame(), title, scenario.currency))
    warn_behind(found.behind, found.variant)
    if gap is not None:
        out.print(_difference(gap, found.variant, against))


def _draw(found, plot: Path | None) -> None:
    """A forecast's or a score's figure, to the PNG file `--plot` names."""
    if plot is not None:
        with writing():
            found.plot().savefig(plot, dpi=100)
        say(f"wrote {plot}")


def _numbers(gap) -> dict:
    """The difference for JSON: an interval one replication cannot give is null."""
    return {
        row["metric"]: {
            k: None if row[k] != row[k] else float(row[k]) for k in ("mean", "low", "high")
        }
        for _, row in gap.iterrows()
    }


def _difference(gap, variant: str, against: str) -> str:
    """The paired difference in words: both forecasts saw the same leads with the same luck."""
    from orgsim.report.format import number

    parts = []
    for metric, words, kind in (("won_value", "value won", "money"), ("won", "deals won", "")):
        row = gap[gap["metric"] == metric].iloc[0]
        shown = [number(row[c], kind) for c in ("mean", "low", "high")]
        parts.append(f"{words} {shown[0]} (95% interval {shown[1]} to {shown[2]})")
    return f"{variant} against {against}, the same leads with the same luck: " + "; ".join(parts)


def _check_options(score: bool, against, quarters, forecast_reps) -> None:
    """Options that only mean something with --score, or only without it, are refused
    rather than quietly ignored."""
    options = {"--quarters": quarters, "--forecast-reps": forecast_reps}
    given = [name for name, value in options.items() if value is not None]
    with reported_errors():
        if score and against is not None:
            raise ConfigError.unplaced(
                "--against", "against", "--score scores one variant: leave out --against"
            )
        if not score and given:
            raise ConfigError.unplaced(
                given[0], given[0].lstrip("-"), f"{given[0]} goes with --score"
            )


def _score(scenario, horizon, quarters, forecast_reps, reps, seed, variant, plot, as_json,
           workers) -> None:  # fmt: skip
    from orgsim.experiment.forecast import starting_today
    from orgsim.experiment.score import METHODS, WORDS, long_run, quarter_hours, score_forecasts
    from orgsim.report.terminal import score_table

    with reported_errors():
        hours = quarter_hours(horizon or "13w", quarters, forecast_reps, METHODS)
    chosen = [variant or next(iter(scenario.variants))]
    # the long runs, kept whole, and the forecasts, each a quarter from a snapshot
    check_size(long_run(scenario, hours, quarters)[1], reps, chosen, workers, False)
    runs = reps or scenario.replications
    check_size(starting_today(scenario, horizon or "13w"), forecast_reps, chosen, workers, False,
               points=runs * quarters)  # fmt: skip
    with reported_errors(), pool(workers) as executor:
        found = score_forecasts(scenario, horizon or "13w", quarters, reps, forecast_reps, seed,
                                variant, executor=executor)  # fmt: skip
    _draw(found, plot)
    if as_json:
        print(json.dumps(found.to_json(), allow_nan=False))
        return
    facts = found.to_json()
    weeks = found.horizon_weeks
    periods = "quarters" if weeks == 13 else f"{weeks:g}-week periods"
    title = (
        f"{scenario.name} — {found.variant}: forecasting methods over {facts['quarters']} "
        f"simulated {periods} (value won)"
    )
    out.print(score_table(found.summary(), title, WORDS))
    warn_behind(found.behind, found.variant)
    for line in found.verdict():
        out.print(line)


def warn_behind(behind: list[tuple], variant: str) -> None:
    """The overload warning `orgsim run` prints, under a forecast."""
    if behind:
        from orgsim.report.format import shortfalls

        warning = shortfalls({variant: behind})
        out.print(f"[bold red]Warning:[/bold red] {warning}.", highlight=False)
