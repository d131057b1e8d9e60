"""The bot's records about a conversation: the complaint offer (Code 1.3) and requests for a person."""

from __future__ import annotations

from fastapi import APIRouter, Request

from backend.api.deps import CtxDep, IntakeDep, SessionDep
from backend.api.schemas import ComplaintOfferAnswer, ComplaintOfferIn, ComplaintOfferOut, HandoffIn, HandoffOut
from backend.db.models import ComplaintOffer
from backend.services import conversations as svc

router = APIRouter(prefix="/api/v1", tags=["conversations"])


def _offer_out(o: ComplaintOffer) -> ComplaintOfferOut:
    return ComplaintOfferOut(id=o.id, conversation_id=o.conversation_id, accepted=o.accepted, offered_at=o.offered_at, answered_at=o.answered_at)


@router.post("/complaint-offers", response_model=ComplaintOfferOut, status_code=201)
def offer(data: ComplaintOfferIn, session: SessionDep, ctx: CtxDep, who: IntakeDep) -> ComplaintOfferOut:
    """Record that the resident was offered the choice to make a complaint (and their answer, if given)."""
    return _offer_out(svc.offer_complaint(session, ctx, data, who.actor))


@router.post("/complaint-offers/{offer_id}/answer", response_model=ComplaintOfferOut)
def answer(offer_id: int, data: ComplaintOfferAnswer, session: SessionDep, ctx: CtxDep, who: IntakeDep) -> ComplaintOfferOut:
    return _offer_out(svc.answer_offer(session, ctx, offer_id, data, who.actor))


@router.post("/handoffs", response_model=HandoffOut, status_code=201)
def handoff(data: HandoffIn, request: Request, session: SessionDep, ctx: CtxDep, who: IntakeDep) -> HandoffOut:
    """Ask for a person to take over this conversation; safeguarding and emergencies go to the top."""
    s = request.app.state.settings
    return svc.request_handoff(session, ctx, data, who.actor, s.contact_centre_opens, s.contact_centre_closes)
