"""Each word of the org language does what SCENARIO-SPEC section 5 says it does."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

import orgsim
from orgsim.engine.calendar import calendar_for

from .intervals import assert_above, assert_in_interval, assert_paired_less
from .models import scenario, single_queue
from .theory import mmc_wait_mean

TWO_STAGES = """
kind: market
name: two stages
segments:
  smb: {deal_value: {dist: uniform, low: 1000, high: 2000}}
  ent: {deal_value: {dist: uniform, low: 50000, high: 90000}}
sources: {inbound: {rate: RATE, enters: sql, mix: {smb: 0.6, ent: 0.4}}}
journey:
  sql: {outcomes: {opportunity: 0.6}}
  opportunity: {buyer_delay: 1d, outcomes: {won: 0.5}}
  won: {milestone: won}
"""


def two_stages(org: str, rate: str = "30/day", **kwargs) -> orgsim.Scenario:
    return scenario(TWO_STAGES.replace("RATE", rate), org, **kwargs)


def test_pods_serve_only_their_segments():
    org = """
    kind: org
    name: pods
    roles: {ae: {schedule: always}}
    pods:
      small: {segments: [smb], members: {ae: 2}}
      big: {segments: [ent], members: {ae: 3}}
    work:
      sql: {role: ae, effort: 30min, routing: round_robin}
      opportunity: {role: ae, effort: 1h, routing: same_rep}
    """
    results = orgsim.simulate(
        two_stages(org, horizon="4w"), replications=2, records=True, progress=False
    )
    visits = results.visits.dropna(subset=["first_touch"])
    reps = results.reps.set_index(["replication", "rep"])["pod"].astype(str)
    segment = results.cases.set_index(["replication", "lead"])["segment"].astype(str)
    pod = reps.loc[list(zip(visits.replication, visits.rep, strict=True))].to_numpy()
    seg = segment.loc[list(zip(visits.replication, visits.lead, strict=True))].to_numpy()
    expected = np.where(seg == "smb", "small", "big")
    assert len(pod) > 500 and (pod == expected).all()


def test_same_rep_keeps_the_lead_with_its_rep():
    org = """
    kind: org
    name: o
    roles: {ae: {headcount: 6, schedule: always}}
    work:
      sql: {role: ae, effort: 30min, routing: round_robin}
      opportunity: {role: ae, effort: 1h, routing: same_rep}
    """
    visits = orgsim.simulate(
        two_stages(org, horizon="3w"), replications=1, records=True, progress=False
    ).visits.dropna(subset=["first_touch"])
    by_stage = visits.pivot_table(
        index="lead", columns="stage", values="rep", observed=True
    ).dropna()
    assert len(by_stage) > 100
    assert (by_stage["sql"] == by_stage["opportunity"]).all()


def test_round_robin_takes_turns():
    sc = single_queue(
        5, "40/day", "10min", routing="round_robin", horizon="2w", warmup="0h", replications=1
    )
    visits = orgsim.simulate(sc, records=True, progress=False).visits
    counts = visits[visits.stage == "service"].dropna(subset=["first_touch"]).rep.value_counts()
    assert len(counts) == 5 and counts.max() - counts.min() <= 1


def test_least_loaded_beats_random_assignment():
    common = {"horizon": "20w", "replications": 5}
    least = single_queue(
        4, "3/h", "{dist: exponential, mean: 1h}", routing="least_loaded", **common
    )
    rand = single_queue(4, "3/h", "{dist: exponential, mean: 1h}", routing="random", **common)
    least_waits, random_waits = (
        orgsim.simulate(s, progress=False).kpis["stage.service.wait_mean"] for s in (least, rand)
    )
    assert_paired_less(least_waits, random_waits, "least loaded vs random", checks=2)
    # ...yet each rep keeps its own queue, so it cannot beat one queue for all four (M/M/4)
    assert_above(least_waits, mmc_wait_mean(4, 3, 1), "least loaded vs pooled", checks=2)


def test_escalation_moves_waiting_items_to_free_reps():
    base = single_queue(
        4,
        "3/h",
        "{dist: exponential, mean: 1h}",
        routing="random",
        sla="{first_touch: 4h}",
        horizon="10w",
        replications=3,
    )
    escalating = base.with_set({"org.work.service.sla.escalate_after": "1h"})
    before = orgsim.simulate(base, progress=False).kpis
    after = orgsim.simulate(escalating, records=True, progress=False)
    visits = after.visits
    escalated = visits[visits.escalated]
    assert len(escalated) > 100
    assert (
        escalated.first_touch.dropna()
        >= escalated.entered.dropna().reindex(escalated.first_touch.dropna().index) + 1.0 - 1e-9
    ).all()
    assert (visits.record_type == "escalation").any()
    waits = after.kpis["stage.service.wait_mean"], before["stage.service.wait_mean"]
    assert_paired_less(*waits, "wait with escalation vs without")


def test_stage_priority_serves_listed_stages_first():
    org = """
    kind: org
    name: o
    roles: {ae: {headcount: 2, schedule: always}}
    work:
      sql: {role: ae, effort: {dist: exponential, mean: 30min}}
      opportunity: {role: ae, effort: {dist: exponential, mean: 30min}}
    queues:
      ae: {stage_priority: [opportunity, sql]}
    """
    first = two_stages(org, rate="70/day", horizon="10w", replications=3)
    second = first.with_set({"org.queues.ae.stage_priority": ["sql", "opportunity"]})
    a = orgsim.simulate(first, progress=False).kpis
    b = orgsim.simulate(second, progress=False).kpis
    key = "stage.opportunity.wait_mean"
    assert_paired_less(a[key], b[key], "opportunity first: opportunity waits", checks=2)
    key = "stage.sql.wait_mean"
    assert_paired_less(b[key], a[key], "sql first: sql waits", checks=2)


def test_newest_first_has_a_longer_tail_than_fifo():
    fifo = single_queue(2, "1.6/h", "{dist: exponential, mean: 1h}", horizon="8w", replications=10)
    lifo = fifo.with_set({"org.queues": {"server": {"order": "newest_first"}}})
    a = orgsim.simulate(fifo, records=True, progress=False)
    b = orgsim.simulate(lifo, records=True, progress=False)
    # the order does not change the mean wait of an M/M/2 (the same work is done); its
    # spread it does
    theory = mmc_wait_mean(2, 1.6, 1)
    assert_in_interval(a.kpis["stage.service.wait_mean"], theory, "fifo mean wait", checks=3)
    assert_in_interval(b.kpis["stage.service.wait_mean"], theory, "lifo mean wait", checks=3)
    spread = [
        r.visits[r.visits.first_touch >= fifo.warmup].groupby("replication").wait.std()
        for r in (a, b)
    ]
    assert_paired_less(*spread, "spread of waits, fifo vs newest first", checks=3)


def test_value_order_serves_big_deals_first():
    org = """
    kind: org
    name: o
    roles: {ae: {headcount: 2, schedule: always}}
    work:
      sql: {role: ae, effort: {dist: exponential, mean: 40min}}
      opportunity: {role: ae, effort: 5min}
    queues:
      ae: {order: value}
    """
    results = orgsim.simulate(
        two_stages(org, rate="55/day", horizon="6w"), replications=5, records=True, progress=False
    )
    visits = results.visits
    sql = visits[(visits.stage == "sql")].dropna(subset=["wait"])
    segment = results.cases.set_index(["replication", "lead"])["segment"].astype(str)
    sql = sql.join(segment, on=["replication", "lead"])
    waits = sql.groupby(["segment", "replication"])["wait"].mean()
    assert_paired_less(waits["ent"], waits["smb"], "big deals' wait vs small deals'")


def test_deadline_order_protects_the_tightest_sla():
    org = """
    kind: org
    name: o
    roles: {ae: {headcount: 2, schedule: always}}
    work:
      sql: {role: ae, effort: {dist: exponential, mean: 30min}, sla: {first_touch: 1h}}
      opportunity: {role: ae, effort: {dist: exponential, mean: 30min},
                    sla: {first_touch: 2d}}
    queues:
      ae: {order: ORDER}
    """
    fifo = two_stages(org.replace("ORDER", "fifo"), rate="50/day", horizon="6w", replications=6)
    deadline = fifo.with_set({"org.queues.ae.order": "deadline"})
    a = orgsim.simulate(fifo, progress=False).kpis
    b = orgsim.simulate(deadline, progress=False).kpis
    assert_paired_less(a["sla.sql.attainment"], b["sla.sql.attainment"], "sql SLA, fifo first")


def test_a_night_shift_works_only_its_hours():
    sc = single_queue(
        2,
        "10/day",
        "20min",
        schedule='{days: [mon, tue, wed, thu, fri], start: "22:00", end: "06:00"}',
        horizon="4w",
        replications=1,
    )
    visits = orgsim.simulate(sc, records=True, progress=False).visits.dropna(subset=["first_touch"])
    hour = visits.first_touch % 24
    assert ((hour >= 22) | (hour < 6)).all()
    weekday_start = (visits.first_touch % 168) // 24
    night_of = np.where(hour >= 22, weekday_start, weekday_start - 1) % 7
    assert (night_of < 5).all()  # nights starting Mon-Fri only


def test_seasonality_and_business_hours_shape_arrivals():
    seasonality = [0.5, 1.0, 1.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    market = f"""
    kind: market
    name: seasonal
    segments: {{all: {{deal_value: 1}}}}
    sources: {{web: {{rate: 840/week, enters: s, hours: business_hours,
                      seasonality: {seasonality}}}}}
    journey: {{s: {{outcomes: {{done: 1.0}}}}, done: {{}}}}
    """
    org = "kind: org\nname: o\nroles: {r: {headcount: 1}}\n"
    sc = scenario(market, org, horizon="13w", warmup="0h", replications=1)
    created = orgsim.simulate(sc, records=True, progress=False).cases.created.to_numpy()
    in_week = created % 168
    assert ((in_week < 5 * 24) & (in_week % 24 >= 9) & (in_week % 24 < 17)).all()
    month = (created // 730).astype(int)
    open_hours = calendar_for("business_hours")
    for m, factor in enumerate(seasonality[:3]):
        hours = open_hours.worked((m + 1) * 730) - open_hours.worked(m * 730)
        expected = 840 / 40 * factor * hours  # the weekly volume, inside business hours
        count = (month == m).sum()
        low, high = stats.poisson.interval(0.999, expected)
        assert low <= count <= high, (m, count, expected)


def test_renewals_change_arr_and_retention_as_written():
    market = """
    kind: market
    name: renewals
    segments: {all: {deal_value: 1000}}
    sources: {web: {rate: 20/week, enters: deal}}
    journey:
      deal: {outcomes: {won: 0.5}}
      won: {milestone: won, outcomes: {renewal: 1.0}}
      renewal:
        buyer_delay: 12w
        value_change: 1.1
        outcomes: {renewal: 0.9}
        otherwise: churned
    """
    org = "kind: org\nname: o\nroles: {r: {headcount: 0}}\n"
    sc = scenario(market, org, horizon="13w", warmup="10w", replications=20)
    kpis = orgsim.simulate(sc, progress=False).kpis
    # Customers at the end of warm-up renew exactly once in the horizon.
    from orgsim.measure.stats import interval

    nrr, grr = interval(kpis.nrr, 0.99), interval(kpis.grr, 0.99)
    assert nrr.low <= 0.9 * 1.1 <= nrr.high
    assert grr.low <= 0.9 <= grr.high
    won = kpis.won.to_numpy()
    assert np.allclose(kpis.won_value, 1000 * won)


def test_cost_is_people_over_the_horizon_plus_marketing():
    sc = orgsim.load_text("""
kind: scenario
name: cost
horizon: 26w
market:
  kind: market
  name: m
  segments: {all: {deal_value: 1}}
  sources: {s: {rate: 10/week, enters: a}}
  journey: {a: {outcomes: {won: 0.5}}, won: {milestone: won}}
org:
  kind: org
  name: o
  roles:
    rep: {headcount: 3, cost_per_year: 100000}
    manager: {headcount: 1, cost_per_year: 52000}
  work: {a: {role: rep, effort: 1h}}
  marketing: {cost_per_lead: 10}
""")
    kpis = orgsim.simulate(sc, replications=2, progress=False).kpis
    people = (3 * 100000 + 52000) * 26 * 168 / 8760
    assert np.allclose(kpis.cost, people + 10 * kpis.leads)
    assert np.allclose(kpis.cost_per_won, kpis.cost / kpis.won)


def test_weekly_series_and_rep_table_add_up_to_the_kpis():
    sc = single_queue(
        3,
        "2/h",
        "{dist: exponential, mean: 1h}",
        schedule="business_hours",
        hours="business_hours",
        horizon="6w",
        warmup="2w",
        replications=2,
    )
    results = orgsim.simulate(sc, records=True, progress=False)
    weeks = results.timeseries
    measured = weeks[~weeks.warmup]
    won = measured.groupby("replication")["leads"].sum()
    assert (won.to_numpy() == results.kpis.leads.to_numpy()).all()
    weekly_util = measured.groupby("replication")["utilization.server"].mean()
    assert np.allclose(weekly_util, results.kpis["role.server.utilization"])
    reps = results.reps.groupby("replication")["utilization"].mean()
    assert np.allclose(reps, results.kpis["role.server.utilization"])
    queue = measured.groupby("replication")["queue.server"].mean()
    assert np.allclose(queue, results.kpis["role.server.queue_mean"])


@pytest.mark.parametrize("routing", ["pool", "round_robin", "least_loaded", "random", "same_rep"])
def test_every_routing_serves_every_lead_when_capacity_is_ample(routing):
    sc = single_queue(
        4, "5/day", "15min", routing=routing, horizon="3w", warmup="0h", replications=1
    )
    visits = orgsim.simulate(sc, records=True, progress=False).visits
    service = visits[visits.stage == "service"]
    late = service[service.entered < sc.horizon - 72]
    assert len(late) > 50 and late.first_touch.notna().all()


def test_skill_by_segment_scales_each_segments_success():
    market = """
    kind: market
    name: m
    segments:
      smb: {deal_value: {by_segment: {smb: 100, ent: 5}}}
      ent: {deal_value: 1000}
    sources: {s: {rate: 100/week, enters: a, mix: {smb: 0.5, ent: 0.5}}}
    journey: {a: {outcomes: {won: 0.5}}, won: {milestone: won}}
    """
    org = """
    kind: org
    name: o
    roles: {r: {headcount: 30, schedule: always, skill: {by_segment: {smb: 0.5, ent: 1.5}}}}
    work: {a: {role: r, effort: 10min}}
    """
    results = orgsim.simulate(
        scenario(market, org, horizon="10w"), replications=2, records=True, progress=False
    )
    cases = results.cases
    assert (cases[cases.segment == "smb"].deal_value == 100).all()  # its own segment's value
    visits = results.visits
    left = visits[(visits.stage == "a") & visits.left.notna()].merge(
        cases[["replication", "lead", "segment"]], on=["replication", "lead"]
    )
    for segment, p in (("smb", 0.25), ("ent", 0.75)):
        here = left[left.segment == segment]
        k = int((here.next == "won").sum())
        ci = stats.binomtest(k, len(here), p).proportion_ci(0.999)
        assert ci.low <= p <= ci.high, (segment, k / len(here))
