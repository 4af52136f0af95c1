"""`orgsim.load`: a scenario file in, a resolved, validated, immutable `Scenario` out."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from pydantic import PrivateAttr, TypeAdapter, ValidationError

from orgsim.config import kpis
from orgsim.config.compose import (
    Composition,
    Override,
    compose,
    kind_of,
    override_problems,
)
from orgsim.config.distributions import Frozen
from orgsim.config.errors import ConfigError, Problem
from orgsim.config.schema import (
    DEFAULT_START,
    Auto,
    Market,
    Org,
    Roster,
    ScenarioFile,
    Target,
    Variant,
)
from orgsim.config.units import WEEK
from orgsim.config.validation import _message, validate
from orgsim.config.yamlio import Located, parse, read, text_problem


class Scenario(Frozen):
    """A study: one market, one or more org designs (variants), horizon, seeds and targets.

    `variants` always has at least one entry (`base` when the file lists none);
    `market` and `org` are the base composition, before any variant.
    """

    name: str
    description: str | None = None
    file: str | None = None
    horizon: float
    warmup: float
    replications: int
    """Replications per design; with `auto`, the most it may take."""
    auto: Auto | None = None
    """Set when the study replicates until answered (`replications: auto`)."""
    seed: int
    start: date = DEFAULT_START
    """The calendar date of t = 0 (a Monday): seasonality months and holidays follow it."""
    holidays: str | list[date] | None = None
    """A country code or a list of dates on which no role with a schedule works."""
    currency: str | None = None
    """A label for money in reports (`USD`, `EUR`, `KRW`); amounts are never converted."""
    market: Market
    org: Org
    variants: dict[str, Variant]
    targets: dict[str, Target] = {}
    sweep: dict[str, list[Any]] = {}
    warnings: list[Problem] = []
    """Warnings found while loading (a stage no source reaches, an empty pod...)."""
    _composition: Composition = PrivateAttr()
    _overrides: list[Override] = PrivateAttr(default_factory=list)
    _trees: dict[str, Located] = PrivateAttr(default_factory=dict)
    _only: str | None = PrivateAttr(default=None)

    def variant(self, name: str | None = None) -> Variant:
        """A variant by name; the first one when no name is given."""
        if name is None:
            return next(iter(self.variants.values()))
        if not isinstance(name, str) or name not in self.variants:
            why = f"no variant {name!r} (variants: {', '.join(self.variants)})"
            raise ConfigError.unplaced("<arguments>", "variant", why)
        return self.variants[name]

    def kpi_names(self) -> list[str]:
        """Every KPI any variant reports (what `targets` may name), in catalogue order."""
        return kpis.names_across(self.variants.values(), self.horizon)

    def with_set(self, overrides: Mapping[str, Any], source: str = "<set>") -> Scenario:
        """The same study with dotted-path overrides applied to every variant (after its own
        `set`), validated again. Raises ConfigError if a path or value is wrong."""
        if not isinstance(overrides, Mapping) or not all(isinstance(k, str) for k in overrides):
            raise ConfigError.unplaced(
                source, "set", "overrides are a mapping of dotted paths to values, such as "
                "{'org.roles.ae.headcount': 12}",
            )  # fmt: skip
        problems = [
            Problem.unplaced(source, path, why)
            for path, value in overrides.items()
            for why in _texts_problems(value)
        ]
        if problems:
            raise ConfigError(problems)
        extra = [Override.from_python(path, value, source) for path, value in overrides.items()]
        return self._rebuilt([*self._overrides, *extra], self._only)

    def only(self, variant: str) -> Scenario:
        """The same study with just one variant, so that overrides (a planner's headcounts,
        a sweep's values) apply to that variant's org alone."""
        self.variant(variant)  # a ConfigError naming the variants if there is no such one
        return self._rebuilt(self._overrides, variant)

    def _rebuilt(self, extra: list[Override], only: str | None) -> Scenario:
        """Composed again from the files, keeping this study's run: its replications, seed,
        horizon and warm-up (a study shortened in Python stays short)."""
        built = _build(self._composition, extra, only)
        kept = {"replications": self.replications, "auto": self.auto, "seed": self.seed,
                "horizon": self.horizon, "warmup": self.warmup}  # fmt: skip
        return built.model_copy(update=kept)

    def check_overrides(self, overrides: list[Override]) -> None:
        """Raise ConfigError unless each override, applied on its own to every variant,
        gives a valid scenario (how sweep values are checked before a sweep starts)."""
        problems = override_problems(
            self._composition, list(self.variants), self._overrides, overrides
        )
        if problems:
            raise ConfigError(problems)

    def with_run(
        self,
        *,
        replications: int | str | None = None,
        seed: int | None = None,
        precision: float | None = None,
        least: int | None = None,
        most: int | None = None,
    ) -> Scenario:
        """The same study with another replication count (or `"auto"`, tuned by `precision`,
        `least` and `most`) or seed, held to the bounds the scenario file's fields are
        (ConfigError naming the argument)."""
        given = {"replications": replications, "seed": seed}
        tuning = {"precision": precision, "least": least, "most": most}
        update, problems = {}, []
        for name, value in [*given.items(), *tuning.items()]:
            if value is None:
                continue
            fields = ScenarioFile.model_fields if name in given else Auto.model_fields
            try:
                update[name] = TypeAdapter(fields[name].rebuild_annotation()).validate_python(value)
            except ValidationError as err:
                error = err.errors(include_url=False)[0]
                why = _message(error["type"], error, (name,))
                problems.append(Problem.unplaced("<arguments>", name, why))
        if problems:
            raise ConfigError(problems)
        count = update.get("replications", "auto" if self.auto else self.replications)
        tuned = {k: update.pop(k) for k in tuning if k in update}
        if count != "auto" and tuned:
            why = f"{', '.join(tuned)} tune replications: auto, not a count of {count}"
            raise ConfigError([Problem.unplaced("<arguments>", "replications", why)])
        if count == "auto":
            auto = (self.auto or Auto()).model_copy(update=tuned)
            if "least" not in tuned:  # a budget below the default least lowers it
                auto = auto.model_copy(update={"least": min(auto.least, auto.most)})
            update.update(replications=_budget(auto), auto=auto)
        else:
            update["auto"] = None
        return self.model_copy(update=update)

    def source_files(self) -> list[Path]:
        """The files this scenario was read from: its own and the markets and orgs it names."""
        own = [Path(self.file)] if self.file else []
        return list(dict.fromkeys([*own, *self._composition.files]))

    def composed(self, variant: str | None = None) -> dict[str, Any]:
        """A variant's market and org as written, with every `set` applied (for reports)."""
        return self._trees[self.variant(variant).name].data

    def composed_yaml(self, variant: str | None = None) -> str:
        return yaml.safe_dump(self.composed(variant), sort_keys=False, allow_unicode=True)

    @property
    def horizon_weeks(self) -> float:
        return self.horizon / WEEK


def _replications(written: int | str) -> dict[str, Any]:
    """A fixed count, or `auto` with its defaults (replications: the most it may take)."""
    if written == "auto":
        return {"replications": Auto().most, "auto": Auto()}
    return {"replications": written, "auto": None}


def _budget(auto: Auto) -> int:
    """The most replications `auto` may take (ConfigError when its least is more)."""
    if auto.least > auto.most:
        why = f"the least replications ({auto.least}) is more than the most ({auto.most})"
        raise ConfigError([Problem.unplaced("<arguments>", "replications", why)])
    return auto.most


def _build(composition: Composition, extra: list[Override], only: str | None = None) -> Scenario:
    done = compose(composition, extra, only)
    spec = done.spec
    scenario = Scenario(
        name=spec.name,
        description=spec.description,
        file=composition.scenario.values[()].file,
        horizon=spec.horizon,
        warmup=spec.warmup,
        **_replications(spec.replications),
        seed=spec.seed,
        start=spec.start,
        holidays=spec.holidays,
        currency=spec.currency,
        market=done.base.market,
        org=done.base.org,
        variants=done.variants,
        targets=spec.targets,
        sweep=spec.sweep,
        warnings=sorted(set(done.warnings)),
    )
    scenario._composition = composition
    scenario._overrides = list(extra)
    scenario._trees = done.trees
    scenario._only = only
    return scenario


def _shown(path: Path) -> str:
    """How a file is named in messages: as the user gave it."""
    return str(path)


def _texts_problems(value: Any) -> list[str]:
    """What is wrong with each text in a value given from Python (`yamlio.text_problem`)."""
    if isinstance(value, str):
        return [p] if (p := text_problem(value)) else []
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _texts_problems(k) + _texts_problems(v)]
    if isinstance(value, list | tuple):
        return [p for v in value for p in _texts_problems(v)]
    return []


def _scenario_from(tree: Located, directory: Path, shown_directory: str) -> Scenario:
    kind, problems = kind_of(tree)
    if problems:
        raise ConfigError(problems)
    if kind != "scenario":
        raise ConfigError(
            [
                tree.values[("kind",)].problem(
                    f"this is a {kind} file; this needs a scenario, which names a market "
                    "and an org (see scenarios/ for examples)"
                )
            ]
        )
    return _build(Composition(tree, directory, shown_directory), [])


def load(path: str | Path, set: Mapping[str, Any] | None = None) -> Scenario:
    """Read a scenario file, with the market and org it names, into a checked `Scenario`.

    Args:
        path: the scenario YAML; the market and org paths in it are relative to it.
        set: dotted-path overrides applied on top of the file, as a scenario's own
            `set` would apply them.

    Returns:
        A frozen `Scenario`: its variants composed and checked, its warnings (as
        `Problem` objects) in `.warnings`.

    Raises:
        ConfigError: listing every problem at once, each as
            `FILE:LINE:COL: path: message`.

    Example:
        >>> import orgsim
        >>> scenario = orgsim.load("scenarios/reorg_sdr_split.yaml",
        ...                        set={"market.sources.inbound.rate": "150/week"})
        >>> list(scenario.variants)
        ['functional', 'process_stage', 'process_stage_auto_handoff', 'pods']
    """
    _arguments(path=(path, str | os.PathLike))
    path = Path(path)
    shown = _shown(path)
    scenario = _scenario_from(read(path, shown), path.parent, os.path.dirname(shown) or ".")
    return scenario.with_set(set) if set else scenario


def _named_twice(roster: Roster, tree: Located) -> list[Problem]:
    """A roster file's names, each once (what a roster can say without its org)."""
    seen: dict[str, str] = {}
    problems = []
    for role, people in roster.roles.items():
        for i, person in enumerate(people):
            here = ("roles", role, i, "name")
            if person.name in seen:
                mark, _ = tree.locate(here)
                problems.append(
                    mark.problem(f"'{person.name}' is named twice (also at {seen[person.name]})")
                )
            seen.setdefault(person.name, f"roles.{role}.{i}")
    return problems


def _arguments(**given: tuple[Any, Any]) -> None:
    """Each (value, type) argument of the expected type, or a ConfigError naming it."""
    problems = [
        Problem.unplaced("<arguments>", name, f"{_argument(value)} is not a {_kind(kind)}")
        for name, (value, kind) in given.items()
        if isinstance(value, bool) or not isinstance(value, kind)
    ]
    if problems:
        raise ConfigError(problems)


def _argument(value: Any) -> str:
    """A wrong argument as an error shows it: its repr if short, else its type."""
    text = repr(value)
    return text if len(text) <= 60 else f"a {type(value).__name__}"


def _kind(kind) -> str:
    return "text" if kind is str else "path"


def load_text(text: str, directory: str | Path = ".", name: str = "<scenario>") -> Scenario:
    """A scenario from YAML text; relative market and org paths are read from `directory`."""
    _arguments(text=(text, str), directory=(directory, str | os.PathLike))
    return _scenario_from(parse(text, name), Path(directory), str(directory))


def check_file(path: str | Path) -> tuple[str, Any, list[Problem]]:
    """Validate any kind of file on its own: (kind, model, warnings). For `orgsim validate`."""
    path = Path(path)
    shown = _shown(path)
    tree = read(path, shown)
    kind, problems = kind_of(tree)
    if problems:
        raise ConfigError(problems)
    if kind == "scenario":
        scenario = _scenario_from(tree, path.parent, os.path.dirname(shown) or ".")
        return kind, scenario, list(scenario.warnings)
    model_class = {"market": Market, "org": Org, "people": Roster}[kind]
    model, problems = validate(model_class, tree)
    if model is not None and kind == "people":  # the rest is checked against its org
        problems += _named_twice(model, tree)
    elif model is not None:
        from orgsim.config import checks

        check = checks.check_market if kind == "market" else checks.check_org
        problems += check(model, tree)
    if any(not p.warning for p in problems):
        raise ConfigError(problems)
    return kind, model, problems
