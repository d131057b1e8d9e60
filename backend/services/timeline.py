"""The case timeline: the full record of a complaint in one list, oldest first (Code 5.12).

Three sources, merged by time: every event on the complaint (and on the resident's record, such as
an adjustment or a contact restriction, which apply to every case of theirs), every letter prepared
for the resident, and the resident's own chat transcript from each conversation linked to them,
internal notes included (staff only, shown as ``note``). Nothing the staff may see is left out.
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from backend.api.casework_schemas import TimelineEntry
from backend.api.conversations import transcript_message
from backend.db.models import Complaint, Conversation, Correspondence, Event, Message, StaffUser

_KIND_ORDER = {"event": 0, "letter": 1, "message": 2, "note": 2}


def _title(name: str) -> str:
    """``stage2_requested`` → "Stage 2 requested"."""
    return re.sub(r"stage(\d)", r"stage \1", name.replace("_", " ")).capitalize()


def _event(e: Event) -> TimelineEntry:
    return TimelineEntry(at=e.at, kind="event", title=_title(e.type), actor=e.actor, details=dict(e.details or {}))


def _letter(n: Correspondence) -> TimelineEntry:
    return TimelineEntry(
        at=n.created_at,
        kind="letter",
        title=str((n.details or {}).get("title") or _title(n.kind)),
        actor=n.created_by,
        text=n.body,
        channel=n.delivery,
        letter_id=n.id,
        details={
            "kind": n.kind,
            "delivery_status": n.delivery_status,
            "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
            "large_print": n.large_print,
            "signposting_version": n.signposting_version,
        },
    )


def _message(m: Message, conv: Conversation, staff_names: dict[int, str]) -> TimelineEntry:
    t = transcript_message(m)
    note = m.direction == "note"
    who = t.agent_name or (staff_names.get(m.agent_id) if m.agent_id else None) or m.sender
    details: dict[str, object] = {"conversation_id": conv.id, "direction": m.direction, "sender": m.sender, "status": m.status}
    if t.buttons:
        details["buttons"] = t.buttons
    if t.media:
        details["media"] = t.media
    if t.error:
        details["error"] = t.error
    if note:
        title = "Internal note (staff only)"
    elif m.direction == "in":
        title = f"Message from the resident ({conv.channel})"
    else:
        title = f"Message to the resident from the {m.sender} ({conv.channel})"
    return TimelineEntry(at=m.created_at, kind="note" if note else "message", title=title, actor=who, text=m.text, channel=conv.channel, details=details)


def timeline(session: Session, c: Complaint) -> list[TimelineEntry]:
    events = session.scalars(
        select(Event)
        .where(
            or_(
                Event.complaint_id == c.id,
                and_(Event.resident_id == c.resident_id, Event.complaint_id.is_(None), Event.service_request_id.is_(None)),
            )
        )
        .order_by(Event.id)
    ).all()
    letters = session.scalars(select(Correspondence).where(Correspondence.complaint_id == c.id).order_by(Correspondence.id)).all()
    rows = session.execute(
        select(Message, Conversation)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Conversation.resident_id == c.resident_id)
        .order_by(Message.id)
    ).all()
    agent_ids = {m.agent_id for m, _ in rows if m.agent_id is not None}
    staff_names = dict(session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(agent_ids))).all()) if agent_ids else {}
    entries = [_event(e) for e in events] + [_letter(n) for n in letters] + [_message(m, conv, staff_names) for m, conv in rows]
    return sorted(entries, key=lambda e: (_utc(e.at), _KIND_ORDER[e.kind]))


def _utc(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)
