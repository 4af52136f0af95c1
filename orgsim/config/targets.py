"""Targets, read, checked and judged in one place, whether they come from a scenario's
YAML, the command line (`--target 'won_per_week>=9'`) or Python (`orgsim.plan(targets=...)`).

A target is met when the whole 95% interval of the KPI's mean clears its bounds; "not
sure" when the mean does and its interval does not; "missed" when the mean does not.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from orgsim.config import kpis
from orgsim.config.errors import ConfigError, Problem
from orgsim.config.schema import Target

MET, NOT_SURE, MISSED = "met", "not sure", "missed"

_NUMBER = r"-?[0-9.]+(?:e-?[0-9]+)?"
_TEXT = re.compile(rf"\s*([a-z0-9_.>-]+?)\s*(>=|<=)\s*({_NUMBER})(min|h|d|w|mo|y)?\s*")
"""`KPI>=number` or `KPI<=number`, the number perhaps a duration (`24h`)."""


def from_text(texts: list[str]) -> dict[str, dict[str, Any]]:
    """`['won_per_week>=9', 'stage.sql.wait_mean<=1d']` as a scenario's `targets` mapping
    (`{"won_per_week": {"min": 9.0}, ...}`, a duration kept as written), every unreadable
    one reported at once (`--target[2]:1:1: ...`)."""
    read: dict[str, dict[str, Any]] = {}
    problems = []
    for i, text in enumerate(texts, 1):
        match = _TEXT.fullmatch(text)
        if not match:
            problems.append(
                Problem.unplaced(
                    f"--target[{i}]",
                    "targets",
                    f"'{text}' is not a target: write KPI>=number or KPI<=number (a duration "
                    "such as 24h for a wait), e.g. 'sla.mql.attainment>=0.95'",
                )
            )
            continue
        kpi, sign, value, unit = match.groups()
        bound = f"{value}{unit}" if unit else float(value)
        read.setdefault(kpi, {})["min" if sign == ">=" else "max"] = bound
    if problems:
        raise ConfigError(problems)
    return read


Place = Callable[[tuple, str], Problem]
"""Where a problem with the target at a path (`("targets", kpi, "min")`) is reported."""


def check(
    targets: Mapping[str, Target],
    known: list[str],
    written: Callable[[tuple], Any],
    place: Place,
) -> list[Problem]:
    """Every problem with `targets` against the KPIs a scenario reports (`known`): a name
    that is no KPI (with the closest one), a duration on a KPI not counted in hours, a
    bound the KPI can never take. `written(path)` is a bound as written (a duration is
    text)."""
    problems = []
    for name, target in targets.items():
        if name not in known:
            problems.append(place(("targets", name), kpis.unknown(name, known)))
            continue
        for side in ("min", "max"):
            path = ("targets", name, side)
            bound = getattr(target, side)
            if bound is None:
                continue
            raw = written(path)
            if isinstance(raw, str) and kpis.info(name).unit != "hours":
                problems.append(
                    place(path, f"'{raw}' is a duration, but {name} is not counted in hours")
                )
            elif why := kpis.out_of_range(name, bound):
                problems.append(place(path, why))
    return problems


def read(raw: Mapping[str, Any], known: list[str], source: str = "<targets>") -> dict[str, Target]:
    """Targets given in Python (`{"won_per_week": {"min": 9}}`, or `Target`s) as `Target`s,
    with the checks and messages a scenario's YAML gets; every problem at once, as a
    ConfigError."""

    def place(path: tuple, message: str) -> Problem:
        return Problem.unplaced(source, ".".join(map(str, path)), message)

    if not isinstance(raw, Mapping):
        raise ConfigError(
            [place(("targets",), "targets are a mapping such as {'won_per_week': {'min': 9}}")]
        )
    parsed, problems = {}, []
    for name, value in raw.items():
        try:
            parsed[name] = value if isinstance(value, Target) else Target.model_validate(value)
        except ValidationError as error:
            for e in error.errors(include_url=False):
                at = ("targets", name, *(str(part) for part in e["loc"]))
                problems.append(place(at, e["msg"].removeprefix("Value error, ")))

    def written(path: tuple) -> Any:
        value = raw.get(path[1])
        return value.get(path[2]) if isinstance(value, Mapping) else None

    problems += check(parsed, known, written, place)
    if problems:
        raise ConfigError(problems)
    return parsed


def saved(targets: Mapping[str, Target]) -> dict[str, dict[str, float | None]]:
    """Targets as saved results keep them (`results.json`, `comparison.json`)."""
    return {kpi: target.model_dump() for kpi, target in targets.items()}


def from_saved(saved: Mapping[str, Mapping[str, float | None]]) -> dict[str, Target]:
    """Targets as `saved` wrote them."""
    return {kpi: Target.model_validate(bounds) for kpi, bounds in saved.items()}


def allows(target: Target, value):
    """Whether a value (or each of an array of values) is within the bounds; NaN is not."""
    ok = value == value
    if target.min is not None:
        ok = ok & (value >= target.min)
    if target.max is not None:
        ok = ok & (value <= target.max)
    return ok


def met(target: Target, low: float, high: float, n: int) -> bool:
    """Met when the whole 95% interval of a mean over `n` replications lies within the
    bounds (docs/scenario-language.md); with fewer than two there is no interval."""
    return bool(n > 1 and allows(target, low) and allows(target, high))


def verdict(mean: float | None, low: float | None, high: float | None, is_met: bool) -> str:
    """A design against a target with bounds `low` and `high`: met (its whole 95% interval
    clears them), not sure (the mean does, its interval does not) or missed (the mean does
    not)."""
    if is_met:
        return MET
    inside = (
        mean is not None
        and mean == mean
        and abs(mean) != float("inf")
        and (low is None or mean >= low)
        and (high is None or mean <= high)
    )
    return NOT_SURE if inside else MISSED
