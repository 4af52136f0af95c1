"""Outbound prospecting (engine/outbound.py): exact traces of sequences, cool-off, meetings and
the day's budget; theory for attempts per meeting, attempts per week, the depletion of a
market without cool-off and the re-contact bound with it; common random numbers per account;
and the errors a planner gets for a prospecting setup that cannot work.

t = 0 is Monday 00:00; `business_hours` is Monday to Friday, 09:00 to 17:00.
"""

from __future__ import annotations

import numpy as np
import pytest

import orgsim
from orgsim.engine import Arrivals, compile_model, run_replication
from orgsim.engine.outbound import BOOKED, NOT_REACHED, SAID_NO
from orgsim.measure.kpis import accounts_left

from .intervals import assert_below, assert_binomial, assert_in_interval
from .models import scenario

WEEK = 168.0


def market(accounts: str = "{all: 1}", enters: str = "meet", **fields) -> str:
    extra = "".join(f", {k}: {v}" for k, v in fields.items())
    return f"""
    kind: market
    name: outbound
    segments: {{all: {{deal_value: 1000}}}}
    sources:
      inbound: {{rate: 1/week, enters: mql}}
      outbound: {{kind: outbound, accounts: {accounts}, enters: {enters}{extra}}}
    journey:
      mql: {{outcomes: {{done: 1.0}}}}
      meet: {{outcomes: {{won: 0.0, lost: 1.0}}}}
      won: {{milestone: won}}
      done: {{}}
    """


def org(sdrs: int = 1, share: float = 1.0, attempt: str = "6min", mql: str = "1h", more="") -> str:
    return f"""
    kind: org
    name: prospecting
    roles:
      sdr: {{headcount: {sdrs}, outbound_share: {share}{more}}}
      ae: {{headcount: 1}}
    work:
      mql: {{role: sdr, effort: {mql}}}
      meet: {{role: ae, effort: 1h}}
      outbound: {{role: sdr, effort: {attempt}}}
    """


def play(market_text: str, org_text: str, inbound: tuple = (), horizon: str = "3w", seed=1):
    """One replication with inbound leads placed at the given hours (none by default)."""
    sc = scenario(market_text, org_text, horizon=horizon, warmup="0h", replications=1)
    model = compile_model(sc)
    arrivals = Arrivals(
        time=np.array(inbound, dtype=float),
        source=np.zeros(len(inbound), dtype=np.int64),
        segment=np.zeros(len(inbound), dtype=np.int64),
        value=np.full(len(inbound), 1000.0),
    )
    return model, run_replication(model, seed, check=True, arrivals=arrivals)


def attempts(records) -> list[tuple]:
    """Every attempt as (start, account, place in its sequence, finish, result)."""
    a = records.attempts
    rows = zip(a["start"], a["account"], a["n"], a["finish"], a["result"], strict=True)
    return [(round(s, 9), int(c), int(n), round(f, 9), int(r)) for s, c, n, f, r in rows]


# -- exact traces


def test_a_sequence_unanswered_its_cool_off_and_a_second_sequence():
    # One account, never reached: three attempts a day apart (cadence from the end of the one
    # before), then a week aside, then the same again; the third sequence would end after
    # the run.
    _, records = play(
        market(connect=0.0, meeting=0.5, attempts=3, cadence="1d", cool_off="1w"),
        org(),
    )
    # Tuesday 09:06 is 33.1 h; the week aside runs from the third attempt's end (Wednesday
    # 09:18, 57.3 h); the third sequence starts on a Friday, and its second attempt, due on
    # Saturday, would wait for Monday, after the run.
    sequence = [(9.0, 0, 0, 9.1), (33.1, 0, 1, 33.2), (57.2, 0, 2, 57.3)]
    expected = [
        (round(s + shift, 9), c, n, round(f + shift, 9), NOT_REACHED)
        for shift in (0.0, 216.3)  # 57.3 + 168 - 9: the next sequence starts
        for s, c, n, f in sequence
    ]
    assert attempts(records) == [*expected, (441.6, 0, 0, 441.7, NOT_REACHED)]
    pool = records.pool
    assert pool["change"].tolist() == [-1, 1, -1, 1, -1]  # out, back after the week, ...
    assert pool["time"].tolist() == pytest.approx([9.0, 225.3, 225.3, 441.6, 441.6])


def test_a_buyer_who_says_no_ends_the_sequence_at_once():
    _, records = play(market(connect=1.0, meeting=0.0, attempts=6, cool_off="1w"), org())
    assert attempts(records) == [
        (9.0, 0, 0, 9.1, SAID_NO),
        (177.1, 0, 0, 177.2, SAID_NO),  # back a week after the no, at once inside hours
        (345.2, 0, 0, 345.3, SAID_NO),
    ]


def test_a_meeting_is_a_lead_and_its_lost_deal_brings_the_account_back():
    # The meeting enters `meet` when the attempt ends; the AE loses it an hour later; the
    # account is back a week after that, books again, and the second meeting is a new lead.
    model, records = play(market(connect=1.0, meeting=1.0, attempts=6, cool_off="1w"), org())
    assert [(s, r) for s, _, _, _, r in attempts(records)] == [
        (9.0, BOOKED),
        (178.1, BOOKED),
        (347.2, BOOKED),
    ]
    leads = records.leads
    outbound = model.sources.index(next(s for s in model.sources if s.outbound))
    assert leads["source"].tolist() == [outbound] * 3
    assert leads["created"].tolist() == pytest.approx([9.1, 178.2, 347.3])
    assert leads["end"].tolist() == [model.lost] * 3
    tasks = records.tasks
    assert tasks["lead"].tolist() == [0, 1, 2]
    assert tasks["start"].tolist() == pytest.approx([9.1, 178.2, 347.3])


def test_inbound_work_comes_first_and_the_day_budget_caps_outbound():
    # Share 0.5 of an 8-hour day: 4 hours of one-hour attempts. A lead at 10:30 waits for the
    # attempt in progress, is worked 11-12, and outbound resumes to the day's four hours.
    _model, records = play(
        market("{all: 100}", connect=0.0, meeting=0.5, attempts=100),
        org(share=0.5, attempt="1h"),
        inbound=(10.5,),
    )
    monday = [s for s, *_ in attempts(records) if s < 24]
    tuesday = [s for s, *_ in attempts(records) if 24 <= s < 48]
    assert monday == [9.0, 10.0, 12.0, 13.0]
    assert tuesday == [33.0, 34.0, 35.0, 36.0]
    assert records.tasks["start"].tolist() == [11.0]


def test_an_attempt_begun_on_the_last_of_the_budget_is_taken_from_the_next_day():
    # 3h a day in 1h15 attempts: 9:00, 10:15, 11:30 (0.75 h over), then 2.25 h on Tuesday.
    _model, records = play(
        market("{all: 100}", connect=0.0, meeting=0.5, attempts=100),
        org(share=0.375, attempt="75min"),
    )
    starts = [s for s, *_ in attempts(records) if s < 48]
    assert starts == [9.0, 10.25, 11.5, 33.0, 34.25]


def test_a_rep_who_leaves_mid_sequence_hands_the_account_back():
    # Ann starts the only account's sequence at 9:00 and leaves at 9:03, during the call;
    # when the call ends the account goes back, and Bo, waiting with nothing to call,
    # starts its sequence again (its luck goes on: the account's 2nd and 3rd attempts ever).
    roster = ", people: [{name: ann, leaves: 9.05h}, {name: bo}]"
    text = org(sdrs=2, more=roster).replace("{headcount: 2, ", "{")
    _, records = play(market(connect=0.0, meeting=0.5, attempts=3), text)
    assert [(s, r, n) for (s, _, n, _, _), r in zip(
        attempts(records), records.attempts["rep"], strict=True
    )] == [(9.0, 0, 0), (9.1, 1, 0), (9.2, 1, 1), (9.3, 1, 2)]  # fmt: skip
    assert records.reps["left"][0] == pytest.approx(9.1)
    assert records.pool["change"].tolist() == [-1, 1, -1]


def test_a_free_rep_prospects_all_day_when_its_share_is_one():
    # Outbound fills every hour inbound work leaves: the journey's work plus outbound is the
    # whole schedule, whatever the inbound load.
    sc = scenario(
        market("{all: 100000}", connect=0.05, meeting=0.2, attempts=6).replace("1/week", "60/week"),
        org(sdrs=2, share=1.0, attempt="10min", mql="40min"),
        horizon="8w",
        warmup="0h",
        replications=3,
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    utilization = kpis["role.sdr.utilization"].to_numpy()
    outbound = kpis["role.sdr.outbound_time"].to_numpy()
    assert 0.4 < utilization.mean() < 0.6
    assert np.allclose(utilization + outbound, 1.0, atol=0.002)


# -- theory


@pytest.mark.statistical
def test_meetings_and_buyers_reached_are_binomial_in_the_attempts():
    # Each attempt reaches the buyer with chance c and books with chance c*m, whatever its
    # place in the sequence: attempts per meeting is 1/(c m). With constant effort and no
    # inbound, attempts per rep-week are hours x share / effort exactly.
    c, m = 0.08, 0.15
    sc = scenario(
        market("{all: 200000}", connect=c, meeting=m, attempts=6, cadence="2d").replace(
            "rate: 1/week", "rate: 0/week"
        ),
        org(sdrs=4, share=0.5, attempt="5min", more=", productive_share: 0.75"),
        horizon="13w",
        warmup="0h",
        replications=8,
    )
    model = compile_model(sc)
    total = reached = booked = 0
    for seed in range(8):
        records = run_replication(model, 1000 + seed, check=True)
        result = records.attempts["result"]
        total += len(result)
        reached += int((result != NOT_REACHED).sum())
        booked += int((result == BOOKED).sum())
        per_rep_week = len(result) / 4 / 13
        assert per_rep_week == pytest.approx(40 * 0.5 * 0.75 / (5 / 60), abs=1 / 13)
    assert_binomial(reached, total, c, "buyers reached per attempt", checks=2)
    assert_binomial(booked, total, c * m, "meetings per attempt", checks=2)


def _sequences_started(attempts: int, connect: float, per_sequence: int) -> np.ndarray:
    """Expected sequences started by the time n attempts are made, n = 0..attempts: the
    discrete renewal equation u[n] = sum_d P(D = d) u[n - d], D = min(geometric(c), A)."""
    d = np.arange(1, per_sequence + 1)
    p = connect * (1 - connect) ** (d - 1)
    p[-1] = (1 - connect) ** (per_sequence - 1)
    u = np.zeros(attempts + 1)
    u[0] = 1.0
    for n in range(1, attempts + 1):
        k = d[d <= n]
        u[n] = (p[: len(k)] * u[n - k]).sum()
    return np.concatenate([[0.0], np.cumsum(u)[:-1]])


@pytest.mark.statistical
def test_without_cool_off_the_market_depletes_as_renewal_theory_says():
    # No cool-off: every account is worked once. With constant effort the attempts by time t
    # are known, the sequences started by then follow the renewal equation of the sequence
    # length D = min(geometric(c), A), and the accounts left are N minus them until none is
    # left, after which the reps stop.
    c, per_sequence, accounts, reps = 0.1, 6, 1500, 3
    sc = scenario(
        market(f"{{all: {accounts}}}", connect=c, meeting=0.0, attempts=per_sequence).replace(
            "rate: 1/week", "rate: 0/week"
        ),
        org(sdrs=reps, share=0.5, attempt="6min"),
        horizon="16w",
        warmup="0h",
        replications=20,
    )
    model = compile_model(sc)
    weeks = np.array([2.0, 5.0, 8.0])
    per_week = 20 / 0.1  # one rep's outbound hours / effort; each rep works its own sequences
    started = _sequences_started(int(per_week * 8), c, per_sequence)
    theory = accounts - reps * started[(per_week * weeks).astype(int)]
    left, ended = [], []
    for seed in range(20):
        records = run_replication(model, 2000 + seed, check=True)
        left.append(accounts_left(records, model.sources[1], 1, weeks * WEEK))
        a = records.attempts
        ended.append(a["start"].max())
        assert (a["n"] == 0).sum() == accounts  # every account, once
    left = np.array(left)
    for i, week in enumerate(weeks):
        assert_in_interval(left[:, i], theory[i], f"accounts left in week {week:g}", checks=3)
    # Depleted when the sequences started reach N: about N E[D] / attempts per week.
    expected = accounts * (1 - (1 - c) ** per_sequence) / c / (reps * per_week)
    assert np.all(np.abs(np.array(ended) / WEEK - expected) < 0.5)


def test_with_cool_off_an_account_is_contacted_at_most_once_per_cool_off():
    # Far more capacity than accounts: every account is worked as soon as its cool-off ends,
    # so sequences start at N per cool-off, never more.
    sc = scenario(
        market("{all: 50}", connect=0.5, meeting=0.0, attempts=3, cool_off="2w").replace(
            "rate: 1/week", "rate: 0/week"
        ),
        org(sdrs=2, share=1.0, attempt="6min"),
        horizon="20w",
        warmup="0h",
        replications=3,
    )
    model = compile_model(sc)
    for seed in range(3):
        a = run_replication(model, seed, check=True).attempts
        starts = np.sort(a["start"][a["n"] == 0])
        in_window = np.searchsorted(starts, starts + 2 * WEEK, side="left") - np.arange(len(starts))
        assert in_window.max() <= 50
        by_window = np.histogram(starts, bins=np.arange(0, 20 * WEEK + 1, 2 * WEEK))[0]
        assert (by_window[1:-1] >= 48).all()  # the bound is what capacity to spare reaches


# -- capacity's bounds


def _prospecting_case(inbound: str, effort: str) -> orgsim.Scenario:
    return scenario(
        market("{all: 100000}", connect=0.1, meeting=0.2, attempts=6).replace(
            "rate: 1/week", f"rate: {inbound}"
        ),
        org(sdrs=3, share=0.5, attempt=effort, mql="30min", more=", productive_share: 0.8"),
        horizon="13w",
        warmup="0h",
        replications=10,
    )


@pytest.mark.statistical
def test_capacity_bounds_what_prospecting_makes_and_reaches_it_when_one_limit_binds():
    # No inbound: the share binds every day, and the bound is the attempts a week. Heavy
    # inbound (78% of the hours): every free minute goes on outbound, so the bound (the hours
    # left) is reached too. Light inbound (39%): on busy days the hours left bind, on quiet
    # ones the share, so the runs stay below the bound.
    for inbound, reached in (("0/week", True), ("150/week", True), ("75/week", False)):
        sc = _prospecting_case(inbound, "{dist: exponential, mean: 5min}")
        bound = orgsim.capacity(sc).outbound[0]
        kpis = orgsim.simulate(sc, progress=False).kpis
        attempts = kpis["source.outbound.attempts"].to_numpy() / 13
        meetings = kpis["source.outbound.meetings"].to_numpy() / 13
        what = f"attempts a week with inbound {inbound}"
        check = assert_in_interval if reached else assert_below
        check(attempts, bound.attempts_per_week, what, checks=6)
        check(meetings, bound.meetings_per_week, f"meetings a week, inbound {inbound}", checks=6)
        if inbound == "150/week":
            assert bound.share == pytest.approx(1 - 150 * 0.5 / 0.8 / (3 * 40), abs=0.02)


def test_a_list_that_cannot_come_back_within_the_horizon_bounds_the_meetings():
    # 2,000 accounts, a cool-off longer than the 26-week horizon, reps to spare: every
    # account gets one sequence at most, so at most 2,000 x (1 - 0.9^5) x 0.1 meetings.
    sc = scenario(
        market("{all: 2000}", connect=0.1, meeting=0.1, attempts=5, cool_off="6mo"),
        org(sdrs=3, share=1.0, attempt="5min"),
        horizon="26w",
        warmup="0h",
    )
    bound = orgsim.capacity(sc).outbound[0]
    assert bound.lasts_weeks < 26
    assert bound.average_meetings_per_week == pytest.approx(2000 * (1 - 0.9**5) * 0.1 / 26)


# -- common random numbers


def test_an_account_answers_its_nth_attempt_the_same_way_in_every_design():
    text = market("{all: 400}", connect=0.3, meeting=0.3, attempts=4, cool_off="2w")
    results = []
    for sdrs in (1, 3):
        sc = scenario(text, org(sdrs=sdrs, share=0.5, attempt="20min"), horizon="6w",
                      warmup="0h", replications=1)  # fmt: skip
        a = run_replication(compile_model(sc), 7, check=True).attempts
        keyed = {}
        for account, result in zip(a["account"], a["result"], strict=True):
            keyed.setdefault(int(account), []).append(int(result))
        results.append(keyed)
    few, many = results
    shared = set(few) & set(many)
    assert len(shared) > 50
    for account in shared:
        n = min(len(few[account]), len(many[account]))
        assert few[account][:n] == many[account][:n]
    assert sum(map(len, many.values())) > 2 * sum(map(len, few.values()))


# -- a planner's mistakes


def _problems(market_text: str, org_text: str) -> str:
    with pytest.raises(orgsim.ConfigError) as caught:
        scenario(market_text, org_text)
    return str(caught.value)


def test_an_outbound_source_nobody_prospects_is_an_error():
    text = org().replace("      outbound: {role: sdr, effort: 6min}\n", "")
    said = _problems(market(connect=0.1, meeting=0.1, attempts=3), text)
    assert "nobody prospects the outbound source 'outbound': add work.outbound" in said


def test_prospecting_needs_a_share_one_source_per_role_and_no_routing():
    text = (
        org()
        .replace("outbound_share: 1.0", "team: sales")
        .replace("effort: 6min}", "effort: 6min, routing: round_robin}")
    )
    said = _problems(market(connect=0.1, meeting=0.1, attempts=3), text)
    assert "sdr prospects 'outbound': give its outbound_share" in said
    assert "an attempt on an account has no routing" in said
    said = _problems(
        market(connect=0.1, meeting=0.1, attempts=3),
        org().replace("ae: {headcount: 1}", "ae: {headcount: 1, outbound_share: 0.2}"),
    )
    assert "ae prospects no outbound source" in said


def test_accounts_of_an_unknown_segment_and_missing_fields_are_named():
    said = _problems(market("{al: 10}", connect=0.1, meeting=0.1, attempts=3), org())
    assert "market.sources.outbound.accounts.al: unknown segment 'al'; did you mean 'all'?" in said
    said = _problems(market(connect=0.1, attempts=3), org())
    assert "market.sources.outbound.meeting: missing required field 'meeting'" in said
    said = _problems(market(connect=1.5, meeting=0.1, attempts=0), org())
    assert "market.sources.outbound.connect" in said
    assert "market.sources.outbound.attempts" in said
