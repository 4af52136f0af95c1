"""New reps ramp (SCENARIO-SPEC 8.2): a rep in the k-th month of tenure works at share p_k.

Exact traces with constant efforts for speed, a binomial check for skill, the ramped-rep
KPI against its closed form, and placed errors for a ramp that cannot be.
"""

from __future__ import annotations

import pytest
from scipy import stats

import orgsim
from orgsim.config.errors import ConfigError
from orgsim.config.units import MONTH

from .intervals import assert_in_interval
from .models import scenario
from .test_engine_traces import leads_at, org, trace


def ramping(tenure: str, affects: str = "speed") -> str:
    return org(
        1, a="1h", role=f", ramp: {{by_month: [0.5, 0.8], affects: {affects}}}, tenure: {tenure}"
    )


def test_a_ramping_rep_takes_effort_over_its_share_per_task():
    """Tenure 700 h at t = 0: month 0 (share 0.5) until t = 30, month 1 (0.8) until 760. A 1 h
    task takes 2 h at t = 1 and 1.25 h at t = 40; past the ramp it takes 1 h."""
    assert trace(ramping("700h"), leads_at(1, 40)) == [(1, 0, 0, 3), (40, 0, 1, 41.25)]
    assert trace(ramping(f"{2 * MONTH}h"), leads_at(1)) == [(1, 0, 0, 2)]
    # no tenure: today's reps are past the ramp
    assert trace(org(1, a="1h", role=", ramp: {by_month: [0.5]}"), leads_at(1)) == [(1, 0, 0, 2)]
    # a ramp on skill leaves speed alone
    assert trace(ramping("0h", "skill"), leads_at(1)) == [(1, 0, 0, 2)]


ONE_STAGE = """
kind: market
name: m
segments: {all: {deal_value: 1000}}
sources: {web: {rate: 20/day, enters: call}}
journey:
  call: {outcomes: {won: 0.9}}
  won: {milestone: won}
"""


def one_role(ramp: str, tenure: str = "0h", headcount: int = 4) -> str:
    return f"""
    kind: org
    name: o
    roles: {{rep: {{headcount: {headcount}, schedule: always, ramp: {ramp}, tenure: {tenure}}}}}
    work: {{call: {{role: rep, effort: 10min}}}}
    """


def test_a_ramp_on_skill_scales_the_chance_of_success():
    """Four new reps in their first month at share 0.4 convert 0.9 x 0.4 of the calls: the
    count of wins is binomial (99.9% interval)."""
    sc = scenario(
        ONE_STAGE,
        one_role("{by_month: [0.4], affects: skill}"),
        horizon="4w",
        warmup="0h",
        replications=3,
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    calls, won = int(kpis["stage.call.entered"].sum()), int(kpis["won"].sum())
    low, high = stats.binom.interval(0.999, calls, 0.9 * 0.4)
    assert low <= won <= high, (won, calls)


def test_ramped_mean_integrates_the_ramp_over_the_horizon():
    """Four reps hired at t = 0 with ramp [0.5, 0.75] over three months: ramped-rep
    equivalents 4 x (0.5 + 0.75 + 1) / 3, exactly; past the ramp they count as 4."""
    sc = scenario(
        ONE_STAGE,
        one_role("{by_month: [0.5, 0.75]}"),
        horizon=f"{3 * MONTH}h",
        warmup="0h",
        replications=1,
    )
    kpis = orgsim.simulate(sc, progress=False).kpis
    assert kpis["role.rep.ramped_mean"].iloc[0] == pytest.approx(4 * 2.25 / 3)
    ramped = scenario(ONE_STAGE, one_role("{by_month: [0.5]}", "1y"), horizon="4w", replications=1)
    assert orgsim.simulate(ramped, progress=False).kpis["role.rep.ramped_mean"].iloc[0] == 4


@pytest.mark.parametrize(
    "ramp, message",
    [
        ("{by_month: [0.5, 0]}", "ramp.by_month.1"),
        ("{by_month: []}", "ramp.by_month"),
        ("{by_month: [0.5], affects: mood}", "ramp.affects"),
    ],
)
def test_a_ramp_that_cannot_be_is_a_placed_error(ramp, message):
    with pytest.raises(ConfigError) as caught:
        scenario(ONE_STAGE, one_role(ramp))
    assert f"org.roles.rep.{message}" in str(caught.value)


def test_capacity_counts_ramped_capacity_and_gives_no_wait_while_reps_ramp():
    """Four reps hired at t = 0, ramp [0.5, 0.75] on speed, three months: a task takes 1 / share
    as long, so capacity's available hours are the scheduled ones over the mean of 1 / share
    (2 + 4/3 + 1) / 3, its utilization lies in the 99% interval of the simulation's busy
    share, and it prints no wait (the reps' speed changes under the queue)."""
    sc = scenario(
        ONE_STAGE,
        one_role("{by_month: [0.5, 0.75]}"),
        horizon=f"{3 * MONTH}h",
        warmup="0h",
        replications=4,
    )
    analytic = orgsim.capacity(sc).roles["rep"]
    slowness = (2 + 4 / 3 + 1) / 3
    assert analytic.available_hours_per_week == pytest.approx(168 * 4 / slowness)
    assert analytic.method.startswith("no reliable estimate")
    simulated = orgsim.simulate(sc, progress=False).kpis["role.rep.utilization"]
    assert_in_interval(simulated, analytic.utilization, "utilization while reps ramp")
