"""`run_replication(model, seed)`: one replication, a pure function of its inputs."""

from __future__ import annotations

import gc
from contextlib import contextmanager

import numpy as np

from orgsim.engine import invariants
from orgsim.engine.journey import Journey
from orgsim.engine.luck import BLOCK, ROUTING, SKILL, LeadLuck, Streams, key
from orgsim.engine.model import LEAST_LOADED, POOL, SAME_REP, Model
from orgsim.engine.recorder import Recorder, Records, attribute_column
from orgsim.engine.sources import Arrivals, draw_arrivals
from orgsim.engine.staff import Rep, Team


def _routing_draws(streams: Streams, role: str, pod: int | None):
    """Uniforms for `random` routing, drawn a block at a time from the team's own stream."""
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


def _staff(journey: Journey, model: Model, streams: Streams) -> None:
    """Teams and reps, each rep with its skill drawn once (keyed to role and rep index)."""
    worked = [s.work for s in model.stages if s.work]
    load_routed = {w.role for w in worked if w.routing in (LEAST_LOADED, SAME_REP)}
    pooled = {
        w.role
        for w in worked
        if w.routing == POOL or (w.sla is not None and w.sla.escalate_after is not None)
    }
    for role in model.roles:
        skills = iter(_skills(role, model.segments, streams))
        teams = []
        for plan in role.teams:
            team = Team(role, plan.pod, journey, _routing_draws(streams, role.name, plan.pod))
            team.track_load = role.index in load_routed
            team.uses_shared = role.index in pooled
            for _ in range(plan.headcount):
                rep = Rep(len(journey.reps), len(team.reps), team, next(skills))
                journey.reps.append(rep)
                team.add(rep)
            teams.append(team)
        journey.teams.append(teams)
    journey.team_of = [
        [
            journey.teams[s.work.role][model.roles[s.work.role].team_of_segment[g]]
            for g in range(len(model.segments))
        ]
        if s.work
        else None
        for s in model.stages
    ]


@contextmanager
def _collector_paused():
    """Pause Python's cyclic garbage collector while the events run.

    A replication creates hundreds of thousands of objects that live to its end
    (leads, visits, records) and no reference cycles that need collecting before
    then, so the collector's repeated scans of the growing heap are pure cost
    (about a third of the run time). It is switched back on afterwards.
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
    recorder = Recorder()
    journey = Journey(model, arrivals, LeadLuck(streams, arrivals.segment), recorder)
    _staff(journey, model, streams)
    journey.start()
    if model.warmup > 0:
        journey.call_at(model.warmup, journey.snapshot_arr, None)
    with _collector_paused():
        journey.env.run(until=model.end)
        records = _collect(journey, recorder, model)
        journey.close()
    if invariants.checking() if check is None else check:
        invariants.check(records, model)
    return records


def _collect(journey: Journey, recorder: Recorder, model: Model) -> Records:
    leads = journey.leads
    arrivals = journey.arrivals
    n = len(leads)
    waiting_role, waiting_since = [], []
    for teams in journey.teams:
        for team in teams:
            for visit in team.waiting():
                waiting_role.append(team.role.index)
                waiting_since.append(visit.queued_at)
    reps = journey.reps
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
            "role": np.array([rep.team.role.index for rep in reps], dtype=np.int64),
            "pod": np.array(
                [-1 if rep.team.pod is None else rep.team.pod for rep in reps], dtype=np.int64
            ),
            "skill": np.array([sum(rep.skills) / len(rep.skills) for rep in reps], dtype=float),
            "items": np.array([rep.items for rep in reps], dtype=np.int64),
            "won": np.array([rep.won for rep in reps], dtype=np.int64),
        },
        waiting={
            "role": np.array(waiting_role, dtype=np.int64),
            "since": np.array(waiting_since, dtype=float),
        },
        arr_warmup={
            "lead": np.array([c for c, _ in journey.arr_warmup], dtype=np.int64),
            "arr": np.array([a for _, a in journey.arr_warmup], dtype=float),
        },
    )
