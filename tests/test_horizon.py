"""Capacity over the horizon (SCENARIO-SPEC 9.1): each role's load quarter by quarter as the
customer base and the people change, against the simulation's quarterly utilization, on
journeys with a renewal loop, with and without a book of customers; and the week a growing
renewal base reaches the hours it has."""

from __future__ import annotations

import pytest

import orgsim

from .intervals import assert_within_budget
from .models import scenario

pytestmark = pytest.mark.statistical

BUDGET = 0.03
"""Absolute error allowed of a quarter's analytic load, on top of the simulation's own
interval (docs/capacity-accuracy.md measures it: the `load by quarter` row)."""

MARKET = """
kind: market
name: growing base
segments: {small: {deal_value: 8000}, large: {deal_value: 30000}}
sources: {web: {rate: 30/week, enters: sql, mix: {small: 0.7, large: 0.3}}}
journey:
  sql: {buyer_delay: {dist: gamma, mean: 4d, cv: 0.5}, outcomes: {opportunity: 0.5}}
  opportunity: {touches: 2, buyer_delay: {dist: gamma, mean: 3w, cv: 0.5}, outcomes: {won: 0.4}}
  won: {milestone: won, outcomes: {onboarding: 1}}
  onboarding: {buyer_delay: 2w, outcomes: {renewal: 1}}
  renewal: {buyer_delay: 16w, buyer_delay_first: true, outcomes: {renewal: 0.9},
            otherwise: churned}
BOOK
"""
ORG = """
kind: org
name: split
roles:
  ae: {headcount: 1, schedule: always}
  csm: {headcount: CSMS, schedule: always}
work:
  sql: {role: ae, effort: {dist: exponential, mean: 1h}}
  opportunity: {role: ae, effort: {dist: exponential, mean: 2h}}
  onboarding: {role: csm, effort: {dist: exponential, mean: 6h}}
  renewal: {role: csm, effort: {dist: exponential, mean: 4h}}
"""
WITH_BOOK = """book:
  - {stage: renewal, count: 150, over: 16w}
  - {stage: opportunity, count: 40}"""


def _scenario(book: bool, csms: int = 1, horizon: str = "52w") -> orgsim.Scenario:
    market = MARKET.replace("BOOK", WITH_BOOK if book else "")
    org = ORG.replace("CSMS", str(csms))
    return scenario(market, org, horizon=horizon, warmup="0h", replications=12, seed=3)


@pytest.mark.parametrize("book", [False, True], ids=["no book", "a book of customers"])
def test_quarterly_loads_follow_the_simulated_quarterly_utilization(book):
    """Without a book the CSM's work grows quarter by quarter as customers accumulate and
    renew every 16 weeks; with one, it starts high. Every quarter of both roles within the
    budget of the simulation's interval (8 checks, Bonferroni)."""
    sc = _scenario(book, csms=1)
    analytic = orgsim.capacity(sc)
    kpis = orgsim.simulate(sc, progress=False).kpis
    for role in ("ae", "csm"):
        quarters = analytic.roles[role].load_by_quarter
        assert len(quarters) == 4
        for q, load in enumerate(quarters, 1):
            simulated = kpis[f"quarter.{q}.role.{role}.utilization"]
            assert_within_budget(simulated, load, BUDGET, f"{role} quarter {q}", checks=8)
    csm = analytic.roles["csm"].load_by_quarter
    if not book:
        assert csm[0] < csm[1] < csm[2] < csm[3]  # the base grows through the year


def test_a_growing_base_reaches_the_hours_in_the_week_the_load_says_and_is_flagged_then():
    """One CSM: the renewal base keeps growing towards its steady state (about 4.8 wins a
    week renewing every 18 weeks with 10% churn), far beyond one CSM's 168 hours. The week
    it reaches them is inside ten years; a horizon that ends before it keeps up (a dated
    note), one that runs past it does not keep up."""
    short = orgsim.capacity(_scenario(False, csms=1, horizon="13w"))
    csm = short.roles["csm"]
    week = csm.reaches_hours_week
    assert week is not None and week > 13
    assert max(csm.load_by_quarter) < 1 and csm.utilization > 1  # long run: it saturates
    assert any(f"csm reaches its hours in week {week}" in note for note in short.notes)
    results = orgsim.simulate(_scenario(False, csms=1, horizon="13w"), progress=False)
    assert results.shortfalls() == [] and [r.role for r in results.runs_out()] == ["csm"]
    late = f"{13 * (week // 13 + 2)}w"  # a horizon whose quarters run past that week
    long = orgsim.capacity(_scenario(False, csms=1, horizon=late))
    assert max(long.roles["csm"].load_by_quarter) >= 1
    assert long.roles["csm"].reaches_hours_week == week  # the same flows, the same week
