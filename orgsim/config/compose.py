"""Compose a scenario: read the market and org it names, apply `set`, build each variant.

Order, as docs/scenario-language.md fixes it: the base scenario; the variant's
`market`/`org` replace the base ones; the scenario's top-level `set`; the
variant's own `set`; then any extra overrides (a sweep point, `--param`, or
`Scenario.with_set`). Every value keeps the mark of the file and line where
it was written, so an error in an org file names the org file, and an error
in a `set` value names the scenario's `set` entry.
"""

from __future__ import annotations

import difflib
import os
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from orgsim.config import checks, kpis, targets
from orgsim.config.errors import ConfigError, Problem, dotted
from orgsim.config.schema import Market, Org, Roster, ScenarioFile, Transition, Variant
from orgsim.config.units import WEEK
from orgsim.config.validation import validate
from orgsim.config.yamlio import Located, Mark, not_a_file, read

KINDS = {"market": Market, "org": Org, "people": Roster, "scenario": ScenarioFile}


@dataclass(frozen=True)
class Override:
    """One `set` entry: a dotted path, the value, and where it was written."""

    path: str
    value: Located
    key_mark: Mark

    @staticmethod
    def from_python(path: str, value: Any, source: str = "<set>", col: int = 1) -> Override:
        mark = Mark(source, 1, col, (path,))
        return Override(path, Located(value, {(): mark}, {}), mark)


def split_path(path: str) -> tuple:
    """`org.handoffs.sdr->ae.mode` -> ('org', 'handoffs', 'sdr->ae', 'mode')."""
    return tuple(int(p) if p.isdigit() else p for p in path.split("."))


def kind_of(tree: Located) -> tuple[str | None, list[Problem]]:
    """The file's `kind`, or the problem that stops it being read as one."""
    root = tree.values[()]
    if not isinstance(tree.data, dict):
        return None, [root.problem("expected a mapping with 'kind: market', 'org' or 'scenario'")]
    kind = tree.data.get("kind")
    if kind is None:
        return None, [
            root.problem(
                "missing required field 'kind' (market, org, people or scenario)", extra=("kind",)
            )
        ]
    if not isinstance(kind, str) or kind not in KINDS:
        return None, [
            tree.values[("kind",)].problem(
                f"unknown kind '{kind}': expected market, org, people or scenario"
            )
        ]
    return kind, []


@dataclass
class Composition:
    """A scenario as written, with the market and org trees it names, ready to compose."""

    scenario: Located
    directory: Path
    shown_directory: str
    includes: dict[tuple, Located] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    """The market and org files read (the inputs no output may overwrite)."""

    # -- reading the files a scenario names

    def include(self, at: tuple, kind: str) -> Located | None:
        """The market or org at `at` in the scenario (a relative path or an inline mapping)."""
        if at in self.includes:
            return self.includes[at]
        value = self.scenario.get(at) if self.scenario.has(at) else None
        tree = None
        if isinstance(value, dict):
            tree = self.scenario.sub(at)
        elif isinstance(value, str):
            tree = self._read_include(at, value, kind)
        self.includes[at] = tree
        return tree

    def _read_include(self, at: tuple, reference: str, kind: str) -> Located | None:
        mark = self.scenario.values[at]
        target = self.directory / reference
        shown = os.path.normpath(os.path.join(self.shown_directory, reference))
        why = not_a_file(target)
        if why is not None:
            if why == "no such file":
                said = f"no such {kind} file '{reference}' (looked for {shown})"
            else:
                said = f"the {kind} file '{reference}' (looked for {shown}) {why}"
            self.problems.append(mark.problem(said))
            return None
        try:
            tree = read(target, shown)
        except ConfigError as err:
            self.problems.extend(err.problems)
            return None
        self.files.append(target)
        found, problems = kind_of(tree)
        if problems:
            self.problems.extend(problems)
            return None
        if found != kind:
            self.problems.append(
                mark.problem(f"'{reference}' is {_a(found)} file, expected {_a(kind)}")
            )
            return None
        return tree

    # -- composing one variant

    def overrides(self, at: tuple) -> list[Override]:
        """The `set` entries written at `at` (the top level, or a variant)."""
        entries = self.scenario.get(at) if self.scenario.has(at) else None
        if not isinstance(entries, dict):
            return []
        return [
            Override(key, self.scenario.sub((*at, key)), self.scenario.keys[(*at, key)])
            for key in entries
        ]

    def compose(self, variant: str | None, extra: list[Override]) -> tuple[Located | None, list]:
        """The composed {market, org} tree of a variant (None: the base), and its problems."""
        spec_at = ("variants", variant) if variant else None
        spec = self.scenario.get(spec_at) if spec_at else None
        spec = spec if isinstance(spec, dict) else {}
        parts = {}
        for kind in ("market", "org"):
            at = (*spec_at, kind) if kind in spec else (kind,)
            parts[kind] = self.include(at, kind)
        if parts["market"] is None or parts["org"] is None:
            return None, []
        tree = Located({}, {(): self.scenario.values[()]}, {})
        for kind, part in parts.items():
            tree = tree.graft((kind,), part, part.values[()])
        if isinstance(spec.get("transition"), dict):
            tree = self._transition(tree, (*spec_at, "transition"))
            if tree is None:
                return None, []
        people_at = (*spec_at, "people") if "people" in spec else ("people",)
        if self.scenario.has(people_at) and self.scenario.get(people_at) is not None:
            tree = self._roster(tree, people_at)
            if tree is None:
                return None, []
        problems: list[Problem] = []
        sets = self.overrides(("set",)) + (self.overrides((*spec_at, "set")) if spec_at else [])
        for override in [*sets, *extra]:
            tree = apply(tree, override, problems)
        return tree, problems

    def _roster(self, tree: Located, at: tuple) -> Located | None:
        """`tree` with each role's people from the roster at `at`, in today's org and in the
        org a transition switches to where it has the role (your people stay your people
        across a reorganisation); a roster file's problems stay where the roster wrote them."""
        roster = self.include(at, "people")
        if roster is None:
            return None
        valid, problems = validate(Roster, roster)
        if valid is None:
            self.problems.extend(problems)
            return None
        roles = roster.data["roles"]
        org_roles = tree.data["org"].get("roles")
        org_roles = org_roles if isinstance(org_roles, dict) else {}
        for role in roles:
            if role not in org_roles:
                self.problems.append(
                    roster.keys[("roles", role)].problem(
                        f"the org has no role '{role}' (roles: {', '.join(map(str, org_roles))})"
                    )
                )
                continue
            for org in (("org",), ("transition", "org")):
                roles_there = tree.get((*org, "roles")) if tree.has((*org, "roles")) else None
                if isinstance(roles_there, dict) and role in roles_there:
                    tree = tree.graft((*org, "roles", role, "people"), roster.sub(("roles", role)),
                                      roster.keys[("roles", role)])  # fmt: skip
        return tree

    def _transition(self, tree: Located, at: tuple) -> Located | None:
        """`tree` with the variant's transition at `transition`, its org read in (so that
        `set` paths may start with transition.org)."""
        written = self.scenario.sub(at)
        tree = tree.graft(("transition",), written, self.scenario.keys[at])
        if "org" not in written.data:
            return tree  # validation says the org is missing
        org = self.include((*at, "org"), "org")
        return None if org is None else tree.graft(("transition", "org"), org, org.values[()])


def _a(word: str) -> str:
    """`a market`, `an org`."""
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


def apply(tree: Located, override: Override, problems: list[Problem]) -> Located:
    """`tree` with the override applied, or unchanged with a problem if its path is wrong."""
    path = split_path(override.path)
    message = _path_problem(tree, path, isinstance(override.value.data, dict))
    if message:
        problems.append(override.key_mark.problem(message))
        return tree
    return tree.graft(path, override.value, override.key_mark)


def _path_problem(tree: Located, path: tuple, whole: bool = False) -> str | None:
    """What is wrong with a set path, or None. With `whole` (the value is a mapping), the path
    may add a new entry to a table of named things (`market.sources.outbound: {...}`); a
    deeper path must name an entry that exists, so a misspelt one is caught."""
    if path and path[0] == "transition" and "transition" not in tree.data:
        return "this variant has no transition: write one before setting transition.*"
    if not path or path[0] not in tree.data:
        also = " or transition." if "transition" in tree.data else ""
        return f"a set path starts with market. or org.{also} (for example org.roles.ae.headcount)"
    node, model = tree.data, None
    for depth, part in enumerate(path):
        here = dotted(path[:depth]) or "the scenario"
        last = depth == len(path) - 1
        if isinstance(node, dict) and part in node:
            node, model = node[part], _field_model(model, part, depth)
            continue
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
            continue
        if last and isinstance(node, dict) and _is_field(model, path, depth):
            return None
        if last and whole and isinstance(node, dict) and isinstance(model, tuple):
            return None  # a new entry of a dict[str, Model], checked as written entries are
        if not isinstance(node, dict | list):
            return f"{here} is a single value, it has no '{part}'"
        if isinstance(node, list):
            entries = f"entries 0 to {len(node) - 1}" if node else "no entries"
            return f"no entry {part} in {here}: it has {entries}, counted from 0"
        options = [str(k) for k in node] if isinstance(node, dict) else []
        close = difflib.get_close_matches(str(part), options, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else f" (it has: {', '.join(options)})"
        return f"no '{part}' in {here}{hint}"
    return None


def _field_model(model: Any, part: Any, depth: int) -> Any:
    """The model class one step down the path, where it is a plain model or a dict of them."""
    if depth == 0:
        return {"market": Market, "org": Org, "transition": Transition}.get(part)
    if isinstance(model, tuple):  # inside a dict[str, Model]: `part` is a key
        return model[1]
    if isinstance(model, list):  # a union of models (an inbound or an outbound source)
        model = next((m for m in model if part in m.model_fields), None)
    if isinstance(model, type) and issubclass(model, BaseModel) and part in model.model_fields:
        return _unwrap(model.model_fields[part].annotation)
    return None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin is dict:
        return ("dict", _unwrap(typing.get_args(annotation)[1]))
    if origin in (typing.Union, types.UnionType):
        models = [
            a
            for a in map(_unwrap, typing.get_args(annotation))
            if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        return models[0] if len(models) == 1 else models or None
    return annotation if isinstance(annotation, type) else None


def _is_field(model: Any, path: tuple, depth: int) -> bool:
    """Whether the missing last part names a field the model (or one of a union of models)
    allows (left at its default)."""
    return any(
        isinstance(m, type) and issubclass(m, BaseModel) and path[depth] in m.model_fields
        for m in (model if isinstance(model, list) else [model])
    )


def validate_variant(tree: Located) -> tuple[Variant | None, list[Problem], Variant | None]:
    """Models and semantic checks for one composed variant tree: the variant (None when
    anything is wrong), every problem, and the variant as far as its fields are valid even
    where a cross-check failed (None when a model could not be built), so that targets can
    still be checked against the KPIs it would report."""
    market, problems = validate(Market, tree, ("market",))
    org, org_problems = validate(Org, tree, ("org",))
    problems += org_problems
    outbound = set(market.prospected()) if market is not None else set()
    if org is not None:
        org = org.with_prospecting(outbound)
    if market is not None:
        problems += checks.check_market(market, tree, ("market",), org)
    if org is not None:
        problems += checks.check_org(org, tree, ("org",))
    transition = None
    if "transition" in tree.data:
        transition, more = validate(Transition, tree, ("transition",))
        problems += more
        if transition is not None:
            transition = transition.model_copy(
                update={"org": transition.org.with_prospecting(outbound)}
            )
            problems += checks.check_org(transition.org, tree, ("transition", "org"))
    if market is None or org is None or ("transition" in tree.data and transition is None):
        return None, problems, None
    partial = Variant(name="", market=market, org=org, transition=transition)
    problems += checks.check_together(market, org, tree)
    if transition is not None:
        problems += checks.check_together(market, transition.org, tree, ("transition", "org"))
        if not any(not p.warning for p in problems):
            problems += checks.check_transition(org, transition, tree)
    if any(not p.warning for p in problems):
        return None, problems, partial
    return partial, problems, partial


@dataclass(frozen=True)
class Composed:
    """The outcome of composing a scenario: everything `Scenario` needs."""

    spec: ScenarioFile
    base: Variant
    base_tree: Located
    variants: dict[str, Variant]
    trees: dict[str, Located]
    warnings: list[Problem]


def compose(
    composition: Composition, extra: list[Override] | None = None, only: str | None = None
) -> Composed:
    """Compose and check every variant, or `only` one (which then also stands for the base:
    overrides apply to it alone); raise ConfigError with every problem found."""
    extra = extra or []
    spec, problems = validate(ScenarioFile, composition.scenario)
    names = list(spec.variants) if spec else _variant_names(composition.scenario)
    if only is not None:
        names = [only] if only in names else []
    base_tree, base_problems = composition.compose(only if names else None, extra)
    base = partial = None
    if base_tree is not None:
        base, more, partial = validate_variant(base_tree)
        base_problems += more
    problems += base_problems
    variants: dict[str, Variant] = {}
    trees: dict[str, Located] = {}
    checkable: dict[str, Variant | Located | None] = {}  # for the targets: see _check_targets
    seen = {str(p) for p in problems}  # the file's own (a variant's transition) and the base's
    for name in names:
        tree, found = composition.compose(name, extra)
        variant = None
        checkable[name] = None  # a file that did not load: its KPIs are unknown
        if tree is not None:
            variant, more, partial_variant = validate_variant(tree)
            checkable[name] = partial_variant or tree
            found += more
        for p in found:
            if str(p) not in seen:
                seen.add(str(p))
                problems.append(_in_variant(p, name))
        if variant is not None:
            variants[name] = variant.model_copy(
                update={"name": name, "description": _describe(composition.scenario, name)}
            )
            trees[name] = tree
    problems += composition.problems
    if not names:
        checkable = {"base": partial or base_tree}
    if spec is not None and only is None and None not in checkable.values():
        # with one variant alone, targets may name the others' KPIs
        broken = len(variants) < len(names) if names else base is None
        problems += _check_targets(spec, composition.scenario, checkable, broken)
    if spec is not None and base is not None and not _errors(problems):
        if not names:
            variants = {"base": base.model_copy(update={"name": "base"})}
            trees = {"base": base_tree}
        problems += _check_switches(spec, composition.scenario, variants)
        problems += _check_sweep(spec, composition, variants, extra)
    if _errors(problems):
        raise ConfigError(problems)
    return Composed(spec, base, base_tree, variants, trees, [p for p in problems if p.warning])


def _errors(problems: list[Problem]) -> bool:
    return any(not p.warning for p in problems)


def _variant_names(tree: Located) -> list[str]:
    variants = tree.data.get("variants") if isinstance(tree.data, dict) else None
    return [k for k in variants if isinstance(k, str)] if isinstance(variants, dict) else []


def _describe(tree: Located, name: str) -> str | None:
    spec = tree.get(("variants", name))
    return spec.get("description") if isinstance(spec, dict) else None


def _in_variant(problem: Problem, name: str) -> Problem:
    return Problem(
        problem.file,
        problem.line,
        problem.col,
        problem.path,
        f"{problem.message} (in variant '{name}')",
        problem.warning,
    )


def _check_targets(
    spec: ScenarioFile,
    tree: Located,
    variants: Mapping[str, Variant | Located],
    broken: bool = False,
):
    """Targets name KPIs the variants report, with bounds the KPI can take. Each variant is
    a `Variant` whose fields are valid, or, where they are not, its composed tree. With
    `broken` variants (problems reported already) a name is judged by the catalogue's forms
    and the names the variants give stages, sources and roles, so that a typo elsewhere
    brings no false error here, and a typo here is not left for a second round."""
    built = [v for v in variants.values() if isinstance(v, Variant)]
    known = kpis.names_across(built, spec.horizon)
    problems = []
    if broken:
        named = [_names_in(v) for v in variants.values()]
        forms = (k for n in named for k in kpis.every_form(*n, spec.horizon))
        known = list(dict.fromkeys([*known, *forms]))

    def written(path: tuple) -> Any:
        return tree.get(path) if tree.has(path) else None

    def place(path: tuple, message: str) -> Problem:
        mark = tree.keys.get(path) if len(path) == 2 else tree.values.get(path)
        return (mark or tree.locate(path)[0]).problem(message)

    problems += targets.check(spec.targets, known, written, place)
    return problems


def _names_in(variant: Variant | Located) -> tuple[list[str], list[str], list[str]]:
    """Stages, sources and roles a variant names (from its tree where a model failed)."""
    if isinstance(variant, Variant):
        orgs = [variant.org] + ([variant.transition.org] if variant.transition else [])
        roles = [role for org in orgs for role in org.roles]
        return list(variant.market.journey), list(variant.market.sources), roles

    def keys(*path: str) -> list[str]:
        node = variant.data
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        return [k for k in node if isinstance(k, str)] if isinstance(node, dict) else []

    roles = keys("org", "roles") + keys("transition", "org", "roles")
    return keys("market", "journey"), keys("market", "sources"), roles


def _check_switches(spec: ScenarioFile, tree: Located, variants: Mapping[str, Variant]):
    """A switch at or after the end of the horizon never happens: a warning."""
    return [
        tree.values[("variants", name, "transition", "at")].problem(
            f"the switch at {variant.transition.at / WEEK:g}w comes at or after the end of the "
            f"{spec.horizon / WEEK:g}w horizon: nothing switches",
            warning=True,
        )
        for name, variant in variants.items()
        if variant.transition is not None
        and variant.transition.at >= spec.horizon
        and tree.has(("variants", name, "transition", "at"))
    ]


def _check_sweep(
    spec: ScenarioFile,
    composition: Composition,
    variants: Mapping[str, Variant],
    extra: list[Override],
) -> list[Problem]:
    """Each sweep value, applied to each variant, must give a valid scenario."""
    overrides = [
        Override(
            path,
            composition.scenario.sub(("sweep", path, i)),
            composition.scenario.keys[("sweep", path)],
        )
        for path, values in spec.sweep.items()
        for i in range(len(values))
    ]
    return override_problems(composition, list(variants), extra, overrides)


def override_problems(
    composition: Composition, variants: list[str], extra: list[Override], overrides: list[Override]
) -> list[Problem]:
    """Problems of applying each override on its own (after `extra`) to every variant: a
    wrong path or value is reported once, for the first variant it breaks."""
    problems: list[Problem] = []
    names = [None] if variants == ["base"] else variants
    for override in overrides:
        for name in names:
            tree, found = composition.compose(name, [*extra, override])
            if tree is not None and not found:
                found = [p for p in validate_variant(tree)[1] if not p.warning]
            problems += [_in_variant(p, name) if name else p for p in found]
            if found:
                break
    return problems
