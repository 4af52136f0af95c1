"""Checks that a replication obeyed the rules every number depends on.

A rep works one task at a time (a touch or an outbound attempt), only inside its scheduled
hours (its own, with PTO), for exactly the task's work, and only while on the payroll; every
lead created is at one end or in one stage, and worked only once due; today's reps are the org's
headcount, and the reps of a seat follow one another; an outbound source's accounts are
conserved. The test suite runs these on every
replication it simulates (`ORGSIM_CHECK=1`, set by the repository's
conftest); users do not pay for them unless they ask (`check=True`).
"""

from __future__ import annotations

import os

import numpy as np

from orgsim.engine.model import Model
from orgsim.engine.people import calendars_of
from orgsim.engine.recorder import Records

TOLERANCE = 1e-6  # hours: floating-point slack when comparing clock times


class InvariantError(AssertionError):
    """The engine broke one of its own rules: a bug in orgsim, never in the scenario."""


def checking() -> bool:
    """Whether the environment asks for invariant checks on every replication."""
    return os.environ.get("ORGSIM_CHECK", "") not in ("", "0")


def check(records: Records, model: Model) -> None:
    """Raise `InvariantError` naming the first rule a replication broke."""
    problems = _tasks(records, model) + _leads(records, model) + _people(records, model)
    problems += _accounts(records, model)
    if problems:
        raise InvariantError(f"variant {model.variant!r}: " + "; ".join(problems))


def _tasks(records: Records, model: Model) -> list[str]:
    """Touches and outbound attempts alike: one at a time, in hours, on the payroll."""
    reps = records.reps
    problems = []
    tasks = {
        k: np.concatenate([records.tasks[k], records.attempts[k]])
        for k in ("rep", "start", "finish", "work")
    }
    rep = tasks["rep"]
    order = np.lexsort((tasks["start"], rep))
    rep, start, finish, work = (tasks[k][order] for k in ("rep", "start", "finish", "work"))
    same = rep[1:] == rep[:-1]
    overlap = same & (start[1:] < finish[:-1] - TOLERANCE)
    if overlap.any():
        i = int(np.flatnonzero(overlap)[0])
        problems.append(
            f"{int(overlap.sum())} tasks start while their rep is busy "
            f"(rep {int(rep[i])}: a task to {finish[i]:.4f} h, the next from {start[i + 1]:.4f} h)"
        )
    problems += _on_payroll(rep, start, finish, reps)
    for role in model.roles:
        for calendar, theirs in calendars_of(records, role):
            mine = np.isin(rep, theirs)
            if not mine.any():
                continue
            closed = ~calendar.open_array(start[mine])
            if closed.any():
                problems.append(
                    f"{int(closed.sum())} {role.name} tasks start outside the schedule "
                    f"(first at {start[mine][closed][0]:.4f} h)"
                )
            worked = calendar.worked_array(finish[mine]) - calendar.worked_array(start[mine])
            off = np.abs(worked - work[mine]) > TOLERANCE * np.maximum(1.0, work[mine])
            if off.any():
                problems.append(
                    f"{int(off.sum())} {role.name} tasks are not worked for exactly their work "
                    "inside scheduled hours"
                )
    return problems


def _on_payroll(rep: np.ndarray, start: np.ndarray, finish: np.ndarray, reps: dict) -> list[str]:
    """Every task starts after its rep joined and ends before it left."""
    early = start < reps["since"][rep] - TOLERANCE
    late = finish > reps["left"][rep] + TOLERANCE
    if early.any() or late.any():
        return [
            f"{int(early.sum() + late.sum())} tasks fall outside their rep's time on the payroll"
        ]
    return []


def _leads(records: Records, model: Model) -> list[str]:
    """Every lead created is at exactly one end or in exactly one stage; no visit is
    worked before it falls due."""
    leads, visits = records.leads, records.visits
    n = len(leads["created"])
    problems = []
    if len(visits["lead"]) and visits["lead"].max() >= n:
        problems.append("a visit names a lead that was never created")
        return problems
    built_in = leads["end"] >= model.lost
    at_user_end = (leads["end"] >= 0) & ~built_in
    in_journey = leads["end"] < 0
    open_visits = np.bincount(visits["lead"][np.isnan(visits["left"])], minlength=n)
    visited = np.bincount(visits["lead"], minlength=n) > 0
    waiting = in_journey & (leads["source"] < 0) & ~visited  # a book lead placed after the end
    if not (open_visits[(in_journey & ~waiting) | at_user_end] == 1).all():
        problems.append("a lead in the journey or at an end stage is not in exactly one stage")
    if not (open_visits[built_in] == 0).all():
        problems.append("a lead at a built-in end still has an open visit")
    done = visits["next"][~np.isnan(visits["left"])]
    if not ((done >= 0) & (done < len(model.places))).all():
        problems.append("a visit left for no place")
    if (visits["first_touch"] < visits["due"] - TOLERANCE).any():
        problems.append("a lead was touched before its work fell due (buyer_delay_first)")
    if (visits["due"] < visits["entered"]).any():
        problems.append("a visit fell due before it entered its stage")
    return problems


def _accounts(records: Records, model: Model) -> list[str]:
    """An outbound source's accounts are conserved: those in its territory never fall below
    none or rise above the accounts there are; a sequence has at most `attempts` attempts;
    every meeting booked is one of the source's leads."""
    problems = []
    pool, attempts = records.pool, records.attempts
    for i, source in enumerate(model.sources):
        plan = source.outbound
        if plan is None:
            continue
        for code, accounts in enumerate(plan.accounts):
            mine = (pool["source"] == i) & (pool["segment"] == code) & (pool["time"] < records.end)
            order = np.lexsort((-pool["change"][mine], pool["time"][mine]))  # rejoin first
            left = accounts + np.cumsum(pool["change"][mine][order])
            if len(left) and (left.min() < 0 or left.max() > accounts):
                problems.append(f"source {source.name}: accounts left outside 0..{accounts}")
        theirs = attempts["source"] == i
        if (attempts["n"][theirs] >= plan.attempts).any():
            problems.append(f"source {source.name}: a sequence ran past {plan.attempts} attempts")
        done = attempts["finish"] < records.end
        booked = int(((attempts["result"] == 2) & done & theirs).sum())
        leads = records.leads
        meetings = int(((leads["source"] == i) & (leads["created"] < records.end)).sum())
        if booked != meetings:
            problems.append(f"source {source.name}: {booked} meetings booked, {meetings} leads")
    return problems


def _people(records: Records, model: Model) -> list[str]:
    """Today's reps are the org's headcount, crew by crew; each rep leaves after it joins;
    the occupants of a seat follow one another; only a role whose people change has
    anyone join or leave; a transition conserves people."""
    reps = records.reps
    problems = []
    today = ~reps["joined"] & (reps["before"] < 0)
    carried_on = records.carried_on()
    for role in model.roles:
        for crew in role.crews:
            pod = -1 if crew.pod is None else crew.pod
            have = int((today & (reps["role"] == role.index) & (reps["pod"] == pod)).sum())
            if have != crew.headcount:
                problems.append(f"{role.name} crew {pod} has {have} reps, not {crew.headcount}")
        mine = reps["role"] == role.index
        moved = (reps["joined"] | ((reps["left"] < np.inf) & ~carried_on)) & mine
        if moved.any() and not role.people_change:
            problems.append(f"{role.name} reps joined or left, but its people never change")
    if (reps["left"] < reps["since"]).any():
        problems.append("a rep left before it joined")
    problems += _transition(records, model, carried_on)
    order = np.lexsort((reps["hired"], reps["seat"], reps["role"]))
    role, seat = reps["role"][order], reps["seat"][order]
    left, since = reps["left"][order], reps["since"][order]
    same = (role[1:] == role[:-1]) & (seat[1:] == seat[:-1])
    if (same & (left[:-1] == np.inf) & (since[1:] < np.inf)).any():
        problems.append("a seat has a new rep while its last one is still there")
    return problems


def _transition(records: Records, model: Model, carried_on: np.ndarray) -> list[str]:
    """A person who goes on in another crew at a switch is one person: its next row starts
    when its last row ends (its task in progress done), at or after the switch."""
    if model.transition is None:
        return ["a rep goes on in another crew, with no transition"] if carried_on.any() else []
    reps = records.reps
    later = np.flatnonzero(reps["before"] >= 0)
    earlier = reps["before"][later]
    problems = []
    if (reps["left"][earlier] != reps["since"][later]).any():  # set from one clock reading
        problems.append("a person's row ends when its next row does not start")
    if (reps["left"][earlier] < model.transition.at - TOLERANCE).any():
        problems.append("a person went on in another crew before the switch")
    return problems
