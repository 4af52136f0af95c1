"""KPIs of one replication, computed from its records (docs/scenario-language.md).

An event counts when it happens at or after the end of warm-up: a lead
created during warm-up and won after it counts as won; waits and SLA results
count at the time of the first touch. A KPI that is undefined in a
replication (a ratio over zero) is NaN here, null in JSON, and left out of
its mean and interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, partial

import numpy as np

from orgsim.config import kpis as catalogue
from orgsim.config.units import WEEK, YEAR
from orgsim.engine.model import Model
from orgsim.engine.outbound import BOOKED, NOT_REACHED
from orgsim.engine.people import calendars_of
from orgsim.engine.recorder import GAVE_UP, RECYCLED, Records
from orgsim.measure import pay
from orgsim.measure.staffing import at_work, payroll, ramped

NAN = float("nan")


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if len(x) else NAN


def _quantile(x: np.ndarray, q: float) -> float:
    return float(np.quantile(x, q)) if len(x) else NAN


def _ratio(a: float, b: float) -> float:
    return a / b if b else NAN


def covered(starts: np.ndarray, stops: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For each point x: total length of the intervals [start, stop) that lies before x.

    Differences between points give the time intervals spend inside a window
    (busy hours in a week, item-hours waiting in a queue). Vectorised by
    sorting: sum over starts below x of (x - start), minus the same over stops.
    """
    points = np.asarray(points, dtype=float)
    result = np.zeros(len(points))
    for edges, sign in ((np.sort(starts), 1.0), (np.sort(stops), -1.0)):
        below = np.searchsorted(edges, points, side="left")
        total = np.concatenate([[0.0], np.cumsum(edges)])
        result += sign * (below * points - total[below])
    return result


def of_role(records: Records, role: int) -> np.ndarray:
    """Which tasks were done by reps of `role`."""
    return records.reps["role"][records.tasks["rep"]] == role


def worked_intervals(records: Records, model: Model, role: int, tasks: dict | None = None):
    """The role's tasks (or outbound attempts: `tasks=records.attempts`) as [start, end) in
    worked time (scheduled hours since t = 0 on the calendar their rep works on), where a
    task spans exactly its work: one group per calendar the role's reps work on (see
    people.calendars_of), as (calendar, starts, ends, which tasks)."""
    tasks = records.tasks if tasks is None else tasks
    for calendar, reps in calendars_of(records, model.roles[role]):
        mask = np.isin(tasks["rep"], reps)
        starts = calendar.worked_array(tasks["start"][mask])
        yield calendar, starts, starts + tasks["work"][mask], mask


def busy(
    records: Records, model: Model, role: int, points: np.ndarray, tasks: dict | None = None
) -> np.ndarray:
    """Scheduled hours the role's reps spent working before each point in time (on the
    journey's tasks, or on `tasks`: `records.attempts` for outbound)."""
    total = np.zeros(len(points))
    for calendar, starts, ends, _ in worked_intervals(records, model, role, tasks):
        total += covered(starts, ends, calendar.worked_array(points))
    return total


def queued(records: Records, role: int, points: np.ndarray) -> np.ndarray:
    """Item-hours spent waiting in the role's queues before each point (Little's L x T)."""
    tasks, waiting, expired = records.tasks, records.waiting, records.expired
    mask = of_role(records, role)
    still = waiting["since"][waiting["role"] == role]
    gone = expired["role"] == role
    starts = np.concatenate([tasks["queued"][mask], still, expired["queued"][gone]])
    stops = np.concatenate(
        [tasks["start"][mask], np.full(len(still), records.end), expired["left"][gone]]
    )
    return covered(starts, stops, points)


def sla_misses(visits: dict[str, np.ndarray], end: float) -> tuple[np.ndarray, np.ndarray]:
    """Per visit: first touched after its SLA deadline; never touched, and its deadline came
    before the end of the run, or no later than it gave up or was recycled. Both count as
    misses (a lead that gave up or was recycled before its deadline counts as neither)."""
    deadline, left = visits["deadline"], visits["left"]
    late = visits["first_touch"] > deadline + 1e-9
    waiting = np.isnan(left) & (deadline < end)
    expired = (visits["expired"] > 0) & (deadline <= left)
    untouched = np.isnan(visits["first_touch"]) & (waiting | expired)
    return late, untouched


def from_sources(records: Records) -> np.ndarray:
    """Which leads came from a source (the book's leads, source -1, were there at t = 0)."""
    return records.leads["source"] >= 0


def cycle_times(records: Records) -> np.ndarray:
    """Hours from creation to won, for each deal won after warm-up from a source's lead (a
    book lead's creation is not when its buyer first came)."""
    wins = records.wins
    won = (wins["time"] >= records.warmup) & from_sources(records)[wins["lead"]]
    return wins["time"][won] - records.leads["created"][wins["lead"][won]]


def speeds_to_lead(records: Records, source: int | None = None) -> np.ndarray:
    """Hours from creation to first touch, for each source's lead (or `source`'s alone)
    first touched after warm-up (the book's leads were touched before t = 0)."""
    leads = records.leads
    first, created = leads["first_touch"], leads["created"]
    touched = (first >= records.warmup) & from_sources(records)
    if source is not None:
        touched &= leads["source"] == source
    return first[touched] - created[touched]


Computation = Callable[["Replication", dict[str, float]], None]
COMPUTATIONS: list[tuple[tuple[str, ...], Computation]] = []
"""Each computation with the KPI families (`config.kpis.FAMILIES`) it fills, in the order
they run (cost needs the lead count, CAC the deal size): one computation per family."""


def computes(*families: str) -> Callable[[Computation], Computation]:
    """Register a computation as the one home of these families' values."""

    def register(function: Computation) -> Computation:
        COMPUTATIONS.append((families, function))
        return function

    return register


@dataclass
class Replication:
    """One replication's records and model, with what several computations share."""

    records: Records
    model: Model

    @cached_property
    def attainment(self) -> dict[str, pay.Attainment]:
        """Per role with a quota, its seats' quota and credit in each whole period."""
        return {
            role.name: pay.attainment(self.records, self.model, role)
            for role in self.model.roles
            if role.quota is not None
        }

    @cached_property
    def commission(self) -> tuple[float, float]:
        """Commission over the horizon (tiers on each seat-period, and splits): in all, and
        of the roles that count in CAC."""
        total = acquiring = 0.0
        roles = {role.name: role for role in self.model.roles}
        for name, found in self.attainment.items():
            role = roles[name]
            if role.commission is None:
                continue
            paid = float(pay.payout(role.commission, found.credit, found.quota).sum())
            total += paid
            acquiring += paid if role.acquires else 0.0
            for other, amount in pay.splits(self.records, self.model, role).items():
                total += amount
                acquiring += amount if roles[other].acquires else 0.0
        return total, acquiring

    @cached_property
    def payroll_hours(self) -> list[float]:
        """Each role's person-hours on the payroll in the measured horizon."""
        window = np.array([self.records.warmup, self.records.end])
        return [np.diff(payroll(self.records, role, window))[0] for role in self.model.roles]


def compute(records: Records, model: Model, names: Iterable[str]) -> dict[str, float]:
    """The KPIs `names` (those the variant reports: `config.kpis.kpi_names`) of one
    replication, NaN where undefined."""
    out: dict[str, float] = {}
    replication = Replication(records, model)
    for _, computation in COMPUTATIONS:
        computation(replication, out)
    return {name: out[name] for name in names}


@computes(
    "leads",
    "won",
    "won_per_week",
    "won_value",
    "lost",
    "leaked",
    "churned",
    "wip_end",
    "avg_deal_size",
)
def _flow(replication: Replication, out: dict) -> None:
    records, model = replication.records, replication.model
    W, T = records.warmup, records.end
    leads, wins = records.leads, records.wins
    out["leads"] = float(((leads["created"] >= W) & from_sources(records)).sum())
    won = wins["time"] >= W
    out["won"] = float(won.sum())
    out["won_per_week"] = out["won"] / ((T - W) / WEEK)
    out["won_value"] = float(wins["value"][won].sum())
    for end in ("lost", "leaked", "churned"):
        code = model.place(end)
        out[end] = float(((leads["end"] == code) & (leads["ended_at"] >= W)).sum())
    out["wip_end"] = float((leads["end"] < 0).sum())
    out["avg_deal_size"] = _ratio(out["won_value"], out["won"])


@computes("quarter.<q>.won_per_week", "quarter.<q>.won_value")
def _quarters(replication: Replication, out: dict) -> None:
    records, wins = replication.records, replication.records.wins
    W, T = records.warmup, records.end
    for q in catalogue.quarterly(T - W):
        start = W + (q - 1) * catalogue.QUARTER
        inside = (wins["time"] >= start) & (wins["time"] < start + catalogue.QUARTER)
        out[catalogue.quarter_kpi(q, "won_per_week")] = float(inside.sum()) / (
            catalogue.QUARTER / WEEK
        )
        out[catalogue.quarter_kpi(q, "won_value")] = float(wins["value"][inside].sum())


@computes("lead_to_customer", "source.<s>.lead_to_customer", "win_rate")
def _conversion(replication: Replication, out: dict) -> None:
    """Lead to customer, overall and per source, and the win rate of decided opportunities."""
    records, model = replication.records, replication.model
    W, leads, wins = records.warmup, records.leads, records.wins
    created = (leads["created"] >= W) & from_sources(records)
    won = wins["lead"][(wins["time"] >= W)]
    won_source = leads["source"][won]
    out["lead_to_customer"] = _ratio(float((won_source >= 0).sum()), out["leads"])
    for i, source in enumerate(model.sources):
        mine = float((created & (leads["source"] == i)).sum())
        kpi = catalogue.source_kpi(source.name, "lead_to_customer")
        out[kpi] = _ratio(float((won_source == i).sum()), mine)
    if model.opportunity is not None:
        out["win_rate"] = win_rate(records, model.opportunity)


def win_rate(records: Records, opportunity: int) -> float:
    """Won / opportunities decided after warm-up: a lead's opportunity is decided when it is
    won or reaches an end after first entering the `opportunity` stage."""
    leads, visits = records.leads, records.visits
    entered = np.full(len(leads["created"]), np.inf)
    at = visits["stage"] == opportunity
    np.minimum.at(entered, visits["lead"][at], visits["entered"][at])
    won_at = np.nan_to_num(leads["won_at"], nan=np.inf)
    ended_at = np.where(leads["end"] >= 0, leads["ended_at"], np.inf)
    decided_at = np.minimum(won_at, ended_at)
    decided = (entered <= decided_at) & (decided_at >= records.warmup) & (decided_at < np.inf)
    return _ratio(float((decided & (won_at == decided_at)).sum()), float(decided.sum()))


_SPREAD = (_mean, lambda x: _quantile(x, 0.5), lambda x: _quantile(x, 0.9))
"""Mean, median and 90th percentile, as the `_mean`, `_p50` and `_p90` KPIs give them."""
CYCLE_TIME = ("cycle_time_mean", "cycle_time_p50", "cycle_time_p90")
SPEED_TO_LEAD = ("speed_to_lead_mean", "speed_to_lead_p50", "speed_to_lead_p90")


@computes("cycle_time_mean", "cycle_time_p50", "cycle_time_p90")
def _cycle_time(replication: Replication, out: dict) -> None:
    hours = cycle_times(replication.records)
    for kpi, statistic in zip(CYCLE_TIME, _SPREAD, strict=True):
        out[kpi] = statistic(hours)


@computes(
    "speed_to_lead_mean",
    "speed_to_lead_p50",
    "speed_to_lead_p90",
    "source.<s>.speed_to_lead_mean",
    "source.<s>.speed_to_lead_p50",
    "source.<s>.speed_to_lead_p90",
)
def _speed_to_lead(replication: Replication, out: dict) -> None:
    """Speed to lead, overall and per source."""
    records = replication.records
    hours = speeds_to_lead(records)
    for kpi, statistic in zip(SPEED_TO_LEAD, _SPREAD, strict=True):
        out[kpi] = statistic(hours)
    for i, source in enumerate(replication.model.sources):
        hours = speeds_to_lead(records, i)
        for kpi, statistic in zip(SPEED_TO_LEAD, _SPREAD, strict=True):
            out[catalogue.source_kpi(source.name, kpi)] = statistic(hours)


@computes(
    "stage.<s>.entered",
    "stage.<s>.wait_mean",
    "stage.<s>.wait_p90",
    "sla.<s>.attainment",
    "stage.<s>.conversion.<t>",
    "stage.<s>.gave_up",
    "stage.<s>.recycled",
)
def _stages(replication: Replication, out: dict) -> None:
    """Entries, waits, SLA attainment and where leads went, stage by stage. A wait runs from
    entering the stage, or from falling due in a `buyer_delay_first` stage."""
    records, model = replication.records, replication.model
    W, T, visits = records.warmup, records.end, records.visits
    stage_of, entered, first_touch = visits["stage"], visits["entered"], visits["first_touch"]
    left, next_place = visits["left"], visits["next"]
    late, untouched = sla_misses(visits, T)
    for plan in model.stages:
        at = stage_of == plan.index
        name = plan.name
        out[catalogue.stage_kpi(name, "entered")] = float((at & (entered >= W)).sum())
        if plan.work is not None:
            touched = at & (first_touch >= W)
            wait = first_touch[touched] - visits["due"][touched]
            out[catalogue.stage_kpi(name, "wait_mean")] = _mean(wait)
            out[catalogue.stage_kpi(name, "wait_p90")] = _quantile(wait, 0.9)
            if plan.work.sla is not None:
                missed = at & untouched & ~(left < W)  # counted when it left, or at the end
                out[catalogue.sla_kpi(name)] = _ratio(
                    float((touched & ~late).sum()), float(touched.sum() + missed.sum())
                )
        if plan.is_end:
            continue
        gone = at & (left >= W)
        counts = np.bincount(next_place[gone], minlength=len(model.places))
        total = float(counts.sum())
        for place, count in zip(model.places, counts, strict=True):
            out[catalogue.conversion_kpi(name, place)] = _ratio(float(count), total)
        expired = visits["expired"][gone]
        out[catalogue.stage_kpi(name, "gave_up")] = _ratio(float((expired == GAVE_UP).sum()), total)
        out[catalogue.stage_kpi(name, "recycled")] = _ratio(
            float((expired == RECYCLED).sum()), total
        )


@computes(
    "role.<r>.utilization",
    "quarter.<q>.role.<r>.utilization",
    "role.<r>.queue_mean",
    "role.<r>.queue_end",
    "role.<r>.backlog_growth",
)
def _workload(replication: Replication, out: dict) -> None:
    """Utilization (over the horizon and in each plan quarter) and queues of every role that
    works a stage."""
    records, model = replication.records, replication.model
    W, T = records.warmup, records.end
    window = np.array([W, T])
    quarters = catalogue.quarterly(T - W)
    for role in (r for r in model.roles if r.works):
        name = role.name
        # one pass over the role's calendars for the horizon and each of its plan quarters
        points = np.unique([W, T, *(W + catalogue.QUARTER * np.arange(len(quarters) + 1))])
        scheduled = at_work(records, role, points).sum(axis=0)
        worked = busy(records, model, role.index, points)
        utilization = catalogue.role_kpi(name, "utilization")
        out[utilization] = _ratio(
            float(worked[-1] - worked[0]), float(scheduled[-1] - scheduled[0])
        )
        for q, done, open_ in zip(quarters, np.diff(worked), np.diff(scheduled), strict=False):
            out[catalogue.quarter_kpi(q, utilization)] = _ratio(float(done), float(open_))
        waited = np.diff(queued(records, role.index, window))[0]
        out[catalogue.role_kpi(name, "queue_mean")] = float(waited) / (T - W)
        queue_end = float((records.waiting["role"] == role.index).sum())
        out[catalogue.role_kpi(name, "queue_end")] = queue_end
        out[catalogue.role_kpi(name, "backlog_growth")] = backlog_growth(records, role.index)


@computes(
    "role.<r>.ramped_mean",
    "role.<r>.headcount_mean",
    "role.<r>.hires",
    "role.<r>.departures",
)
def _people(replication: Replication, out: dict) -> None:
    """Ramped-rep equivalents and the people who came and went, of every role that works."""
    records, model = replication.records, replication.model
    W, T = records.warmup, records.end
    reps = records.reps
    for role in (r for r in model.roles if r.works):
        name = role.name
        if role.ramp is not None:
            ramped_hours = np.diff(ramped(records, model, role, np.array([W, T])))[0]
            out[catalogue.role_kpi(name, "ramped_mean")] = float(ramped_hours) / (T - W)
        if role.people_change:
            mine = reps["role"] == role.index
            hours = replication.payroll_hours[role.index]
            out[catalogue.role_kpi(name, "headcount_mean")] = float(hours) / (T - W)
            joined = mine & reps["joined"] & (reps["since"] >= W)
            out[catalogue.role_kpi(name, "hires")] = float(joined.sum())
            gone = (reps["left"] >= W) & (reps["left"] < np.inf) & ~records.carried_on()
            out[catalogue.role_kpi(name, "departures")] = float((mine & gone).sum())


def backlog_growth(records: Records, role: int) -> float:
    """Items the role's queues gain per week over the second half of the measured horizon:
    the least-squares slope of the average queue in each whole week of it (whole weeks, so
    that nights and weekends do not tilt the line). About 0 for a role that keeps up; for
    one that does not, the arrival rate of the work it cannot do. NaN with fewer than three
    whole weeks to fit."""
    W, T = records.warmup, records.end
    weeks = int((T - W) / 2 // WEEK)
    if weeks < 3:
        return NAN
    edges = T - WEEK * np.arange(weeks, -1, -1)
    queue = (np.diff(queued(records, role, edges)) / WEEK).tolist()
    return slope(queue)


def slope(values: list[float]) -> float:
    """The least-squares slope of `values` against 0, 1, 2, ...: a closed form with exactly
    rounded sums (`math.fsum`), so that it does not depend on how a library sums (a flat
    queue gives exactly 0, not a last-digit residue)."""
    n = len(values)
    mean = math.fsum(values) / n
    centre = (n - 1) / 2
    return math.fsum((i - centre) * (v - mean) for i, v in enumerate(values)) / math.fsum(
        (i - centre) ** 2 for i in range(n)
    )


@computes("arr_end", "mrr_end", "nrr", "grr", "logo_retention", "ltv")
def _revenue(replication: Replication, out: dict) -> None:
    """ARR at the end, retention of the customers at warm-up end, lifetime value."""
    records, model = replication.records, replication.model
    leads, base = records.leads, records.arr_warmup
    out["arr_end"] = float(leads["arr"].sum())
    out["mrr_end"] = out["arr_end"] / 12
    start_arr = base["arr"].sum()
    end_arr = leads["arr"][base["lead"]] if len(base["lead"]) else np.zeros(0)
    out["nrr"] = _ratio(float(end_arr.sum()), float(start_arr))
    out["grr"] = _ratio(float(np.minimum(end_arr, base["arr"]).sum()), float(start_arr))
    out["logo_retention"] = _ratio(float((end_arr > 0).sum()), float(len(end_arr)))
    if model.gross_margin is not None:
        out["ltv"] = lifetime_value(records, model, out["arr_end"], out["churned"])


@computes(
    "role.<r>.attainment_mean",
    "role.<r>.attainment_p10",
    "role.<r>.attainment_p90",
    "role.<r>.attainment_bottom_quartile",
    "role.<r>.attainment_top_quartile",
    "role.<r>.share_at_quota",
)
def _attainment(replication: Replication, out: dict) -> None:
    """Each quota-carrying role's attainment over its seats and whole periods (pay.py)."""
    for role, found in replication.attainment.items():
        share = found.share
        kpi = partial(catalogue.role_kpi, role)
        out[kpi("attainment_mean")] = _mean(share)
        out[kpi("attainment_p10")] = _quantile(share, 0.1)
        out[kpi("attainment_p90")] = _quantile(share, 0.9)
        bottom, top = found.quartiles()
        out[kpi("attainment_bottom_quartile")] = bottom
        out[kpi("attainment_top_quartile")] = top
        out[kpi("share_at_quota")] = _mean((share >= 1.0).astype(float))


@computes(
    "cost",
    "cost.people",
    "cost.commission",
    "commission_per_won",
    "cost.marketing",
    "cost.sources",
    "cost.other",
    "source.<s>.cost",
    "source.<s>.cost_per_won",
    "cost_per_won",
    "cac",
    "cac_payback_months",
)
def _cost(replication: Replication, out: dict) -> None:
    """Cost over the horizon and CAC (needs the leads, new customers and deal size)."""
    records, model = replication.records, replication.model
    people, other, acquiring = costs(records, model, replication.payroll_hours)
    marketing, sources = _lead_costs(records, model, out)
    commission, acquiring_commission = replication.commission
    out["cost"] = people + marketing + sources + other + commission
    out["cost.people"], out["cost.marketing"], out["cost.other"] = people, marketing, other
    out["cost.sources"], out["cost.commission"] = sources, commission
    out["commission_per_won"] = _ratio(commission, out["won"])
    out["cost_per_won"] = _ratio(out["cost"], out["won"])
    out["cac"] = _ratio(acquiring + marketing + sources + acquiring_commission, out["won"])
    if model.gross_margin is not None:
        monthly_margin = out["avg_deal_size"] / 12 * model.gross_margin
        out["cac_payback_months"] = _ratio(out["cac"], monthly_margin)


@computes(
    "source.<s>.attempts",
    "source.<s>.connects",
    "source.<s>.meetings",
    "source.<s>.attempts_per_meeting",
    "source.<s>.accounts_left",
    "role.<r>.meetings_per_week",
    "role.<r>.attempts_per_week",
    "role.<r>.outbound_time",
)
def _outbound(replication: Replication, out: dict) -> None:
    """What outbound prospecting made: attempts, buyers reached and meetings per source and
    per rep-week, the accounts left, and the prospecting roles' time on it."""
    records, model = replication.records, replication.model
    W, T = records.warmup, records.end
    attempts = records.attempts
    measured = attempts["start"] >= W
    booked = measured & (attempts["result"] == BOOKED) & (attempts["finish"] < T)
    for i, source in enumerate(model.sources):
        if source.outbound is None:
            continue
        mine = measured & (attempts["source"] == i)
        meetings = float((booked & (attempts["source"] == i)).sum())
        kpi = partial(catalogue.source_kpi, source.name)
        out[kpi("attempts")] = float(mine.sum())
        out[kpi("connects")] = float((mine & (attempts["result"] != NOT_REACHED)).sum())
        out[kpi("meetings")] = meetings
        out[kpi("attempts_per_meeting")] = _ratio(out[kpi("attempts")], meetings)
        out[kpi("accounts_left")] = float(accounts_left(records, source, i, np.array([T]))[0])
        role = model.roles[source.outbound.role]
        theirs = records.reps["role"][attempts["rep"]] == role.index
        rep_weeks = replication.payroll_hours[role.index] / WEEK
        kpi = partial(catalogue.role_kpi, role.name)
        out[kpi("meetings_per_week")] = _ratio(float((booked & theirs).sum()), rep_weeks)
        out[kpi("attempts_per_week")] = _ratio(float((measured & theirs).sum()), rep_weeks)
        window = np.array([W, T])
        scheduled = np.diff(at_work(records, role, window).sum(axis=0))[0]
        spent = np.diff(busy(records, model, role.index, window, records.attempts))[0]
        out[kpi("outbound_time")] = _ratio(float(spent), float(scheduled))


def accounts_left(records: Records, source, i: int, times: np.ndarray) -> np.ndarray:
    """Per time (and per segment, as rows, with `by_segment`): the accounts of outbound source
    `i` ready to prospect, never worked or back from their cool-off."""
    return accounts_by_segment(records, source, i, times).sum(axis=0)


def accounts_by_segment(records: Records, source, i: int, times: np.ndarray) -> np.ndarray:
    """Accounts of outbound source `i` ready to prospect at each time, one row per segment."""
    pool = records.pool
    rows = []
    for code, accounts in enumerate(source.outbound.accounts):
        mine = (pool["source"] == i) & (pool["segment"] == code)
        when, change = pool["time"][mine], pool["change"][mine]
        order = np.argsort(when, kind="stable")
        total = np.concatenate([[0], np.cumsum(change[order])])
        rows.append(accounts + total[np.searchsorted(when[order], times, side="right")])
    return np.array(rows, dtype=float).reshape(len(source.outbound.accounts), len(times))


def _lead_costs(records: Records, model: Model, out: dict) -> tuple[float, float]:
    """What the sources' leads cost over the horizon, as marketing (the org's cost per lead)
    and as the sources' own costs (per lead and per year); each source's in `out`, with its
    cost per new customer won from its leads."""
    W, T = records.warmup, records.end
    leads = records.leads
    created = (leads["created"] >= W) & from_sources(records)
    won_source = leads["source"][records.wins["lead"][records.wins["time"] >= W]]
    marketing = own = 0.0
    for i, source in enumerate(model.sources):
        count = float((created & (leads["source"] == i)).sum())
        if source.cost is None and source.outbound is not None:
            cost = 0.0  # prospecting costs the reps' time, not marketing's money
        elif source.cost is None:
            cost = model.cost_per_lead * count
            marketing += cost
        else:
            per_lead, per_year = source.cost
            cost = per_lead * count + per_year * (T - W) / YEAR
            own += cost
        out[catalogue.source_kpi(source.name, "cost")] = cost
        won = float((won_source == i).sum())
        out[catalogue.source_kpi(source.name, "cost_per_won")] = _ratio(cost, won)
    return marketing, own


def lifetime_value(records: Records, model: Model, arr_end: float, churned: float) -> float:
    """ARR per customer at the end x gross margin / yearly logo churn, the churn measured as
    customers churned after warm-up per customer-year (customers counted from their win, or
    from t = 0 for the book's). NaN when nobody churned: the lifetime has no estimate."""
    leads = records.leads
    won_at = leads["won_at"]
    gone = leads["end"] == model.churned
    book = (leads["source"] < 0) & np.isnan(won_at) & ((leads["arr"] > 0) | gone)
    customer = np.isfinite(won_at) | book
    starts = np.where(book, 0.0, won_at)[customer]
    stops = np.where(gone, leads["ended_at"], np.inf)[customer]
    years = np.diff(covered(starts, stops, [records.warmup, records.end]))[0] / YEAR
    per_customer = _ratio(arr_end, float((leads["arr"] > 0).sum()))
    return _ratio(per_customer * model.gross_margin, _ratio(churned, years))


def costs(records: Records, model: Model, hours: list[float]) -> tuple[float, float, float]:
    """People costs and other costs over the measured horizon, and the part of both that
    acquires customers (CAC's, see journey.acquisition_roles): (people, other, acquiring).
    `hours`: each role's person-hours on the payroll in the measured horizon."""
    W, T = records.warmup, records.end
    people = other = acquiring = 0.0
    for role in model.roles:
        amount = role.cost_per_year * hours[role.index] / YEAR
        people += amount
        acquiring += amount if role.acquires else 0.0
    for cost in model.costs:
        since, until = max(W, cost.since), min(T, cost.until)
        if until <= since:
            continue
        amount = cost.per_year * (until - since) / YEAR
        other += amount
        acquiring += amount if cost.acquires else 0.0
        for i in cost.roles:
            role = model.roles[i]
            seats = np.diff(payroll(records, role, np.array([since, until])))[0] / YEAR
            other += cost.per_seat * seats
            acquiring += cost.per_seat * seats if role.acquires else 0.0
    return people, other, acquiring
