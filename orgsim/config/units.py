"""Units a planner writes: durations, rates, times of day, plain numbers.

The engine's clock runs in hours, so every duration and rate is converted to
hours here, once, when the YAML is read. A bare number where a duration is
expected is an error: "4" could mean minutes, hours or days, and guessing
wrong silently is the worst thing a planning tool can do.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

DAY = 24.0
WEEK = 7 * DAY
YEAR = 365 * DAY
MONTH = YEAR / 12
"""orgsim's clock runs in hours; these are the only definitions of its longer units."""

DURATION_UNITS = {"min": 1 / 60, "h": 1.0, "d": DAY, "w": WEEK, "mo": MONTH, "y": YEAR}
RATE_UNITS = {
    "h": 1.0,
    "hour": 1.0,
    "d": DAY,
    "day": DAY,
    "w": WEEK,
    "week": WEEK,
    "mo": MONTH,
    "month": MONTH,
    "y": YEAR,
    "year": YEAR,
}

_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_DURATION = re.compile(rf"^({_NUMBER})([a-z]+)$")
_RATE = re.compile(rf"^({_NUMBER})/([a-z]+)$")
_TIME_OF_DAY = re.compile(r"^(\d{2}):(\d{2})$")

DURATION_PATTERN = rf"^{_NUMBER}(min|h|d|w|mo|y)$"
RATE_PATTERN = rf"^{_NUMBER}/({'|'.join(RATE_UNITS)})$"


LARGEST = 1e12
"""No planning quantity (hours, leads, money, people) comes near it: a value beyond is a typo
or an attack, refused before it can overflow to infinity or ask numpy for terabytes."""


def _bounded(value: float, kind: str, written: Any) -> float:
    if not math.isfinite(value) or abs(value) > LARGEST:
        raise _too_large(kind, written)
    return value


def _too_large(kind: str, written: Any) -> PydanticCustomError:
    return _fail(kind, f"{written} is too large: orgsim accepts values up to {LARGEST:g}")


def _fail(kind: str, message: str) -> PydanticCustomError:
    # Braces would be read as format fields by pydantic; the message is final.
    return PydanticCustomError(kind, message.replace("{", "(").replace("}", ")"))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def parse_duration(value: Any) -> float:
    """`30min`, `0.5h`, `3d`, `2w`, `6mo`, `1y` -> hours."""
    if _is_number(value):
        raise _fail(
            "duration",
            f"a duration needs a unit, for example 30min, 4h, 3d, 2w, 6mo or 1y "
            f"(got the bare number {value})",
        )
    if not isinstance(value, str):
        raise _fail(
            "duration", f"expected a duration such as 4h or 3d, got {describe_value(value)}"
        )
    match = _DURATION.match(value.strip())
    if not match:
        raise _fail(
            "duration",
            f"'{value}' is not a duration: write a number followed by one of "
            f"min, h, d, w, mo, y (for example 30min or 2.5d)",
        )
    number, unit = match.groups()
    if unit not in DURATION_UNITS:
        raise _fail(
            "duration",
            f"unknown duration unit '{unit}' in '{value}': use min, h, d, w, mo or y",
        )
    return _bounded(float(number) * DURATION_UNITS[unit], "duration", f"'{value}'")


def parse_rate(value: Any) -> float:
    """`150/week`, `0.5/h`, `30/day`, `1000/month`, `12000/year` -> per hour."""
    if _is_number(value):
        raise _fail(
            "rate",
            f"a rate needs a unit, for example 150/week or 30/day (got the bare number {value})",
        )
    if not isinstance(value, str):
        raise _fail("rate", f"expected a rate such as 150/week, got {describe_value(value)}")
    match = _RATE.match(value.strip())
    if not match:
        raise _fail(
            "rate",
            f"'{value}' is not a rate: write a number, a slash and a unit "
            f"(for example 150/week, 30/day, 0.5/h)",
        )
    number, unit = match.groups()
    if unit not in RATE_UNITS:
        raise _fail(
            "rate",
            f"unknown rate unit '/{unit}' in '{value}': use /h, /day, /week, /month or /year",
        )
    return _bounded(float(number) / RATE_UNITS[unit], "rate", f"'{value}'")


def parse_time_of_day(value: Any) -> float:
    """`"08:30"` -> 8.5 hours after midnight (`"24:00"` is the end of the day)."""
    match = _TIME_OF_DAY.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise _fail(
            "time_of_day",
            f'expected a quoted time of day such as "08:00", got {describe_value(value)}',
        )
    hours, minutes = int(match.group(1)), int(match.group(2))
    if hours > 24 or minutes > 59 or (hours == 24 and minutes):
        raise _fail("time_of_day", f"'{value}' is not a time of day between 00:00 and 24:00")
    return hours + minutes / 60


def parse_number(value: Any) -> float:
    """A plain YAML number; quoted numbers and booleans are refused, not guessed."""
    if isinstance(value, str):
        raise _fail("number", f"expected a number, got the string '{value}'")
    if not _is_number(value):
        raise _fail("number", f"expected a number, got {describe_value(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise _fail("number", f"expected a finite number, got {value}")
    if abs(value) > LARGEST:  # before float(): a 400-digit integer would overflow
        raise _too_large("number", "the number written")
    return float(value)


def parse_whole(value: Any) -> int:
    """A whole number such as a headcount (3, not 3.5 and not '3')."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail("whole_number", f"expected a whole number, got {describe_value(value)}")
    if abs(value) > LARGEST:
        raise _too_large("whole_number", "the number written")
    return value


def describe_value(value: Any) -> str:
    """A value as an error message names it: the string 'x', a mapping, nothing (null)."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"the string '{value}'"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def format_duration(hours: float) -> str:
    """Hours back into the unit a planner would have written."""
    for unit in ("y", "w", "d", "h"):
        size = DURATION_UNITS[unit]
        if hours >= size and math.isclose(hours / size, round(hours / size)):
            return f"{round(hours / size)}{unit}"
    if hours < 1:
        return f"{hours * 60:g}min"
    return f"{hours:g}h"


Duration = Annotated[
    float,
    BeforeValidator(parse_duration),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["30min", "4h"]}),
]
Rate = Annotated[
    float,
    BeforeValidator(parse_rate),
    WithJsonSchema({"type": "string", "pattern": RATE_PATTERN, "examples": ["150/week"]}),
]
TimeOfDay = Annotated[
    float,
    BeforeValidator(parse_time_of_day),
    WithJsonSchema({"type": "string", "pattern": r"^\d{2}:\d{2}$", "examples": ["09:00"]}),
]
Number = Annotated[float, BeforeValidator(parse_number), WithJsonSchema({"type": "number"})]
Whole = Annotated[int, BeforeValidator(parse_whole), WithJsonSchema({"type": "integer"})]


def parse_bound(value: Any) -> float:
    """A target's bound: a number, or a duration (`24h`, `3d`) for a KPI counted in hours
    (the scenario's checks refuse a duration on any other KPI)."""
    if isinstance(value, str) and _DURATION.match(value.strip()):
        return parse_duration(value)
    return parse_number(value)


Bound = Annotated[
    float,
    BeforeValidator(parse_bound),
    WithJsonSchema(
        {"anyOf": [{"type": "number"}, {"type": "string", "pattern": DURATION_PATTERN}]}
    ),
]
