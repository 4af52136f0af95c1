"""The scenario's calendar dates: t = 0 is its `start`, a Monday at 00:00.

Seasonality months and public holidays follow the real calendar from there. Months stay
twelfths of a 365-day year (as seasonality has always counted them); holidays are whole
days, taken from the well-kept `holidays` package for a country code.
"""

from __future__ import annotations

from datetime import date, timedelta

from orgsim.config.units import DAY


def year_offset(start: date) -> float:
    """Hours from 1 January of the start's year to t = 0 (where seasonality's months begin)."""
    return (start - date(start.year, 1, 1)).days * DAY


def holiday_days(start: date, holidays: str | list[date] | None, hours: float) -> list[int]:
    """The days (0 = the start date) within `hours` of t = 0 that are public holidays."""
    if not holidays:
        return []
    days = int(hours // DAY) + 1
    last = start + timedelta(days=days)
    if isinstance(holidays, str):
        import holidays as calendars  # only a scenario with holidays pays for its import

        dated = calendars.country_holidays(holidays, years=range(start.year, last.year + 1))
        dates = list(dated)
    else:
        dates = list(holidays)
    return sorted({(d - start).days for d in dates if start <= d < last})
