"""What every command shares: the consoles, help in the planner's words, one way to report
a problem, the options several commands take, and the steps before any work (load the
scenario, check the outputs and the size)."""

from __future__ import annotations

from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orgsim.config.errors import ConfigError, Problem
from orgsim.config.size import MAX_REPLICATIONS
from orgsim.config.units import LARGEST
from orgsim.text import printable

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


def say(text: str) -> None:
    """One line to stderr as it is (a notice, a warning, a path written): never markup,
    never an emoji read into `FILE:100:2`, never cut."""
    err.print(printable(text), markup=False, highlight=False, soft_wrap=True)


def refuse(lines: list[str]) -> None:
    """Print what stops a command and exit with status 2 (nothing when `lines` is empty)."""
    for line in lines:
        say(line)
    if lines:
        raise typer.Exit(2)


@contextmanager
def reported_errors():
    """Print every config problem as FILE:LINE:COL: path: message and exit with status 2."""
    try:
        yield
    except ConfigError as problem:
        refuse(str(problem).splitlines())


@contextmanager
def writing():
    """A write that fails after the work (the disk filled up meanwhile) is reported as
    `PATH: cannot write (reason)`, exit status 2, never a traceback."""
    try:
        yield
    except OSError as error:
        where = error.filename or "output"
        refuse([f"{where}: cannot write ({error.strerror or error}): free some space or choose "
                "another place, and run again"])  # fmt: skip


def check_outputs(folders=(), files=(), inputs=(), kinds=None) -> None:
    """Say what is wrong with an output path before any work starts, an input it would
    overwrite included (see `experiment.preflight`): PATH: what: how to fix, exit status 2."""
    from orgsim.experiment.preflight import output_problems

    refuse(output_problems(folders, files, inputs, kinds or {}))


def check_size(scenario, reps, variants, workers, allow_large, points: int = 1) -> None:
    """Refuse a run that would not fit in memory, before any work; say when it will take
    minutes (see `experiment.preflight`)."""
    from orgsim.experiment.preflight import size_note

    with reported_errors():
        note = size_note(scenario, reps, variants, workers, allow_large, points)
    if note:
        say(note)


def pool(workers: int | None):
    """The process pool for replications, imported only by the commands that simulate:
    `--help`, `validate` and `capacity` start in well under a second without it."""
    from orgsim.experiment.runner import local_executor

    return local_executor(workers)


def load_scenario(path: Path):
    """Load a scenario for a command, printing warnings to stderr."""
    from orgsim.config import load

    with reported_errors():
        scenario = load(path)
    for warning in scenario.warnings:
        say(str(warning))
    return scenario


def check_variant(scenario, variant: str | None, path: Path, option: str = "--variant") -> None:
    if variant is not None and variant not in scenario.variants:
        message = f"no variant '{variant}' in {path} (variants: {', '.join(scenario.variants)})"
        with reported_errors():
            raise ConfigError.unplaced(option, option.lstrip("-"), message)


ScenarioPath = Annotated[Path, typer.Argument(metavar="SCENARIO", help="Scenario YAML.")]
Reps = Annotated[
    int | None,
    typer.Option(
        "--reps", "-n", min=1, max=MAX_REPLICATIONS, help="Replications (default: the scenario's)."
    ),
]


def _count_or_auto(text: str) -> int | str:
    """`--reps`: a whole number of replications, or auto."""
    text = text.strip()
    if text == "auto":
        return text
    try:
        count = int(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a whole number or auto") from None
    if count < 1:
        raise typer.BadParameter(f"{count} is too small: the least is 1")
    if count > MAX_REPLICATIONS:
        raise typer.BadParameter(f"{count} is too large: the most is {MAX_REPLICATIONS:,}")
    return count


def _share(text: str) -> float:
    """`--precision`: a share strictly between 0 and 1."""
    try:
        value = float(text)
    except ValueError:
        raise typer.BadParameter(f"'{text}' is not a number") from None
    if not 0 < value < 1:
        raise typer.BadParameter(f"{text} is not a share between 0 and 1 (0.05 is 5%)")
    return value


AutoReps = Annotated[
    str | None,  # a count (int) or "auto", as `_count_or_auto` reads it
    typer.Option(
        "--reps",
        "-n",
        metavar="N|auto",
        parser=_count_or_auto,
        help="Replications, or auto: replicate until every question the output states is "
        "settled (each target met or missed, or without targets each design's gain told from "
        "noise; plan: each plan's targets) or too close to call within --precision "
        "(default: the scenario's).",
    ),
]
Precision = Annotated[
    float | None,
    typer.Option(
        parser=_share,
        help="With --reps auto: a question whose 95% interval is within this share of its "
        "bound (or of the KPI) is too close to call, and asks for no more replications; "
        "default 0.05.",
    ),
]
MinReps = Annotated[
    int | None,
    typer.Option("--min-reps", min=2, max=MAX_REPLICATIONS,
                 help="With --reps auto: at least this many (default 10)."),
]  # fmt: skip
MaxReps = Annotated[
    int | None,
    typer.Option("--max-reps", min=2, max=MAX_REPLICATIONS,
                 help="With --reps auto: at most this many (default 100)."),
]  # fmt: skip


def at_fixed_count(scenario, reps, command: str) -> None:
    """`replications: auto` stops early where the output states questions to settle (run,
    compare, plan); other commands run its most. Said before they start, with the way out."""
    if reps is None and scenario.auto is not None:
        say(
            f"note: {command} does not stop early: it runs replications: auto's most, "
            f"{scenario.auto.most}, each time; --reps N runs another count"
        )


def with_reps(scenario, reps: int | str | None, precision, least, most):
    """The scenario with `--reps` (a count or auto) and auto's tuning applied."""
    automatic = reps == "auto" or (reps is None and scenario.auto is not None)
    if not automatic and any(v is not None for v in (precision, least, most)):
        why = (
            f"--precision, --min-reps and --max-reps tune --reps auto, not a count of {reps}"
            if reps is not None
            else "--precision, --min-reps and --max-reps tune --reps auto: the scenario "
            f"replicates a fixed {scenario.replications} (add --reps auto)"
        )
        with reported_errors():
            raise ConfigError.unplaced("--reps", "reps", why)
    with reported_errors():
        try:
            return scenario.with_run(replications=reps, precision=precision, least=least, most=most)
        except ConfigError as error:  # the least above the most: said of --min-reps
            said = [
                Problem.unplaced("--min-reps", "min-reps", p.message)
                if p.path == "replications" else p
                for p in error.problems
            ]  # fmt: skip
            raise ConfigError(said) from None


Seed = Annotated[
    int | None,
    typer.Option(
        "--seed",
        min=0,
        max=int(LARGEST),
        help="Root seed (default: the scenario's). Same seed, same numbers.",
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


class Grouping(StrEnum):
    measure = "measure"
    team = "team"
    person = "person"


By = Annotated[
    Grouping,
    typer.Option(
        "--by",
        help="Group the KPIs by what they measure (flow, speed, capacity, money), or by team: "
        "a scorecard of what marketing, sales and customer success each answer for, from "
        "the roles' `team`; `person` adds a table of each named person of the roster "
        "(`people:` in a role): deals and value won, utilization and tasks.",
    ),
]
Events = Annotated[
    Path | None,
    typer.Option(
        "--events",
        help="Write every stage visit as an event log (.csv, or .parquet with pyarrow) in "
        "pm4py's column names, dated from the scenario's start.",
    ),
]
Out = Annotated[
    Path | None,
    typer.Option("--out", help="Write results (CSV, or Parquet with pyarrow) into this folder."),
]
