"""The scenario's calendar: `start` places t = 0 on a date, `holidays` closes whole days.

SCENARIO-SPEC 8.2: on a public holiday no role with a schedule other than `always` works;
seasonality months follow the start date. Checked exactly (the calendar's arithmetic against
brute force, a trace across a holiday), against theory (utilization is offered work over the
hours left after holidays, within a Bonferroni-corrected interval), and for errors.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from scipy import stats

import orgsim
from orgsim.config.errors import ConfigError
from orgsim.engine import compile_model
from orgsim.engine.calendar import HolidayCalendar, calendar_for
from orgsim.engine.dates import holiday_days

from .models import scenario
from .test_engine_traces import org, trace


@pytest.mark.parametrize("schedule", ["business_hours", "night"])
def test_holiday_calendar_arithmetic_matches_brute_force(schedule):
    """worked, at_worked, next_open and finish agree with counting open quarter hours."""
    from orgsim.config.schema import Shift

    shift = (
        "business_hours"
        if schedule == "business_hours"
        else Shift(days=["sun", "mon", "tue", "wed", "thu"], start="22:00", end="06:00")
    )
    cal = calendar_for(shift, [0, 3, 9, 10, 20])
    assert isinstance(cal, HolidayCalendar)
    step = 0.25
    ts = np.arange(0, 24 * 28, step)
    is_open = np.array([cal.is_open(t + step / 2) for t in ts])
    brute = np.concatenate([[0.0], np.cumsum(is_open * step)])[:-1]
    assert np.allclose([cal.worked(t) for t in ts], brute)
    assert np.allclose(cal.worked_array(ts), brute)
    assert (cal.open_array(ts + step / 2) == is_open).all()
    for day in (0, 3, 9, 10, 20):
        assert not is_open[(ts >= day * 24) & (ts < day * 24 + 24)].any()
    for s in np.arange(0.5, brute[-1], 3.7):
        t = cal.at_worked(s)
        assert cal.worked(t) == pytest.approx(s) and cal.worked(t - 1e-6) < s
    for t in np.arange(0.1, 24 * 25, 5.3):
        opens = cal.next_open(t)
        assert cal.is_open(opens) and cal.worked(opens) == pytest.approx(cal.worked(t))
        assert cal.finish(t, 2.0) == pytest.approx(cal.at_worked(cal.worked(t) + 2.0))


def test_a_lead_on_the_eve_of_a_holiday_waits_for_the_day_after():
    """Exact trace: Monday 2024-12-23 is t = 0; Christmas (Wednesday, day 2) is a US holiday.
    A 2 h task started Tuesday 16:00 stops at 17:00 and resumes Thursday 09:00; a lead that
    arrives on Christmas morning is touched on Thursday when the rep is free."""
    extra = "start: 2024-12-23\nholidays: US\n"
    got = trace(
        org(1, "business_hours", a="2h"),
        [(24 + 16.0, "inbound", "small"), (48 + 10.0, "inbound", "small")],
        extra=extra,
    )
    assert got == [(40.0, 0, 0, 82.0), (82.0, 0, 1, 84.0)]


def test_utilization_is_offered_work_over_the_hours_left_after_holidays():
    """One pooled team on business hours through a year with German public holidays: the
    share of scheduled hours busy equals offered work over the hours left (Poisson work
    volume, 99.9% interval on the busy hours summed over replications)."""
    sc = scenario(
        _one_queue_market("30/week"),
        _one_queue_org(3),
        horizon="52w",
        warmup="0h",
        replications=4,
        extra="start: 2024-01-01\nholidays: DE\n",
    )
    model = compile_model(sc)
    calendar = model.roles[0].calendar
    open_hours = calendar.worked(model.end) - calendar.worked(0.0)
    assert open_hours == pytest.approx((52 * 40) - 8 * len(holiday_weekdays(sc)), abs=1e-9)
    kpis = orgsim.simulate(sc, progress=False).kpis
    busy = (kpis["role.server.utilization"] * 3 * open_hours).sum()
    expected = 30 * 52 * 1.0 * len(kpis)  # leads x mean work, over all replications
    # the busy hours of N Poisson(lambda T) leads with Exp(1) work: mean lambda T, var 2 lambda T
    half = stats.norm.ppf(1 - 0.001 / 2) * np.sqrt(2 * expected)
    assert abs(busy - expected) <= half


def holiday_weekdays(sc) -> list[int]:
    days = holiday_days(sc.start, sc.holidays, sc.warmup + sc.horizon)
    return [d for d in days if d % 7 < 5]


def _one_queue_market(rate: str) -> str:
    return f"""
    kind: market
    name: one queue
    segments: {{all: {{deal_value: 1000}}}}
    sources: {{calls: {{rate: {rate}, enters: service}}}}
    journey:
      service: {{outcomes: {{done: 1.0}}}}
      done: {{}}
    """


def _one_queue_org(servers: int) -> str:
    return f"""
    kind: org
    name: one team
    roles: {{server: {{headcount: {servers}, schedule: business_hours}}}}
    work: {{service: {{role: server, effort: {{dist: exponential, mean: 1h}}}}}}
    """


def test_no_holidays_for_an_always_open_role_and_listed_dates_work():
    sc = scenario(
        _one_queue_market("10/week"),
        _one_queue_org(1).replace("business_hours", "always"),
        extra="start: 2024-01-01\nholidays: [2024-01-02, 2024-01-04]\n",
    )
    assert holiday_days(sc.start, sc.holidays, 24 * 30) == [1, 3]
    assert compile_model(sc).roles[0].calendar.always


def test_seasonality_months_follow_the_start_date():
    """Starting on 1 July 2024, the first weeks take July's seasonality factor."""
    seasonality = [1.0] * 6 + [3.0] + [1.0] * 5
    market = _one_queue_market("100/week").replace(
        "enters: service}", f"enters: service, seasonality: {seasonality}}}"
    )
    july = scenario(
        market,
        _one_queue_org(9),
        horizon="4w",
        warmup="0h",
        replications=1,
        extra="start: 2024-07-01\n",
    )
    january = scenario(market, _one_queue_org(9), horizon="4w", warmup="0h", replications=1)
    count = {
        name: orgsim.simulate(sc, progress=False).kpis["leads"].iloc[0]
        for name, sc in (("july", july), ("january", january))
    }
    for name, factor in (("july", 3.0), ("january", 1.0)):
        low, high = stats.poisson.interval(0.999**0.5, 100 * 4 * factor)
        assert low <= count[name] <= high, (name, count[name])


@pytest.mark.parametrize(
    "extra, message",
    [
        ("start: 2024-01-02\n", "is a Tuesday; the Monday before is 2024-01-01"),
        ("holidays: XX\n", "no public holidays known for 'XX'"),
        ("holidays: us\n", "country codes are in capitals: write 'US'"),
        ("holidays: []\n", "needs at least 1 entries, got 0"),
    ],
)
def test_bad_start_or_holidays_are_placed_errors(extra, message):
    with pytest.raises(ConfigError) as caught:
        scenario(_one_queue_market("1/week"), _one_queue_org(1), extra=extra)
    text = str(caught.value)
    assert message in text and "<scenario>:" in text, text
    assert date(2024, 1, 1).weekday() == 0


def test_the_report_names_the_calendar_it_ran_on():
    """The HTML report's run facts say when the run starts and whose holidays it keeps."""
    sc = scenario(
        _one_queue_market("20/week"),
        _one_queue_org(2),
        horizon="4w",
        warmup="1w",
        replications=2,
        extra="start: 2025-01-06\nholidays: US\n",
    )
    page = orgsim.compare(sc, progress=False).report_html()
    assert "<td>2025-01-06</td>" in page and "<td>those of US</td>" in page
