"""Buyers who give up and leads that are recycled, against exact queueing theory.

A pooled stage with Poisson arrivals and exponential effort is M/M/c+G:
- exponential patience is Erlang A (the birth-death chain of M/M/c+M);
- a fixed patience, or a fixed `recycle_after` on the calendar clock, is M/M/c+D, solved
  exactly through its offered-wait process (Baccelli & Hebuterne 1981; Zeltyn & Mandelbaum
  2005, "Call centers with impatient customers: many-server asymptotics of the M/M/n+G
  queue", Queueing Systems 51).
The formulas live in tests/theory.py, independent of the engine, and are checked there
against their own limits and an independent Monte Carlo.
"""

from __future__ import annotations

import pytest

import orgsim

from .intervals import assert_in_interval
from .models import single_queue
from .test_engine_theory import long_run
from .theory import erlang_a, mmc_deterministic_patience

pytestmark = pytest.mark.statistical


def _kpis(sc) -> dict:
    return orgsim.simulate(sc, progress=False).kpis


@long_run("200w")
def test_exponential_patience_is_erlang_a(horizon, reps):
    c, lam, mu, theta = 3, 3.3, 1.0, 1.0  # 110% offered load: only abandonment keeps it stable
    theory = erlang_a(c, lam, mu, theta)
    kpis = _kpis(
        single_queue(
            c,
            f"{lam}/h",
            "{dist: exponential, mean: 1h}",
            patience="{dist: exponential, mean: 1h}",
            horizon=horizon,
            replications=reps,
        )
    )
    checks = 2
    assert_in_interval(
        kpis["stage.service.gave_up"], theory["p_abandon"], "share who give up", checks
    )
    assert_in_interval(
        kpis["role.server.utilization"], theory["utilization"], "utilization", checks
    )


@pytest.mark.parametrize("how", ["patience", "recycle_after"])
@long_run("200w")
def test_a_fixed_patience_or_recycle_time_is_mmc_plus_d(how, horizon, reps):
    c, lam, mu, tau = 2, 2.2, 1.0, 0.5
    theory = mmc_deterministic_patience(c, lam, mu, tau)
    common = {"horizon": horizon, "replications": reps}
    effort = "{dist: exponential, mean: 1h}"
    if how == "patience":
        sc = single_queue(
            c, f"{lam}/h", effort, patience="30min", sla="{first_touch: 30min}", **common
        )
        share = "stage.service.gave_up"
    else:
        policy = "{first_touch: 30min, recycle_after: 30min, recycle_to: lost}"
        sc = single_queue(c, f"{lam}/h", effort, sla=policy, **common)
        share = "stage.service.recycled"
    kpis = _kpis(sc)
    checks = 3
    assert_in_interval(kpis[share], theory["p_abandon"], f"share {how}", checks)
    assert_in_interval(
        kpis["role.server.utilization"], theory["utilization"], "utilization", checks
    )
    # Nobody is served after the 30 min deadline, and everyone who left untouched left at it:
    # SLA attainment is exactly the share served.
    assert_in_interval(
        kpis["sla.service.attainment"], 1 - theory["p_abandon"], "SLA attainment", checks
    )
