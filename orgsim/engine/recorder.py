"""What happened in a replication, as plain columns.

While it runs, the engine keeps one `Visit` object per stage visit and one
tuple per task, win and churn (an append each, nothing per field), and
`Records` turns them into numpy columns once, at the end. Records are the
only thing a replication returns: KPIs, per-lead tables and time series are
all computed from them afterwards, vectorised, in `orgsim.measure`.

Visit records follow Ciw's idea of one record per visit, with a record type
(see `orgsim.measure.tables`): `visit`, `handoff_leak`, `gave_up`, `recycled`,
`escalation`, `sla_breach`.
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import attrgetter

import numpy as np

TASK_COLUMNS = ("rep", "stage", "lead", "queued", "start", "finish", "work")
WIN_COLUMNS = ("time", "lead", "value", "rep")
CHURN_COLUMNS = ("time", "lead", "arr")
EXPIRED_COLUMNS = ("role", "queued", "left")
ATTEMPT_COLUMNS = ("rep", "source", "account", "n", "start", "finish", "work", "result")
POOL_COLUMNS = ("time", "source", "segment", "change")
GAVE_UP, RECYCLED = 1, 2  # why a visit left before its first touch (the `expired` column)
_INTEGER = {
    "lead",
    "stage",
    "k",
    "next",
    "rep",
    "role",
    "pod",
    "source",
    "segment",
    "end",
    "tasks_done",
    "deals_won",
    "expired",
    "seat",
    "day",
    "account",
    "n",
    "result",
    "change",
}


def _column(name: str, values) -> np.ndarray:
    if name in ("escalated", "handoff"):
        return np.asarray(values, dtype=bool)
    return np.asarray(values, dtype=np.int64 if name in _INTEGER else float)


def columns(names: tuple[str, ...], rows: list[tuple]) -> dict[str, np.ndarray]:
    """Tuples appended while running -> one numpy array per column."""
    table = np.array(rows, dtype=float).reshape(len(rows), len(names))
    return {name: _column(name, table[:, i]) for i, name in enumerate(names)}


class Recorder:
    """Append-only logs, filled by the engine."""

    def __init__(self):
        self.visits: list = []
        self.arrivals_at_ends: list[tuple] = []  # (lead, stage, k, time): visits to end stages
        self.tasks: list[tuple] = []
        self.wins: list[tuple] = []
        self.churns: list[tuple] = []
        # (role, queued, left): items that left a role's queue untouched (they gave up, were
        # recycled, or went to another role's queue at a switch, see transition.py)
        self.expired: list[tuple] = []
        self.attempts: list[tuple] = []  # outbound attempts (ATTEMPT_COLUMNS)
        self.pool: list[tuple] = []  # accounts leaving (-1) or rejoining (+1) a territory

    def visit_columns(self) -> dict[str, np.ndarray]:
        visits = self.visits
        table = {
            column: attribute_column(visits, attribute, column)
            for column, attribute in VISIT_COLUMNS.items()
        }
        table["rep"] = _column("rep", [-1 if v.rep is None else v.rep.id for v in visits])
        ends = columns(("lead", "stage", "k", "entered"), self.arrivals_at_ends)
        ends["due"] = ends["entered"]
        n = len(self.arrivals_at_ends)
        resting = {
            "first_touch": np.nan,
            "left": np.nan,
            "deadline": np.nan,
            "next": -1,
            "rep": -1,
            "escalated": False,
            "handoff": False,
            "expired": 0,
        }
        for name, value in resting.items():
            ends[name] = np.full(n, value, dtype=table[name].dtype)
        return {name: np.concatenate([table[name], ends[name]]) for name in table}


VISIT_COLUMNS = {
    "lead": "lead.id",
    "stage": "plan.index",
    "k": "k",
    "entered": "entered",
    "due": "due",
    "first_touch": "first_touch",
    "left": "left",
    "next": "next",
    "deadline": "deadline",
    "escalated": "escalated",
    "handoff": "handoff",
    "expired": "expired",
}


def attribute_column(objects: list, attribute: str, column: str) -> np.ndarray:
    """One attribute of every object, as a numpy column."""
    dtype = (
        bool if column in ("escalated", "handoff") else np.int64 if column in _INTEGER else float
    )
    return np.fromiter(map(attrgetter(attribute), objects), dtype, count=len(objects))


@dataclass
class Records:
    """Everything a replication recorded, as numpy columns; small, picklable, plain."""

    warmup: float
    end: float
    leads: dict[str, np.ndarray]
    visits: dict[str, np.ndarray]
    tasks: dict[str, np.ndarray]
    wins: dict[str, np.ndarray]
    churns: dict[str, np.ndarray]
    reps: dict[str, np.ndarray]
    """Everyone who was on the payroll, by rep id: role, pod, seat, the origin of their
    tenure (`hired`: minus their tenure for today's reps), when they were on the payroll
    (`since`, to `left`; inf: still there), whether they `joined` the payroll during the run,
    and what they did; `skills`: a row per rep, its skill at stage s for segment g in
    column `s * segments + g` (`measure.tables.rep_skill` reads a rep's own). A person
    whose crew changed at a transition has one row per crew: the later row names the earlier
    in `before` (-1 for the first)."""
    days_off: dict[str, np.ndarray]
    """Each rep's PTO days (rep id, day from t = 0): closed days of its own calendar."""
    waiting: dict[str, np.ndarray]
    """Items still queued at the end: role and when they joined the queue."""
    expired: dict[str, np.ndarray]
    """Items that left a role's queue before their first touch there (gave up, recycled, or
    routed to another role at a switch): role, when they joined the queue and left it."""
    arr_warmup: dict[str, np.ndarray]
    """Customers active at the end of warm-up: lead id and ARR then."""
    attempts: dict[str, np.ndarray]
    """Outbound attempts: rep, source, account, its place in the sequence (`n`, from 0), when
    it was worked, its work, and its `result` (outbound.py: not reached, said no, booked)."""
    pool: dict[str, np.ndarray]
    """Accounts leaving an outbound source's territory (`change` -1: a sequence starts) or
    rejoining it (+1: its cool-off is over, or its rep left), by source, segment and time."""

    def carried_on(self) -> np.ndarray:
        """Per rep row, whether the same person went on in another row (a new crew at a
        transition): the row ends there, but nobody left the payroll."""
        before = self.reps["before"]
        out = np.zeros(len(before), dtype=bool)
        out[before[before >= 0]] = True
        return out

    @staticmethod
    def collect(recorder: Recorder, **tables) -> Records:
        return Records(
            visits=recorder.visit_columns(),
            tasks=columns(TASK_COLUMNS, recorder.tasks),
            wins=columns(WIN_COLUMNS, recorder.wins),
            churns=columns(CHURN_COLUMNS, recorder.churns),
            expired=columns(EXPIRED_COLUMNS, recorder.expired),
            attempts=columns(ATTEMPT_COLUMNS, recorder.attempts),
            pool=columns(POOL_COLUMNS, recorder.pool),
            **tables,
        )
