"""Quotas, attainment and commissions, from a replication's records.

**Credit** (a role's `quota.credit`) goes to the rep whose work did it, in the period it
happened, while the rep is still employed (a deal decided after its rep left credits no
one): `won_value` and `won`, each deal won, to the rep whose touch decided it;
`meetings`, each lead a rep handed on to a stage another role works (its visit's next stage)
and each outbound meeting it booked; `opportunities`, each lead a rep moved into the
`milestone: opportunity` stage.

**Seats carry the quota**, period by period (months or quarters from the end of warm-up; a
last period the horizon cuts short counts pro rata when 90% of it is inside, else not at
all; a seat's sliver of a period, under a day's quota, joins its neighbour): from the seat's
first occupant's start, a seat carries `value` for each period (a named person's own `quota`
while they sit in it), pro rata for the part of it the seat exists. While an occupant ramps
and the quota is ramped (`ramp_quota`), the seat carries that month's ramp share of it. A
seat left empty between two occupants, or after a leaver while its backfill is awaited,
carries the full quota and credits nothing: that quota is missed. A seat given up (a planned
departure without backfill, a negative hire, a person who moved on at a switch of org)
carries nothing after its last occupant.

**Attainment** of a seat in a period is its occupants' credit over the quota it carried.

**Commission** on a seat and period: `rate` on the credit up to the first tier, each tier's
rate above its start (`marginal`), or the whole credit at the rate of the highest tier
reached (`cumulative`), attainment paid on at most up to `cap`. A rate is a share of credited
value (`won_value`) or an amount per credited item. A `split` pays, for each deal the role's
reps won, a share of its value to the rep of the named role who last worked the lead before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orgsim.config.units import DAY
from orgsim.engine.model import CommissionPlan, Model, RolePlan
from orgsim.engine.outbound import BOOKED
from orgsim.engine.recorder import Records


@dataclass
class Attainment:
    """One role's seats, period by period: what each carried and was credited with."""

    seat: np.ndarray
    period: np.ndarray
    """0 for the first whole period after warm-up."""
    quota: np.ndarray
    credit: np.ndarray

    @property
    def share(self) -> np.ndarray:
        """Attainment: credit over quota (rows that carried a quota)."""
        return self.credit / self.quota

    def quartiles(self) -> tuple[float, float]:
        """Mean attainment of the bottom and the top quarter of seats and periods (at least
        one each): how far apart the best and the worst quarters are."""
        share = np.sort(self.share)
        if not len(share):
            return math.nan, math.nan
        k = max(1, len(share) // 4)
        return float(share[:k].mean()), float(share[-k:].mean())


MOSTLY = 0.9
"""A last period the horizon cuts short counts (pro rata) when this much of it is inside:
52 weeks hold 11.97 months of a twelfth of a year."""


def periods(records: Records, period: float) -> np.ndarray:
    """The edges of the periods of the measured horizon: whole ones, and a last one cut
    short if at least MOSTLY of it is inside."""
    span = records.end - records.warmup
    whole = int(span // period + 1e-9)
    edges = records.warmup + period * np.arange(whole + 1)
    if span - whole * period >= MOSTLY * period:
        edges = np.append(edges, records.end)
    return edges


def credits(records: Records, model: Model, role: RolePlan) -> tuple[np.ndarray, ...]:
    """Every credit event of the role's reps: (rep, time, amount)."""
    role_of = records.reps["role"]
    kind = role.quota.credit
    if kind in ("won_value", "won"):
        wins = records.wins
        mine = (wins["rep"] >= 0) & (role_of[np.maximum(wins["rep"], 0)] == role.index)
        amount = wins["value"][mine] if kind == "won_value" else np.ones(int(mine.sum()))
        return wins["rep"][mine], wins["time"][mine], amount
    visits = records.visits
    done = (visits["rep"] >= 0) & ~np.isnan(visits["left"])
    done &= role_of[np.maximum(visits["rep"], 0)] == role.index
    target = visits["next"]
    if kind == "opportunities":
        mine = done & (target == (-2 if model.opportunity is None else model.opportunity))
        return visits["rep"][mine], visits["left"][mine], np.ones(int(mine.sum()))
    owner = np.array([-1 if s.work is None else s.work.role for s in model.stages] + [-1] * 3)
    handed = done & (owner[np.clip(target, 0, None)] >= 0)
    handed &= owner[np.clip(target, 0, None)] != role.index
    attempts = records.attempts
    booked = (attempts["result"] == BOOKED) & (attempts["finish"] < records.end)
    booked &= role_of[attempts["rep"]] == role.index
    rep = np.concatenate([visits["rep"][handed], attempts["rep"][booked]])
    time = np.concatenate([visits["left"][handed], attempts["finish"][booked]])
    return rep, time, np.ones(len(rep))


def counted(records: Records, model: Model, role: RolePlan, edges: np.ndarray):
    """The credit events that count: inside the periods `edges`, while their rep is still
    employed (a deal decided after its rep left credits no one)."""
    rep, time, amount = credits(records, model, role)
    inside = (time >= edges[0]) & (time < edges[-1]) if len(edges) > 1 else time < -np.inf
    inside &= time <= records.reps["left"][rep] + 1e-9
    return rep[inside], time[inside], amount[inside]


def attainment(records: Records, model: Model, role: RolePlan) -> Attainment:
    """Each seat's quota and credit in each whole period (see the module's notes)."""
    quota_plan = role.quota
    edges = periods(records, quota_plan.period)
    reps = records.reps
    mine = np.flatnonzero(reps["role"] == role.index)
    seats = np.unique(reps["seat"][mine])
    n = len(edges) - 1
    carried = np.zeros((len(seats), n))
    credited = np.zeros((len(seats), n))
    where = {seat: i for i, seat in enumerate(seats)}
    closing = _closing(records, model, role)
    for seat in seats:
        rows = mine[reps["seat"][mine] == seat]
        rows = rows[np.argsort(reps["since"][rows])]
        carried[where[seat]] = _carried(records, role, rows, edges, closing)
    rep, time, amount = counted(records, model, role, edges)
    row = np.array([where[s] for s in reps["seat"][rep]], dtype=np.int64)
    column = np.searchsorted(edges, time, side="right") - 1
    np.add.at(credited, (row, column), amount)
    _merge_slivers(carried, credited, quota_plan.value * DAY / quota_plan.period)
    seat, period = np.meshgrid(seats, np.arange(n), indexing="ij")
    has = carried > 0
    return Attainment(seat[has], period[has], carried[has], credited[has])


def _merge_slivers(carried: np.ndarray, credited: np.ndarray, least: float) -> None:
    """A seat's period with less than a day's quota (a rep who leaves minutes into it,
    finishing a task; a hire on a period's last day) is no period of its own: its credit
    goes to the seat's period before (or after) it, and its quota is dropped."""
    for i, j in zip(*np.nonzero((carried > 0) & (carried < least)), strict=True):
        for k in (j - 1, j + 1):
            if 0 <= k < carried.shape[1] and carried[i, k] >= least:
                credited[i, k] += credited[i, j]
                break
        carried[i, j] = credited[i, j] = 0.0


def _carried(records, role: RolePlan, rows, edges, closing: np.ndarray) -> np.ndarray:
    """The quota one seat carried in each period: its occupants' time (ramped with a ramped
    quota), and the time it stood empty while it waited for a new occupant."""
    reps, plan = records.reps, role.quota
    low, high = edges[:-1], edges[1:]
    first = reps["since"][rows[0]]
    last_left = reps["left"][rows[-1]]
    alive_until = last_left if closing[rows[-1]] else records.end
    alive = np.clip(np.minimum(high, alive_until) - np.maximum(low, first), 0, None)
    occupied = np.zeros(len(low))
    for r in rows:
        occupied += np.clip(np.minimum(high, reps["left"][r]) - np.maximum(low, reps["since"][r]),
                            0, None)  # fmt: skip
    vacant = np.clip(alive - occupied, 0, None)
    return sum(
        (_own_quota(records, role, r, edges) for r in rows), plan.value * vacant / plan.period
    )


def _own_quota(records: Records, role: RolePlan, r: int, edges: np.ndarray) -> np.ndarray:
    """The quota rep row `r` carried in each period while in its seat (ramped with a ramped
    quota; a named person's own quota where given)."""
    reps, plan = records.reps, role.quota
    low, high = edges[:-1], edges[1:]
    a = np.clip(reps["since"][r], low, high)
    b = np.maximum(a, np.clip(reps["left"][r], low, high))
    ramped = role.ramped_hours(reps["hired"][r], a, b) if plan.ramp_quota else b - a
    value = next((p.quota for p in role.people if p.name == reps["person"][r] and p.quota),
                 plan.value)  # fmt: skip
    return ramped * value / plan.period


def by_rep(records: Records, model: Model) -> tuple[np.ndarray, np.ndarray]:
    """Per rep row, the quota it carried and the credit it earned over its role's periods
    (NaN for a role without a quota): a person's attainment is the one over the other."""
    n = len(records.reps["role"])
    quota, credit = np.full(n, np.nan), np.full(n, np.nan)
    for role in model.roles:
        if role.quota is None:
            continue
        edges = periods(records, role.quota.period)
        mine = np.flatnonzero(records.reps["role"] == role.index)
        quota[mine] = [_own_quota(records, role, r, edges).sum() for r in mine]
        rep, _, amount = counted(records, model, role, edges)
        credit[mine] = np.bincount(rep, weights=amount, minlength=n)[mine]
    return quota, credit


def _closing(records: Records, model: Model, role: RolePlan) -> np.ndarray:
    """Per rep row: the seat ends when this rep leaves (no backfill for the role, a planned
    departure without backfill, seats given up, a person who moved on at a switch)."""
    reps = records.reps
    closing = records.carried_on().copy()
    if role.backfill is None:
        return closing | (reps["left"] < np.inf)
    planned = {p.name for p in role.people if p.leaves is not None and not p.backfill}
    closing |= np.isin(reps["person"], list(planned)) & (reps["left"] < np.inf)
    given_up = [h.at for h in model.hires if h.role == role.index and h.count < 0]
    closing |= np.isin(reps["left"], given_up)
    return closing


def payout(plan: CommissionPlan, credit: np.ndarray, quota: np.ndarray) -> np.ndarray:
    """What each seat-period pays (credit and quota in the credit's unit)."""
    starts = np.array([0.0, *(start for start, _ in plan.tiers)])
    rates = np.array([plan.rate, *(rate for _, rate in plan.tiers)])
    paid = np.minimum(credit / quota, plan.cap)
    if plan.cumulative:
        tier = np.searchsorted(starts, paid, side="right") - 1
        return rates[tier] * paid * quota
    ends = np.append(starts[1:], math.inf)
    slices = np.clip(paid[:, None] - starts, 0, None)
    slices = np.minimum(slices, ends - starts)
    return (slices * rates).sum(axis=1) * quota


def splits(records: Records, model: Model, role: RolePlan) -> dict[str, float]:
    """The split commission a role's won deals pay, by the role paid: each deal won by one of
    its reps in its quota's periods pays share x value to the named role's rep who last
    worked the lead before the win (nothing where none did)."""
    plan = role.commission
    if plan is None or not plan.split:
        return {}
    wins, visits, reps = records.wins, records.visits, records.reps
    edges = periods(records, role.quota.period)
    mine = (wins["time"] >= edges[0]) & (wins["time"] < edges[-1]) & (wins["rep"] >= 0)
    mine &= reps["role"][np.maximum(wins["rep"], 0)] == role.index
    won = pd.DataFrame({"lead": wins["lead"][mine], "time": wins["time"][mine],
                        "value": wins["value"][mine], "win": np.flatnonzero(mine)})  # fmt: skip
    names = [r.name for r in model.roles]
    paid = {}
    for other, share in plan.split.items():
        theirs = (visits["rep"] >= 0) & ~np.isnan(visits["left"])
        theirs &= reps["role"][np.maximum(visits["rep"], 0)] == names.index(other)
        worked = pd.DataFrame({"lead": visits["lead"][theirs], "left": visits["left"][theirs]})
        both = won.merge(worked, on="lead")
        sourced = both[both["left"] <= both["time"]].drop_duplicates("win")
        paid[other] = float(share * sourced["value"].sum())
    return paid
