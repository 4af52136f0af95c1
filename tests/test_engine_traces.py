"""Exact event traces, in SimPy's own test style: constant efforts, a handful of leads placed
at chosen instants, and the exact list of (start, rep, lead, finish) every mechanism must give.

t = 0 is Monday 00:00; `business_hours` is Monday to Friday, 09:00 to 17:00.
"""

from __future__ import annotations

import numpy as np
import pytest

from orgsim.engine import Arrivals, compile_model, run_replication
from orgsim.measure.tables import record_types

from .models import scenario

MARKET = """
kind: market
name: traces
segments: {small: {deal_value: 1000}, big: {deal_value: 1000}}
sources:
  inbound: {rate: 1/week, enters: a, mix: {small: 0.5, big: 0.5}}
  direct: {rate: 1/week, enters: b, mix: {small: 0.5, big: 0.5}}
journey:
  a: {outcomes: {A_NEXT: 1.0}PATIENCE}
  b: {outcomes: {done: 1.0}}
  done: {}
"""


def play(org: str, leads: list[tuple], a_next: str = "done", patience: str = "", extra: str = ""):
    """Play `leads` [(time, source, segment)] through the org; the model and its records.
    `extra` adds scenario fields (a start date, holidays)."""
    market = MARKET.replace("A_NEXT", a_next).replace("PATIENCE", patience)
    sc = scenario(market, org, horizon="3w", warmup="0h", replications=1, extra=extra)
    model = compile_model(sc)
    sources = [s.name for s in model.sources]
    time, source, segment = zip(*leads, strict=True)
    arrivals = Arrivals(
        time=np.array(time, dtype=float),
        source=np.array([sources.index(s) for s in source]),
        segment=np.array([model.segments.index(g) for g in segment]),
        value=np.full(len(leads), 1000.0),
    )
    return model, run_replication(model, 1, check=True, arrivals=arrivals)


def trace(org: str, leads: list[tuple], **options) -> list[tuple]:
    """Every task as (start, rep, lead, finish), in order of start then rep."""
    tasks = play(org, leads, **options)[1].tasks
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
    roles: {{rep: {{headcount: {reps}, schedule: {schedule}{options.get("role", "")}}}}}
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


def visits_of(org: str, leads: list[tuple], **options) -> list[tuple]:
    """Every visit as (lead, stage, entered, first touch, left, next, record type), in order of
    entry; None where it has not happened."""
    model, records = play(org, leads, **options)
    v = records.visits
    kinds = record_types(v, model, records.end)

    def when(x: float):
        return None if np.isnan(x) else round(float(x), 9)

    return [
        (
            int(v["lead"][i]),
            model.places[v["stage"][i]],
            when(v["entered"][i]),
            when(v["first_touch"][i]),
            when(v["left"][i]),
            model.places[v["next"][i]] if v["next"][i] >= 0 else None,
            kinds[i],
        )
        for i in np.argsort(v["entered"], kind="stable")
    ]


def test_a_buyer_who_runs_out_of_patience_leaves_the_queue_at_that_instant():
    # One rep, 1 h tasks, buyers wait 30 min: lead 0 is served; leads 1 and 2 give up while
    # waiting; lead 3 arrives when the rep is free again.
    got = visits_of(org(1), leads_at(0, 0.1, 0.2, 1.5), patience=", patience: 30min")
    assert got == [
        (0, "a", 0, 0, 1, "done", "visit"),
        (1, "a", 0.1, None, 0.6, "lost", "gave_up"),
        (2, "a", 0.2, None, 0.7, "lost", "gave_up"),
        (0, "done", 1, None, None, None, "visit"),
        (3, "a", 1.5, 1.5, 2.5, "done", "visit"),
        (3, "done", 2.5, None, None, None, "visit"),
    ]


def test_a_touch_that_started_is_never_interrupted_by_patience():
    # Lead 1 starts at 1.0, within its 1 h of patience, and is served in full.
    got = trace(org(1), leads_at(0, 0.1), patience=", patience: 1h")
    assert got == [(0, 0, 0, 1), (1, 0, 1, 2)]


def test_the_sla_policy_recycles_a_lead_untouched_after_recycle_after():
    # Lead 1 waits behind a 2 h task; after 1 h the policy sends it to stage b, where the rep
    # serves it once lead 0 is done.
    recycling = org(1, a="2h", sla=", sla: {first_touch: 1h, recycle_after: 1h, recycle_to: b}")
    got = visits_of(recycling, leads_at(0, 0.5))
    assert got == [
        (0, "a", 0, 0, 2, "done", "visit"),
        (1, "a", 0.5, None, 1.5, "b", "recycled"),
        (1, "b", 1.5, 2, 3, "done", "visit"),
        (0, "done", 2, None, None, None, "visit"),
        (1, "done", 3, None, None, None, "visit"),
    ]
    # The lead missed its 1 h SLA at a before it was recycled: a miss (see sla_misses).


def test_whichever_runs_out_first_wins_and_the_business_clock_waits_for_the_shift():
    # Business hours, recycle after 2 business hours, buyers wait 7 calendar hours. Lead 0
    # (Monday 03:00) is touched at 09:00, before either runs out, and stays. Lead 1 (04:00)
    # waits behind it: its patience and its recycle time (2 business hours after 09:00) both
    # run out at 11:00, and patience wins the tie. With 8 h of patience it is recycled.
    policy = ", sla: {first_touch: 1h, clock: business, recycle_after: 2h, recycle_to: lost}"
    got = visits_of(
        org(1, "business_hours", a="3h", sla=policy), leads_at(3, 4), patience=", patience: 7h"
    )
    assert got == [
        (0, "a", 3, 9, 12, "done", "visit"),
        (1, "a", 4, None, 11, "lost", "gave_up"),
        (0, "done", 12, None, None, None, "visit"),
    ]
    got = visits_of(
        org(1, "business_hours", a="3h", sla=policy), leads_at(3, 4), patience=", patience: 8h"
    )
    assert got[1] == (1, "a", 4, None, 11, "lost", "recycled")


def test_a_step_is_an_event_simpy_processes_without_its_init():
    """`flow.Step` skips `Event.__init__` and sets `_ok` (what `Environment.step` reads), so
    the engine leans on SimPy's internals; pyproject pins simpy below 5, and this fails
    first if a SimPy release changes what an event must carry."""
    import simpy

    from orgsim.engine.flow import Step

    env = simpy.Environment()
    seen = []
    for delay in (2.0, 1.0):
        step = Step()
        step.callbacks, step.arg = [lambda s: seen.append((env.now, s.arg))], delay
        env.schedule(step, 1, delay)
    env.run()
    assert seen == [(1.0, 1.0), (2.0, 2.0)]
    assert isinstance(step, simpy.Event) and step.callbacks is None  # processed, as SimPy does
