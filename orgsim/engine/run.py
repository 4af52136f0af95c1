"""`run_replication(model, seed)`: one replication, a pure function of its inputs."""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np

from orgsim.engine import invariants
from orgsim.engine.flow import LeadFlow
from orgsim.engine.luck import BLOCK, ROUTING, SKILL, TENURE, LeadLuck, Streams, key
from orgsim.engine.model import LEAST_LOADED, POOL, SAME_REP, Model
from orgsim.engine.recorder import Recorder, Records, attribute_column
from orgsim.engine.sources import Arrivals, draw_arrivals
from orgsim.engine.staff import Crew, Rep


def _routing_draws(streams: Streams, role: str, pod: int | None):
    """Uniforms for `random` routing, drawn a block at a time from the crew's own stream."""
    rng = streams.generator(ROUTING, key(role), 0 if pod is None else pod + 1)
    buffer: list[float] = []

    def draw() -> float:
        if not buffer:
            buffer.extend(rng.random(BLOCK).tolist()[::-1])
        return buffer.pop()

    return draw


def _skills(role, segments: list[str], streams: Streams) -> list[list[float]]:
    """Each rep's skill per segment, drawn once per rep (keyed to role, rep index and, when
    skill is by_segment, segment)."""
    n = role.headcount
    if all(d is role.skill[0] for d in role.skill):
        drawn = role.skill[0].sample(streams.generator(SKILL, key(role.name)), n).tolist()
        return [[value] * len(segments) for value in drawn]
    by_segment = [
        dist.sample(streams.generator(SKILL, key(role.name), key(segment)), n)
        for dist, segment in zip(role.skill, segments, strict=True)
    ]
    return [[float(column[i]) for column in by_segment] for i in range(n)]


def _hired(role, streams: Streams) -> list[float]:
    """When each of today's reps joined (minus their tenure at t = 0, drawn once per rep and
    keyed to role and rep index); past any ramp when the role gives no tenure."""
    if role.tenure is None:
        return [-np.inf] * role.headcount
    tenure = role.tenure.sample(streams.generator(TENURE, key(role.name)), role.headcount)
    return (-tenure).tolist()


def staff(model: Model, streams: Streams) -> list[list[Crew]]:
    """Every role's crews (one per pod, or one), each rep with its skill drawn once (keyed to
    role and rep index); reps are numbered across the org in role order."""
    worked = [s.work for s in model.stages if s.work]
    load_routed = {w.role for w in worked if w.routing in (LEAST_LOADED, SAME_REP)}
    pooled = {
        w.role
        for w in worked
        if w.routing == POOL or (w.sla is not None and w.sla.escalate_after is not None)
    }
    crews, number, crew_id = [], 0, 0
    for role in model.roles:
        skills = iter(_skills(role, model.segments, streams))
        hired = iter(_hired(role, streams))
        mine = []
        for plan in role.crews:
            crew = Crew(crew_id, role, plan.pod, _routing_draws(streams, role.name, plan.pod))
            crew_id += 1
            crew.track_load = role.index in load_routed
            crew.uses_shared = role.index in pooled
            for _ in range(plan.headcount):
                crew.add(Rep(number, len(crew.reps), crew, next(skills), next(hired)))
                number += 1
            mine.append(crew)
        crews.append(mine)
    return crews


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while a replication runs.

    A replication creates hundreds of thousands of objects that live to its end
    (leads, visits, records) and no reference cycles that need collecting before
    then, so the collector's repeated scans of the growing heap are pure cost:
    benchmark (a) runs in 0.87 of the hand-written model's time with the pause and
    1.56 without it (measured on the 2-core development machine). When the run is
    over most of the replication is freed by reference counting; the rest (see `_play`)
    waits for the collector, switched back on here.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def run_replication(
    model: Model, seed: int, check: bool | None = None, arrivals: Arrivals | None = None
) -> Records:
    """Simulate warm-up + horizon once; everything random comes from `seed`.

    `arrivals` plays the given leads instead of drawing them from the sources (the exact
    event traces in the tests use it to place each lead at a chosen instant).
    With `check` (default: the `ORGSIM_CHECK` environment variable) the records are
    checked against the engine's invariants (see invariants.py) before they are returned.
    """
    streams = Streams(seed)
    if arrivals is None:
        arrivals = draw_arrivals(model, streams)
    with _collector_paused():
        records = _play(model, streams, arrivals)
    if invariants.checking() if check is None else check:
        invariants.check(records, model)
    return records


def _play(model: Model, streams: Streams, arrivals: Arrivals) -> Records:
    """Run the events and collect the records. Nothing is scheduled past the end, so the event
    queue is empty when the run stops and the replication (leads, visits, crews) is freed by
    reference counting the moment this returns; only the leads still in a queue (a queue
    entry and its visit point at each other through the crew), stale queue entries, and
    SimPy's environment itself are left for the garbage collector."""
    recorder = Recorder()
    crews = staff(model, streams)
    flow = LeadFlow(model, arrivals, LeadLuck(streams, arrivals.segment), recorder, crews)
    flow.start()
    if model.warmup > 0:
        flow.call_at(model.warmup, flow.snapshot_arr, None, 0.0)
    flow.env.run(until=model.end)
    return _collect(flow, recorder, model)


def _collect(flow: LeadFlow, recorder: Recorder, model: Model) -> Records:
    leads = flow.leads
    arrivals = flow.arrivals
    n = len(leads)
    waiting_role, waiting_since = [], []
    for crews in flow.crews:
        for crew in crews:
            for visit in crew.waiting():
                waiting_role.append(crew.role.index)
                waiting_since.append(visit.queued_at)
    everyone = [(rep, crew) for crews in flow.crews for crew in crews for rep in crew.reps]
    reps = [rep for rep, _ in everyone]
    return Records.collect(
        recorder,
        warmup=model.warmup,
        end=model.end,
        leads={
            "created": arrivals.time[:n],
            "source": arrivals.source[:n],
            "segment": arrivals.segment[:n],
            "value": arrivals.value[:n],
            **{
                name: attribute_column(leads, name, name)
                for name in ("end", "ended_at", "won_at", "first_touch", "arr")
            },
        },
        reps={
            "role": np.array([crew.role.index for _, crew in everyone], dtype=np.int64),
            "pod": np.array(
                [-1 if crew.pod is None else crew.pod for _, crew in everyone], dtype=np.int64
            ),
            "skill": np.array([sum(rep.skills) / len(rep.skills) for rep in reps], dtype=float),
            "tasks_done": np.array([rep.tasks_done for rep in reps], dtype=np.int64),
            "deals_won": np.array([rep.deals_won for rep in reps], dtype=np.int64),
            "hired": np.array([rep.hired for rep in reps], dtype=float),
        },
        waiting={
            "role": np.array(waiting_role, dtype=np.int64),
            "since": np.array(waiting_since, dtype=float),
        },
        arr_warmup={
            "lead": np.array([c for c, _ in flow.arr_warmup], dtype=np.int64),
            "arr": np.array([a for _, a in flow.arr_warmup], dtype=float),
        },
    )
