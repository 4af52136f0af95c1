"""When people work, and when leads arrive: the calendar behind every clock in orgsim.

t = 0 is Monday 00:00 at the start of January; the clock runs in hours. A
role's schedule is a weekly pattern of open intervals. Instead of waking
reps at every shift change, the engine converts between calendar time and
*worked time* (scheduled hours elapsed since t = 0): a task of W scheduled
hours started at t ends at `finish(t, W)`, pausing over nights and weekends
at no cost per shift.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np

from orgsim.config.schema import DAYS, Shift
from orgsim.config.units import DAY, MONTH, WEEK, YEAR

BUSINESS_HOURS = tuple((d * DAY + 9.0, d * DAY + 17.0) for d in range(5))


class AlwaysOpen:
    """A schedule of every hour: worked time equals calendar time."""

    always = True
    hours_per_week = WEEK

    def is_open(self, t: float) -> bool:
        return True

    def next_open(self, t: float) -> float:
        return t

    def worked(self, t: float) -> float:
        return t

    def at_worked(self, s: float) -> float:
        return s

    def finish(self, start: float, work: float) -> float:
        return start + work

    def worked_array(self, t: np.ndarray) -> np.ndarray:
        return np.asarray(t, dtype=float)

    def open_array(self, t: np.ndarray) -> np.ndarray:
        return np.ones(np.shape(t), dtype=bool)

    def closed_gaps(self) -> list[float]:
        return []


class WeeklyCalendar:
    """A weekly pattern of open intervals [start, end) in hours from Monday 00:00."""

    always = False

    def __init__(self, intervals: list[tuple[float, float]]):
        merged: list[list[float]] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]
        lengths = [b - a for a, b in merged]
        self.before = [0.0]  # worked hours in the week before each interval starts
        for length in lengths[:-1]:
            self.before.append(self.before[-1] + length)
        self.lengths = lengths
        self.through = [c + n for c, n in zip(self.before, lengths, strict=True)]
        self.hours_per_week = sum(lengths)
        self._starts = np.array(self.starts)
        self._before = np.array(self.before)
        self._lengths = np.array(lengths)

    def is_open(self, t: float) -> bool:
        r = t % WEEK
        i = bisect_right(self.starts, r) - 1
        return i >= 0 and r < self.ends[i]

    def next_open(self, t: float) -> float:
        """t if the schedule is open at t, else the start of the next open interval."""
        week, r = divmod(t, WEEK)
        i = bisect_right(self.starts, r) - 1
        if i >= 0 and r < self.ends[i]:
            return t
        if i + 1 < len(self.starts):
            return week * WEEK + self.starts[i + 1]
        return (week + 1) * WEEK + self.starts[0]

    def worked(self, t: float) -> float:
        """Scheduled hours in [0, t)."""
        week, r = divmod(t, WEEK)
        i = bisect_right(self.starts, r) - 1
        inside = 0.0 if i < 0 else self.before[i] + min(r - self.starts[i], self.lengths[i])
        return week * self.hours_per_week + inside

    def at_worked(self, s: float) -> float:
        """The earliest calendar time by which `s` scheduled hours have elapsed."""
        week, r = divmod(s, self.hours_per_week)
        if r == 0:
            return 0.0 if week == 0 else (week - 1) * WEEK + self.ends[-1]
        i = bisect_left(self.through, r)
        return week * WEEK + self.starts[i] + (r - self.before[i])

    def finish(self, start: float, work: float) -> float:
        """When a task of `work` scheduled hours begun at `start` is done."""
        return self.at_worked(self.worked(start) + work)

    def worked_array(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        week, r = np.divmod(t, WEEK)
        i = np.searchsorted(self._starts, r, side="right") - 1
        j = np.clip(i, 0, None)
        inside = np.where(
            i < 0, 0.0, self._before[j] + np.minimum(r - self._starts[j], self._lengths[j])
        )
        return week * self.hours_per_week + inside

    def closed_gaps(self) -> list[float]:
        """Hours closed after each open interval, until the next one opens (wrapping the week)."""
        starts = [*self.starts[1:], self.starts[0] + WEEK]
        return [start - end for end, start in zip(self.ends, starts, strict=True)]

    def open_array(self, t: np.ndarray) -> np.ndarray:
        """`is_open` of each time."""
        r = np.asarray(t, dtype=float) % WEEK
        i = np.searchsorted(self._starts, r, side="right") - 1
        return (i >= 0) & (r < np.asarray(self.ends)[np.clip(i, 0, None)])


def calendar_for(schedule: str | Shift) -> AlwaysOpen | WeeklyCalendar:
    """The calendar of a role's `schedule`."""
    if schedule == "always":
        return AlwaysOpen()
    if schedule == "business_hours":
        return WeeklyCalendar(list(BUSINESS_HOURS))
    intervals: list[tuple[float, float]] = []
    for day in schedule.days:
        start = DAYS.index(day) * DAY + schedule.start
        end = DAYS.index(day) * DAY + schedule.end
        if end <= start:  # past midnight
            end += DAY
        if end > WEEK:  # Sunday night into Monday morning wraps to the week's start
            intervals += [(start, WEEK), (0.0, end - WEEK)]
        else:
            intervals.append((start, end))
    return WeeklyCalendar(intervals)


def month_of(t: np.ndarray) -> np.ndarray:
    """Calendar month 0-11 of each time (months are twelfths of a 365-day year)."""
    return np.minimum(((np.asarray(t) % YEAR) // MONTH).astype(int), 11)
