"""Landlord closure days: they change the calendar, so open deadlines are recomputed with them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import ClosureDay, Complaint
from backend.domain.complaints import OPEN_STATUSES
from backend.domain.rules import RuleViolation
from backend.services import complaints
from backend.services.context import CaseContext
from backend.services.records import record_event


def list_days(session: Session) -> list[ClosureDay]:
    return list(session.scalars(select(ClosureDay).order_by(ClosureDay.day)))


def _recompute_open_deadlines(session: Session, ctx: CaseContext) -> int:
    cal = ctx.calendar(session)
    n = 0
    for c in session.scalars(select(Complaint).where(Complaint.status.in_([s.value for s in OPEN_STATUSES]))):
        due = complaints.current_due(ctx, cal, c)
        if due != c.current_due:
            c.current_due = due
            n += 1
    return n


def add(session: Session, ctx: CaseContext, day: dt.date, reason: str, actor: str) -> ClosureDay:
    if session.scalar(select(ClosureDay).where(ClosureDay.day == day)):
        raise RuleViolation("closure_exists", "state", f"{day.isoformat()} is already a closure day", kind="conflict")
    if day < ctx.today():
        raise RuleViolation("closure_in_past", "state", "closure days are declared in advance; a past day would move deadlines already running")
    row = ClosureDay(day=day, reason=reason, created_by=actor)
    session.add(row)
    session.flush()
    moved = _recompute_open_deadlines(session, ctx)
    record_event(session, "closure_day_added", actor, day=day, reason=reason, deadlines_moved=moved)
    return row


def remove(session: Session, ctx: CaseContext, day: dt.date, actor: str) -> None:
    row = session.scalar(select(ClosureDay).where(ClosureDay.day == day))
    if row is None:
        raise complaints.NotFound(f"{day.isoformat()} is not a closure day")
    if day < ctx.today():
        raise RuleViolation("closure_in_past", "state", "a past closure day is part of deadlines already running; it cannot be removed")
    session.delete(row)
    session.flush()
    moved = _recompute_open_deadlines(session, ctx)
    record_event(session, "closure_day_removed", actor, day=day, deadlines_moved=moved)
