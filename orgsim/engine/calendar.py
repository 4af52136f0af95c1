"""When people work, and when leads arrive: the calendar behind every clock in orgsim.

t = 0 is Monday 00:00 of the scenario's `start` date; the clock runs in hours. A
role's schedule is a weekly pattern of open intervals, closed on public holidays. Instead of waking
reps at every shift change, the engine converts between calendar time and
*worked time* (scheduled hours elapsed since t = 0): a task of W scheduled
hours started at t ends at `finish(t, W)`, pausing over nights and weekends
at no cost per shift.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import lru_cache

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
        """When a task of `work` scheduled hours begun at `start` is done: never before it
        began (a task of no work begun in closed hours is done at once, not at the last
        closing time, which would run the clock backwards)."""
        return max(start, self.at_worked(self.worked(start) + work))

    def worked_array(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        week, r = np.divmod(t, WEEK)
        i = np.searchsorted(self._starts, r, side="right") - 1
        j = np.clip(i, 0, None)
        inside = np.where(
            i < 0, 0.0, self._before[j] + np.minimum(r - self._starts[j], self._lengths[j])
        )
        return week * self.hours_per_week + inside

    def open_array(self, t: np.ndarray) -> np.ndarray:
        """`is_open` of each time."""
        r = np.asarray(t, dtype=float) % WEEK
        i = np.searchsorted(self._starts, r, side="right") - 1
        return (i >= 0) & (r < np.asarray(self.ends)[np.clip(i, 0, None)])


class HolidayCalendar:
    """A weekly calendar closed on given whole days (public holidays, a rep's PTO).

    Worked time is the weekly calendar's minus the scheduled hours lost to the holidays
    before t, found by bisection over the holidays, so a role without holidays pays nothing
    and one with them a bisection per conversion.
    """

    always = False

    def __init__(self, weekly: AlwaysOpen | WeeklyCalendar, days: list[int]):
        self.weekly = weekly
        self.days = sorted(set(days))
        self.hours_per_week = weekly.hours_per_week
        """Scheduled hours in a week without holidays."""
        self.holiday_starts = [d * DAY for d in self.days]
        self.holiday_ends = [s + DAY for s in self.holiday_starts]
        self.lost = [0.0]  # scheduled hours lost to the holidays before each one
        for a, b in zip(self.holiday_starts, self.holiday_ends, strict=True):
            self.lost.append(self.lost[-1] + weekly.worked(b) - weekly.worked(a))
        self.worked_at = [
            weekly.worked(a) - c for a, c in zip(self.holiday_starts, self.lost, strict=False)
        ]
        """Worked hours (holidays taken off) at the start of each holiday."""
        self._starts, self._ends = np.array(self.holiday_starts), np.array(self.holiday_ends)
        self._lost = np.array(self.lost)
        self._worked_at = np.array(self.worked_at)

    def _holiday(self, t: float) -> int:
        """Index of the holiday containing t, or -1."""
        i = bisect_right(self.holiday_starts, t) - 1
        return i if i >= 0 and t < self.holiday_ends[i] else -1

    def is_open(self, t: float) -> bool:
        return self.weekly.is_open(t) and self._holiday(t) < 0

    def next_open(self, t: float) -> float:
        while True:
            t = self.weekly.next_open(t)
            i = self._holiday(t)
            if i < 0:
                return t
            t = self.holiday_ends[i]

    def worked(self, t: float) -> float:
        """Scheduled hours in [0, t), holidays off."""
        i = bisect_right(self.holiday_starts, t) - 1
        if i < 0:
            return self.weekly.worked(t)
        if t < self.holiday_ends[i]:
            return self.worked_at[i]  # no work on a holiday
        return self.weekly.worked(t) - self.lost[i + 1]

    def at_worked(self, s: float) -> float:
        """The earliest calendar time by which `s` scheduled hours have elapsed."""
        k = bisect_left(self.worked_at, s)  # holidays that start before s is reached
        return self.weekly.at_worked(s + self.lost[k])

    def finish(self, start: float, work: float) -> float:
        return max(start, self.at_worked(self.worked(start) + work))

    def worked_array(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        i = np.searchsorted(self._starts, t, side="right") - 1
        j = np.clip(i, 0, None)
        inside = (i >= 0) & (t < self._ends[j])
        after = self.weekly.worked_array(t) - np.where(i >= 0, self._lost[j + 1], 0.0)
        return np.where(inside, self._worked_at[j], after)

    def open_array(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        i = np.searchsorted(self._starts, t, side="right") - 1
        holiday = (i >= 0) & (t < self._ends[np.clip(i, 0, None)])
        return self.weekly.open_array(t) & ~holiday


def calendar_for(
    schedule: str | Shift, holidays: list[int] = ()
) -> AlwaysOpen | WeeklyCalendar | HolidayCalendar:
    """The calendar of a role's `schedule`, closed on the `holidays` (days from t = 0) unless
    it is `always`."""
    if schedule == "always":
        return AlwaysOpen()
    weekly = _weekly(schedule)
    return HolidayCalendar(weekly, list(holidays)) if holidays else weekly


def with_days_off(
    calendar: AlwaysOpen | WeeklyCalendar | HolidayCalendar, days: list[int]
) -> HolidayCalendar:
    """One rep's calendar: its role's, also closed on the rep's own days off (PTO)."""
    return _closed_on(calendar, tuple(days))


@lru_cache(maxsize=1024)
def _closed_on(calendar, days: tuple[int, ...]) -> HolidayCalendar:
    """Built once for a calendar and days (calendars are never changed once built): a
    replication's KPIs ask for each rep's calendar once per measure."""
    if isinstance(calendar, HolidayCalendar):
        return HolidayCalendar(calendar.weekly, calendar.days + list(days))
    return HolidayCalendar(calendar, list(days))


def _weekly(schedule: str | Shift) -> WeeklyCalendar:
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


def working_days(calendar, days: int) -> np.ndarray:
    """The days in [0, days) (day 0 is the start date) with scheduled hours: public holidays
    and days off are not working days."""
    worked = calendar.worked_array(np.arange(days + 1) * DAY)
    return np.flatnonzero(np.diff(worked) > 0)


def month_of(t: np.ndarray) -> np.ndarray:
    """Calendar month 0-11 of each time (months are twelfths of a 365-day year)."""
    return np.minimum(((np.asarray(t) % YEAR) // MONTH).astype(int), 11)
