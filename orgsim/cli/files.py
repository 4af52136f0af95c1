"""`orgsim validate` and `orgsim schema`: the scenario language's files, checked and described."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from orgsim.cli.shell import _Command, app, check_outputs, out, reported_errors, say
from orgsim.config.errors import ConfigError
from orgsim.text import printable


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
    if kind == "people":
        named = sum(len(people) for people in model.roles.values())
        people = f"{named} named {'person' if named == 1 else 'people'}"
        named = f" '{model.name}'" if model.name else ""
        return f"roster{named}: {people} in {_count(model.roles, 'role')}"
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
        list[Path],
        typer.Argument(
            metavar="FILE", help="Market, org, roster (kind: people) or scenario YAML files."
        ),
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
            say(str(warning))
        out.print(
            printable(f"{file}: ok: {_summary(kind, model)}"),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if failed:
        with reported_errors():
            raise ConfigError(failed)


@app.command(cls=_Command)
def schema(
    kind: Annotated[
        str | None,
        typer.Argument(metavar="KIND", help="market, org, people or scenario; all when left out."),
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Write KIND.schema.json files into this folder.")
    ] = None,
) -> None:
    """Write the JSON Schema of market, org, roster (people) and scenario files.

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
                "KIND", "kind", f"unknown kind '{kind}': expected market, org, people or scenario"
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
