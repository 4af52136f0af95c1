"""Records of one replication as the tables an analyst opens: cases, visits, reps, weeks."""

from __future__ import annotations

import numpy as np
import pandas as pd

from orgsim.config.units import WEEK
from orgsim.engine.model import Model
from orgsim.engine.recorder import GAVE_UP, RECYCLED, Records
from orgsim.measure import pay
from orgsim.measure.kpis import (
    accounts_by_segment,
    busy,
    cycle_times,
    from_sources,
    queued,
    sla_misses,
    speeds_to_lead,
    worked_intervals,
)
from orgsim.measure.staffing import at_work, payroll, ramped


def _names(codes: np.ndarray, names: list[str], none: str = "") -> pd.Categorical:
    """Integer codes -> names (`none` for -1: '' for a lead still in the journey, `book` for
    a lead from the book of business)."""
    labels = np.array([none, *names], dtype=object)
    return pd.Categorical(labels[np.asarray(codes) + 1], categories=[none, *names])


def cases(records: Records, model: Model) -> pd.DataFrame:
    """One row per lead: where it came from, what it was worth, where it ended."""
    leads = records.leads
    return pd.DataFrame(
        {
            "lead": np.arange(len(leads["created"])),
            "source": _names(leads["source"], [s.name for s in model.sources], none="book"),
            "segment": _names(leads["segment"], model.segments),
            "deal_value": leads["value"],
            "created": leads["created"],
            "first_touch": leads["first_touch"],
            "won_at": leads["won_at"],
            "end": _names(leads["end"], model.places),
            "ended_at": leads["ended_at"],
            "arr_end": leads["arr"],
        }
    )


def record_types(visits: dict[str, np.ndarray], model: Model, end: float) -> np.ndarray:
    """Ciw-style record type of each visit: handoff_leak, gave_up, recycled, sla_breach,
    escalation or visit (the first that applies, in that order)."""
    late, untouched_late = sla_misses(visits, end)
    kinds = np.full(len(visits["lead"]), "visit", dtype=object)
    kinds[visits["escalated"]] = "escalation"
    kinds[late | untouched_late] = "sla_breach"
    kinds[visits["expired"] == RECYCLED] = "recycled"
    kinds[visits["expired"] == GAVE_UP] = "gave_up"
    kinds[visits["next"] == model.leaked] = "handoff_leak"
    return kinds


def visits(records: Records, model: Model) -> pd.DataFrame:
    """One row per stage visit (Ciw-style records)."""
    v = records.visits
    frame = pd.DataFrame(
        {
            "lead": v["lead"],
            "stage": _names(v["stage"], model.places),
            "visit": v["k"],
            "record_type": record_types(v, model, records.end),
            "entered": v["entered"],
            "due": v["due"],
            "first_touch": v["first_touch"],
            "wait": v["first_touch"] - v["due"],
            "left": v["left"],
            "next": _names(v["next"], model.places),
            "rep": v["rep"],
            "sla_deadline": v["deadline"],
            "escalated": v["escalated"],
            "manual_handoff": v["handoff"],
        }
    )
    return frame


def reps(records: Records, model: Model) -> pd.DataFrame:
    """One row per rep: role, pod, its name where it is a named person, skill, tasks done,
    deals won (over the whole run), utilization, and the deals and value it won in the
    measured window (`won`, `won_value`: what `Results.people` adds up), and for a role with
    a quota the quota it carried and the credit it earned (`quota`, `credit`, pay.py)."""
    r = records.reps
    window = np.array([records.warmup, records.end])
    worked = np.zeros(len(r["role"]))
    available = np.full(len(r["role"]), np.nan)
    tasks = records.tasks
    for role in model.roles:
        for calendar, starts, ends, mask in worked_intervals(records, model, role.index):
            edges = calendar.worked_array(window)
            inside = np.clip(np.minimum(ends, edges[1]) - np.maximum(starts, edges[0]), 0, None)
            worked += np.bincount(tasks["rep"][mask], weights=inside, minlength=len(worked))
        hours = at_work(records, role, window)
        available[r["role"] == role.index] = hours[:, 1] - hours[:, 0]
    with np.errstate(invalid="ignore", divide="ignore"):
        utilization = worked / available
    wins = records.wins
    counted = (wins["time"] >= records.warmup) & (wins["rep"] >= 0)
    by_rep = wins["rep"][counted]
    quota, credit = pay.by_rep(records, model)
    return pd.DataFrame(
        {
            "rep": np.arange(len(r["role"])),
            "role": _names(r["role"], [role.name for role in model.roles]),
            "pod": _names(r["pod"], model.pods) if model.pods else "",
            "person": r["person"],
            "skill": rep_skill(records, model),
            "tasks": r["tasks_done"],
            "deals_won": r["deals_won"],
            "utilization": utilization,
            "won": np.bincount(by_rep, minlength=len(worked)),
            "won_value": np.bincount(by_rep, weights=wins["value"][counted], minlength=len(worked)),
            "hours_worked": worked,
            "hours_at_work": available,
            "quota": quota,
            "credit": credit,
        }
    )


def rep_skill(records: Records, model: Model) -> np.ndarray:
    """Each rep's mean skill over the stages its role works (in today's org or the one a
    transition switches to) and the segments: a rep's skill as a per-rep table shows it."""
    skills, roles = records.reps["skills"], records.reps["role"]
    n_seg = len(model.segments)
    plans = model.stages + (model.transition.stages if model.transition else [])
    out = skills.mean(axis=1) if skills.size else np.zeros(len(roles))
    for role in model.roles:
        worked = sorted(
            {p.index for p in plans if p.work is not None and p.work.role == role.index}
        )
        columns = [s * n_seg + g for s in worked for g in range(n_seg)]
        mine = roles == role.index
        if columns and mine.any():
            out[mine] = skills[np.ix_(mine, columns)].mean(axis=1)
    return out


def weekly(records: Records, model: Model) -> pd.DataFrame:
    """One row per week: leads, won, ARR won, mean speed to lead, queue and utilization per
    role, and for a role whose people change or ramp, its headcount and ramped-rep
    equivalents (averages over the week); for an outbound source, the accounts left of each
    segment at the week's end."""
    end = records.end
    edges = np.arange(0.0, end + WEEK - 1e-9, WEEK)
    edges[-1] = min(edges[-1], end)
    frame = pd.DataFrame(
        {
            "week": np.arange(len(edges) - 1),
            "start": edges[:-1],
            "warmup": edges[:-1] < records.warmup,
            "leads": np.histogram(records.leads["created"][from_sources(records)], edges)[0],
            "won": np.histogram(records.wins["time"], edges)[0],
            "won_value": np.histogram(records.wins["time"], edges, weights=records.wins["value"])[
                0
            ],
            "speed_to_lead": _weekly_speed_to_lead(records, edges),
        }
    )
    for role in model.roles:
        if not role.works:
            continue
        length = np.diff(edges)
        frame[f"queue.{role.name}"] = np.diff(queued(records, role.index, edges)) / length
        scheduled = np.diff(at_work(records, role, edges).sum(axis=0))
        with np.errstate(invalid="ignore", divide="ignore"):
            frame[f"utilization.{role.name}"] = (
                np.diff(busy(records, model, role.index, edges)) / scheduled
            )
        if role.people_change or role.ramp is not None:
            frame[f"headcount.{role.name}"] = np.diff(payroll(records, role, edges)) / length
            frame[f"ramped.{role.name}"] = np.diff(ramped(records, model, role, edges)) / length
    for i, source in enumerate(model.sources):
        if source.outbound is not None:
            left = accounts_by_segment(records, source, i, edges[1:])
            for code, segment in enumerate(model.segments):
                if source.outbound.accounts[code]:
                    frame[f"accounts_left.{source.name}.{segment}"] = left[code]
    return frame


def _weekly_speed_to_lead(records: Records, edges: np.ndarray) -> np.ndarray:
    """Mean hours from creation to first touch of the sources' leads first touched in each
    week (NaN for a week with none)."""
    first, created = records.leads["first_touch"], records.leads["created"]
    touched = ~np.isnan(first) & from_sources(records)
    count = np.histogram(first[touched], edges)[0]
    hours = np.histogram(first[touched], edges, weights=first[touched] - created[touched])[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        return hours / count


DETAILS = ("timeseries", "reps", "cycle_times", "speed_to_lead")


def details(records: Records, model: Model) -> dict[str, pd.DataFrame]:
    """The small tables the figures and the report need, kept instead of full records."""
    return {
        "timeseries": weekly(records, model),
        "reps": reps(records, model),
        "cycle_times": pd.DataFrame({"hours": cycle_times(records)}),
        "speed_to_lead": pd.DataFrame({"hours": speeds_to_lead(records)}),
    }
