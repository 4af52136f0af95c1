"""Run a pydantic model over a located tree and say what is wrong in a planner's words.

pydantic reports an error as a `loc` (keys, indices and, inside unions, the
name of the branch tried) and a generic message. Here the loc is walked
through the tree's marks (skipping branch names, which were never written in
the file) to find FILE:LINE:COL, and the message is rewritten to say what to
write instead.
"""

from __future__ import annotations

import difflib
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from orgsim.config.errors import Problem
from orgsim.config.units import describe_value
from orgsim.config.yamlio import Located

M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], tree: Located, at: tuple = ()) -> tuple[M | None, list[Problem]]:
    """Validate the subtree at `at` as `model`: the model, or None and the problems."""
    try:
        return model.model_validate(tree.get(at)), []
    except ValidationError as err:
        return None, [problem(tree, at, e) for e in err.errors(include_url=False)]


def problem(tree: Located, at: tuple, error: dict) -> Problem:
    kind, loc = error["type"], tuple(error["loc"])
    written = _written_path(tree, at, loc)
    if kind == "missing":
        mark = tree.key_mark(written)
        return mark.problem(f"missing required field '{loc[-1]}'", extra=(loc[-1],))
    if kind == "extra_forbidden":
        return tree.key_mark(written).problem(_unknown_field(str(loc[-1])))
    if loc and loc[-1] == "[key]":
        return tree.key_mark(written).problem(_message(kind, error, written))
    mark, _ = tree.locate(written)
    return mark.problem(_message(kind, error, written))


def _written_path(tree: Located, at: tuple, loc: tuple) -> tuple:
    """The part of pydantic's loc that names real keys, skipping union branch tags."""
    path = at
    for part in loc:
        if part == "[key]":
            break
        if tree.has((*path, part)):
            path = (*path, part)
    return path


def _message(kind: str, error: dict, path: tuple) -> str:
    ctx = error.get("ctx") or {}
    given = error.get("input")
    if kind == "greater_than_equal":
        return f"must be at least {ctx['ge']}, got {describe_value(given)}"
    if kind == "greater_than":
        return f"must be greater than {ctx['gt']}, got {describe_value(given)}"
    if kind == "less_than_equal":
        share = ctx["le"] == 1 and isinstance(given, int | float) and 1 < given <= 100
        hint = f" (a share: write {given / 100:g} for {given:g}%)" if share else ""
        return f"must be at most {ctx['le']}, got {describe_value(given)}{hint}"
    if kind == "less_than":
        return f"must be less than {ctx['lt']}, got {describe_value(given)}"
    if kind == "literal_error":
        hint = ""
        options = [o.strip(" '") for o in ctx.get("expected", "").replace(" or ", ", ").split(",")]
        close = difflib.get_close_matches(str(given), options, n=1)
        if close:
            hint = f"; did you mean '{close[0]}'?"
        return f"got {describe_value(given)}; expected {ctx.get('expected')}{hint}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"expected a mapping (key: value lines), got {describe_value(given)}"
    if kind == "list_type":
        return f"expected a list, got {describe_value(given)}"
    if kind in ("string_type", "str_type"):
        return f"expected text, got {describe_value(given)}"
    if kind in ("tuple_type",):
        return f"expected a pair [duration, factor], got {describe_value(given)}"
    if kind == "too_short":
        if path and path[-1] == "seasonality":
            return f"seasonality needs 12 factors, one per month (got {ctx.get('actual_length')})"
        return f"needs at least {ctx.get('min_length')} entries, got {ctx.get('actual_length')}"
    if kind == "too_long":
        if path and path[-1] == "seasonality":
            return f"seasonality needs 12 factors, one per month (got {ctx.get('actual_length')})"
        if "max_length" in ctx and ctx["max_length"] == 2:
            return "expected a pair [duration, factor]"
        return f"needs at most {ctx.get('max_length')} entries, got {ctx.get('actual_length')}"
    message = error["msg"]
    return message[0].lower() + message[1:] if message else kind


def _field_vocabulary() -> list[str]:
    from orgsim.config import schema

    names: set[str] = {"by_segment", "dist", "mean", "cv", "low", "high", "mode", "value", "values"}
    for obj in vars(schema).values():
        if isinstance(obj, type) and issubclass(obj, BaseModel):
            names.update(obj.model_fields)
    return sorted(names)


def _unknown_field(key: str) -> str:
    vocabulary = _field_vocabulary()
    if key in vocabulary:  # a real field, of another kind of entry (`cv` on an exponential)
        return f"'{key}' is not a field of this entry (other kinds of entry take it)"
    close = difflib.get_close_matches(key, vocabulary, n=1, cutoff=0.7)
    return f"unknown field '{key}'" + (f"; did you mean '{close[0]}'?" if close else "")
