"""A design that does not keep up is flagged wherever its results are shown."""

from __future__ import annotations

import orgsim

from .intervals import assert_in_interval
from .models import scenario, single_queue

EFFORT = "{dist: exponential, mean: 1h}"


def test_an_overloaded_pool_grows_its_backlog_at_the_rate_theory_gives_and_is_flagged():
    # Two reps, 2.4 leads an hour, an hour each: 0.4 leads an hour (67.2 a week) pile up.
    sc = single_queue(2, "2.4/h", EFFORT, horizon="12w", warmup="1w", replications=8)
    results = orgsim.simulate(sc, progress=False)
    assert_in_interval(
        results.kpis["role.server.backlog_growth"], 0.4 * 168, "backlog growth per week"
    )
    (found,) = results.shortfalls()
    assert found.role == "server" and found.growth[1] > 0
    # 2.4 hours of work an hour for 2 reps: 1.2 in the horizon's only quarter
    assert abs(found.quarter_load - 1.2) < 1e-9 and found.quarter == 1
    assert results.to_json()["does_not_keep_up"][0]["role"] == "server"


def test_a_pool_with_room_to_spare_is_not_flagged():
    sc = single_queue(3, "1.8/h", EFFORT, horizon="20w", replications=8)
    results = orgsim.simulate(sc, progress=False)
    assert results.shortfalls() == []
    assert_in_interval(results.kpis["role.server.backlog_growth"], 0.0, "backlog growth")


def test_a_queue_that_rises_with_seasonal_demand_is_not_an_overload():
    # Demand doubles in the second half of the year; three reps stay below 60% busy.
    seasonal = [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]
    sc = single_queue(3, "0.8/h", EFFORT, horizon="52w", warmup="0h", replications=4).with_set(
        {"market.sources.calls.seasonality": seasonal}
    )
    results = orgsim.simulate(sc, progress=False)
    assert results.shortfalls() == []


def test_the_compare_headline_never_calls_a_design_that_falls_behind_a_winner():
    base = single_queue(2, "2.4/h", EFFORT, horizon="8w", warmup="1w", replications=4)
    sc = base.model_copy(update={"targets": {"leads": orgsim.config.schema.Target(min=0)}})
    comparison = orgsim.compare(sc, progress=False)
    headline = comparison.headline()
    assert "meets the target but does not keep up" in headline
    assert "server does not keep up" in headline


def test_a_drowning_pod_is_flagged_though_its_role_as_a_whole_looks_idle():
    """One AE serves the small accounts, three the big ones; almost every lead is small."""
    market = """
    kind: market
    name: pods
    segments: {smb: {deal_value: 1000}, ent: {deal_value: 50000}}
    sources: {web: {rate: 200/week, enters: sql, mix: {smb: 0.9, ent: 0.1}}}
    journey:
      sql: {outcomes: {won: 0.3}}
      won: {}
    """
    org = """
    kind: org
    name: pods
    roles: {ae: {schedule: always}}
    pods:
      small: {segments: [smb], members: {ae: 1}}
      big: {segments: [ent], members: {ae: 3}}
    work: {sql: {role: ae, effort: {dist: exponential, mean: 1.5h}}}
    """
    sc = scenario(market, org, horizon="12w", warmup="1w", replications=4)
    results = orgsim.simulate(sc, progress=False)
    # the small pod's AE is busy all the time (180 x 1.5 h offered a week, 168 h); the big
    # pod's three share 20 x 1.5 h: the role as a whole looks idle
    looks = (168 + 20 * 1.5) / (4 * 168)
    assert_in_interval(results.kpis["role.ae.utilization"], looks, "the role's utilization")
    (found,) = results.shortfalls()
    assert found.role == "ae" and found.growth[1] > 4  # more than one item per rep a week
