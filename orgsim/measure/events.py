"""Every stage visit of a replication as an event log, in pm4py's column names.

Process-mining tools (pm4py, Celonis, Disco) read a log of cases and activities: here a
case is a lead, an activity a journey stage, the resource the rep who worked it. A visit
that ended is one `complete` event from `start_timestamp` (entering the stage) to
`time:timestamp` (leaving it); a visit still open at the end of the run is a `start` event
with both at its entry, so nothing is dated after the run. Visits to the ends (`won` as a
stage, `lost`, `churned`, `leaked`) are instants. Read back with the event log's own
mapping, the same file is a stage history for `orgsim calibrate`.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from orgsim.engine.model import Model
from orgsim.engine.recorder import Records

COLUMNS = (
    "case:concept:name",
    "concept:name",
    "time:timestamp",
    "start_timestamp",
    "org:resource",
    "org:role",
    "lifecycle:transition",
    "source",
    "segment",
    "amount",
)


def rep_names(records: Records, model: Model) -> np.ndarray:
    """Each rep's name in a log: its roster name, else its role and id (`ae-3`)."""
    reps = records.reps
    roles = np.array([role.name for role in model.roles], dtype=object)
    drawn = roles[reps["role"]] + "-" + np.arange(len(reps["role"])).astype(str).astype(object)
    named = np.array([bool(p) for p in reps["person"]], dtype=bool)
    return np.where(named, reps["person"], drawn)


def event_log(records: Records, model: Model, start: date) -> pd.DataFrame:
    """One row per stage visit, and one per arrival at a built-in end (`lost`, `leaked`,
    `churned`), ordered by case and time, dated from the scenario's `start`."""
    v = records.visits
    ended = v["next"] >= len(model.stages)  # left to a built-in end: no visit of its own
    ends = {
        "lead": v["lead"][ended],
        "stage": v["next"][ended],
        "entered": v["left"][ended],
        "left": v["left"][ended],
        "rep": np.full(ended.sum(), -1),
    }
    both = {name: np.concatenate([v[name], ends[name]]) for name in ends}
    return _log(both, records, model, pd.Timestamp(start))


def _log(v: dict[str, np.ndarray], records: Records, model: Model, t0: pd.Timestamp):
    leads = records.leads

    def dated(hours: np.ndarray) -> pd.Series:
        return (t0 + pd.to_timedelta(hours, unit="h")).round("s")

    built_in = len(model.places) - len(model.stages)
    ends = np.array([plan.is_end for plan in model.stages] + [True] * built_in)[v["stage"]]
    open_ = np.isnan(v["left"]) & ~ends  # an end is reached, an instant: never open
    left = np.where(np.isnan(v["left"]), v["entered"], v["left"])
    worked = v["rep"] >= 0
    names = np.append(rep_names(records, model), "")  # index -1: nobody worked it
    roles = np.array([role.name for role in model.roles] + [""], dtype=object)
    rep_role = np.append(records.reps["role"], -1)
    sources = np.array([s.name for s in model.sources] + ["book"], dtype=object)
    lead = v["lead"]
    frame = pd.DataFrame(
        {
            "case:concept:name": lead,
            "concept:name": np.array(model.places, dtype=object)[v["stage"]],
            "time:timestamp": dated(left),
            "start_timestamp": dated(v["entered"]),
            "org:resource": names[np.where(worked, v["rep"], -1)],
            "org:role": roles[rep_role[np.where(worked, v["rep"], -1)]],
            "lifecycle:transition": np.where(open_, "start", "complete"),
            "source": sources[leads["source"][lead]],
            "segment": np.array(model.segments, dtype=object)[leads["segment"][lead]],
            "amount": leads["value"][lead].round(2),
        }
    )
    order = np.lexsort((v["entered"], lead))  # stable: visits at one instant keep their order
    return frame.iloc[order].reset_index(drop=True)
