"""Working days: the unit every Complaint Handling Code timescale is counted in.

A working day is Monday to Friday that is neither a bank holiday of the landlord's UK region
(from the ``holidays`` package) nor one of the landlord's own closure days.

"Within N working days of D" means on or before the N-th working day *after* D: D itself never
counts, whatever the hour or weekday it arrived. This is the resident-friendly reading of the
Code (6.2, 6.3, 6.11, 6.14); the Code does not define working days, so the landlord's policy
must say the same thing.

Deadlines are computed many times per request (every complaint read derives its deadlines),
so each calendar precomputes, once, a table of working days and a running count, which makes
adding working days and counting them two list look-ups.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Iterable
from functools import lru_cache

import holidays

#: Region names used in configuration and the API, mapped to ``holidays`` UK subdivisions.
REGIONS: dict[str, str] = {
    "england-and-wales": "ENG",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}
#: Subdivision codes accepted as aliases (Wales shares England's bank holidays).
REGION_ALIASES: dict[str, str] = {
    "ENG": "england-and-wales",
    "WLS": "england-and-wales",
    "SCT": "scotland",
    "NIR": "northern-ireland",
}

FIRST_YEAR = 2000
LAST_YEAR = 2100


class CalendarError(ValueError):
    """A date, day count or region the calendar cannot answer for, with a reason a person can read."""


def normalise_region(region: str) -> str:
    """Return the canonical region name, accepting subdivision codes as aliases."""
    key = region.strip()
    if key.lower() in REGIONS:
        return key.lower()
    if key.upper() in REGION_ALIASES:
        return REGION_ALIASES[key.upper()]
    known = ", ".join(sorted(REGIONS))
    raise CalendarError(f"unknown region {region!r}: use one of {known} (or ENG, WLS, SCT, NIR)")


class WorkingCalendar:
    """Working days of one UK region plus a landlord's closure days, precomputed for 2000-2100."""

    def __init__(self, region: str, closure_days: Iterable[dt.date] = ()) -> None:
        self.region = normalise_region(region)
        self.closure_days: frozenset[dt.date] = frozenset(closure_days)
        bank = holidays.UK(subdiv=REGIONS[self.region], years=range(FIRST_YEAR, LAST_YEAR + 1))
        self.bank_holidays: frozenset[dt.date] = frozenset(bank.keys())
        self._first = dt.date(FIRST_YEAR, 1, 1).toordinal()
        self._last = dt.date(LAST_YEAR, 12, 31).toordinal()
        closed = self.bank_holidays | self.closure_days
        workdays: list[int] = []
        # counts[i] = number of working days on or before day (first + i)
        counts: list[int] = []
        n = 0
        for ordinal in range(self._first, self._last + 1):
            day = dt.date.fromordinal(ordinal)
            if day.weekday() < 5 and day not in closed:
                workdays.append(ordinal)
                n += 1
            counts.append(n)
        self._workdays = workdays
        self._counts = counts

    # -- checks ------------------------------------------------------------------------------
    def _index(self, day: dt.date) -> int:
        ordinal = day.toordinal()
        if not self._first <= ordinal <= self._last:
            raise CalendarError(f"{day.isoformat()} is outside the calendar's range ({FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31)")
        return ordinal - self._first

    def is_working_day(self, day: dt.date) -> bool:
        i = self._index(day)
        return self._counts[i] != (self._counts[i - 1] if i else 0)

    def why_not_working(self, day: dt.date) -> str | None:
        """Say why a day is not a working day (weekend, bank holiday, closure), or None."""
        if day.weekday() >= 5:
            return "weekend"
        if day in self.bank_holidays:
            return "bank holiday"
        if day in self.closure_days:
            return "landlord closure day"
        return None

    # -- arithmetic --------------------------------------------------------------------------
    def add_working_days(self, start: dt.date, days: int) -> dt.date:
        """The ``days``-th working day after ``start`` (``start`` never counts); 0 gives ``start``."""
        if days < 0:
            raise CalendarError(f"days must be zero or more, not {days}")
        i = self._index(start)
        if days == 0:
            return start
        k = self._counts[i] + days - 1
        if k >= len(self._workdays):
            raise CalendarError(f"{days} working days after {start.isoformat()} is beyond {LAST_YEAR}")
        return dt.date.fromordinal(self._workdays[k])

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]; negative when ``end`` is before ``start``.

        ``working_days_between(today, due)`` is the days remaining; when negative, its magnitude is
        how many working days late the item is.
        """
        return self._counts[self._index(end)] - self._counts[self._index(start)]

    def next_working_day_on_or_after(self, day: dt.date) -> dt.date:
        self._index(day)
        k = bisect_right(self._workdays, day.toordinal() - 1)
        if k >= len(self._workdays):
            raise CalendarError(f"no working day after {day.isoformat()} before {LAST_YEAR}")
        return dt.date.fromordinal(self._workdays[k])


@lru_cache(maxsize=32)
def calendar_for(region: str, closure_days: frozenset[dt.date] = frozenset()) -> WorkingCalendar:
    """A shared, cached calendar: building one takes ~0.1 s, using one takes microseconds."""
    return WorkingCalendar(normalise_region(region), closure_days)
