"""What the bot records about a conversation: complaint offers (Code 1.3). Requests for a person are in
``backend.services.handoffs``."""

from __future__ import annotations

from sqlalchemy.orm import Session

from backend.api.schemas import ComplaintOfferAnswer, ComplaintOfferIn
from backend.db.models import ComplaintOffer
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
