"""Deadline alerts: a scan that tells handlers (and managers) about cases due soon or overdue, once.

Every backend worker runs the scan on a timer. On PostgreSQL only one scans at a time (a
transaction-level advisory lock; the others skip that round), and the alert's unique key means a
person is told once even if two scans overlap (SQLite has a single writer anyway).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from backend.db.models import Complaint, DeadlineAlert, StaffUser
from backend.domain import complaints as rules
from backend.domain.alerts import AlertKind, alert_kind, alert_text, recipients
from backend.domain.complaints import Status
from backend.domain.deadlines import rag_status
from backend.services.context import CaseContext
from backend.services.records import record_event

log = logging.getLogger("backend.alerts")
#: Arbitrary constant: the advisory lock that keeps two workers from scanning at the same moment.
_PG_SCAN_LOCK = 727_002


@dataclass(frozen=True)
class ScanResult:
    scanned: int
    created: int
    skipped: bool = False  # another worker was scanning


def _insert(session: Session) -> postgresql.Insert | sqlite.Insert:
    """The dialect's own INSERT, for ON CONFLICT DO NOTHING (both dialects spell it the same)."""
    return postgresql.insert(DeadlineAlert) if session.get_bind().dialect.name == "postgresql" else sqlite.insert(DeadlineAlert)


def scan(session: Session, ctx: CaseContext) -> ScanResult:
    """Alert on every case whose current deadline is near or past; one indexed range query."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(text("SELECT pg_try_advisory_xact_lock(:id)"), {"id": _PG_SCAN_LOCK}):
        return ScanResult(0, 0, skipped=True)
    cal = ctx.calendar(session)
    today = ctx.today()
    horizon = cal.add_working_days(today, ctx.profile.due_soon_within + 1)
    managers = list(session.scalars(select(StaffUser.id).where(StaffUser.role == "manager", StaffUser.active.is_(True)).order_by(StaffUser.id)))
    rows = session.execute(
        select(Complaint.id, Complaint.reference, Complaint.status, Complaint.current_due, Complaint.stage1_handler_id, Complaint.stage2_handler_id)
        .where(Complaint.current_due.is_not(None), Complaint.current_due < horizon)
        .order_by(Complaint.current_due, Complaint.id)
    ).all()
    created = 0
    now = ctx.now()
    for r in rows:
        kind = alert_kind(rag_status(cal, today, r.current_due, ctx.profile.due_soon_within))
        if kind is None:
            continue
        stage = rules.stage_of(Status(r.status))
        handler = r.stage2_handler_id if stage == 2 else r.stage1_handler_id
        message = alert_text(r.reference, kind, r.current_due, stage)
        for who in recipients(kind, handler, managers):
            stmt = (
                _insert(session)
                .values(staff_id=who.staff_id, complaint_id=r.id, kind=kind.value, due_on=r.current_due, text=message, created_at=now)
                .on_conflict_do_nothing(index_elements=["staff_id", "complaint_id", "kind", "due_on"])
                .returning(DeadlineAlert.id)
            )
            if session.scalar(stmt) is not None:
                created += 1
                record_event(session, "deadline_alert", "system:alerts", complaint_id=r.id, staff_id=who.staff_id, kind=kind.value, due_on=r.current_due)
    if created:
        log.info("deadline alerts", extra={"alerts_created": created, "cases": len(rows)})
    return ScanResult(len(rows), created)


def for_staff(session: Session, staff_id: int, *, unread_only: bool, limit: int) -> list[tuple[DeadlineAlert, str]]:
    """A person's alerts, unread first and newest first, with the case reference."""
    stmt = (
        select(DeadlineAlert, Complaint.reference)
        .join(Complaint, Complaint.id == DeadlineAlert.complaint_id)
        .where(DeadlineAlert.staff_id == staff_id)
        .order_by(DeadlineAlert.read_at.is_not(None), DeadlineAlert.created_at.desc(), DeadlineAlert.id.desc())
        .limit(limit)
    )
    if unread_only:
        stmt = stmt.where(DeadlineAlert.read_at.is_(None))
    return [(a, ref) for a, ref in session.execute(stmt).all()]


def mark_read(session: Session, staff_id: int, alert_id: int, now: dt.datetime) -> bool:
    """Only the person alerted can mark it read; False when it is not theirs (or does not exist)."""
    done = session.execute(
        update(DeadlineAlert).where(DeadlineAlert.id == alert_id, DeadlineAlert.staff_id == staff_id, DeadlineAlert.read_at.is_(None)).values(read_at=now)
    )
    return bool(done.rowcount) or session.scalar(select(DeadlineAlert.id).where(DeadlineAlert.id == alert_id, DeadlineAlert.staff_id == staff_id)) is not None


__all__ = ["AlertKind", "ScanResult", "for_staff", "mark_read", "scan"]
