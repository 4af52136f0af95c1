"""Invariants: every lead accounted for, same seed same bytes, same leads in every design."""

from __future__ import annotations

import gc
import itertools

import numpy as np
import pandas as pd
import pytest

import orgsim
from orgsim.engine import compile_model, invariants, run_replication
from orgsim.engine.invariants import InvariantError
from orgsim.engine.model import ROUTINGS

from .conftest import ROOT
from .models import scenario

SCENARIOS = sorted(ROOT.glob("scenarios/*.yaml"))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_invariants_hold_in_every_shipped_scenario(path):
    sc = orgsim.load(path)
    for name in sc.variants:
        model = compile_model(sc.with_run(), name)
        for seed in (1, 2):
            run_replication(model, seed, check=True)  # raises InvariantError


SCHEDULES = {
    "always": "always",
    "business_hours": "business_hours",
    "day_shift": '{days: [mon, tue, wed, thu, sat], start: "07:30", end: "13:00"}',
    "overnight": '{days: [sun, mon, tue, wed, thu], start: "22:00", end: "06:00"}',
}
OPEN_HOURS = {"always": 168.0, "business_hours": 40.0, "day_shift": 27.5, "overnight": 40.0}


PEOPLE = (
    ", attrition: 4/year, backfill: {delay: {dist: exponential, mean: 1w}}, "
    "pto: {days_per_year: 60, block_days: 3}"
)
HIRES = "hires: [{role: rep, at: 2w, count: 2}, {role: rep, at: 4w, count: -2}]"


def _matrix_scenario(routing, schedule, hours, escalation, priority, people=False):
    """Three reps working two stages at about 85% load, so queues form at every opening;
    with `people`, reps leave and are backfilled within weeks, take PTO, two join and two
    seats are given up."""
    rate = 0.85 * 3 * OPEN_HOURS[schedule] / 1.5  # leads a week; 1.5 h of work per lead
    sla = "{first_touch: 4h, escalate_after: 1h}" if escalation else "{first_touch: 4h}"
    queue = "queues: {rep: {stage_priority: [b, a]}}" if priority else ""
    return scenario(
        f"""
        kind: market
        name: matrix
        segments: {{all: {{deal_value: 1000}}}}
        sources: {{in: {{rate: {rate:.3f}/week, enters: a, hours: {hours}}}}}
        journey:
          a: {{outcomes: {{b: 0.5}}}}
          b: {{buyer_delay: {{dist: exponential, mean: 3h}}, touches: 2, outcomes: {{won: 0.5}}}}
          won: {{}}
        """,
        f"""
        kind: org
        name: matrix
        roles: {{rep: {{headcount: 3, schedule: {SCHEDULES[schedule]}{PEOPLE if people else ""}}}}}
        work:
          a: {{role: rep, effort: {{dist: exponential, mean: 40min}}, routing: {routing},
              sla: {sla}}}
          b: {{role: rep, effort: {{dist: exponential, mean: 25min}}, routing: {routing}}}
        {queue}
        {HIRES if people else ""}
        """,
        horizon="6w",
        warmup="0h",
        replications=1,
    )


MATRIX = [
    pytest.param(*case, id="-".join(str(c) for c in case))
    for case in itertools.product(
        ROUTINGS, SCHEDULES, ["always", "business_hours"], [False, True], [False, True]
    )
    if not (case[0] == "pool" and case[3])  # escalation needs items assigned to a rep
]


@pytest.mark.parametrize("routing, schedule, hours, escalation, priority", MATRIX)
def test_invariants_hold_across_routing_schedules_and_queue_rules(
    routing, schedule, hours, escalation, priority
):
    model = compile_model(_matrix_scenario(routing, schedule, hours, escalation, priority))
    records = run_replication(model, 7, check=True)
    assert len(records.tasks["rep"]) > 100  # enough work to exercise the rules


@pytest.mark.parametrize("routing, schedule", list(itertools.product(ROUTINGS, SCHEDULES)))
def test_invariants_hold_while_people_come_and_go(routing, schedule):
    """The same rules with reps leaving, backfilled, on PTO, hired and let go mid-run."""
    model = compile_model(
        _matrix_scenario(routing, schedule, "always", routing != "pool", True, people=True)
    )
    records = run_replication(model, 7, check=True)
    reps = records.reps
    assert reps["joined"].sum() >= 2 and (reps["left"] < np.inf).sum() >= 2
    assert len(records.days_off["day"]) > 0 and len(records.tasks["rep"]) > 100


def test_a_task_after_its_rep_left_breaks_an_invariant():
    model = compile_model(_matrix_scenario("round_robin", "always", "always", False, False, True))
    records = run_replication(model, 7)
    gone = int(np.flatnonzero(records.reps["left"] < np.inf)[0])
    records.tasks["rep"][-1] = gone
    records.tasks["start"][-1] = records.reps["left"][gone] + 1.0
    with pytest.raises(InvariantError, match="outside their rep's time on the payroll"):
        invariants.check(records, model)


def test_same_scenario_and_seed_give_identical_bytes():
    sc = orgsim.load(ROOT / "scenarios/reorg_sdr_split.yaml")
    first = orgsim.simulate(sc, replications=3, variant="process_stage", progress=False)
    second = orgsim.simulate(sc, replications=3, variant="process_stage", progress=False)
    assert first.kpis.to_csv() == second.kpis.to_csv()
    other = orgsim.simulate(
        sc, replications=3, seed=sc.seed + 1, variant="process_stage", progress=False
    )
    assert first.kpis.to_csv() != other.kpis.to_csv()


def test_replication_seeds_do_not_depend_on_how_many_are_run():
    sc = orgsim.load(ROOT / "scenarios/smb_velocity.yaml")
    three = orgsim.simulate(sc, replications=3, progress=False).kpis
    five = orgsim.simulate(sc, replications=5, progress=False).kpis
    pd.testing.assert_frame_equal(three, five.iloc[:3])


MARKET = """
kind: market
name: crn
segments: {smb: {deal_value: {dist: lognormal, mean: 9000, cv: 0.5}},
           ent: {deal_value: {dist: lognormal, mean: 90000, cv: 0.5}}}
sources: {inbound: {rate: 20/day, enters: mql, mix: {smb: 0.6, ent: 0.4}}}
journey:
  mql: {outcomes: {sql: 0.4, nurture: 0.2}}
  nurture: {buyer_delay: {dist: exponential, mean: 5d}, outcomes: {mql: 0.3}}
  sql: {buyer_delay: {dist: gamma, mean: 2d, cv: 0.5}, outcomes: {won: 0.3}, touches: 2}
  won: {milestone: won}
"""
ORG = """
kind: org
name: crn
roles:
  sdr: {headcount: 3}
  ae: {headcount: 4}
work:
  mql: {role: sdr, effort: {dist: exponential, mean: 20min}, routing: round_robin}
  sql: {role: ae, effort: {dist: lognormal, mean: 1h, cv: 0.4}, routing: least_loaded}
queues:
  sdr: {order: fifo}
"""


def _paths(results) -> pd.DataFrame:
    v = results.visits
    return (
        v[["replication", "lead", "stage", "visit", "next"]]
        .sort_values(["replication", "lead", "stage", "visit"])
        .reset_index(drop=True)
    )


def test_designs_that_differ_in_headcount_see_the_same_leads_and_luck():
    base = scenario(MARKET, ORG, horizon="6w", warmup="0h", replications=2)
    bigger = base.with_set(
        {
            "org.roles.sdr.headcount": 8,
            "org.roles.ae.headcount": 9,
            "org.queues.sdr.order": "newest_first",
        }
    )
    a = orgsim.simulate(base, records=True, progress=False)
    b = orgsim.simulate(bigger, records=True, progress=False)
    same = ["replication", "lead", "source", "segment", "deal_value", "created"]
    pd.testing.assert_frame_equal(a.cases[same], b.cases[same])
    # Without skill, decay or handoffs, an outcome does not depend on timing: every lead
    # takes the same path through the journey whatever the queues did.
    end_a, end_b = a.cases.end.astype(str), b.cases.end.astype(str)
    both = (end_a != "") & (end_b != "")
    assert both.sum() > 1000  # enough finished leads for the comparison to say something
    assert (end_a[both] == end_b[both]).all()
    done = _paths(a).merge(_paths(b), on=["replication", "lead", "stage", "visit"])
    finished = done[(done.next_x.astype(str) != "") & (done.next_y.astype(str) != "")]
    assert len(finished) > 1000
    assert (finished.next_x.astype(str) == finished.next_y.astype(str)).all()
    # ...while the queues themselves did change
    assert (a.kpis["stage.mql.wait_mean"] > b.kpis["stage.mql.wait_mean"]).all()


def test_efforts_are_the_leads_own_luck():
    """A lead's effort at a stage is the same whichever rep and order serve it."""
    base = scenario(MARKET, ORG, horizon="3w", warmup="0h", replications=1)
    other = base.with_set({"org.roles.ae.headcount": 7, "org.work.sql.routing": "random"})

    def efforts(sc):
        model = compile_model(sc)
        records = run_replication(model, 99)
        tasks = pd.DataFrame({k: records.tasks[k] for k in ("lead", "stage", "work")})
        return tasks.sort_values(["lead", "stage", "work"]).reset_index(drop=True)

    a, b = efforts(base), efforts(other)
    joined = a.merge(b, on=["lead", "stage", "work"])
    assert len(joined) >= 0.9 * min(len(a), len(b))


def test_a_finished_replication_is_freed_by_reference_counting():
    """No reference cycle ties the replication's leads, visits and reps together: with the
    collector off, only a few hundred objects (SimPy's environment, the leads still queued at
    the end) are left for it, against about 20,000 when crews pointed back at the run."""
    model = compile_model(orgsim.load(ROOT / "scenarios/reorg_sdr_split.yaml"), "process_stage")
    run_replication(model, 1)
    gc.collect()
    gc.disable()
    try:
        records = run_replication(model, 2)
        left_for_the_collector = gc.collect()
    finally:
        gc.enable()
    assert len(records.visits["lead"]) > 10_000
    assert left_for_the_collector < 2_000
