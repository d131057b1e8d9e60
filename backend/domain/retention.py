"""When a resident's personal data falls due for anonymisation (UK GDPR Art. 5(1)(e), storage limitation).

The landlord keeps a resident's record while it is needed: while anything is still open (a
complaint, a remedy still to do, a service request, a conversation a person is dealing with or
waiting to deal with), and then for a retention period after the last thing that happened, so a
complaint can still be answered, escalated to the Housing Ombudsman or defended (the six-year
limitation period for contract claims is why the default is 6 years). After that the personal
details are replaced with a fixed marker; the dates, statuses, stages, categories and channels stay,
so the reports do not change.

The rule, stated because it decides whose data is erased:

- **Never while anything is open.** One open item keeps the whole record, however old the rest is.
- **Otherwise, due N years after the last activity**: the latest of every date the record holds for
  the resident (a complaint received, updated, closed, declined or withdrawn; a remedy done; a
  letter sent; a service request raised or updated; a message; a handoff; a contact restriction
  decided or ended). Reading the record or exporting it is not activity.
- **N whole years, counted on the calendar**: 6 years after 3 May 2020 is 3 May 2026; 6 years after
  29 February 2020 is 1 March 2026 (the period is never shorter than N years).

Plain Python: no web or database imports, so it is tested directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

DEFAULT_RETENTION_YEARS = 6
MIN_RETENTION_YEARS = 1
MAX_RETENTION_YEARS = 100
#: What replaces every piece of personal text; fixed, so an anonymised record is recognisable and
#: nothing about the original (not even its length) is kept.
MARKER = "[anonymised]"


def check_years(years: int) -> int:
    """A retention period the rule can use: whole years, at least one."""
    if not MIN_RETENTION_YEARS <= years <= MAX_RETENTION_YEARS:
        raise ValueError(f"the retention period must be between {MIN_RETENTION_YEARS} and {MAX_RETENTION_YEARS} years, not {years}")
    return years


def add_years(day: dt.date, years: int) -> dt.date:
    """The same calendar day ``years`` later; 29 February becomes 1 March in a year without one."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a common year
        return dt.date(day.year + years, 3, 1)


@dataclass(frozen=True)
class Holding:
    """What the retention rule needs to know about one resident's record.

    ``activity``: every date something happened (any order, duplicates allowed; empty only for a
    record with nothing but the resident, when the date it was created is given instead).
    ``open_items``: a short label for each thing still open ("complaint CMP-2026-000012"), never
    personal text.
    """

    activity: tuple[dt.date, ...]
    open_items: tuple[str, ...] = ()

    @classmethod
    def of(cls, activity: Iterable[dt.date | None], open_items: Iterable[str] = ()) -> Holding:
        return cls(tuple(d for d in activity if d is not None), tuple(open_items))

    @property
    def last_activity(self) -> dt.date | None:
        return max(self.activity) if self.activity else None


@dataclass(frozen=True)
class Decision:
    due: bool
    due_on: dt.date | None  # None while something is open (or nothing is known)
    reason: str  # for the manager: why it is or is not due (labels and dates only)


def anonymise_on(holding: Holding, years: int) -> dt.date | None:
    """The first day the record may be anonymised, or None while anything is open."""
    check_years(years)
    last = holding.last_activity
    if holding.open_items or last is None:
        return None
    return add_years(last, years)


def decide(holding: Holding, years: int, today: dt.date) -> Decision:
    """Whether the record is due for anonymisation today, and why (or why not)."""
    due_on = anonymise_on(holding, years)
    if holding.open_items:
        shown = ", ".join(holding.open_items[:3]) + (f" and {len(holding.open_items) - 3} more" if len(holding.open_items) > 3 else "")
        return Decision(False, None, f"kept: still open ({shown})")
    if due_on is None:
        return Decision(False, None, "kept: no date on the record to count from")
    last = holding.last_activity
    if today >= due_on:
        return Decision(True, due_on, f"due: last activity {last}, {years} years ago or more")
    return Decision(False, due_on, f"kept until {due_on}: last activity {last}")
