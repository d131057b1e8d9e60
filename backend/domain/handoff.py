"""When the bot hands a conversation to a person, how urgent it is, and whether anyone is there."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from backend.domain.calendar import WorkingCalendar


class HandoffReason(StrEnum):
    SAFEGUARDING = "safeguarding"  # distress, self-harm, abuse, "not safe": top of the queue
    EMERGENCY = "emergency"
    ASKED = "asked"  # the resident asked for a person
    NEEDS_PERSON = "needs_person"  # a reasonable adjustment says they need a person
    MISUNDERSTOOD = "misunderstood"  # the bot failed to understand twice in a row
    KEYWORD = "keyword"


PRIORITY: dict[HandoffReason, int] = {
    HandoffReason.SAFEGUARDING: 0,
    HandoffReason.EMERGENCY: 0,
    HandoffReason.NEEDS_PERSON: 1,
    HandoffReason.ASKED: 2,
    HandoffReason.MISUNDERSTOOD: 2,
    HandoffReason.KEYWORD: 2,
}


def contact_centre_open(local_now: dt.datetime, cal: WorkingCalendar, opens: dt.time, closes: dt.time) -> bool:
    """Open on working days between opening and closing time (landlord's local time)."""
    return cal.is_working_day(local_now.date()) and opens <= local_now.time() < closes


def next_opening(local_now: dt.datetime, cal: WorkingCalendar, opens: dt.time, closes: dt.time) -> dt.datetime:
    """When a person will next be there: later today if before opening, else the next working day."""
    today = local_now.date()
    if cal.is_working_day(today) and local_now.time() < opens:
        return dt.datetime.combine(today, opens, tzinfo=local_now.tzinfo)
    if contact_centre_open(local_now, cal, opens, closes):
        return local_now
    return dt.datetime.combine(cal.add_working_days(today, 1), opens, tzinfo=local_now.tzinfo)
