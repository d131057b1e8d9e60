"""Deadlines derived from what happened: acknowledge-by, respond-by, extensions, RAG status.

Nothing here is stored as truth: a complaint's deadlines are recomputed from its dates on every
read. What *is* frozen is whether each step met its timescale, at the moment it happened, so
that reports (TSM CH02) cannot drift when a calendar or policy changes later.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from backend.domain.calendar import WorkingCalendar
from backend.domain.complaints import Status
from backend.domain.rules import RuleViolation, require_text
from backend.domain.timescales import PROVISIONS, StageTimescale


class Rag(StrEnum):
    ON_TRACK = "on_track"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    NONE = "none"  # nothing is due: responded, closed, declined or withdrawn


@dataclass(frozen=True)
class StageDates:
    """What happened at one stage, as local calendar dates."""

    received_on: dt.date  # stage 1: complaint received; stage 2: escalation request received
    acknowledged_on: dt.date | None = None
    extended_to: dt.date | None = None
    responded_on: dt.date | None = None


@dataclass(frozen=True)
class StageDeadlines:
    acknowledge_by: dt.date
    respond_by_original: dt.date | None
    respond_by: dt.date | None  # with any extension

    def current_due(self, status: Status) -> dt.date | None:
        if status in (Status.RECEIVED, Status.STAGE2_REQUESTED):
            return self.acknowledge_by
        if status in (Status.STAGE1_ACKNOWLEDGED, Status.STAGE2_ACKNOWLEDGED):
            return self.respond_by
        return None


def stage_deadlines(cal: WorkingCalendar, limits: StageTimescale, dates: StageDates) -> StageDeadlines:
    """Code 6.2/6.3 (stage 1) and 6.11/6.14 (stage 2): acknowledge from receipt, respond from acknowledgement."""
    acknowledge_by = cal.add_working_days(dates.received_on, limits.acknowledge_within)
    if dates.acknowledged_on is None:
        return StageDeadlines(acknowledge_by, None, None)
    original = cal.add_working_days(dates.acknowledged_on, limits.respond_within)
    return StageDeadlines(acknowledge_by, original, dates.extended_to or original)


def working_days_remaining(cal: WorkingCalendar, today: dt.date, due: dt.date | None) -> int | None:
    """Working days from today to the due date; negative is working days late."""
    if due is None:
        return None
    return cal.working_days_between(today, due)


def rag_status(cal: WorkingCalendar, today: dt.date, due: dt.date | None, due_soon_within: int) -> Rag:
    if due is None:
        return Rag.NONE
    if today > due:
        return Rag.OVERDUE
    if cal.working_days_between(today, due) <= due_soon_within:
        return Rag.DUE_SOON
    return Rag.ON_TRACK


@dataclass(frozen=True)
class ExtensionDecision:
    new_due: dt.date
    working_days_added: int  # from the original due date, across all extensions
    beyond_limit: bool  # needed the recorded good reason


def check_extension(
    cal: WorkingCalendar,
    limits: StageTimescale,
    *,
    today: dt.date,
    original_due: dt.date,
    current_due: dt.date,
    new_due: dt.date,
    reason: str | None,
    good_reason: str | None,
    previous_extensions: int,
) -> ExtensionDecision:
    """Code 6.4/6.15: one extension of at most 10 (stage 1) / 20 (stage 2) working days, unless a good reason is recorded.

    The resident must be told before the current due date passes, so an extension cannot be made
    after it; the reasons must be given; the notice carries the Ombudsman's details (6.5/6.16),
    which the caller attaches.
    """
    provision = PROVISIONS[(limits.stage, "max_extension")].number
    require_text(reason, "extension_reason_required", provision, "an extension needs the reason the resident will be told")
    if today > current_due:
        raise RuleViolation(
            "extension_too_late",
            provision,
            f"the response was due on {current_due.isoformat()}: an extension must be agreed and the "
            f"resident told before the due date passes (Code {provision})",
            kind="conflict",
        )
    if new_due <= current_due:
        raise RuleViolation(
            "extension_not_later",
            provision,
            f"the new date {new_due.isoformat()} must be after the current due date {current_due.isoformat()}",
        )
    if (why := cal.why_not_working(new_due)) is not None:
        raise RuleViolation("extension_not_working_day", provision, f"{new_due.isoformat()} is a {why}: choose a working day for the new response date")
    added = cal.working_days_between(original_due, new_due)
    has_good_reason = bool((good_reason or "").strip())
    if previous_extensions >= 1 and not has_good_reason:
        raise RuleViolation(
            "second_extension_needs_good_reason",
            provision,
            f"this complaint has already been extended once; a further extension needs a recorded good reason (Code {provision})",
        )
    if added > limits.max_extension and not has_good_reason:
        raise RuleViolation(
            "extension_too_long",
            provision,
            f"{new_due.isoformat()} is {added} working days after the original due date "
            f"{original_due.isoformat()}; an extension of more than {limits.max_extension} working days "
            f"needs a recorded good reason (Code {provision})",
        )
    return ExtensionDecision(new_due=new_due, working_days_added=added, beyond_limit=added > limits.max_extension)


def within(done_on: dt.date | None, due: dt.date | None) -> bool | None:
    """Whether a step happened on or before its due date (None if it has not happened)."""
    if done_on is None or due is None:
        return None
    return done_on <= due
