"""Who was on the payroll and at work, hour by hour, from the rep records.

Each rep counts from when it joined the payroll (t = 0 for today's reps) to when it left. Hours *at
work* are its scheduled hours in that time, less public holidays and its own PTO days: a
rep with PTO works on its own calendar, so work is measured in each rep's own worked time.
Every function takes `points` (clock times) and returns cumulative totals before each, so a
difference gives a window (the measured horizon, or a week).
"""

from __future__ import annotations

import numpy as np

from orgsim.engine.model import Model, RolePlan
from orgsim.engine.people import calendars_of
from orgsim.engine.recorder import Records


def _stays(records: Records, reps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """When each rep was on the payroll during the run: [joined or 0, left or inf); a row
    that never began (a person still finishing a task in its old crew at the end, see
    engine/transition.py) from the end, so for no time."""
    since = np.minimum(records.reps["since"][reps], records.end)
    return since, records.reps["left"][reps]


def payroll(records: Records, role: RolePlan, points: np.ndarray) -> np.ndarray:
    """Person-hours on the payroll before each point."""
    reps = np.flatnonzero(records.reps["role"] == role.index)
    joined, left = _stays(records, reps)
    points = np.asarray(points, dtype=float)
    inside = np.clip(points[None, :], joined[:, None], left[:, None]) - joined[:, None]
    return inside.sum(axis=0)


def at_work(records: Records, role: RolePlan, points: np.ndarray) -> np.ndarray:
    """Scheduled hours each of the role's reps was at work before each point: a row per rep
    of the role, in rep id order."""
    points = np.asarray(points, dtype=float)
    ids = np.flatnonzero(records.reps["role"] == role.index)
    rows = np.zeros((len(ids), len(points)))
    for calendar, reps in calendars_of(records, role):
        joined, left = _stays(records, reps)
        clipped = np.clip(points[None, :], joined[:, None], left[:, None])
        hours = calendar.worked_array(clipped) - calendar.worked_array(joined)[:, None]
        rows[np.searchsorted(ids, reps)] = hours
    return rows


def ramped(records: Records, model: Model, role: RolePlan, points: np.ndarray) -> np.ndarray:
    """Ramped-rep hours before each point: each rep's ramp share integrated over its time on
    the payroll (hours of a fully productive rep it was worth). Someone moved into the role
    at a transition ramps by the transition's `ramp_after_move`."""
    reps = np.flatnonzero(records.reps["role"] == role.index)
    joined, left = _stays(records, reps)
    hired = records.reps["hired"][reps]
    before = records.reps["before"][reps]
    moved = (before >= 0) & (records.reps["role"][np.maximum(before, 0)] != role.index)
    total = np.zeros(len(points))
    for h, a, b, m in zip(hired, joined, left, moved, strict=True):
        clipped = np.clip(np.asarray(points, dtype=float), a, b)
        ramp = model.transition.after_move[role.index] if m else role
        total += ramp.ramped_hours(float(h), a, clipped)
    return total
