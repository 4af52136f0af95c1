"""People over time (SCENARIO-SPEC 8.2): attrition, backfill, dated hires and departures, PTO.

Against theory (a seat is an alternating renewal process: up for an exponential time, down
for the backfill delay), exact traces with constant efforts for each mechanism, keyed draws
for common random numbers, and placed errors.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

import orgsim
from orgsim.analytic.waits import PEOPLE
from orgsim.analytic.workforce import SEAT_SAMPLES, workforce
from orgsim.config.errors import ConfigError
from orgsim.config.units import MONTH, WEEK, YEAR
from orgsim.engine import compile_model, run_replication
from orgsim.measure.staffing import at_work

from .conftest import ROOT
from .intervals import assert_in_interval
from .models import scenario
from .test_engine_traces import leads_at, org, play, trace

QUIET = """
kind: market
name: quiet
segments: {all: {deal_value: 1000}}
sources: {web: {rate: 1/week, enters: call}}
journey:
  call: {outcomes: {won: 0.5}}
  won: {milestone: won}
"""


def team(seats: int, people: str, schedule: str = "always", hires: str = "") -> str:
    return f"""
    kind: org
    name: o
    roles: {{rep: {{headcount: {seats}, schedule: {schedule}, {people}}}}}
    work: {{call: {{role: rep, effort: 1min}}}}
    {hires}
    """


# -- theory


def test_headcount_with_exponential_backfill_follows_the_two_state_chain():
    """Each seat is a two-state Markov chain (filled -> empty at rate h, empty -> filled at
    rate 1/d), filled at t = 0: P(filled at t) = A + (1 - A) exp(-(h + 1/d) t) with
    A = (1/h) / (1/h + d). Time-averaged headcount, departures (h x person-hours on the
    payroll) and backfills (1/d x empty seat-hours) inside 99.9% intervals (3 checks)."""
    h, d, seats = 1 / YEAR, 13 * WEEK, 50
    sc = scenario(
        QUIET,
        team(seats, "attrition: 1/year, backfill: {delay: {dist: exponential, mean: 13w}}"),
        horizon="2y",
        warmup="0h",
        replications=20,
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    rate, filled = h + 1 / d, (1 / h) / (1 / h + d)
    T = 2 * YEAR
    mean_filled = filled + (1 - filled) * (1 - math.exp(-rate * T)) / (rate * T)
    assert_in_interval(kpis["role.rep.headcount_mean"], seats * mean_filled, "headcount", 3)
    assert_in_interval(kpis["role.rep.departures"], h * seats * mean_filled * T, "departures", 3)
    backfills = seats * (1 - mean_filled) * T / d
    assert_in_interval(kpis["role.rep.hires"], backfills, "backfills", 3)


def seat_filled(h: float, d: float, until: float, step: float = 1.0) -> np.ndarray:
    """P(a seat is filled at t) on a grid, for exponential tenures (rate h) and a constant
    backfill delay d, filled at t = 0: the renewal equation A(t) = 1 - h * integral of A
    over [t - d, t] (a seat is empty at t when its rep left in the last d hours)."""
    n, lag = int(until / step) + 1, round(d / step)
    filled, total = np.ones(n), np.zeros(n + 1)  # total[i]: integral of A over [0, i step)
    for i in range(1, n):
        total[i] = total[i - 1] + filled[i - 1] * step
        filled[i] = 1 - h * (total[i] - total[max(0, i - lag)])
    return filled


def test_headcount_with_a_constant_backfill_delay_is_renewal_reward():
    """Constant backfill delay d: the seat's renewal equation, solved on an hourly grid, gives
    the time-averaged headcount after a year of warm-up, and tends to the renewal-reward
    value seats x (1/h) / (1/h + d) (99.9% interval, 20 replications)."""
    h, d, seats = 1 / YEAR, 13 * WEEK, 50
    sc = scenario(
        QUIET,
        team(seats, "attrition: 1/year, backfill: {delay: 13w}"),
        horizon="2y",
        warmup="1y",
        replications=20,
    )
    filled = seat_filled(h, d, 3 * YEAR)
    assert filled[-1] == pytest.approx((1 / h) / (1 / h + d), abs=1e-3)
    theory = seats * filled[int(YEAR) :].mean()
    kpis = orgsim.simulate(sc, progress=False).kpis
    assert_in_interval(kpis["role.rep.headcount_mean"], theory, "headcount")


def test_ramped_equivalents_are_the_ramp_weighted_tenure_over_the_seat_cycle():
    """Ramp [0.25, 0.5, 0.75], attrition h, exponential backfill delay d, today's tenure
    exponential (the age of a filled seat's rep in the long run): ramped-rep equivalents
    = seats x (integral of p(s) exp(-h s) ds) / (1/h + d), computed from the ramp table
    (99.9% interval after a year of warm-up; the chain forgets its start at rate h + 1/d)."""
    h, d, seats, ramp = 1 / YEAR, 8 * WEEK, 50, [0.25, 0.5, 0.75]
    sc = scenario(
        QUIET,
        team(
            seats,
            "attrition: 1/year, backfill: {delay: {dist: exponential, mean: 8w}}, "
            "ramp: {by_month: [0.25, 0.5, 0.75]}, tenure: {dist: exponential, mean: 1y}",
        ),
        horizon="2y",
        warmup="1y",
        replications=20,
    )
    edges = np.arange(len(ramp) + 1) * MONTH
    weighted = (
        sum(
            p * (math.exp(-h * a) - math.exp(-h * b)) / h
            for p, a, b in zip(ramp, edges[:-1], edges[1:], strict=True)
        )
        + math.exp(-h * edges[-1]) / h
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    assert_in_interval(kpis["role.rep.ramped_mean"], seats * weighted / (1 / h + d), "ramped")


def test_dated_hires_give_the_exact_time_averaged_headcount():
    """Four reps; three join in week 10 and two leave in week 30 (of the measured horizon):
    headcount (4 x 52 + 3 x 42 - 2 x 22) / 52, 3 hires, 2 departures, and those who leave
    are the most recent hires; people cost counts each one's time on the payroll."""
    hires = "hires: [{role: rep, at: 10w, count: 3}, {role: rep, at: 30w, count: -2}]"
    org_text = team(4, "cost_per_year: 52000", "business_hours", hires)
    sc = scenario(QUIET, org_text, horizon="52w", warmup="4w", replications=2)
    kpis = orgsim.simulate(sc, progress=False).kpis
    person_weeks = 4 * 52 + 3 * 42 - 2 * 22
    assert np.allclose(kpis["role.rep.headcount_mean"], person_weeks / 52, rtol=0, atol=1e-9)
    assert (kpis["role.rep.hires"] == 3).all() and (kpis["role.rep.departures"] == 2).all()
    assert np.allclose(kpis["cost"], 52000 * person_weeks * WEEK / YEAR, rtol=1e-12)
    records = run_replication(compile_model(sc), 7, check=True)
    reps = records.reps
    assert reps["joined"].tolist() == [False] * 4 + [True] * 3
    assert (reps["left"] < np.inf).tolist() == [False] * 5 + [True] * 2
    assert (reps["left"][5:] == 34 * WEEK).all() and (reps["hired"][4:] == 14 * WEEK).all()


def test_utilization_counts_only_the_hours_people_are_at_work():
    """Three pooled reps on business hours for a year with German holidays and 20 days of
    PTO each: the hours at work are exactly 3 x (open hours - 20 x 8), and the busy share
    of them equals offered work over those hours (Poisson work volume, 99.9% interval)."""
    sc = scenario(
        QUIET.replace("1/week", "30/week"),
        """
        kind: org
        name: o
        roles: {rep: {headcount: 3, schedule: business_hours, pto: {days_per_year: 20}}}
        work: {call: {role: rep, effort: {dist: exponential, mean: 1h}}}
        """,
        horizon="1y",
        warmup="0h",
        replications=4,
        extra="start: 2024-01-01\nholidays: DE\n",
    )
    model = compile_model(sc)
    calendar = model.roles[0].calendar
    hours = 3 * (calendar.worked(model.end) - 20 * 8)
    records = run_replication(model, 3, check=True)
    assert at_work(records, model.roles[0], np.array([0.0, model.end]))[:, 1].sum() == (
        pytest.approx(hours)
    )
    assert len(records.days_off["day"]) == 3 * 20
    kpis = orgsim.simulate(sc, progress=False).kpis
    busy = (kpis["role.rep.utilization"] * hours).sum()
    expected = 30 * model.end / WEEK * len(kpis)
    half = stats.norm.ppf(1 - 0.001 / 2) * np.sqrt(2 * expected)
    assert abs(busy - expected) <= half


# -- exact traces


def test_a_leaver_finishes_its_task_and_its_queue_is_routed_again():
    """Two reps, round robin, 10 h tasks; one seat is given up at t = 5 (the most recent
    hire leaves: of two equals, the later rep). Rep 1 finishes lead 1 at 12 and leaves;
    lead 3, waiting in its queue, is routed again, to rep 0."""
    hires = "hires: [{role: rep, at: 5h, count: -1}]"
    text = org(2, a="10h", routing_a="round_robin", queues=hires)
    assert trace(text, leads_at(1, 2, 3, 4)) == [
        (1, 0, 0, 11),
        (2, 1, 1, 12),
        (11, 0, 2, 21),
        (21, 0, 3, 31),
    ]
    _, records = play(text, leads_at(1, 2, 3, 4))
    assert records.reps["left"].tolist() == [np.inf, 12.0]


def test_an_item_routed_again_keeps_its_place_in_a_fifo_queue():
    """As above, with a lead queued for rep 0 at 4.5: lead 3, waiting for rep 1 since 4, is
    routed to rep 0 at 5 and goes before it (fifo counts from when an item began waiting)."""
    hires = "hires: [{role: rep, at: 5h, count: -1}]"
    text = org(2, a="10h", routing_a="round_robin", queues=hires)
    assert trace(text, leads_at(1, 2, 3, 4, 4.5)) == [
        (1, 0, 0, 11),
        (2, 1, 1, 12),
        (11, 0, 2, 21),
        (21, 0, 3, 31),
        (31, 0, 4, 41),
    ]


def test_same_rep_falls_back_to_the_least_loaded_when_the_rep_has_left():
    """Rep 1 joins at 0 and works lead 1's stage a; it leaves (the most recent hire) at 2.2,
    after that task. Lead 1's stage b, routed to the same rep, goes to the least loaded rep
    still there: rep 0, after lead 0's b."""
    hires = "hires: [{role: rep, at: 0h, count: 1}, {role: rep, at: 2.2h, count: -1}]"
    text = org(1, a="1h", b="1h", routing_b="same_rep", queues=hires)
    got = trace(text, leads_at(1, 1.5), a_next="b")
    assert got == [(1, 0, 0, 2), (1.5, 1, 1, 2.5), (2, 0, 0, 3), (3, 0, 1, 4)]


def test_a_task_pauses_over_pto_and_work_waits_for_the_rep_to_return():
    """One rep, always on, with PTO: a 3 h task begun an hour before its first day off
    resumes the morning after its days off, and a lead that arrives while it is away waits
    for it (read the days off from the records, then play the trace)."""
    text = org(1, a="3h", role=", pto: {days_per_year: 200, block_days: 5}")
    _, records = play(text, leads_at(1))
    days = sorted(records.days_off["day"].tolist())
    first = days[0]
    last = first
    while last + 1 in days:
        last += 1
    assert first > 0 and (last + 1) * 24 < 3 * 7 * 24, "the trace needs a block inside 3 weeks"
    away, back = first * 24.0, (last + 1) * 24.0
    got = trace(text, leads_at(away - 1, away + 5))
    assert got == [(away - 1, 0, 0, back + 2), (back + 2, 0, 1, back + 5)]


def test_a_backfill_joins_its_delay_after_the_leaver_and_picks_up_waiting_work():
    """Constant backfill delay, no leads: each seat's next rep joins exactly 6 weeks after
    its last one left, with tenure 0, in the same seat."""
    sc = scenario(
        QUIET.replace("1/week", "0/week"),
        team(20, "attrition: 2/year, backfill: {delay: 6w}"),
        horizon="1y",
        warmup="0h",
        replications=1,
    )
    reps = run_replication(compile_model(sc), 5, check=True).reps
    later = np.flatnonzero(reps["joined"])
    assert len(later) > 5
    for rep in later:
        before = np.flatnonzero(
            (reps["seat"] == reps["seat"][rep]) & (reps["hired"] < reps["hired"][rep])
        )
        assert reps["hired"][rep] - reps["left"][before].max() == pytest.approx(6 * WEEK)


# -- common random numbers


@pytest.mark.statistical
def test_attrition_costs_won_deals_with_a_paired_interval():
    """The shipped hiring plan, with and without attrition: on common random numbers the
    paired 95% interval of won deals lies below zero (the hires leave and backfills ramp)."""
    comparison = orgsim.compare(ROOT / "scenarios/hiring_plan.yaml", replications=6)
    drop = comparison.difference("hire_q1", "won", against="hire_q1_no_attrition")
    assert drop.high < 0, drop


def test_designs_that_differ_only_in_hiring_share_their_people_and_leads():
    """Adding a dated hire changes nobody else: today's reps leave at the same times, with
    the same skill, and the same leads arrive."""
    people = (
        "attrition: 0.5/year, backfill: {delay: 8w}, skill: {dist: lognormal, mean: 1, cv: 0.2}"
    )
    base = scenario(QUIET, team(6, people), horizon="1y", warmup="0h", replications=1)
    hires = "hires: [{role: rep, at: 20w, count: 3}]"
    more = scenario(QUIET, team(6, people, hires=hires), horizon="1y", warmup="0h", replications=1)
    a = run_replication(compile_model(base), 11, check=True)
    b = run_replication(compile_model(more), 11, check=True)
    assert (a.leads["created"] == b.leads["created"]).all()
    for column in ("hired", "skills"):  # skills: every stage's, per rep
        assert (a.reps[column][:6] == b.reps[column][:6]).all()
    # the seats of today's reps see the same leavers and backfills
    same = b.reps["seat"] < 6
    assert sorted(b.reps["hired"][same]) == sorted(a.reps["hired"])


# -- errors


@pytest.mark.parametrize(
    "people, hires, message",
    [
        ("", "[{role: nobody, at: 1w, count: 1}]", "hires.0.role: unknown role 'nobody'"),
        ("", "[{role: rep, at: 1w, count: 0}]", "count is 0"),
        ("", "[{role: rep, at: 1w, count: -5}]", "hires.0.count: rep would have -1 seats"),
        ("", "[{role: rep, at: 1w, count: 1, pod: east}]", "hires.0.pod: 'rep' is not staffed"),
        ("", "[{role: rep, at: soon, count: 1}]", "hires.0.at"),
        ("attrition: -1/year", "[]", "roles.rep.attrition"),
        ("pto: {days_per_year: 400}", "[]", "roles.rep.pto.days_per_year"),
        ("pto: {days_per_year: 20, block_days: 0}", "[]", "roles.rep.pto.block_days"),
        ("backfill: {delay: never}", "[]", "roles.rep.backfill.delay"),
    ],
)
def test_people_and_hires_that_cannot_be_are_placed_errors(people, hires, message):
    with pytest.raises(ConfigError) as caught:
        scenario(QUIET, team(4, people or "attrition: 0/year", hires=f"hires: {hires}"))
    assert message in str(caught.value)


def test_capacity_counts_the_reps_at_work_and_gives_no_wait():
    """Capacity's reps at work: dated hires time-averaged exactly as the simulation counts
    them; under attrition with a constant backfill delay, the seat's renewal equation (2,000
    sampled seat histories: within their 99.9% interval); working days less PTO; no wait
    for such roles, and a note that says why."""
    hires = "hires: [{role: rep, at: 10w, count: 3}, {role: rep, at: 30w, count: -2}]"
    dated = compile_model(scenario(QUIET, team(4, "", "business_hours", hires), horizon="52w"))
    person_weeks = 4 * 52 + 3 * 42 - 2 * 22
    assert workforce(dated, dated.roles[0]).at_work == pytest.approx(person_weeks / 52)
    people = "attrition: 1/year, backfill: {delay: 13w}"
    backfilled = compile_model(scenario(QUIET, team(50, people), horizon="1y", warmup="13w"))
    share = seat_filled(1 / YEAR, 13 * WEEK, backfilled.end)[int(backfilled.warmup) :].mean()
    # the mean of SEAT_SAMPLES seats' filled shares, each in [0, 1], so of variance at most
    # share x (1 - share): a 99.9% normal interval
    half = stats.norm.ppf(1 - 0.001 / 2) * np.sqrt(share * (1 - share) / SEAT_SAMPLES)
    present = workforce(backfilled, backfilled.roles[0]).at_work / 50
    assert abs(present - share) <= half, (present, share, half)
    pto = scenario(QUIET, team(4, "pto: {days_per_year: 26}", "business_hours"))
    weekdays = sum(1 for day in range(365) if day % 7 < 5)  # in a year from Monday t = 0
    model = compile_model(pto)
    assert workforce(model, model.roles[0]).at_work == pytest.approx(4 * (1 - 26 / weekdays))
    result = orgsim.capacity(pto)
    assert result.roles["rep"].method == PEOPLE and result.stages["call"].wait_mean is None
    assert any("take PTO in rep" in note for note in result.notes)


def test_the_seat_sweep_sums_every_stint_clipped_to_every_interval():
    """Capacity's seat hours add up each rep's stint in one sweep over the times the summed
    ramp level steps; summed directly, every stint is clipped to every interval and its
    ramp integrated there (`RolePlan.ramped_hours`, as the engine's KPIs count it)."""
    from orgsim.analytic.workforce import _integrated

    role = compile_model(scenario(QUIET, team(3, "ramp: {by_month: [0.25, 0.5, 0.75]}"))).roles[0]
    rng = np.random.default_rng(3)
    hired = rng.uniform(-3 * MONTH, YEAR, 400)
    starts = hired + rng.uniform(0, 4 * MONTH, 400)
    ends = starts + rng.exponential(4 * MONTH, 400)
    edges = np.sort(np.append(rng.uniform(0, YEAR, 60), [0.0, YEAR]))
    low = np.clip(starts[:, None], edges[:-1], edges[1:])
    high = np.maximum(low, np.clip(ends[:, None], edges[:-1], edges[1:]))
    ramp = np.array(role.ramp)
    cases = [
        (np.ones(1), (high - low).sum(axis=0)),
        (np.append(ramp, 1.0), role.ramped_hours(hired[:, None], low, high).sum(axis=0)),
        (np.append(1 / ramp, 1.0), role.ramped_hours(hired[:, None], low, high, True).sum(axis=0)),
    ]
    for levels, direct in cases:
        swept = _integrated(edges, starts, ends, hired, levels)
        np.testing.assert_allclose(swept, direct, rtol=1e-9, atol=1e-6)
