"""`orgsim run`, `orgsim compare` and `orgsim report`: simulate designs, show and save
their results, and rebuild a report from saved results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from orgsim.cli.shell import (
    AllowLarge,
    AutoReps,
    By,
    Events,
    Grouping,
    Json,
    MaxReps,
    MinReps,
    Out,
    Precision,
    ScenarioPath,
    Seed,
    ShowAll,
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
    writing,
)
from orgsim.config.errors import ConfigError
from orgsim.config.units import WEEK
from orgsim.text import one_line


@app.command(cls=_Command)
def run(
    scenario_file: ScenarioPath,
    reps: AutoReps = None,
    seed: Seed = None,
    variant: Variant = None,
    as_json: Json = False,
    out_dir: Out = None,
    show_all: ShowAll = False,
    by: By = Grouping.measure,
    workers: Workers = None,
    allow_large: AllowLarge = False,
    events: Events = None,
    precision: Precision = None,
    min_reps: MinReps = None,
    max_reps: MaxReps = None,
) -> None:
    """Simulate one org design and print its KPIs with 95% intervals.

    Runs the scenario's replications (each a full warm-up + horizon of every
    lead through the org) and reports flow, speed, capacity and money KPIs.
    With --out, also writes kpis, cases (one row per lead), visits, reps and
    a weekly time series. With --events, writes every stage visit as an
    event log a process-mining tool (pm4py, Celonis, Disco) opens.

    Example: [bold]orgsim run scenarios/reorg_sdr_split.yaml --reps 10 --variant
    process_stage[/bold]
    """
    from orgsim.experiment.results import simulate

    scenario = with_reps(load_scenario(scenario_file), reps, precision, min_reps, max_reps)
    check_variant(scenario, variant, scenario_file)
    files = [events] if events is not None else []
    kinds = {events: "event log"} if events is not None else {}
    check_outputs([out_dir], files, scenario.source_files(), kinds)
    check_size(scenario, None, [variant or next(iter(scenario.variants))], workers, allow_large)
    with pool(workers) as executor:
        results = simulate(
            scenario,
            None,
            seed,
            variant,
            records=out_dir is not None or events is not None,
            executor=executor,
            allow_large=allow_large,
        )
    with writing():
        for path in results.save(out_dir) if out_dir is not None else []:
            say(f"wrote {path}")
        if events is not None:
            say(f"wrote {results.save_events(events)}")
    if as_json:
        print(json.dumps(results.to_json(), allow_nan=False))
        return
    if variant is None:
        _name_the_others(results.variant, scenario, scenario_file)
    _show_run(results, scenario, show_all, by)


def _name_the_others(ran: str, scenario, scenario_file: Path) -> None:
    """Say which variant ran when the scenario has others, and how to run or compare them."""
    others = [name for name in scenario.variants if name != ran]
    if others:
        say(
            f"ran variant '{ran}', the first of {len(scenario.variants)}; the others "
            f"are {', '.join(others)}: pick one with --variant NAME, or compare them all with "
            f"orgsim compare {scenario_file}"
        )


def _show_run(results, scenario, show_all: bool, by: Grouping) -> None:
    """One design's KPIs, people and warnings as the terminal shows them."""
    from orgsim.report import format as fmt
    from orgsim.report import terminal

    title = (
        f"{scenario.name} — variant {results.variant}: {results.replications} "
        f"replications of {scenario.horizon_weeks:g} weeks, "
        f"seed {results.seed}"
    )
    if results.stop is not None:
        out.print(results.stop.in_words(), markup=False, highlight=False)  # part of the answer
    summary = results.summary(raw=True)
    sections = None
    if by is Grouping.team:
        sections = terminal.sections_by_team(
            summary.index,
            results.facts.owners(),
            scenario.targets,
            scenario.currency,
            every=show_all,
        )
    out.print(
        terminal.kpi_table(
            title,
            summary,
            show_all,
            shown=scenario.targets,
            currency=scenario.currency,
            sections=sections,
            written=results.facts.written_rates,
        )
    )
    if any(c.startswith("headcount.") for c in results.timeseries):
        tables = terminal.people_tables(
            results.timeseries, summary, scenario.horizon, scenario.warmup
        )
        for table in tables:
            out.print(table)
    if by is Grouping.person:
        _show_people(results)
    found = [s.evidence() for s in results.shortfalls()]
    if found:
        warning = fmt.shortfalls({results.variant: found})
        out.print(f"[bold red]Warning:[/bold red] {warning}.", highlight=False)
    later = [(r.role, r.week) for r in results.runs_out()]
    if later:
        note = fmt.runs_out({results.variant: later}, scenario.horizon_weeks)
        out.print(f"[bold]Note:[/bold] {note}.", highlight=False)


def _show_people(results) -> None:
    """`--by person`: each named person's results, or how to name them."""
    from orgsim.report import terminal

    people = results.people()
    if people.empty:
        say(
            "no named people in this design: list your reps under a role's `people:` "
            "(docs/scenario-language.md, Your own people) to see each one's results"
        )
        return
    title = (
        f"Your people over the {results.facts.horizon_hours / WEEK:g}-week horizon (means over "
        f"{results.replications} replications; most deals won first)"
    )
    out.print(terminal.person_table(people, title))


HoldTeam = Annotated[
    bool,
    typer.Option(
        "--hold-team",
        help="Draw today's unnamed reps (their skill and tenure) once and keep that team in "
        "every replication: the intervals are then lead luck alone, for that one team.",
    ),
]
WhereFrom = Annotated[
    str | None,
    typer.Option(
        "--where-from",
        metavar="KPI",
        help="Say how much of each design's paired difference in KPI is which team was "
        "drawn and how much is lead luck (runs the comparison twice: with a new team each "
        "replication and with one team held).",
    ),
]


def _show_where_from(scenario, kpi: str, reps, seed, workers, allow_large: bool) -> None:
    """`compare --where-from KPI`: each design's split of its paired difference."""
    from orgsim.config import kpis as catalogue
    from orgsim.experiment.team_draw import where_from

    if kpi not in scenario.kpi_names():
        with reported_errors():
            raise ConfigError.unplaced(
                "--where-from", "kpi", catalogue.unknown(kpi, scenario.kpi_names())
            )
    at_fixed_count(scenario, reps, "compare --where-from")
    with pool(workers) as executor:
        shares = where_from(
            scenario, kpi, replications=reps, seed=seed, executor=executor, allow_large=allow_large
        )
    baseline = next(iter(scenario.variants))
    say(f"Where the interval of {kpi} (each design minus {baseline}) comes from:")
    for share in shares:
        say(f"  {share.describe()}")


@app.command(cls=_Command)
def compare(
    scenario_file: ScenarioPath,
    reps: AutoReps = None,
    seed: Seed = None,
    as_json: Json = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Write a self-contained HTML report (figures, verdicts, assumptions)."),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(
            help="Write a short Markdown summary for a pull request or chat ('-': print it "
            "instead of the table)."
        ),
    ] = None,
    out_dir: Out = None,
    show_all: ShowAll = False,
    by: By = Grouping.measure,
    workers: Workers = None,
    allow_large: AllowLarge = False,
    hold_team: HoldTeam = False,
    where_from: WhereFrom = None,
    precision: Precision = None,
    min_reps: MinReps = None,
    max_reps: MaxReps = None,
) -> None:
    """Compare every variant of a scenario on the same leads and the same luck.

    Replication i of each design uses the same seed, so differences are paired:
    green is better, red is worse, dim is not distinguishable from zero (95%).
    Targets in the scenario are judged on the 95% interval of each KPI.

    Example: [bold]orgsim compare scenarios/reorg_sdr_split.yaml --report report.html[/bold]
    """
    from orgsim.experiment.compare import compare as run_comparison

    scenario = with_reps(load_scenario(scenario_file), reps, precision, min_reps, max_reps)
    printed = markdown == Path("-")
    files = [report, None if printed else markdown]
    kinds = {report: "html", markdown: "markdown"}
    check_outputs([out_dir], files, scenario.source_files(), kinds)
    check_size(scenario, None, list(scenario.variants), workers, allow_large)
    if where_from is not None:
        _show_where_from(scenario, where_from, None, seed, workers, allow_large)
        return
    # the tables behind figures, saved results and a switch's payback: only where used
    switches = any(scenario.variant(name).transition for name in scenario.variants)
    details = switches or as_json or any(x is not None for x in (out_dir, report, markdown))
    with pool(workers) as executor:
        comparison = run_comparison(
            scenario,
            None,
            seed,
            executor=executor,
            allow_large=allow_large,
            hold_team=hold_team,
            details=details,
        )
    _write(comparison, out_dir, report, markdown)
    if as_json:
        print(json.dumps(comparison.to_json(), allow_nan=False))
    elif not printed:
        _show_comparison(comparison, scenario, show_all, by)


def _write(comparison, out_dir: Path | None, report: Path | None, markdown: Path | None):
    """Save the comparison, its HTML report and its Markdown summary where asked."""
    from orgsim.experiment import storage

    written = []
    with writing():
        if out_dir is not None:
            written += comparison.save(out_dir)
        if report is not None:
            written.append(comparison.write_report(report))
        if markdown == Path("-"):
            print(comparison.markdown())
        elif markdown is not None:
            written.append(storage.write_text(markdown, comparison.markdown()))
    for path in written:
        say(f"wrote {path}")


def _show_comparison(comparison, scenario, show_all: bool, by: Grouping) -> None:
    """Every design side by side with paired differences, the headline and transitions."""
    from orgsim.report import format as fmt
    from orgsim.report import terminal

    held = next(iter(comparison.results.values())).facts.team_held
    title = (
        f"{comparison.scenario_name}: {comparison.replications} replications per design, "
        f"root seed {comparison.seed}{', one drawn team held in all' if held else ''} "
        "(mean ±95% half-interval)"
    )
    if comparison.stop is not None:
        out.print(comparison.stop.in_words(), markup=False, highlight=False)  # part of the answer
    for name, results in comparison.results.items():  # what each design is, in words
        out.print(one_line(f"{name}: {results.facts.description}"), markup=False, highlight=False)
    frame = comparison.to_frame()
    sections = None
    if by is Grouping.team:
        sections = terminal.sections_by_team(
            dict.fromkeys(frame.kpi),
            comparison.owners(),
            scenario.targets,
            scenario.currency,
            every=show_all,
        )
    out.print(
        terminal.comparison_table(
            title,
            comparison.variants,
            frame,
            show_all,
            shown=scenario.targets,
            currency=scenario.currency,
            sections=sections,
            written=comparison.written_rates(),
        )
    )
    out.print(f"\n[bold]{comparison.headline()}[/bold]", highlight=False)
    effects = comparison.transitions()
    if effects:
        out.print("\n[bold]Transitions[/bold] (cumulative, paired, 95% intervals):")
        for effect in effects.values():
            out.print(f"  {fmt.payback(effect)}", highlight=False, markup=False)


@app.command("report", cls=_Command)
def report_command(
    directory: Annotated[
        Path,
        typer.Argument(
            metavar="DIR", help="A folder written by `orgsim compare --out` or `orgsim run --out`."
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")] = Path(
        "report.html"
    ),
) -> None:
    """Rebuild the HTML report from saved results, without simulating again.

    Example: [bold]orgsim compare s.yaml --out results/ && orgsim report results/ -o
    report.html[/bold]
    """
    from orgsim.experiment.compare import saved

    check_outputs(files=[output], inputs=[directory], kinds={output: "html"})
    with reported_errors():  # damaged saved files name their folder (storage.reading)
        comparison = saved(directory)
    if comparison is not None:
        with writing():
            say(f"wrote {comparison.write_report(output)}")
        return
    if not directory.is_dir():
        what = "is a file, not a folder" if directory.exists() else "no such folder"
        refuse([f"{directory}: {what}"])
    refuse(
        [
            f"{directory}: no comparison.json or results.json here; write one with "
            "`orgsim compare --out` or `orgsim run --out`"
        ]
    )
