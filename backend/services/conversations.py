"""What the bot records about a conversation: complaint offers (Code 1.3) and requests for a person."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.schemas import ComplaintOfferAnswer, ComplaintOfferIn, HandoffIn, HandoffOut
from backend.db.models import ComplaintOffer, HandoffRequest
from backend.domain.handoff import PRIORITY, HandoffReason, contact_centre_open, next_opening
from backend.domain.rules import RuleViolation
from backend.services.complaints import NotFound
from backend.services.context import CaseContext
from backend.services.records import record_event


def offer_complaint(session: Session, ctx: CaseContext, data: ComplaintOfferIn, actor: str) -> ComplaintOffer:
    offer = ComplaintOffer(
        conversation_id=data.conversation_id,
        channel=data.channel,
        context=data.context,
        accepted=data.accepted,
        service_request_ref=data.service_request_ref,
        offered_at=ctx.now(),
        answered_at=ctx.now() if data.accepted is not None else None,
    )
    session.add(offer)
    session.flush()
    record_event(session, "complaint_offered", actor, offer_id=offer.id, conversation_id=data.conversation_id, accepted=data.accepted)
    return offer


def answer_offer(session: Session, ctx: CaseContext, offer_id: int, data: ComplaintOfferAnswer, actor: str) -> ComplaintOffer:
    offer = session.get(ComplaintOffer, offer_id)
    if offer is None:
        raise NotFound(f"no complaint offer {offer_id}")
    if offer.accepted is not None:
        raise RuleViolation("offer_answered", "state", "this offer has already been answered; make a new one", kind="conflict")
    offer.accepted = data.accepted
    offer.complaint_ref = data.complaint_ref
    offer.answered_at = ctx.now()
    record_event(session, "complaint_offer_answered", actor, offer_id=offer.id, accepted=data.accepted, complaint_ref=data.complaint_ref)
    return offer


def _clock_time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def request_handoff(session: Session, ctx: CaseContext, data: HandoffIn, actor: str, opens: str, closes: str) -> HandoffOut:
    """Queue the conversation for a person; an open request for the same conversation is reused."""
    reason = HandoffReason(data.reason)
    priority = PRIORITY[reason]
    existing = session.scalar(select(HandoffRequest).where(HandoffRequest.conversation_id == data.conversation_id, HandoffRequest.status == "queued"))
    if existing is None:
        req = HandoffRequest(
            conversation_id=data.conversation_id,
            channel=data.channel,
            reason=reason.value,
            priority=priority,
            last_message=data.last_message,
            requested_at=ctx.now(),
        )
        session.add(req)
        session.flush()
    else:
        req = existing
        if priority < req.priority:  # it became more urgent (e.g. distress while waiting)
            req.priority, req.reason = priority, reason.value
    record_event(session, "handoff_requested", actor, handoff_id=req.id, conversation_id=data.conversation_id, reason=req.reason)
    ahead = session.scalar(
        select(func.count())
        .select_from(HandoffRequest)
        .where(
            HandoffRequest.status == "queued",
            (HandoffRequest.priority < req.priority) | ((HandoffRequest.priority == req.priority) & (HandoffRequest.requested_at < req.requested_at)),
        )
    )
    local_now = ctx.now().astimezone(ctx.timezone)
    cal = ctx.calendar(session)
    o, c = _clock_time(opens), _clock_time(closes)
    return HandoffOut(
        id=req.id,
        reason=req.reason,
        priority=req.priority,
        position=int(ahead or 0) + 1,
        open_now=contact_centre_open(local_now, cal, o, c),
        next_opening=next_opening(local_now, cal, o, c),
    )
