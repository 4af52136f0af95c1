"""The engine against queueing theory and probability, with tolerances from confidence intervals.

Each test simulates a small scenario whose answer theory knows, over
independent replications, and checks that the theoretical value lies inside
the 99% t interval of the replications' mean (or, for counts, inside a
binomial interval), Bonferroni-corrected over the checks of one test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import orgsim
from orgsim.analytic.queueing import erlang_c

from .intervals import assert_above, assert_binomial, assert_in_interval
from .models import scenario, single_queue
from .theory import mmc_wait_mean, mmc_wait_within, periodic_pool

pytestmark = pytest.mark.statistical


def long_run(horizon: str):
    """Run a theory check on `horizon` x 20 replications, long enough for an interval of a
    few percent of the value. These run in every test run, CI's included (under a minute
    of the suite on 2 cores)."""
    return pytest.mark.parametrize("horizon, reps", [pytest.param(horizon, 20, id="long")])


def test_erlang_c_textbook_values():
    # Kleinrock / standard tables: C(2, 1) = 1/3; C(1, a) = a for M/M/1.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert erlang_c(5, 4.0) == pytest.approx(0.5541, abs=1e-4)
    assert mmc_wait_mean(1, 0.5, 1.0) == pytest.approx(1.0)  # rho / (mu - lambda)


@long_run("150w")
def test_pooled_role_is_erlang_c(horizon, reps):
    """M/M/5, lambda 4/h, mean effort 1 h: mean wait, P(wait) and SLA attainment."""
    sc = single_queue(
        5,
        "4/h",
        "{dist: exponential, mean: 1h}",
        sla="{first_touch: 30min}",
        horizon=horizon,
        replications=reps,
    )
    results = orgsim.simulate(sc, records=True, progress=False)
    checks = 4
    wait = mmc_wait_mean(5, 4, 1)
    assert_in_interval(results.kpis["stage.service.wait_mean"], wait, "mean wait", checks)
    attainment = mmc_wait_within(5, 4, 1, 0.5)
    assert_in_interval(results.kpis["sla.service.attainment"], attainment, "P(Wq <= 30m)", checks)
    visits = results.visits
    counted = visits[(visits.stage == "service") & (visits.first_touch >= sc.warmup)]
    waited = counted.groupby("replication")["wait"].apply(lambda w: (w > 1e-12).mean())
    assert_in_interval(waited, erlang_c(5, 4.0), "P(wait > 0)", checks)
    assert_in_interval(results.kpis["role.server.utilization"], 0.8, "utilization", checks)


@long_run("120w")
def test_random_routing_is_independent_mm1_queues(horizon, reps):
    """Random routing over 3 reps splits Poisson arrivals into 3 independent M/M/1 queues."""
    sc = single_queue(
        3,
        "3/h",
        "{dist: exponential, mean: 0.7h}",
        routing="random",
        horizon=horizon,
        replications=reps,
    )
    results = orgsim.simulate(sc, progress=False)
    mu, lam = 1 / 0.7, 1.0
    waits = results.kpis["stage.service.wait_mean"]
    assert_in_interval(waits, (lam / mu) / (mu - lam), "M/M/1 mean wait", checks=2)
    pooled = mmc_wait_mean(3, 3.0, mu)  # one queue for the 3 reps would wait far less
    assert_above(waits, pooled, "random routing vs pooled", checks=2)


TANDEM_MARKET = """
kind: market
name: tandem
segments: {all: {deal_value: 1}}
sources: {calls: {rate: 4/h, enters: first}}
journey:
  first: {outcomes: {second: 1.0}}
  second: {outcomes: {done: 1.0}}
  done: {}
"""
TANDEM_ORG = """
kind: org
name: two pools
roles:
  a: {headcount: 3, schedule: always}
  b: {headcount: 2, schedule: always}
work:
  first: {role: a, effort: {dist: exponential, mean: 0.6h}}
  second: {role: b, effort: {dist: exponential, mean: 0.4h}}
"""


@long_run("100w")
def test_two_pools_in_tandem_are_a_jackson_network(horizon, reps):
    """Each stage of a tandem of M/M/c queues waits as its own M/M/c (Burke, Jackson)."""
    sc = scenario(TANDEM_MARKET, TANDEM_ORG, horizon=horizon, replications=reps)
    kpis = orgsim.simulate(sc, progress=False).kpis
    first, second = mmc_wait_mean(3, 4, 1 / 0.6), mmc_wait_mean(2, 4, 1 / 0.4)
    assert_in_interval(kpis["stage.first.wait_mean"], first, "stage 1", checks=2)
    assert_in_interval(kpis["stage.second.wait_mean"], second, "stage 2", checks=2)


FUNNEL_MARKET = """
kind: market
name: funnel
segments:
  smb: {deal_value: 10}
  ent: {deal_value: 100}
sources: {inbound: {rate: 60/day, enters: mql, mix: {smb: 0.7, ent: 0.3}}}
journey:
  mql: {outcomes: {sql: 0.35, nurture: 0.2}}
  nurture: {buyer_delay: 3d, outcomes: {mql: 0.25}}
  sql: {buyer_delay: {dist: gamma, mean: 2d, cv: 0.5}, outcomes: {opportunity: 0.6}}
  opportunity:
    touches: 2
    outcomes: {won: {by_segment: {smb: 0.3, ent: 0.15}}}
  won: {milestone: won}
"""
AMPLE_ORG = """
kind: org
name: ample
roles:
  sdr: {headcount: 60, schedule: always}
  ae: {headcount: 60, schedule: always}
work:
  mql: {role: sdr, effort: 10min}
  sql: {role: ae, effort: 20min, routing: least_loaded}
  opportunity: {role: ae, effort: 30min, routing: same_rep}
"""


def test_ample_capacity_conversions_match_the_journey():
    """Without queues, skill, decay or handoffs, each stage converts at its probabilities."""
    sc = scenario(FUNNEL_MARKET, AMPLE_ORG, horizon="20w", replications=4)
    results = orgsim.simulate(sc, records=True, progress=False)
    visits = results.visits
    left = visits[visits.left.notna()]
    routes = [
        ("mql", "sql", 0.35),
        ("mql", "nurture", 0.2),
        ("mql", "lost", 0.45),
        ("nurture", "mql", 0.25),
        ("sql", "opportunity", 0.6),
    ]
    checks = len(routes) + 3
    for stage, target, p in routes:
        here = left[left.stage == stage]
        moved = (here.next == target).sum()
        assert_binomial(moved, len(here), p, f"{stage} -> {target}", checks)
    cases = results.cases.set_index(["replication", "lead"])
    opportunity = left[left.stage == "opportunity"].join(
        cases["segment"], on=["replication", "lead"]
    )
    for segment, p in (("smb", 0.3), ("ent", 0.15)):
        here = opportunity[opportunity.segment == segment]
        won = (here.next == "won").sum()
        assert_binomial(won, len(here), p, f"won from {segment}", checks)
    segments = results.cases.segment
    assert_binomial((segments == "smb").sum(), len(segments), 0.7, "segment mix", checks)


HANDOFF_MARKET = """
kind: market
name: handoff
segments: {all: {deal_value: 1}}
sources: {inbound: {rate: 200/day, enters: qualify}}
journey:
  qualify: {outcomes: {close: 1.0}}
  close:
    outcomes: {won: 0.6}
    response_decay: DECAY
  won: {milestone: won}
"""
HANDOFF_ORG = """
kind: org
name: handoff
roles:
  sdr: {headcount: 200, schedule: always}
  ae: {headcount: 200, schedule: always}
work:
  qualify: {role: sdr, effort: 5min}
  close: {role: ae, effort: 5min}
handoffs:
  sdr->ae: {mode: manual, delay: 2h, leak: 0.1, penalty: 0.2}
"""


@pytest.mark.parametrize(
    ("decay", "factor"),
    [
        ("{half_life: 4h, floor: 0.2}", 0.2 + 0.8 * 2 ** (-2 / 4)),
        ("{points: [[0h, 1.0], [4h, 0.5]]}", 0.75),
    ],
)
def test_manual_handoff_changes_conversion_as_the_formulas_say(decay, factor):
    """Leak 10% during a 2 h handoff; success chance x (1 - 0.2) x decay(2 h)."""
    sc = scenario(
        HANDOFF_MARKET.replace("DECAY", decay),
        HANDOFF_ORG,
        horizon="6w",
        warmup="1d",
        replications=3,
    )
    results = orgsim.simulate(sc, records=True, progress=False)
    visits = results.visits
    close = visits[(visits.stage == "close") & visits.left.notna()]
    checks = 3
    assert_binomial((close.next == "leaked").sum(), len(close), 0.1, "leak", checks)
    waited = close.first_touch - close.entered
    assert np.allclose(waited.dropna(), 2.0)  # ample capacity: touched as the handoff ends
    won = (close.next == "won").sum()
    assert_binomial(won, len(close), 0.9 * 0.6 * 0.8 * factor, "won after handoff", checks)
    automated = sc.with_set({"org.handoffs.sdr->ae.mode": "automated"})
    visits = orgsim.simulate(automated, records=True, progress=False).visits
    close = visits[(visits.stage == "close") & visits.left.notna()]
    assert (close.next == "leaked").sum() == 0
    assert_binomial((close.next == "won").sum(), len(close), 0.6, "won, automated", checks)


def test_business_hours_utilization_is_offered_work_over_productive_hours():
    """Utilization = offered work / (productive share x scheduled hours)."""
    sc = single_queue(
        2,
        "20/week",
        "1h",
        schedule="business_hours",
        productive_share=0.7,
        horizon="26w",
        warmup="1w",
        replications=10,
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    offered = 20 * 1.0  # hours of work per week
    assert_in_interval(
        kpis["role.server.utilization"],
        offered / (0.7 * 2 * 40),
        "utilization under business hours",
    )


def test_business_hours_pause_work_and_shift_the_sla_clock():
    """Leads arriving around the clock wait for the shift; a business clock forgives nights.
    Attainment on both clocks against the periodic Markov chain of the team's week."""
    effort = "{dist: exponential, mean: 30min}"
    calendar = single_queue(
        4,
        "40/week",
        effort,
        schedule="business_hours",
        sla="{first_touch: 2h, clock: calendar}",
        replications=4,
        horizon="8w",
        warmup="1w",
    )
    business = calendar.with_set({"org.work.service.sla.clock": "business"})
    cal = orgsim.simulate(calendar, records=True, progress=False)
    bus = orgsim.simulate(business, progress=False).kpis
    visits = cal.visits.dropna(subset=["first_touch"])
    in_week = visits.first_touch % 168
    day, hour = in_week // 24, in_week % 24
    assert ((day < 5) & (hour >= 9) & (hour < 17)).all()  # work starts only on shift
    # 128 of 168 hours are off shift: about 29% are touched within 2 calendar hours, 98% within
    # 2 business hours
    theory = periodic_pool(4, 2.0, BUSINESS_HOURS, ("always", 40 / 168), 2.0)
    attained = cal.kpis["sla.service.attainment"]
    assert_in_interval(attained, theory["sla_calendar"], "SLA on the calendar clock", checks=2)
    attained = bus["sla.service.attainment"]
    assert_in_interval(attained, theory["sla_business"], "SLA on the business clock", checks=2)


BUSINESS_HOURS = [(d * 24 + 9.0, d * 24 + 17.0) for d in range(5)]
NIGHTS = [(d * 24 + 22.0, d * 24 + 30.0) for d in (6, 0, 1, 2, 3)]  # Sun-Thu 22:00-06:00
SCHEDULES = {
    "business_hours": ("business_hours", BUSINESS_HOURS),
    "nights": ('{days: [sun, mon, tue, wed, thu], start: "22:00", end: "06:00"}', NIGHTS),
}


@pytest.mark.parametrize(
    "schedule, hours",
    [("business_hours", "always"), ("business_hours", "business_hours"), ("nights", "always")],
)
@long_run("300w")
def test_waits_and_sla_of_a_team_on_a_schedule_match_the_periodic_markov_chain(
    schedule, hours, horizon, reps
):
    """Two reps on a weekly schedule at 75% load, leads around the clock or in business hours:
    mean wait, SLA attainment on both clocks and utilization against the exact periodic
    Markov chain of the queue over a week (tests/theory.py, independent of the engine)."""
    yaml_schedule, intervals = SCHEDULES[schedule]
    open_hours = sum(b - a for a, b in intervals)
    lam = 0.75 * 2 * open_hours / 168  # leads per hour, averaged over the week
    calendar_sla, business_sla = 24.0, 8.0
    common = dict(
        schedule=yaml_schedule, hours=hours, horizon=horizon, warmup="4w", replications=reps
    )
    effort = "{dist: exponential, mean: 1h}"
    on_calendar = single_queue(2, f"{lam * 168}/week", effort, sla="{first_touch: 24h}", **common)
    on_business = on_calendar.with_set(
        {"org.work.service.sla": {"first_touch": "8h", "clock": "business"}}
    )
    calendar_kpis = orgsim.simulate(on_calendar, progress=False).kpis
    business_kpis = orgsim.simulate(on_business, progress=False).kpis
    calendar = periodic_pool(2, 1.0, intervals, (hours, lam), calendar_sla)
    business = periodic_pool(2, 1.0, intervals, (hours, lam), business_sla)
    checks = 4
    assert_in_interval(
        calendar_kpis["stage.service.wait_mean"], calendar["wait_mean"], "mean wait", checks
    )
    assert_in_interval(
        calendar_kpis["sla.service.attainment"], calendar["sla_calendar"], "SLA 24h", checks
    )
    assert_in_interval(
        business_kpis["sla.service.attainment"],
        business["sla_business"],
        "SLA 8 business hours",
        checks,
    )
    assert_in_interval(
        calendar_kpis["role.server.utilization"], calendar["utilization"], "utilization", checks
    )


def test_littles_law_on_a_stage():
    """Mean number waiting = arrival rate x mean wait, replication by replication."""
    sc = single_queue(
        3, "2.5/h", "{dist: gamma, mean: 1h, cv: 0.7}", horizon="20w", replications=10
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    hours = sc.horizon
    arrival_rate = kpis["stage.service.entered"] / hours
    gap = kpis["role.server.queue_mean"] - arrival_rate * kpis["stage.service.wait_mean"]
    assert_in_interval(gap / kpis["role.server.queue_mean"], 0.0, "L - lambda W, relative")


def test_sla_attainment_counts_leads_left_untouched_past_their_deadline():
    """A role with nobody in it touches nothing: every lead past its deadline is a miss."""
    sc = single_queue(
        0, "10/day", "1h", sla="{first_touch: 1h}", horizon="2w", warmup="0h", replications=2
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    assert (kpis["sla.service.attainment"] == 0).all()
    assert (kpis["role.server.queue_end"] == kpis["leads"]).all()


def test_mmc_wait_tail_matches_theory_pointwise():
    """P(Wq <= t) at several t, from the visit records of one long replication set."""
    sc = single_queue(4, "3/h", "{dist: exponential, mean: 1h}", horizon="40w", replications=6)
    visits = orgsim.simulate(sc, records=True, progress=False).visits
    waits = visits[
        (visits.stage == "service") & visits.wait.notna() & (visits.first_touch >= sc.warmup)
    ]
    times = (0.1, 0.5, 1.0, 2.0)
    for t in times:
        share = waits.groupby("replication")["wait"].apply(lambda w, t=t: (w <= t).mean())
        assert_in_interval(share, mmc_wait_within(4, 3, 1, t), f"P(Wq <= {t} h)", len(times))
    assert math.isclose(mmc_wait_within(4, 3, 1, 0), 1 - erlang_c(4, 3))
