"""A resident's reasonable adjustments (Code 5.10) and contact restrictions (Code 5.14 / 5.15), kept under review.

Both live on the resident, not the complaint, so they apply to every case of theirs; every change
is an event on the resident's record, which each of their case timelines shows.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from backend.api.casework_schemas import AdjustmentPatch, RestrictionEndIn, RestrictionIn
from backend.api.schemas import AdjustmentIn, ContactRestrictionOut
from backend.db.models import ContactRestriction, ReasonableAdjustment, Resident
from backend.domain import restrictions as rules
from backend.domain.adjustments import check_review_date, default_review_date
from backend.domain.rules import RuleViolation
from backend.services.complaints import NotFound
from backend.services.context import CaseContext
from backend.services.records import record_event


def load_resident(session: Session, resident_id: int) -> Resident:
    r = session.get(Resident, resident_id, with_for_update=True)
    if r is None:
        raise NotFound(f"no resident {resident_id}")
    return r


# -- reasonable adjustments -------------------------------------------------------------------


def add_adjustment(session: Session, ctx: CaseContext, r: Resident, data: AdjustmentIn, actor: str) -> ReasonableAdjustment:
    """Record an adjustment with its next review date (twelve months on when none is given)."""
    today = ctx.today()
    review_on = check_review_date(data.review_on, today) if data.review_on else default_review_date(today)
    a = ReasonableAdjustment(type=data.type.value, detail=data.detail, agreed=data.agreed, review_on=review_on, created_at=ctx.now())
    r.adjustments.append(a)
    session.flush()
    record_event(session, "adjustment_added", actor, resident_id=r.id, adjustment_id=a.id, type=a.type, detail=a.detail, agreed=a.agreed, review_on=a.review_on)
    return a


def update_adjustment(session: Session, ctx: CaseContext, r: Resident, adjustment_id: int, data: AdjustmentPatch, actor: str) -> ReasonableAdjustment:
    """Agree, reword or set the next review of an adjustment; the event keeps what it was before."""
    a = next((x for x in r.adjustments if x.id == adjustment_id), None)
    if a is None:
        raise NotFound(f"resident {r.id} has no adjustment {adjustment_id}")
    changes = data.model_dump(exclude_none=True)
    if not changes:
        raise RuleViolation("nothing_to_change", "5.10", "send agreed, review_on or detail to change the adjustment")
    if data.review_on is not None:
        check_review_date(data.review_on, ctx.today())
    before = {k: getattr(a, k) for k in changes}
    for key, value in changes.items():
        setattr(a, key, value)
    session.flush()
    record_event(session, "adjustment_updated", actor, resident_id=r.id, adjustment_id=a.id, type=a.type, before=before, after=changes)
    return a


# -- contact restrictions ---------------------------------------------------------------------


def restrict_contact(session: Session, ctx: CaseContext, r: Resident, data: RestrictionIn, actor: str) -> ContactRestriction:
    """Code 5.14 / 5.15. The resident's complaints carry on: a restriction only shapes how contact is made."""
    new = rules.check_restriction(data.restriction, data.reasons, data.equality_considerations, data.review_on, ctx.today())
    cr = ContactRestriction(
        resident_id=r.id,
        restriction=new.restriction,
        reasons=new.reasons,
        equality_considerations=new.equality_considerations,
        review_on=new.review_on,
        decided_by=actor,
        decided_at=ctx.now(),
    )
    session.add(cr)
    session.flush()
    record_event(
        session,
        "contact_restricted",
        actor,
        resident_id=r.id,
        restriction_id=cr.id,
        restriction=cr.restriction,
        reasons=cr.reasons,
        equality_considerations=cr.equality_considerations,
        review_on=cr.review_on,
        complaints_unaffected=rules.COMPLAINTS_UNAFFECTED,
    )
    return cr


def end_restriction(session: Session, ctx: CaseContext, r: Resident, restriction_id: int, data: RestrictionEndIn, actor: str) -> ContactRestriction:
    cr = session.scalar(select(ContactRestriction).where(ContactRestriction.id == restriction_id, ContactRestriction.resident_id == r.id))
    if cr is None:
        raise NotFound(f"resident {r.id} has no contact restriction {restriction_id}")
    reason = rules.check_end(cr.ended_at is not None, data.reason)
    cr.ended_at, cr.ended_by, cr.end_reason = ctx.now(), actor, reason
    session.flush()
    record_event(session, "contact_restriction_ended", actor, resident_id=r.id, restriction_id=cr.id, reason=reason)
    return cr


def restrictions_out(resident: Resident, today: dt.date) -> list[ContactRestrictionOut]:
    """The resident's restrictions for the case page: active ones first (newest first), then ended ones."""
    session = object_session(resident)
    if session is None or resident.id is None:
        return []
    rows = session.scalars(select(ContactRestriction).where(ContactRestriction.resident_id == resident.id)).all()
    rows = sorted(rows, key=lambda x: (x.ended_at is not None, -x.id))
    return [
        ContactRestrictionOut(
            id=x.id,
            restriction=x.restriction,
            reasons=x.reasons,
            equality_considerations=x.equality_considerations,
            review_on=x.review_on,
            due_for_review=rules.due_for_review(x.review_on, today, x.ended_at is None),
            active=x.ended_at is None,
            decided_by=x.decided_by,
            decided_at=x.decided_at,
            ended_at=x.ended_at,
            ended_by=x.ended_by,
            end_reason=x.end_reason,
        )
        for x in rows
    ]
