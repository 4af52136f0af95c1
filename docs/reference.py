"""Write docs/reference.md, the field reference, from the pydantic models.

One source: each field's meaning is its docstring in orgsim/config/schema.py
(or distributions.py); its default and allowed range come from the model. The
same docstrings are the descriptions in `orgsim schema`, which editors show on
hover. tests/test_reference.py fails when the page is stale or a field has no
description.

    python docs/reference.py           # rewrite docs/reference.md
    python docs/reference.py --check   # exit 1 if it is stale
"""

from __future__ import annotations

import sys
import types
import typing
from datetime import date
from pathlib import Path

import annotated_types as at
from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from orgsim.config import distributions, schema
from orgsim.config import kpis as catalogue
from orgsim.config.units import format_duration, parse_duration
from orgsim.history.mapping import Mapping

PAGE = Path(__file__).with_name("reference.md")

KEYS = {
    "segments": "<segment>",
    "sources": "<source>",
    "journey": "<stage>",
    "roles": "<role>",
    "work": "<stage>",
    "handoffs": "<from>-><to>",
    "queues": "<role>",
    "pods": "<pod>",
    "variants": "<variant>",
    "targets": "<kpi>",
}
"""The placeholder a mapping's keys take in a dotted path."""

SKIPPED = (distributions.Distribution, distributions.BySegment)
"""Documented once, in the section on values, not under every field that takes them."""

HEAD = """# Field reference

Every field of the five kinds of file, generated from orgsim's own models by
`docs/reference.py` (do not edit this page by hand: change the docstring of the
field in `orgsim/config/schema.py` and run the script). The same descriptions
appear in the JSON Schemas of `orgsim schema`, so an editor shows them on hover.
How the fields combine is in [scenario-language.md](scenario-language.md), and
recipes for common designs are in [modelling-guide.md](modelling-guide.md).

A dotted path names a field as `set`, `sweep` and error messages write it:
`<role>` stands for a name you choose (`roles.<role>.headcount` is
`roles.ae.headcount`), `[]` for an item of a list.

## Values

- **Names** (segments, sources, stages, roles, pods, variants): lowercase
  letters, digits and `_`, starting with a letter. `lost`, `leaked` and
  `churned` are built-in ends, not to be declared.
- **Durations**: a number and a unit, `30min`, `4h`, `2d`, `3w`, `11mo`, `1y`
  (a month is 1/12 year, a year 365 days). A bare number is an error.
- **Rates**: a number per unit, `120/week`, `20/day`, `0.5/h`, `500/month`,
  `0.3/year`.
- **Times of day**: `"09:00"` in quotes (YAML would read 09:00 as a number).
- **Shares and probabilities**: numbers from 0 to 1 (`0.8` is 80%).
- **Money**: plain numbers in the scenario's `currency`.
- **Distributions**: wherever a duration or number may vary from lead to lead
  or rep to rep, write a constant (`1h`) or a distribution in the field's unit:

{distributions}

  Any such field may also be written `{{by_segment: {{smb: 21d, ent: 100d}}}}`: one
  value (or distribution) per segment, covering every segment.
"""


def _flat(text: str | None) -> str:
    return " ".join((text or "").split())


def _constraints(annotation, info: FieldInfo) -> list[str]:
    """Bounds written on the field or inside its annotation (first level of a union)."""
    found = list(info.metadata)
    for arg in typing.get_args(annotation):
        found += list(getattr(arg, "__metadata__", ()))
    words = []
    for item in found:
        items = [item] if not isinstance(item, FieldInfo) else item.metadata
        for c in items:
            for kind, attribute, sign in (
                (at.Ge, "ge", ">="),
                (at.Gt, "gt", ">"),
                (at.Le, "le", "<="),
                (at.Lt, "lt", "<"),
            ):
                if isinstance(c, kind):
                    words.append(f"{sign} {getattr(c, attribute):g}")
            if isinstance(c, at.MinLen) and c.min_length > 0:
                words.append(f"at least {c.min_length} {_things(annotation)}")
            if isinstance(c, at.MaxLen):
                words.append(f"at most {c.max_length} {_things(annotation)}")
    literals = [a for a in _leaves(annotation) if typing.get_origin(a) is typing.Literal]
    for literal in literals:
        words.append("one of " + ", ".join(f"`{v}`" for v in typing.get_args(literal)))
    words = list(dict.fromkeys(words))
    least = next((w for w in words if w.startswith("at least ")), None)
    most = next((w for w in words if w.startswith("at most ")), None)
    if least and most:
        low, high, things = least.split()[2], most.split()[2], most.split()[3]
        words.remove(most)
        words[words.index(least)] = (
            f"exactly {low} {things}" if low == high else (f"{low} to {high} {things}")
        )
    return [w.replace(" 1 items", " 1 item") for w in words]


def _things(annotation) -> str:
    """What a length counts: characters of a text, items of a list or mapping."""
    return (
        "characters"
        if str in _leaves(annotation)
        and dict not in map(typing.get_origin, _leaves(annotation))
        and list not in map(typing.get_origin, _leaves(annotation))
        else "items"
    )


def _leaves(annotation) -> list:
    """The annotation and everything inside it (unions, Annotated, containers)."""
    out = [annotation]
    for arg in typing.get_args(annotation):
        if typing.get_origin(annotation) is not typing.Literal:
            out += _leaves(arg)
    return out


def _default(info: FieldInfo) -> str:
    value = info.default
    if value is PydanticUndefined:
        return "required"
    if value is None or value in ({}, []):
        return "none"
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and _is_duration(info):
        return f"`{format_duration(value)}`"
    if isinstance(value, float):
        return f"`{value:g}`"
    return f"`{value}`"


def _is_duration(info: FieldInfo) -> bool:
    """Whether the field's value is written as a duration (its parser says so)."""
    found = list(info.metadata)
    for leaf in _leaves(info.annotation):
        found += list(getattr(leaf, "__metadata__", ()))
    return any(getattr(v, "func", None) is parse_duration for v in found)


def _models(annotation) -> list[tuple[str, type[BaseModel]]]:
    """Config models inside a field's annotation, with the path step to reach them."""
    origin = typing.get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [] if issubclass(annotation, SKIPPED) else [("", annotation)]
    if origin is dict:
        return [(".{}", m) for step, m in _models(typing.get_args(annotation)[1])]
    if origin is list:
        return [("[]" + step, m) for step, m in _models(typing.get_args(annotation)[0])]
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        args = (
            typing.get_args(annotation)[:1]
            if origin is typing.Annotated
            else typing.get_args(annotation)
        )
        return [found for arg in args for found in _models(arg)]
    return []


def sections(model: type[BaseModel], path: str, out: list) -> None:
    """A table per model, depth first, in the order the fields are declared."""
    rows, nested = [], []
    for name, info in model.model_fields.items():
        rows.append(
            (
                info.alias or name,  # the key a file writes (`from`, a Python keyword)
                _default(info),
                "; ".join(_constraints(info.annotation, info)),
                _flat(info.description),
            )
        )
        children = _models(info.annotation)
        for step, child in children:
            key = KEYS.get(name, "<name>")
            where = f"{path}{name}" + step.replace("{}", key)
            if all(child is not seen for _, seen in nested):
                nested.append((where, child))
    out.append((path.rstrip(".") or None, model, rows))
    for where, child in nested:
        sections(child, where + ".", out)


def missing() -> list[str]:
    """Every field, of every model a file can contain, that has no description."""
    out = []
    for kind in (schema.ScenarioFile, schema.Market, schema.Org, schema.Roster, Mapping):
        found: list = []
        sections(kind, "", found)
        for path, _, rows in found:
            out += [f"{path + '.' if path else ''}{name}" for name, _, _, text in rows if not text]
    for family in distributions.FAMILIES.values():
        out += [
            f"{family.__name__}.{n}" for n, i in family.model_fields.items() if not i.description
        ]
    return out


def _table(rows) -> list[str]:
    lines = ["| field | default | allowed | meaning |", "|---|---|---|---|"]
    for name, default, allowed, text in rows:
        lines.append(f"| `{name}` | {default} | {allowed} | {text} |")
    return lines


def _distribution_list() -> str:
    lines = []
    for name, family in distributions.FAMILIES.items():
        fields = [f for f in family.model_fields if f != "dist"]
        example = ", ".join(f"{f}: ..." for f in fields)
        parts = " ".join(f"`{f}`: {_flat(family.model_fields[f].description)}" for f in fields)
        lines.append(f"  - `{{dist: {name}, {example}}}`: {parts}")
    return "\n".join(lines)


def _kpi_table() -> str:
    """Every KPI name with its group, unit and meaning, from the catalogue itself."""
    lines = [
        "## KPIs",
        "",
        "What `run`, `compare` and `--json` report, and what `targets` may name. Which of",
        "them a scenario reports depends on its market and org (no SLA, no attainment); the",
        "exact definitions, including which costs count in CAC, are in",
        "[scenario-language.md](scenario-language.md#kpis). Better: whether a higher or a",
        "lower value is better (reports colour differences by it). `quarter.<q>.` KPIs are",
        "measured in one plan quarter of 13 weeks, `source.<s>.` KPIs on one source's leads",
        "(the plain ones cover every source's leads together). Reports",
        "show each KPI by its label first and its name second; `--json` and saved tables use the",
        "name alone. Durations (unit hours) are hours in `--json` and saved tables; reports",
        "show them in minutes under an hour, hours under two days and days beyond.",
        "`run --by team` and `compare --by team` group a scenario's KPIs into a scorecard",
        "for marketing, sales and customer success (from the roles' `team`).",
        "",
        "| KPI | label in reports | group | unit | better | meaning |",
        "|---|---|---|---|---|---|",
    ]
    shown = {key: f"`<{key}>`" for key in "strq"} | {"weeks": "its 13 weeks"}
    for name, family in catalogue.FAMILIES.items():
        better = {1: "higher", -1: "lower", 0: ""}[family.direction]
        label, meaning = family.label.format(**shown), family.meaning.format(**shown)
        lines.append(
            f"| `{name}` | {label} | {family.group} | {family.unit} | {better} | {meaning} |"
        )
    return "\n".join(lines) + "\n"


def render() -> str:
    text = [HEAD.format(distributions=_distribution_list())]
    for title, kind in (
        ("Scenario file (`kind: scenario`)", schema.ScenarioFile),
        ("Market file (`kind: market`)", schema.Market),
        ("Org file (`kind: org`)", schema.Org),
        ("Roster file (`kind: people`)", schema.Roster),
        ("Mapping file (`kind: mapping`): reading a CRM export", Mapping),
    ):
        found: list = []
        sections(kind, "", found)
        text.append(f"## {title}\n")
        for path, model, rows in found:
            if path is not None:
                first = next(iter(model.model_fields))
                form = f" (with `{first}`)" if [p for p, _, _ in found].count(path) > 1 else ""
                text.append(f"### `{path}`{form}\n")
                if model.__doc__ and model.__doc__ is not BaseModel.__doc__:
                    text.append(_flat(model.__doc__) + "\n")
            text.append("\n".join(_table(rows)) + "\n")
    text.append(_kpi_table())
    return "\n".join(text)


def main(argv: list[str]) -> int:
    page = render()
    if "--check" in argv:
        if not PAGE.exists() or PAGE.read_text(encoding="utf-8") != page:
            print(f"{PAGE} is stale: run python docs/reference.py", file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(page, encoding="utf-8")
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
