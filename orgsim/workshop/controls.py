"""The numbers a leader may move in the workshop page, and what moving them writes.

Each control is one dotted path of the scenario language (`org.roles.ae.headcount`), so an
edited design is the scenario with `set` overrides (`Scenario.only(...).with_set(...)`): it
is checked by the same rules as a file, and saving it writes a variant a planner can commit.
Only values written as one plain number or choice are offered: a rate that differs by
segment, or a role staffed by named people, is edited in its file.
"""

from __future__ import annotations

import datetime
import math
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
import yaml

from orgsim.config.errors import ConfigError, Problem
from orgsim.config.scenario import Scenario, load_text
from orgsim.config.schema import Routing, is_name
from orgsim.config.units import WEEK
from orgsim.config.yamlio import parse

ROUTINGS = typing.get_args(Routing)
HANDOFF_MODES = ("manual", "automated")
EDITED = "edited"
"""The edited design's name beside the baseline on the page."""
GROUPS = ("Headcount", "Lead volume", "Conversion", "SLAs", "Routing", "Handoffs")
"""The order the page shows the controls in: people first, then the market, then the rules."""


@dataclass(frozen=True)
class Control:
    """One number or choice of a design, with the override path it writes."""

    path: str
    label: str
    group: str
    kind: str
    """`count` (whole people), `share` (0 to 1), `hours`, `per_week` or `choice`."""
    value: Any
    choices: tuple[str, ...] = ()

    def written(self, value: Any) -> Any:
        """The value as the scenario language writes it (`4h`, `130/week`)."""
        if self.kind == "hours":
            return f"{_digits(value)}h"
        if self.kind == "per_week":
            return f"{_digits(value)}/week"
        if self.kind == "count":  # 2.5 people stays 2.5, for the language to refuse
            return int(value) if float(value).is_integer() else float(value)
        if self.kind == "share":
            return float(value)
        return value


def _digits(value: Any) -> str:
    """Every digit of a number and never an exponent (which the language does not read):
    `2`, `2.5`, `1500000`."""
    return numpy.format_float_positional(float(value), trim="-")


def controls(scenario: Scenario, variant: str) -> list[Control]:
    """The controls of one design, in the page's order (`GROUPS`)."""
    chosen = scenario.variant(variant)
    org, market = chosen.org, chosen.market
    found = _headcounts(org)
    for name, source in market.sources.items():
        if getattr(source, "rate", None) is not None:
            found.append(
                Control(
                    f"market.sources.{name}.rate",
                    f"{name} leads a week",
                    "Lead volume",
                    "per_week",
                    round(source.rate * WEEK, 6),
                )
            )
    for stage, spec in market.journey.items():
        for to, chance in (spec.outcomes or {}).items():
            if isinstance(chance, float | int) and chance < 1:  # a certain step is structure
                found.append(
                    Control(
                        f"market.journey.{stage}.outcomes.{to}",
                        f"{stage} → {to} (a share, 0 to 1)",
                        "Conversion",
                        "share",
                        float(chance),
                    )
                )
    for stage, work in org.work.items():
        if work.sla is not None and work.sla.first_touch is not None:
            found.append(
                Control(
                    f"org.work.{stage}.sla.first_touch",
                    f"{stage}: first touch within ({work.sla.clock} hours)",
                    "SLAs",
                    "hours",
                    float(work.sla.first_touch),
                )
            )
        found.append(
            Control(
                f"org.work.{stage}.routing",
                f"{stage} ({work.role})",
                "Routing",
                "choice",
                work.routing,
                ROUTINGS,
            )
        )
    for key, handoff in org.handoffs.items():
        mode = "manual" if handoff.is_manual else "automated"
        found.append(
            Control(f"org.handoffs.{key}.mode", key, "Handoffs", "choice", mode, HANDOFF_MODES)
        )
    return sorted(found, key=lambda c: GROUPS.index(c.group))


def _headcounts(org) -> list[Control]:
    """Headcount per role, and per role and pod for the roles in pods; not for named people."""
    in_pods = [
        Control(f"org.pods.{pod}.members.{role}", f"{role} in {pod}", "Headcount", "count", count)
        for pod, spec in org.pods.items()
        for role, count in spec.members.items()
    ]
    pooled = set(org.roles) - set(org.roles_in_pods())
    working = {work.role for work in org.work.values()}
    return [
        Control(
            f"org.roles.{name}.headcount",
            name if name in working else f"{name} (works no stage: a cost only)",
            "Headcount",
            "count",
            role.headcount,
        )
        for name, role in org.roles.items()
        if name in pooled and role.headcount is not None and not role.people
    ] + in_pods


def edits(found: list[Control], values: dict[str, Any]) -> dict[str, Any]:
    """The overrides that differ from the design as written, in the language's words."""
    by_path = {c.path: c for c in found}
    changed, empty = {}, []
    for path, value in values.items():
        control = by_path[path]
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            empty.append(Problem.unplaced("<workshop>", path, f"{control.label}: give a number"))
        elif control.kind != "choice" and value < 0:
            empty.append(Problem.unplaced("<workshop>", path, f"{control.label}: not below 0"))
        elif control.written(value) != control.written(control.value):
            changed[path] = control.written(value)
    if empty:
        raise ConfigError(empty)
    return changed


def _design(tree: dict, variant: str, changed: dict[str, Any]) -> dict:
    """`variant` as its file writes it, with the edits added to its `set`."""
    written = (tree.get("variants") or {}).get(variant) or {}
    said = "; ".join(f"{k} = {v}" for k, v in changed.items()) or "no change"
    return {
        "description": f"{variant}, edited in the workshop page: {said}",
        **{k: v for k, v in written.items() if k not in ("description", "set")},
        "set": {**(written.get("set") or {}), **changed},
    }


class _Plain(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:  # values as written, never `&id001`
        return True


def _dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Plain, sort_keys=False, allow_unicode=True, width=88)


def edited(
    scenario: Scenario, text: str, baseline: str, variant: str, changed: dict[str, Any]
) -> Scenario:
    """The baseline design and the edited one (`EDITED`, or with _ added where the file
    has a design of that name: the study's last variant), as one study from the scenario
    file's `text` as the page read it: common random numbers, paired differences. Checked
    as a file is (ConfigError)."""
    tree = parse(text, str(scenario.file)).data
    kept = {k: v for k, v in (tree.get("variants") or {}).items() if k == baseline}
    name = EDITED
    while name in scenario.variants:  # never a written design's name
        name += "_"
    tree = {
        **tree,
        "variants": {**(kept or {baseline: {}}), name: _design(tree, variant, changed)},
    }
    directory = Path(scenario.file).parent
    return load_text(_dump(tree), directory, name=f"{Path(scenario.file).name} (edited)")


def save_variant(
    scenario: Scenario, text: str, variant: str, name: str, changed: dict[str, Any]
) -> Path:
    """Write the scenario file's `text` again beside it with one more variant, `name`:
    `variant` and the edits, added at the end of its `variants` (its comments kept). Relative
    paths keep working and `orgsim compare` runs it as written. Never overwrites a file
    (ConfigError says which)."""
    if not is_name(name) or name in scenario.variants:
        why = f"{name!r} is not a new design's name (lowercase letters, digits and _; not one "
        raise ConfigError.unplaced(
            "<workshop>", "name", why + f"of {', '.join(scenario.variants)})"
        )
    source = Path(scenario.file)
    target = source.with_name(f"{source.stem}.{name}.yaml")
    design = _design(parse(text, str(source)).data, variant, changed)
    block = f"# Written by orgsim serve on {datetime.date.today():%Y-%m-%d}.\n" + _dump(
        {name: design}
    )
    written = f"# Written by orgsim serve from {source.name}.\n" + _with_variant(text, block)
    wanted = [*scenario.variants, name]
    try:
        added = list(load_text(written, source.parent, name=str(target)).variants) == wanted
    except ConfigError:
        added = False
    if not added:
        why = "its variants are written in a way the page cannot add to: add it by hand"
        raise ConfigError.unplaced(str(source), "variants", why)
    try:
        with open(target, "x", encoding="utf-8") as file:  # never over a file, even a new one
            file.write(written)
    except FileExistsError:
        raise ConfigError.unplaced(
            str(target), "<file>", "already exists: choose another name"
        ) from None
    return target


def _with_variant(text: str, block: str) -> str:
    """`text` with `block` (a variant, unindented) at the end of its top-level `variants`
    mapping, before the comments that open the next key; a `variants` mapping with `base`
    (the design written outside variants) when it has none."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    heading = re.compile(r"variants\s*:\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if heading.match(line)), None)
    child = re.compile(r"( +)[^\s#]")
    found = [child.match(line) for line in lines[start + 1 :]] if start is not None else []
    indent = next((m.group(1) for m in found if m), "  ")
    indented = "".join(indent + line if line.strip() else line for line in block.splitlines(True))
    if start is None:
        return "".join(lines) + "\nvariants:\n  base: {}\n" + indented
    end = next(
        (i for i in range(start + 1, len(lines)) if re.match(r"[^\s#]", lines[i])), len(lines)
    )
    while end - 1 > start and re.match(r"(#.*)?\s*$", lines[end - 1]):  # the next key's
        end -= 1
    return "".join(lines[:end]) + indented + "".join(lines[end:])
