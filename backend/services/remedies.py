"""Remedies and outstanding actions on a complaint (Code 6.6, 6.17, 7.1-7.3), each change recorded.

Marking an action done prepares the update to the resident as a letter (Correspondence kind
``action_update``); sending it goes through the letters API like any other letter.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.casework_schemas import ActionDoneIn, ActionIn, ActionOut
from backend.db.models import Complaint, ComplaintAction, Correspondence, StaffUser
from backend.domain import remedies as rules
from backend.domain.adjustments import AdjustmentType
from backend.domain.complaints import TERMINAL, Status, stage_of
from backend.domain.rules import RuleViolation
from backend.services.complaints import NotFound
from backend.services.context import CaseContext
from backend.services.records import record_event

UPDATE_KIND = "action_update"


def _owner(session: Session, owner_id: int) -> StaffUser:
    user = session.get(StaffUser, owner_id)
    if user is None or not user.active or user.role not in ("officer", "manager"):
        raise RuleViolation("owner_not_officer", "6.6", f"staff user {owner_id} is not an active complaints officer or manager to own this action")
    return user


def _letters_by_action(session: Session, c: Complaint) -> dict[int, int]:
    rows = session.scalars(select(Correspondence).where(Correspondence.complaint_id == c.id, Correspondence.kind == UPDATE_KIND))
    return {int(n.details["action_id"]): n.id for n in rows if "action_id" in (n.details or {})}


def action_out(a: ComplaintAction, ctx: CaseContext, names: dict[int, str], letter_id: int | None = None) -> ActionOut:
    return ActionOut(
        id=a.id,
        stage=a.stage,
        kind=rules.RemedyKind(a.kind),
        description=a.description,
        amount_pence=a.amount_pence,
        due_on=a.due_on,
        owner_id=a.owner_id,
        owner_name=names.get(a.owner_id) if a.owner_id else None,
        status="done" if a.status == rules.ActionStatus.DONE else "open",
        done_on=a.done_on,
        resident_update=a.resident_update,
        overdue=rules.is_overdue(a.status, a.due_on, ctx.today()),
        letter_id=letter_id,
        created_by=a.created_by,
        created_at=a.created_at,
    )


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids))).all()) if ids else {}


def list_actions(session: Session, ctx: CaseContext, c: Complaint) -> list[ActionOut]:
    """Open ones first by due date (none last), then the done ones, so the work still owed leads."""
    actions = session.scalars(select(ComplaintAction).where(ComplaintAction.complaint_id == c.id).order_by(ComplaintAction.id)).all()
    names = _names(session, {a.owner_id for a in actions if a.owner_id})
    letters = _letters_by_action(session, c)
    ordered = sorted(actions, key=lambda a: (a.status != rules.ActionStatus.OPEN, a.due_on is None, a.due_on or ctx.today(), a.id))
    return [action_out(a, ctx, names, letters.get(a.id)) for a in ordered]


def add_action(session: Session, ctx: CaseContext, c: Complaint, data: ActionIn, actor: str) -> ActionOut:
    status = Status(c.status)
    new = rules.check_new_action(
        complaint_finished=status in TERMINAL,
        kind=data.kind,
        description=data.description,
        amount_pence=data.amount_pence,
        due_on=data.due_on,
        today=ctx.today(),
    )
    names = {}
    if data.owner_id is not None:
        owner = _owner(session, data.owner_id)
        names[owner.id] = owner.name
    now = ctx.now()
    a = ComplaintAction(
        complaint_id=c.id,
        stage=stage_of(status, declined_at_stage=c.declined_at_stage),
        kind=new.kind.value,
        description=new.description,
        amount_pence=new.amount_pence,
        due_on=new.due_on,
        owner_id=data.owner_id,
        status=rules.ActionStatus.OPEN.value,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    session.add(a)
    session.flush()
    record_event(
        session,
        "action_added",
        actor,
        complaint_id=c.id,
        action_id=a.id,
        stage=a.stage,
        kind=a.kind,
        description=a.description,
        amount_pence=a.amount_pence,
        due_on=a.due_on,
        owner_id=a.owner_id,
    )
    return action_out(a, ctx, names)


def _load_action(session: Session, c: Complaint, action_id: int) -> ComplaintAction:
    a = session.scalar(select(ComplaintAction).where(ComplaintAction.id == action_id, ComplaintAction.complaint_id == c.id).with_for_update())
    if a is None:
        raise NotFound(f"complaint {c.reference} has no action {action_id}")
    return a


def mark_done(session: Session, ctx: CaseContext, c: Complaint, action_id: int, data: ActionDoneIn, actor: str) -> ActionOut:
    """Code 6.6 / 6.17: done, with the update to the resident prepared as a letter to send."""
    a = _load_action(session, c, action_id)
    update = rules.check_done(a.status, data.resident_update)
    today = ctx.today()
    a.status = rules.ActionStatus.DONE.value
    a.done_on = today
    a.resident_update = update
    a.updated_at = ctx.now()
    title = f"Update on your complaint {c.reference}"
    letter = Correspondence(
        complaint_id=c.id,
        kind=UPDATE_KIND,
        body=f"Complaint {c.reference}: an update on what we said we would do.\n\nWhat we said: {a.description}\n\n{update}",
        details={"title": title, "action_id": a.id, "action_kind": a.kind, "description": a.description, "resident_update": update, "done_on": str(today)},
        created_by=actor,
        created_at=ctx.now(),
        large_print=any(adj.type == AdjustmentType.LARGE_PRINT.value for adj in c.resident.adjustments),
    )
    session.add(letter)
    session.flush()
    record_event(session, "action_done", actor, complaint_id=c.id, action_id=a.id, kind=a.kind, resident_update=update, correspondence_id=letter.id)
    record_event(session, "correspondence_prepared", actor, complaint_id=c.id, kind=UPDATE_KIND, correspondence_id=letter.id)
    return action_out(a, ctx, _names(session, {a.owner_id} if a.owner_id else set()), letter.id)


def open_actions(session: Session, c: Complaint) -> list[rules.OpenAction]:
    rows = session.scalars(
        select(ComplaintAction)
        .where(ComplaintAction.complaint_id == c.id, ComplaintAction.status == rules.ActionStatus.OPEN.value)
        .order_by(ComplaintAction.id)
    )
    return [rules.OpenAction(id=a.id, description=a.description, due_on=a.due_on) for a in rows]
