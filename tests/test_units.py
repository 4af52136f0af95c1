"""Durations, rates, times of day: what a planner writes and what the engine reads."""

import pytest
from pydantic_core import PydanticCustomError

from orgsim.config.units import (
    format_duration,
    parse_duration,
    parse_number,
    parse_rate,
    parse_time_of_day,
    parse_whole,
)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("30min", 0.5),
        ("0.5h", 0.5),
        ("4h", 4.0),
        ("3d", 72.0),
        ("2w", 336.0),
        ("6mo", 4380.0),
        ("1y", 8760.0),
        (".5d", 12.0),
        ("0h", 0.0),
        ("1.25w", 210.0),
    ],
)
def test_durations_in_hours(text, hours):
    assert parse_duration(text) == pytest.approx(hours)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        (4, "needs a unit"),
        (2.5, "needs a unit"),
        ("4 h", "is not a duration"),
        ("4hrs", "unknown duration unit 'hrs'"),
        ("-1h", "is not a duration"),
        ("h", "is not a duration"),
        ("4", "is not a duration"),
        (True, "expected a duration"),
        (None, "expected a duration"),
    ],
)
def test_bad_durations_say_why(value, says):
    with pytest.raises(PydanticCustomError, match=says):
        parse_duration(value)


@pytest.mark.parametrize(
    ("text", "per_hour"),
    [
        ("168/week", 1.0),
        ("168/w", 1.0),
        ("24/day", 1.0),
        ("24/d", 1.0),
        ("0.5/h", 0.5),
        ("8760/year", 1.0),
        ("8760/y", 1.0),
        ("730/month", 1.0),
        ("730/mo", 1.0),
        ("0/week", 0.0),
    ],
)
def test_rates_per_hour(text, per_hour):
    assert parse_rate(text) == pytest.approx(per_hour)


@pytest.mark.parametrize(
    ("value", "says"),
    [(150, "needs a unit"), ("150/fortnight", "unknown"), ("150 per week", "is not a rate")],
)
def test_bad_rates(value, says):
    with pytest.raises(PydanticCustomError, match=says):
        parse_rate(value)


def test_time_of_day():
    assert parse_time_of_day("08:30") == 8.5
    assert parse_time_of_day("24:00") == 24.0
    for bad in ("8:30", "25:00", "12:60", 830):
        with pytest.raises(PydanticCustomError):
            parse_time_of_day(bad)


def test_numbers_and_whole_numbers_are_not_guessed():
    assert parse_number(3) == 3.0
    with pytest.raises(PydanticCustomError, match="string"):
        parse_number("0.5")
    with pytest.raises(PydanticCustomError):
        parse_number(True)
    assert parse_whole(3.0) == 3
    with pytest.raises(PydanticCustomError, match="whole number"):
        parse_whole(2.5)


@pytest.mark.parametrize(
    ("hours", "text"), [(8760, "1y"), (336, "2w"), (72, "3d"), (4, "4h"), (0.5, "30min")]
)
def test_durations_format_back(hours, text):
    assert format_duration(hours) == text
