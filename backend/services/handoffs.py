"""Handing a conversation to a person and back: the queue, claims, transfers, hand-back and close.

The conversation's ``owner`` (bot / queue / agent) is the one switch every send checks. Each step
here changes it in the same transaction as the handoff row and records an event, so the record
shows who had the conversation at every moment. Claims are conditional updates: two agents can
press "claim" together and exactly one gets it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.api.schemas import CaseBrief, HandoffIn, HandoffOut, HandoffQueueItem, QueueFlags
from backend.db.models import Complaint, Conversation, HandoffKeyword, HandoffRequest, Message, Resident, ServiceRequest, StaffUser
from backend.domain.handoff import PRIORITY, HandoffReason, contact_centre_open, next_opening
from backend.domain.rules import RuleViolation
from backend.services.complaints import NotFound
from backend.services.context import CaseContext
from backend.services.records import record_event

OPEN = ("queued", "claimed")
#: Slots of the bot's draft the agent sees; disclosed needs only with the resident's consent.
DRAFT_SLOTS = (
    "acting_for",
    "rep_relationship",
    "rep_name",
    "resident_name",
    "contact",
    "postcode",
    "complaint_points",
    "when_happened",
    "earlier_reports",
    "impact",
    "outcome_wanted",
    "legal_status",
    "adjustments_text",
    "needs_text",
    "linked_sr_ref",
    "last_reference",
    "sr_kind",
    "sr_description",
    "sr_location",
    "sr_since",
    "sr_access",
)


def _clock_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def request_handoff(session: Session, ctx: CaseContext, data: HandoffIn, actor: str, opens: str, closes: str, minutes_each: int) -> HandoffOut:
    """Queue the conversation for a person; an open request for the same conversation is reused."""
    reason = HandoffReason(data.reason)
    priority = PRIORITY[reason]
    conv = session.scalar(select(Conversation).where(Conversation.public_id == data.conversation_id))
    existing = session.scalar(select(HandoffRequest).where(HandoffRequest.conversation_id == data.conversation_id, HandoffRequest.status.in_(OPEN)))
    draft = {k: v for k, v in data.draft.items() if k in DRAFT_SLOTS and v not in (None, "", [])}
    if not data.draft.get("needs_consent"):
        draft.pop("needs_text", None)
    if existing is None:
        req = HandoffRequest(
            conversation_id=data.conversation_id,
            conversation_pk=conv.id if conv else None,
            channel=data.channel,
            reason=reason.value,
            priority=priority,
            last_message=data.last_message,
            requested_at=ctx.now(),
            draft=draft,
            status="queued",
        )
        session.add(req)
        session.flush()
    else:
        req = existing
        if priority < req.priority:  # it became more urgent (e.g. distress while waiting)
            req.priority, req.reason = priority, reason.value
        if draft:
            req.draft = {**(req.draft or {}), **draft}
    if conv is not None and conv.owner == "bot":
        conv.owner = "queue"
    record_event(session, "handoff_requested", actor, handoff_id=req.id, conversation_id=data.conversation_id, reason=req.reason)
    position = queue_position(session, req)
    local_now = ctx.now().astimezone(ctx.timezone)
    cal = ctx.calendar(session)
    o, c = _clock_time(opens), _clock_time(closes)
    open_now = contact_centre_open(local_now, cal, o, c)
    return HandoffOut(
        id=req.id,
        reason=req.reason,
        priority=req.priority,
        position=position,
        open_now=open_now,
        next_opening=next_opening(local_now, cal, o, c),
        estimated_wait_minutes=position * minutes_each if open_now and req.status == "queued" else None,
    )


def queue_position(session: Session, req: HandoffRequest) -> int:
    ahead = session.scalar(
        select(func.count())
        .select_from(HandoffRequest)
        .where(
            HandoffRequest.status == "queued",
            HandoffRequest.id != req.id,
            (HandoffRequest.priority < req.priority) | ((HandoffRequest.priority == req.priority) & (HandoffRequest.requested_at <= req.requested_at)),
        )
    )
    return int(ahead or 0) + 1


def _flags(req: HandoffRequest, resident: Resident | None) -> QueueFlags:
    draft = req.draft or {}
    return QueueFlags(
        safeguarding=req.reason in (HandoffReason.SAFEGUARDING.value, HandoffReason.EMERGENCY.value),
        adjustments=bool(draft.get("adjustments_text") or draft.get("needs_text") or (resident and (resident.adjustments or resident.disclosed_needs))),
        representative=draft.get("acting_for") == "representative" or bool(resident and resident.representatives),
    )


def item(session: Session, req: HandoffRequest, now: dt.datetime) -> HandoffQueueItem:
    conv = session.get(Conversation, req.conversation_pk) if req.conversation_pk else None
    resident = session.get(Resident, conv.resident_id) if conv and conv.resident_id else None
    return HandoffQueueItem(
        id=req.id,
        conversation_id=req.conversation_pk,
        channel=req.channel,
        reason=req.reason,
        priority=req.priority,
        status=req.status,
        requested_at=req.requested_at,
        waiting_seconds=max(0, int((now - req.requested_at).total_seconds())),
        claimed_by=req.claimed_by,
        claimed_by_name=req.agent.name if req.agent else None,
        last_message=(req.last_message or "")[:300] or None,
        flags=_flags(req, resident),
    )


def queue(session: Session, now: dt.datetime) -> list[HandoffQueueItem]:
    """Open handoffs: waiting ones by priority then waiting time, then the ones agents hold."""
    rows = session.scalars(
        select(HandoffRequest)
        .where(HandoffRequest.status.in_(OPEN))
        .order_by((HandoffRequest.status != "queued"), HandoffRequest.priority, HandoffRequest.requested_at)
        .limit(500)
    ).all()
    return [item(session, r, now) for r in rows]


def get(session: Session, handoff_id: int) -> HandoffRequest:
    req = session.get(HandoffRequest, handoff_id)
    if req is None:
        raise NotFound(f"no handoff {handoff_id}")
    return req


def _conversation(session: Session, req: HandoffRequest) -> Conversation | None:
    return session.get(Conversation, req.conversation_pk) if req.conversation_pk else None


def claim(session: Session, handoff_id: int, agent: StaffUser, now: dt.datetime) -> HandoffRequest:
    """Take a waiting conversation. Exactly one of two simultaneous claims succeeds."""
    done = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == handoff_id, HandoffRequest.status == "queued")
        .values(status="claimed", claimed_by=agent.id, claimed_at=now)
    )
    req = get(session, handoff_id)
    if done.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(req)
        holder = req.agent.name if req.agent else "someone"
        raise RuleViolation(
            "already_claimed",
            "handoff",
            f"{holder} has already taken this conversation" if req.status == "claimed" else "this conversation is no longer waiting",
            kind="conflict",
        )
    session.refresh(req)
    conv = _conversation(session, req)
    if conv is not None:
        conv.owner, conv.agent_id = "agent", agent.id
    record_event(session, "handoff_claimed", f"{agent.role}:{agent.id}", handoff_id=req.id, conversation_id=req.conversation_id)
    return req


def holding(session: Session, handoff_id: int, agent: StaffUser) -> HandoffRequest:
    """The handoff, if this agent holds it (a manager may act on any)."""
    req = get(session, handoff_id)
    if req.status != "claimed":
        raise RuleViolation("not_claimed", "handoff", "claim this conversation before acting on it", kind="conflict")
    if req.claimed_by != agent.id and agent.role != "manager":
        raise RuleViolation("not_yours", "handoff", "another agent holds this conversation", kind="conflict")
    return req


def transfer(session: Session, handoff_id: int, agent: StaffUser, to_id: int) -> HandoffRequest:
    req = holding(session, handoff_id, agent)
    target = session.get(StaffUser, to_id)
    if target is None or not target.active or target.role not in ("agent", "manager"):
        raise RuleViolation("bad_transfer", "handoff", "transfer to an active agent or manager", kind="invalid")
    req.claimed_by = target.id
    conv = _conversation(session, req)
    if conv is not None:
        conv.agent_id = target.id
    record_event(session, "handoff_transferred", f"{agent.role}:{agent.id}", handoff_id=req.id, to_staff_id=target.id)
    return req


def hand_back(session: Session, handoff_id: int, agent: StaffUser, now: dt.datetime, summary: str | None) -> HandoffRequest:
    req = holding(session, handoff_id, agent)
    req.status, req.ended_at, req.outcome = "handed_back", now, summary
    conv = _conversation(session, req)
    if conv is not None:
        conv.owner, conv.agent_id = "bot", None
    record_event(session, "handoff_handed_back", f"{agent.role}:{agent.id}", handoff_id=req.id, summary=summary)
    return req


def close(session: Session, handoff_id: int, agent: StaffUser, now: dt.datetime, outcome: str) -> HandoffRequest:
    """End the conversation. The resident's next message starts a new one (linked to the same record)."""
    req = holding(session, handoff_id, agent)
    req.status, req.ended_at, req.outcome = "closed", now, outcome
    conv = _conversation(session, req)
    if conv is not None:
        conv.owner, conv.agent_id, conv.status = "bot", None, "closed"
    record_event(session, "handoff_closed", f"{agent.role}:{agent.id}", handoff_id=req.id, outcome=outcome)
    return req


def note(session: Session, handoff_id: int, agent: StaffUser, now: dt.datetime, text: str) -> Message:
    """An internal note: in the record and the console, never sent to the resident."""
    req = holding(session, handoff_id, agent)
    if req.conversation_pk is None:
        raise RuleViolation("no_conversation", "handoff", "this handoff has no conversation in the hub", kind="invalid")
    msg = Message(
        conversation_id=req.conversation_pk,
        direction="note",
        sender="agent",
        text=text,
        payload={},
        status="internal",
        created_at=now,
        attempts=0,
        agent_id=agent.id,
    )
    session.add(msg)
    session.flush()
    record_event(session, "agent_note", f"{agent.role}:{agent.id}", handoff_id=req.id, message_id=msg.id)
    return msg


def open_cases(session: Session, resident_id: int | None) -> list[CaseBrief]:
    if resident_id is None:
        return []
    out = [
        CaseBrief(reference=c.reference, kind="complaint", status=c.status, summary=f"{c.category or 'complaint'}, received {c.received_on:%d %b %Y}")
        for c in session.scalars(
            select(Complaint).where(Complaint.resident_id == resident_id, Complaint.status != "closed").order_by(Complaint.id.desc()).limit(20)
        )
    ]
    out += [
        CaseBrief(reference=s.reference, kind="service_request", status=s.status, summary=s.description[:200])
        for s in session.scalars(
            select(ServiceRequest)
            .where(ServiceRequest.resident_id == resident_id, ServiceRequest.status != "closed")
            .order_by(ServiceRequest.id.desc())
            .limit(20)
        )
    ]
    return out


# -- the keyword list -------------------------------------------------------------------------------


def keywords(session: Session) -> list[HandoffKeyword]:
    return list(session.scalars(select(HandoffKeyword).order_by(HandoffKeyword.phrase)))


def add_keyword(session: Session, phrase: str, by: StaffUser) -> HandoffKeyword:
    phrase = " ".join(phrase.lower().split())
    if session.scalar(select(HandoffKeyword).where(HandoffKeyword.phrase == phrase)) is not None:
        raise RuleViolation("duplicate_keyword", "handoff", f"'{phrase}' is already on the list", kind="conflict")
    kw = HandoffKeyword(phrase=phrase, created_by=by.id)
    session.add(kw)
    session.flush()
    record_event(session, "handoff_keyword_added", f"{by.role}:{by.id}", phrase=phrase)
    return kw


def remove_keyword(session: Session, keyword_id: int, by: StaffUser) -> None:
    kw = session.get(HandoffKeyword, keyword_id)
    if kw is None:
        raise NotFound(f"no keyword {keyword_id}")
    record_event(session, "handoff_keyword_removed", f"{by.role}:{by.id}", phrase=kw.phrase)
    session.delete(kw)


def matching_keyword(session: Session, text: str) -> str | None:
    """The first listed phrase the message contains, as whole words."""
    words = f" {' '.join(''.join(ch if ch.isalnum() else ' ' for ch in text.lower()).split())} "
    for kw in keywords(session):
        if f" {kw.phrase} " in words:
            return kw.phrase
    return None


def active_for(session: Session, conv_id: int) -> HandoffRequest | None:
    return session.scalar(select(HandoffRequest).where(HandoffRequest.conversation_pk == conv_id, HandoffRequest.status.in_(OPEN)))


def staff_names(session: Session, ids: list[int]) -> dict[int, str]:
    return {u.id: u.name for u in session.scalars(select(StaffUser).where(StaffUser.id.in_(ids)))} if ids else {}
