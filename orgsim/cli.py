"""The `orgsim` command: a thin shell over the same functions notebooks call."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orgsim.config.errors import ConfigError, Problem
from orgsim.config.saturation import BUSY
from orgsim.config.size import MAX_REPLICATIONS

# Every command imports what it needs itself: `orgsim --help` starts without the scenario
# language, pandas, scipy or matplotlib (benchmarks/startup.py measures it).


class _PlainHelp:
    """Help in the planner's words: an option shows a placeholder (N, X, PATH, TEXT), or
    nothing for a flag, never a Python type such as `<list[str]>`."""

    PLACEHOLDERS = {"bool": "", "int": "N", "float": "X", "path": "PATH", "str": "TEXT"}

    def get_params(self, ctx):
        params = super().get_params(ctx)
        for param in params:
            if isinstance(param, typer.core.TyperArgument):
                # an argument's name (SCENARIO, FILES) already says what it takes
                param.display_type_rich = lambda ctx: None
            elif param.metavar is None:
                label = param.display_type(ctx).strip("<>").lower()
                kind = next((v for k, v in self.PLACEHOLDERS.items() if k in label), None)
                param.metavar = f"{kind}..." if kind and label.startswith("list") else kind
        return params


class _Command(_PlainHelp, typer.core.TyperCommand):
    def parse_args(self, ctx, args):
        """A value the command line cannot take is reported like any other problem,
        `--reps:1:1: reps: 'abc' is not a whole number`, exit status 2."""
        try:
            return super().parse_args(ctx, args)
        except typer.BadParameter as error:
            if error.param is None or type(error) is not typer.BadParameter:
                raise  # a missing argument: typer's usage message says it best
            with reported_errors():
                raise ConfigError([_value_problem(error)]) from None


def _value_problem(error) -> Problem:
    """A command-line value's problem in the planner's words (typer words it for Python)."""
    param = error.param
    name = max(param.opts, key=len)  # --reps rather than -n; an argument's own name
    source = name if name.startswith("-") else (param.metavar or name.upper())
    cause = error.__cause__.errors()[0] if hasattr(error.__cause__, "errors") else {}
    kind, value, limits = cause.get("type"), cause.get("input"), cause.get("ctx", {})
    if kind == "int_parsing":
        message = f"'{value}' is not a whole number"
    elif kind == "float_parsing":
        message = f"'{value}' is not a number"
    elif kind == "greater_than_equal":
        message = f"{value} is too small: the least is {limits['ge']:,g}"
    elif kind == "less_than_equal":
        message = f"{value} is too large: the most is {limits['le']:,g}"
    else:
        message = error.message.removeprefix("Value error, ").replace("Input should", "It should")
    return Problem.unplaced(source, name.lstrip("-"), message)


class _Group(_PlainHelp, typer.core.TyperGroup):
    pass


app = typer.Typer(
    name="orgsim",
    cls=_Group,
    help=(
        "Simulate a revenue organisation before you reorganise it.\n\n"
        "Describe the market and the org in YAML, then run, compare, plan and sweep.\n\n"
        "Example: [bold]orgsim run scenarios/reorg_sdr_split.yaml[/bold]"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
PIPED_WIDTH = 240
"""Columns when output goes to a file or a CI log (no terminal, no COLUMNS): wide enough
that no table cuts a number; a terminal wraps to its window instead."""

out = Console(emoji=False)  # never read ":100:" in FILE:100:2 as an emoji
err = Console(stderr=True, emoji=False)


@contextmanager
def reported_errors():
    """Print every config problem as FILE:LINE:COL: path: message and exit with status 2."""
    try:
        yield
    except ConfigError as problem:
        for line in str(problem).splitlines():
            err.print(line, markup=False, highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def check_outputs(folders=(), files=()) -> None:
    """Say what is wrong with an output path before any work starts, so that nothing
    simulated is thrown away by a path that cannot be written: PATH: what: how to fix."""
    problems = []
    for path, is_folder in [(p, True) for p in folders if p] + [(p, False) for p in files if p]:
        folder = path if is_folder else path.parent
        if is_folder and path.exists() and not path.is_dir():
            problems.append(f"{path}: is a file, not a folder: name a folder for the results")
            continue
        if not is_folder and path.is_dir():
            problems.append(f"{path}: is a folder: name the file to write, such as {path}/out")
            continue
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=folder):
                pass
        except OSError as error:
            reason = error.strerror or str(error)
            problems.append(f"{path}: cannot write there ({reason}): choose another place")
    for problem in problems:
        err.print(problem, markup=False, highlight=False, soft_wrap=True)
    if problems:
        raise typer.Exit(2)


def check_size(scenario, reps, variants, workers, allow_large) -> None:
    """Refuse a run that would not fit in memory, before any work (`config.size`); say when
    it will take minutes."""
    from orgsim.config import size
    from orgsim.experiment.runner import worker_count

    sized = scenario.with_run(replications=reps)
    with reported_errors():
        note = size.check(sized, variants, worker_count(workers), allow_large)
    if note:
        err.print(note, markup=False, highlight=False, soft_wrap=True)


def _workers(workers: int | None):
    """The process pool for replications, imported only by the commands that simulate:
    `--help`, `validate` and `capacity` start in well under a second without it."""
    from orgsim.experiment.runner import local_executor

    return local_executor(workers)


def _count(items, word: str) -> str:
    n = len(items)
    return f"{n} {word}" + ("" if n == 1 else "s")


def _summary(kind: str, model) -> str:
    if kind == "market":
        return (
            f"market '{model.name}': {_count(model.journey, 'stage')}, "
            f"{_count(model.segments, 'segment')}, {_count(model.sources, 'source')}"
        )
    if kind == "org":
        return (
            f"org '{model.name}' ({model.structure}): {_count(model.roles, 'role')}, "
            f"headcount {model.total_headcount()}, {_count(model.work, 'stage')} worked"
        )
    variant = model.variant()
    return (
        f"scenario '{model.name}': {_count(model.variants, 'variant')}, "
        f"{_count(variant.market.journey, 'stage')}, {_count(variant.org.roles, 'role')}, "
        f"headcount {variant.org.total_headcount()}, "
        f"{_count(variant.market.sources, 'source')}"
    )


@app.command(cls=_Command)
def validate(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="Market, org or scenario YAML files.")
    ],
) -> None:
    """Check YAML files and report every problem at once.

    Prints one summary line per valid file, or one line per problem as
    FILE:LINE:COL: dotted.path: message (exit status 2). Warnings (for example
    a stage no source reaches) are printed but do not fail.

    Example: [bold]orgsim validate configs/**/*.yaml scenarios/*.yaml[/bold]
    """
    from orgsim.config import check_file

    failed = []
    for file in files:
        try:
            kind, model, warnings = check_file(file)
        except ConfigError as problem:
            failed.extend(problem.problems)
            continue
        for warning in warnings:
            err.print(str(warning), markup=False, highlight=False, soft_wrap=True)
        out.print(
            f"{file}: ok: {_summary(kind, model)}", markup=False, highlight=False, soft_wrap=True
        )
    if failed:
        with reported_errors():
            raise ConfigError(failed)


@app.command(cls=_Command)
def schema(
    kind: Annotated[
        str | None,
        typer.Argument(metavar="KIND", help="market, org or scenario; all when left out."),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write KIND.schema.json files into this folder.")
    ] = None,
) -> None:
    """Write the JSON Schema of market, org and scenario files.

    Point your editor's YAML plugin at them to get completion and checks as you
    type, for example with a first line
    [bold]# yaml-language-server: $schema=schemas/org.schema.json[/bold].

    Example: [bold]orgsim schema --out schemas/[/bold]
    """
    from orgsim.config.jsonschema import schemas

    all_schemas = schemas()
    if kind is not None and kind not in all_schemas:
        with reported_errors():
            raise ConfigError.unplaced(
                "KIND", "kind", f"unknown kind '{kind}': expected market, org or scenario"
            )
    chosen = {kind: all_schemas[kind]} if kind else all_schemas
    if out_dir is None:
        json.dump(chosen[kind] if kind else chosen, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    check_outputs(folders=[out_dir])
    for name, schema_ in chosen.items():
        target = out_dir / f"{name}.schema.json"
        target.write_text(json.dumps(schema_, indent=2) + "\n", encoding="utf-8")
        out.print(f"wrote {target}")


def load_scenario(path: Path):
    """Load a scenario for a command, printing warnings to stderr."""
    from orgsim.config import load

    with reported_errors():
        scenario = load(path)
    for warning in scenario.warnings:
        err.print(str(warning), markup=False, highlight=False, soft_wrap=True)
    return scenario


Reps = Annotated[
    int | None,
    typer.Option(
        "--reps", "-n", min=1, max=MAX_REPLICATIONS, help="Replications (default: the scenario's)."
    ),
]
Seed = Annotated[
    int | None,
    typer.Option(
        "--seed", min=0, help="Root seed (default: the scenario's). Same seed, same numbers."
    ),
]
Json = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one JSON object (docs/scenario-language.md) instead of a table."
    ),
]
Variant = Annotated[str | None, typer.Option(help="Variant (default: the first).")]
Workers = Annotated[
    int | None,
    typer.Option(
        min=1,
        help="Processes to run replications on (default and most: the cores available). "
        "The numbers do not depend on it.",
    ),
]
AllowLarge = Annotated[
    bool,
    typer.Option(
        "--allow-large",
        help="Run even when the size check finds the replications would not fit in memory.",
    ),
]
ShowAll = Annotated[
    bool,
    typer.Option(
        "--all", help="Show every KPI (each stage's entries and conversions, 90th percentiles)."
    ),
]


class Backend(StrEnum):
    local = "local"
    dask = "dask"


class Grouping(StrEnum):
    measure = "measure"
    team = "team"


By = Annotated[
    Grouping,
    typer.Option(
        "--by",
        help="Group the KPIs by what they measure (flow, speed, capacity, money), or by team: "
        "a scorecard of what marketing, sales and customer success each answer for, from "
        "the roles' `team`.",
    ),
]
Out = Annotated[
    Path | None,
    typer.Option("--out", help="Write results (CSV, or Parquet with pyarrow) into this folder."),
]


@app.command(cls=_Command)
def run(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML.")],
    reps: Reps = None,
    seed: Seed = None,
    variant: Variant = None,
    as_json: Json = False,
    out_dir: Out = None,
    show_all: ShowAll = False,
    by: By = Grouping.measure,
    workers: Workers = None,
    allow_large: AllowLarge = False,
) -> None:
    """Simulate one org design and print its KPIs with 95% intervals.

    Runs the scenario's replications (each a full warm-up + horizon of every
    lead through the org) and reports flow, speed, capacity and money KPIs.
    With --out, also writes kpis, cases (one row per lead), visits, reps and
    a weekly time series.

    Example: [bold]orgsim run scenarios/reorg_sdr_split.yaml --reps 10 --variant
    process_stage[/bold]
    """
    from orgsim.experiment.results import simulate
    from orgsim.report import format as fmt
    from orgsim.report import terminal

    scenario = load_scenario(scenario_file)
    _check_variant(scenario, variant, scenario_file)
    check_outputs(folders=[out_dir])
    check_size(scenario, reps, [variant or next(iter(scenario.variants))], workers, allow_large)
    with _workers(workers) as executor:
        results = simulate(
            scenario,
            reps,
            seed,
            variant,
            records=out_dir is not None,
            executor=executor,
            allow_large=allow_large,
        )
    if out_dir is not None:
        for path in results.save(out_dir):
            err.print(f"wrote {path}", markup=False, highlight=False)
    if as_json:
        print(json.dumps(results.to_json(), allow_nan=False))
        return
    others = [name for name in scenario.variants if name != results.variant]
    if others and variant is None:
        err.print(
            f"ran variant '{results.variant}', the first of {len(scenario.variants)}; the others "
            f"are {', '.join(others)}: pick one with --variant NAME, or compare them all with "
            f"orgsim compare {scenario_file}",
            markup=False,
            highlight=False,
        )
    title = (
        f"{scenario.name} — variant {results.variant}: {results.replications} "
        f"replications of {scenario.horizon_weeks:g} weeks, "
        f"seed {results.seed}"
    )
    summary = results.summary(raw=True)
    sections = None
    if by is Grouping.team:
        sections = terminal.sections_by_team(
            summary.index, results.meta, scenario.targets, scenario.currency, every=show_all
        )
    out.print(
        terminal.kpi_table(
            title,
            summary,
            show_all,
            shown=scenario.targets,
            currency=scenario.currency,
            sections=sections,
            written=results.meta.get("written_rates"),
        )
    )
    if any(c.startswith("headcount.") for c in results.timeseries):
        tables = terminal.people_tables(
            results.timeseries, summary, scenario.horizon, scenario.warmup
        )
        for table in tables:
            out.print(table)
    found = [s.evidence() for s in results.shortfalls()]
    if found:
        warning = fmt.shortfalls({results.variant: found})
        out.print(f"[bold red]Warning:[/bold red] {warning}.", highlight=False)
    later = [(r.role, r.week) for r in results.runs_out()]
    if later:
        note = fmt.runs_out({results.variant: later}, scenario.horizon_weeks)
        out.print(f"[bold]Note:[/bold] {note}.", highlight=False)


@app.command(cls=_Command)
def compare(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML.")],
    reps: Reps = None,
    seed: Seed = None,
    as_json: Json = False,
    report: Annotated[
        Path | None,
        typer.Option(help="Write a self-contained HTML report (figures, verdicts, assumptions)."),
    ] = None,
    markdown: Annotated[
        Path | None,
        typer.Option(help="Write a short Markdown summary for a pull request or chat."),
    ] = None,
    out_dir: Out = None,
    show_all: ShowAll = False,
    by: By = Grouping.measure,
    workers: Workers = None,
    allow_large: AllowLarge = False,
) -> None:
    """Compare every variant of a scenario on the same leads and the same luck.

    Replication i of each design uses the same seed, so differences are paired:
    green is better, red is worse, dim is not distinguishable from zero (95%).
    Targets in the scenario are judged on the 95% interval of each KPI.

    Example: [bold]orgsim compare scenarios/reorg_sdr_split.yaml --report report.html[/bold]
    """
    from orgsim.experiment import storage
    from orgsim.experiment.compare import compare as run_comparison
    from orgsim.report import format as fmt
    from orgsim.report import terminal

    scenario = load_scenario(scenario_file)
    check_outputs(folders=[out_dir], files=[report, markdown])
    check_size(scenario, reps, list(scenario.variants), workers, allow_large)
    with _workers(workers) as executor:
        comparison = run_comparison(
            scenario, reps, seed, executor=executor, allow_large=allow_large
        )
    written = []
    if out_dir is not None:
        written += comparison.save(out_dir)
    if report is not None:
        written.append(comparison.write_report(report))
    if markdown is not None:
        written.append(storage.write_text(markdown, comparison.markdown()))
    for path in written:
        err.print(f"wrote {path}", markup=False, highlight=False)
    if as_json:
        print(json.dumps(comparison.to_json(), allow_nan=False))
        return
    title = (
        f"{comparison.scenario_name}: {comparison.replications} replications per design, "
        f"root seed {comparison.seed} (mean ±95% half-interval)"
    )
    for name, results in comparison.results.items():  # what each design is, in words
        out.print(f"{name}: {results.meta.get('description', '')}", markup=False, highlight=False)
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
    check_outputs(files=[output])
    with reported_errors():  # damaged saved files name their folder (storage.reading)
        comparison = _saved_comparison(directory)
    if comparison is not None:
        err.print(f"wrote {comparison.write_report(output)}", markup=False, highlight=False)
        return
    if not directory.is_dir():
        what = "is a file, not a folder" if directory.exists() else "no such folder"
        err.print(f"{directory}: {what}", markup=False, highlight=False, soft_wrap=True)
    else:
        err.print(
            f"{directory}: no comparison.json or results.json here; write one with "
            "`orgsim compare --out` or `orgsim run --out`",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    raise typer.Exit(2)


def _saved_comparison(directory: Path):
    """The comparison saved in `directory` (or one run's results as a comparison of one
    design), or None when the folder holds neither."""
    from orgsim.config import targets as target_rules
    from orgsim.experiment import storage
    from orgsim.experiment.compare import Comparison
    from orgsim.experiment.results import Results

    if (directory / "comparison.json").exists():
        return Comparison.load(directory)
    if (directory / "results.json").exists():
        results = Results.load(directory)
        saved = results.meta.get("targets", {})
        with storage.reading(directory):
            targets = target_rules.from_saved(saved)
        return Comparison(results.scenario_name, results.seed, {results.variant: results}, targets)
    return None


@app.command("capacity", cls=_Command)
def capacity_command(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML.")],
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
    _check_variant(scenario, variant, scenario_file)
    result = capacity(scenario, variant)
    if as_json:
        print(json.dumps(result.to_json(), allow_nan=False))
        return
    for part in terminal.capacity_report(scenario.name, result, scenario.horizon_weeks):
        out.print(part)


def _check_variant(scenario, variant: str | None, path: Path) -> None:
    if variant is not None and variant not in scenario.variants:
        message = f"no variant '{variant}' in {path} (variants: {', '.join(scenario.variants)})"
        with reported_errors():
            raise ConfigError.unplaced("--variant", "variant", message)


def parse_params(texts: list[str]) -> dict[str, list]:
    """`--param org.roles.ae.headcount=3,4,5` (repeatable) -> a grid; values read as YAML."""
    from orgsim.config.yamlio import parse

    grid: dict[str, list] = {}
    problems = []
    for i, text in enumerate(texts, 1):
        source = f"--param[{i}]"
        path, sign, values = text.partition("=")
        if not sign or not path.strip() or not values.strip():
            problems.append(
                Problem.unplaced(
                    source,
                    "sweep",
                    f"'{text}' is not a parameter: "
                    "write PATH=V1,V2,... (e.g. org.roles.ae.headcount=3,4,5)",
                )
            )
            continue
        parsed = []
        for value in values.split(","):
            try:
                parsed.append(parse(f"v: {value.strip()}", source).data["v"])
            except ConfigError as err:
                problems.extend(err.problems)
        grid[path.strip()] = parsed
    if problems:
        raise ConfigError(problems)
    return grid


def value_columns(text: str) -> list[int]:
    """1-based columns where each value of `PATH=V1,V2` starts (for error positions)."""
    column = text.index("=") + 2
    columns = []
    for value in text[column - 1 :].split(","):
        columns.append(column + len(value) - len(value.lstrip()))
        column += len(value) + 1
    return columns


@app.command("plan", cls=_Command)
def plan_command(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML.")],
    target: Annotated[
        list[str] | None,
        typer.Option(
            help="A target such as 'won_per_week>=9' (repeatable; default: the scenario's targets)."
        ),
    ] = None,
    variant: Variant = None,
    role: Annotated[
        list[str] | None,
        typer.Option(help="Plan only this role (repeatable); the others keep their headcount."),
    ] = None,
    reps: Reps = None,
    seed: Seed = None,
    max_plans: Annotated[
        int, typer.Option(min=1, help="Stop after simulating this many plans (it says so).")
    ] = 400,
    utilization_cap: Annotated[
        float,
        typer.Option(
            min=0.0,
            max=1.0,
            help="Every planned role stays at or below this utilization, a share (0.85 for "
            "85%), unless a target says otherwise; 1: no cap.",
        ),
    ] = BUSY,
    hires: Annotated[
        bool,
        typer.Option(
            "--hires",
            help="Plan when to hire how many instead of a headcount: today's team stays, "
            "hires join at the start of a plan quarter. Pairs with dated targets such as "
            "'quarter.4.won_per_week>=5.5'.",
        ),
    ] = False,
    workers: Workers = None,
    allow_large: AllowLarge = False,
    as_json: Json = False,
) -> None:
    """The least-cost headcount per role that meets every target.

    Every candidate is simulated on common random numbers (a target is met when
    its 95% interval is on the right side), and every planned role must keep up
    (no growing backlog) and stay under the utilization cap. The search brackets
    and bisects each role, which finds the cheapest plan when more people never
    make a target worse. Costs come from each role's cost_per_year. Exit status
    1 when no plan meets every target, with or without --json.

    With --hires it answers "how many do we hire, and when?": today's team stays
    (attrition and backfills included), new reps join at the start of a plan
    quarter and ramp, and the plan shows the hires per quarter and their cost
    over the horizon.

    Example: [bold]orgsim plan scenarios/headcount_plan.yaml --role sdr --role ae
    --target 'sla.mql.attainment>=0.95'[/bold]
    """
    from orgsim.config import kpis as catalogue
    from orgsim.config import targets as target_rules
    from orgsim.experiment.plan import plan as run_plan
    from orgsim.report import format as fmt
    from orgsim.report import terminal

    scenario = load_scenario(scenario_file)
    _check_variant(scenario, variant, scenario_file)
    check_size(scenario, reps, [variant or next(iter(scenario.variants))], workers, allow_large)
    with reported_errors(), _workers(workers) as executor:
        targets = target_rules.from_text(target) if target else None
        result = run_plan(
            scenario,
            targets,
            variant,
            reps,
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
        replications = reps or scenario.replications
        if replications < FEW:
            out.print(
                f"[bold yellow]Note:[/bold yellow] with {replications} replications the "
                "intervals are wide, and a plan may add people only to narrow them (more "
                "reps average out luck and skill); confirm it with --reps "
                f"{FEW} or more.",
                highlight=False,
            )
    if result.chosen is None:
        raise typer.Exit(1)


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


@app.command("sweep", cls=_Command)
def sweep_command(
    scenario_file: Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML.")],
    param: Annotated[
        list[str] | None,
        typer.Option(
            help="A swept parameter, PATH=V1,V2,... (repeatable: the grid is the cross "
            "product). Default: the scenario's sweep."
        ),
    ] = None,
    reps: Reps = None,
    seed: Seed = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes (default and most: the cores available)."),
    ] = None,
    allow_large: AllowLarge = False,
    backend: Annotated[Backend, typer.Option(help="local (process pool) or dask.")] = Backend.local,
    scheduler: Annotated[
        str | None,
        typer.Option(
            help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (default: a LocalCluster)."
        ),
    ] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Write each grid point as it finishes, plus a manifest."),
    ] = None,
    resume: Annotated[
        bool, typer.Option(help="Finish a sweep in --out: run only the missing points.")
    ] = False,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="Print every row as JSON records (sorted, byte-stable)."),
    ] = False,
    variant: Annotated[
        str | None,
        typer.Option(help="Sweep this variant only (default: every variant takes the grid)."),
    ] = None,
) -> None:
    """Run a grid of designs (every point x variant x replication) on every core.

    Every point uses the same seeds, so the table is identical on one core, a
    process pool or a Dask cluster. With --out, finished points are written as
    they complete and --resume picks up after a crash.

    Example: [bold]orgsim sweep scenarios/headcount_plan.yaml --param
    org.roles.ae.headcount=8,10,12 --out results/ae[/bold]
    """
    from orgsim.experiment import sweep as sweeping
    from orgsim.report import terminal

    scenario = load_scenario(scenario_file)
    if resume and out_dir is None:
        err.print("--resume needs --out DIR (the folder of the sweep to finish)", markup=False)
        raise typer.Exit(2)
    _check_variant(scenario, variant, scenario_file)
    check_outputs(folders=[out_dir])
    swept = [variant] if variant else list(scenario.variants)
    check_size(scenario, reps, swept, workers, allow_large)
    with reported_errors():
        if variant is not None:
            scenario = scenario.only(variant)
        grid = None
        if param:
            grid = parse_params(param)
            sweeping.check_grid(scenario, grid, "--param", [value_columns(t) for t in param])
        if backend is Backend.dask:
            with sweeping.dask_executor(scheduler, workers) as executor:
                result = sweeping.sweep(
                    scenario, grid, reps, seed, executor, out_dir, resume, allow_large=allow_large
                )
        else:
            result = sweeping.sweep(
                scenario,
                grid,
                reps,
                seed,
                None,
                out_dir,
                resume,
                workers=workers,
                allow_large=allow_large,
            )
    for notice in result.notices:
        err.print(notice, markup=False, highlight=False, soft_wrap=True)
    if as_json:
        print(result.to_json())
        return
    frame = result.to_frame()
    kpis = list(scenario.targets) or ["won_per_week", "speed_to_lead_p50", "cost_per_won"]
    kpis = [k for k in kpis if k in frame] or [frame.columns[-1]]
    title = f"{result.scenario_name}: sweep (mean ±95% half-interval)"
    summaries = {kpi: result.summary(kpi) for kpi in kpis}
    out.print(terminal.sweep_table(title, result.grid, summaries, dict(scenario.targets)))


def main() -> None:
    """The `orgsim` command. Decided here, when the command starts, not at import (a test
    runner importing this module has no say): piped output is PIPED_WIDTH wide."""
    for console, stream in ((out, sys.stdout), (err, sys.stderr)):
        if not stream.isatty() and "COLUMNS" not in os.environ:
            console.width = PIPED_WIDTH
    try:
        app()
    except SystemExit as done:
        if done.code == 130:  # typer's exit on Ctrl-C; the pool's workers are already stopped
            hint = ""
            if "sweep" in sys.argv[1:3] and "--out" in sys.argv and "--resume" not in sys.argv:
                hint = f"; finish it with: orgsim {' '.join(sys.argv[1:])} --resume"
            err.print(f"interrupted{hint}", markup=False, highlight=False, soft_wrap=True)
        raise
