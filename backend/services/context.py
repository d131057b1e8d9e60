"""What every command needs besides the database: the policy, the calendar and the clock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import ClosureDay
from backend.domain.calendar import WorkingCalendar, calendar_for
from backend.domain.timescales import PolicyProfile


class Clock:
    """The real time; tests swap in a FixedClock to stand on a chosen day."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


@dataclass
class FixedClock(Clock):
    at: dt.datetime

    def now(self) -> dt.datetime:
        return self.at


@dataclass
class CaseContext:
    profile: PolicyProfile
    timezone: ZoneInfo
    clock: Clock = field(default_factory=Clock)

    def now(self) -> dt.datetime:
        return self.clock.now()

    def local_date(self, moment: dt.datetime) -> dt.date:
        """The landlord's calendar date of a moment (a message at 23:30 UTC in summer is the next day)."""
        return moment.astimezone(self.timezone).date()

    def today(self) -> dt.date:
        return self.local_date(self.now())

    def calendar(self, session: Session) -> WorkingCalendar:
        closures = frozenset(session.scalars(select(ClosureDay.day)).all())
        return calendar_for(self.profile.region, closures)
