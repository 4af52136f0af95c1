"""A sweep's grid: the values each swept parameter takes, where they were written, and the
check that every point gives a valid scenario for every variant.

A grid comes from a scenario's `sweep:`, from Python (`{"org.roles.ae.headcount": [3, 4]}`)
or from the command line (`--param org.roles.ae.headcount=3,4`); it is checked once, with
its problems placed where it was written (`--param[1]:1:27: ...`).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from orgsim.config import size
from orgsim.config.compose import Override
from orgsim.config.errors import ConfigError, Problem
from orgsim.config.scenario import Scenario
from orgsim.config.yamlio import Located, Mark, parse


@dataclass(frozen=True)
class Grid:
    """Each swept path and its values, with where each value was written (for errors)."""

    values: dict[str, list]
    source: str = "<grid>"
    """What problems are reported against: `<source>[i]` is the i-th parameter."""
    columns: list[list[int]] = field(default_factory=list)
    """The 1-based column where each value was typed (none: column 1)."""

    def points(self) -> list[tuple[tuple[str, Any], ...]]:
        """The cross product, in a fixed order: the last parameter varies fastest."""
        return points(self.values)


def points(values: Mapping[str, list]) -> list[tuple[tuple[str, Any], ...]]:
    """The cross product of a grid's values: the last parameter varies fastest."""
    paths = list(values)
    return [
        tuple(zip(paths, chosen, strict=True))
        for chosen in itertools.product(*(values[p] for p in paths))
    ]


def from_text(texts: list[str]) -> Grid:
    """`--param org.roles.ae.headcount=3,4,5` (repeatable) as a grid, each value read as
    YAML (`3`, `8h`, `{dist: lognormal, ...}` is a value too); every unreadable one reported
    at once."""
    values: dict[str, list] = {}
    columns = []
    problems = []
    for i, text in enumerate(texts, 1):
        source = f"--param[{i}]"
        path, sign, written = text.partition("=")
        if not sign or not path.strip() or not written.strip():
            problems.append(
                Problem.unplaced(
                    source,
                    "sweep",
                    f"'{text}' is not a parameter: "
                    "write PATH=V1,V2,... (e.g. org.roles.ae.headcount=3,4,5)",
                )
            )
            continue
        if path.strip() in values:
            message = f"'{path.strip()}' is swept twice: give all its values in one --param"
            problems.append(Problem.unplaced(source, path.strip(), message))
            continue
        parsed = []
        for value in written.split(","):
            if not value.strip():
                message = f"'{text}' has an empty value: write PATH=V1,V2,... with no empty one"
                problems.append(Problem.unplaced(source, path.strip(), message))
                continue
            try:
                parsed.append(parse(value.strip(), source).data)
            except ConfigError as err:
                problems.extend(err.problems)
        values[path.strip()] = parsed
        columns.append(_value_columns(text))
    if problems:
        raise ConfigError(problems)
    return Grid(values, "--param", columns)


def _value_columns(text: str) -> list[int]:
    """1-based columns where each value of `PATH=V1,V2` starts (for error positions)."""
    column = text.index("=") + 2
    columns = []
    for value in text[column - 1 :].split(","):
        columns.append(column + len(value) - len(value.lstrip()))
        column += len(value) + 1
    return columns


def check(scenario: Scenario, grid: Grid) -> None:
    """Every value of every parameter applied to every variant must give a valid scenario.

    Problems name `source[i]` (the i-th parameter): column 1 for a wrong path, the value's
    own column (where the parameter was typed) for a wrong value."""
    unusable = [
        Problem.unplaced(f"{grid.source}[{i}]", str(path), why)
        for i, (path, values) in enumerate(grid.values.items(), 1)
        if (why := _unusable(path, values))
    ]
    if unusable:
        raise ConfigError(unusable)
    overrides = []
    for i, (path, values) in enumerate(grid.values.items(), 1):
        columns_here = grid.columns[i - 1] if grid.columns else [1] * len(values)
        where = f"{grid.source}[{i}]"
        overrides += [
            Override(
                path,
                Located(value, {(): Mark(where, 1, column, (path,))}),
                Mark(where, 1, 1, (path,)),
            )
            for value, column in zip(values, columns_here, strict=False)
        ]
    _only_in_some_variants(scenario, grid)
    scenario.check_overrides(overrides)


def _unusable(path, values) -> str | None:
    """Why a grid entry is no parameter and its values (None when it is one)."""
    if not isinstance(path, str):
        return f"{path!r} is not a dotted path such as org.roles.ae.headcount"
    if not isinstance(values, list | tuple):
        return f"{values!r} is not a list of values: write [{values!r}] for one value"
    if not values:
        return "no values to sweep: give at least one"
    seen = []
    for value in values:
        if value in seen:
            return f"{value!r} is given twice: each value is one grid point"
        seen.append(value)
    return None


def check_size(scenario: Scenario, grid: Grid, workers: int, allow_large: bool) -> None:
    """`config.size` at every point that can change how many leads there are: a swept path
    outside the org (a rate, the book) can; an org's cannot (people do not make leads)."""
    market = {path: values for path, values in grid.values.items() if not path.startswith("org.")}
    for point in points(market) if market else [()]:
        sized = scenario.with_set(dict(point)) if point else scenario
        size.check(sized, list(sized.variants), workers, allow_large)


def _only_in_some_variants(scenario: Scenario, grid: Grid) -> None:
    """A swept path that some variants have and others lack (their orgs differ) is asked of
    one variant: say which have it, and how to sweep one of them."""
    if len(scenario.variants) < 2:
        return
    problems = []
    for i, (path, values) in enumerate(grid.values.items(), 1):
        probe = [Override.from_python(path, values[0], f"{grid.source}[{i}]")]
        having = []
        for name in scenario.variants:
            try:
                scenario.only(name).check_overrides(probe)
                having.append(name)
            except ConfigError:
                continue
        if having and len(having) < len(scenario.variants):
            problems.append(
                Problem.unplaced(
                    f"{grid.source}[{i}]",
                    path,
                    f"only variants {', '.join(having)} have this (their orgs differ): sweep "
                    f"one of them with --variant {having[0]}, or variant='{having[0]}'",
                )
            )
    if problems:
        raise ConfigError(problems)
