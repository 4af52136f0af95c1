"""Exact event traces, in SimPy's own test style: constant efforts, a handful of leads placed
at chosen instants, and the exact list of (start, rep, lead, finish) every mechanism must give.

t = 0 is Monday 00:00; `business_hours` is Monday to Friday, 09:00 to 17:00.
"""

from __future__ import annotations

import numpy as np
import pytest

from orgsim.engine import Arrivals, compile_model, run_replication

from .models import scenario

MARKET = """
kind: market
name: traces
segments: {small: {deal_value: 1000}, big: {deal_value: 1000}}
sources:
  inbound: {rate: 1/week, enters: a, mix: {small: 0.5, big: 0.5}}
  direct: {rate: 1/week, enters: b, mix: {small: 0.5, big: 0.5}}
journey:
  a: {outcomes: {A_NEXT: 1.0}}
  b: {outcomes: {done: 1.0}}
  done: {}
"""


def trace(org: str, leads: list[tuple], a_next: str = "done", **extra) -> list[tuple]:
    """Play `leads` [(time, source, segment)] through the org; every task as
    (start, rep, lead, finish), in order of start then rep, and the visits' escalation flags."""
    sc = scenario(
        MARKET.replace("A_NEXT", a_next), org, horizon="3w", warmup="0h", replications=1, **extra
    )
    model = compile_model(sc)
    sources = [s.name for s in model.sources]
    time, source, segment = zip(*leads, strict=True)
    arrivals = Arrivals(
        time=np.array(time, dtype=float),
        source=np.array([sources.index(s) for s in source]),
        segment=np.array([model.segments.index(g) for g in segment]),
        value=np.full(len(leads), 1000.0),
    )
    tasks = run_replication(model, 1, check=True, arrivals=arrivals).tasks
    rows = zip(tasks["start"], tasks["rep"], tasks["lead"], tasks["finish"], strict=True)
    return sorted((round(s, 9), int(r), int(lead), round(f, 9)) for s, r, lead, f in rows)


def org(reps: int, schedule: str = "always", a: str = "1h", b: str = "1h", **options) -> str:
    """One role `rep` working stages a and b; `options` adds to the work of a and b."""
    routing_a = options.get("routing_a", "pool")
    routing_b = options.get("routing_b", "pool")
    sla = options.get("sla", "")
    queues = options.get("queues", "")
    return f"""
    kind: org
    name: trace
    roles: {{rep: {{headcount: {reps}, schedule: {schedule}}}}}
    work:
      a: {{role: rep, effort: {a}, routing: {routing_a}{sla}}}
      b: {{role: rep, effort: {b}, routing: {routing_b}}}
    {queues}
    """


def leads_at(*times: float, source: str = "inbound", segment: str = "small") -> list[tuple]:
    return [(t, source, segment) for t in times]


def test_the_morning_open_with_a_backlog_gives_each_rep_one_lead():
    # Three leads arrive overnight, one more at 09:30 while both reps are busy: it waits for a
    # rep to free up (the fix for double-booking at opening time).
    got = trace(org(2, "business_hours"), leads_at(2, 3, 4, 9.5))
    assert got == [(9, 0, 0, 10), (9, 1, 1, 10), (10, 0, 2, 11), (10, 1, 3, 11)]


def test_an_arrival_while_every_rep_is_busy_waits_for_the_first_free_rep():
    got = trace(org(2), leads_at(0, 0.2, 0.4))
    assert got == [(0, 0, 0, 1), (0.2, 1, 1, 1.2), (1, 0, 2, 2)]


def test_an_arrival_at_the_instant_a_rep_frees_up_starts_at_once():
    got = trace(org(1), leads_at(0, 1))
    assert got == [(0, 0, 0, 1), (1, 0, 1, 2)]


def test_round_robin_takes_turns_even_when_the_next_rep_is_busy():
    got = trace(org(3, routing_a="round_robin"), leads_at(0, 0.1, 0.2, 0.3))
    assert got == [(0, 0, 0, 1), (0.1, 1, 1, 1.1), (0.2, 2, 2, 1.2), (1, 0, 3, 2)]


def test_least_loaded_breaks_ties_to_the_lowest_rep():
    # At 1.05 every rep has one task: the tie goes to rep 0, though rep 1 frees up sooner.
    got = trace(org(3, routing_a="least_loaded"), leads_at(0, 0.1, 0.2, 0.3, 1.05))
    assert got == [
        (0, 0, 0, 1),
        (0.1, 1, 1, 1.1),
        (0.2, 2, 2, 1.2),
        (1, 0, 3, 2),
        (2, 0, 4, 3),
    ]


def test_same_rep_keeps_each_lead_with_the_rep_who_worked_it_before():
    got = trace(
        org(2, b="30min", routing_a="round_robin", routing_b="same_rep"),
        leads_at(0, 0.1),
        a_next="b",
    )
    assert got == [(0, 0, 0, 1), (0.1, 1, 1, 1.1), (1, 0, 0, 1.5), (1.1, 1, 1, 1.6)]


def test_escalation_moves_a_waiting_lead_to_a_free_rep_after_its_deadline():
    # Round robin puts lead 2 behind rep 0's 4-hour task; after 1 h it escalates to the
    # shared queue, where rep 1 (free since 1.1) takes it at once.
    escalating = org(
        2,
        a="{by_segment: {small: 1h, big: 4h}}",
        routing_a="round_robin",
        sla=", sla: {first_touch: 2h, escalate_after: 1h}",
    )
    leads = [(0, "inbound", "big"), (0.1, "inbound", "small"), (0.2, "inbound", "small")]
    assert trace(escalating, leads) == [(0, 0, 0, 4), (0.1, 1, 1, 1.1), (1.2, 1, 2, 2.2)]
    waiting = escalating.replace(", escalate_after: 1h", "")
    assert trace(waiting, leads) == [(0, 0, 0, 4), (0.1, 1, 1, 1.1), (4, 0, 2, 5)]


def test_stage_priority_serves_the_listed_stage_first():
    leads = [(0, "inbound", "small"), (0.2, "inbound", "small"), (0.4, "direct", "small")]
    got = trace(org(1, queues="queues: {rep: {stage_priority: [b, a]}}"), leads)
    assert got == [(0, 0, 0, 1), (1, 0, 2, 2), (2, 0, 1, 3)]
    fifo = trace(org(1), leads)
    assert fifo == [(0, 0, 0, 1), (1, 0, 1, 2), (2, 0, 2, 3)]


def test_a_shift_that_crosses_midnight_works_through_it_and_resumes_a_week_later():
    # Monday 22:00 to Tuesday 06:00 is [22, 30); the third task is cut at 30 and its last
    # two hours are worked from the next Monday 22:00 (190).
    night = org(1, '{days: [mon], start: "22:00", end: "06:00"}', a="3h")
    assert trace(night, leads_at(20, 23, 27)) == [
        (22, 0, 0, 25),
        (25, 0, 1, 28),
        (28, 0, 2, 191),
    ]


def test_a_task_cut_by_closing_time_resumes_the_next_morning():
    # Monday 16:00 + 2 h of work: one hour on Monday, one from Tuesday 09:00 (33).
    assert trace(org(1, "business_hours", a="2h"), leads_at(16)) == [(16, 0, 0, 34)]
    # Friday 16:30 + 2 h: half an hour on Friday, the rest from Monday 09:00 (177).
    friday = 4 * 24 + 16.5
    assert trace(org(1, "business_hours", a="2h"), leads_at(friday)) == [(friday, 0, 0, 178.5)]


@pytest.mark.parametrize("routing", ["round_robin", "least_loaded", "same_rep"])
def test_a_rep_with_its_own_queue_starts_at_the_morning_open(routing):
    # Leads routed to a rep's own queue overnight start when that rep's shift opens.
    got = trace(org(2, "business_hours", routing_a=routing), leads_at(1, 2, 3))
    assert [(start, lead) for start, _, lead, _ in got] == [(9, 0), (9, 1), (10, 2)]
    assert len({(start, rep) for start, rep, _, _ in got}) == 3  # no rep starts two at once
