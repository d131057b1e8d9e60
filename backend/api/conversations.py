"""Conversations: their transcripts for staff, and what the bot records (the complaint offer, Code 1.3,
and requests for a person)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from backend.api.deps import BriefIntakeDep, CtxDep, IntakeDep, SessionDep, StaffDep
from backend.api.schemas import (
    ComplaintOfferAnswer,
    ComplaintOfferIn,
    ComplaintOfferOut,
    ConversationLink,
    ConversationOut,
    ConversationSummary,
    HandoffIn,
    HandoffOut,
    TranscriptMessage,
)
from backend.db.models import ComplaintOffer, Conversation, Message, Resident
from backend.hub.hub import AGENTS_TOPIC
from backend.services import conversations as svc
from backend.services import handoffs
from backend.services.complaints import NotFound
from backend.services.records import record_event

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
async def handoff(data: HandoffIn, request: Request, who: BriefIntakeDep) -> HandoffOut:
    """Ask for a person to take over this conversation; safeguarding and emergencies go to the top.

    The conversation's owner becomes the queue: the resident's next messages wait for an agent
    instead of going to the bot, and the agents' consoles are told at once.
    """
    s = request.app.state.settings
    hub = request.app.state.hub
    ctx = request.app.state.ctx
    hours = (s.contact_centre_opens, s.contact_centre_closes, s.handoff_minutes_per_person)
    out = await hub.db(lambda session: handoffs.request_handoff(session, ctx, data, who.actor, *hours))
    await hub.live.publish(AGENTS_TOPIC, {"type": "queue", "new": out.id})
    return out


def transcript_message(m: Message) -> TranscriptMessage:
    payload = m.payload or {}
    return TranscriptMessage(
        id=m.id,
        direction=m.direction,
        sender=m.sender,
        text=m.text,
        status=m.status,
        created_at=m.created_at,
        sent_at=m.sent_at,
        buttons=list(payload.get("buttons") or payload.get("choices") or []),
        media=list(payload.get("media") or []),
        error=m.last_error,
        agent_id=m.agent_id,
        agent_name=payload.get("agent_name"),
    )


def conversation_out(c: Conversation) -> ConversationOut:
    """The whole transcript for staff, internal notes included."""
    return ConversationOut(**_summary(c).model_dump(), messages=[transcript_message(m) for m in c.messages])


def _summary(c: Conversation) -> ConversationSummary:
    return ConversationSummary(
        id=c.id,
        channel=c.channel,
        address=None if c.channel == "webchat" else c.address,
        owner=c.owner,
        status=c.status,
        resident_id=c.resident_id,
        created_at=c.created_at,
        last_inbound_at=c.last_inbound_at,
    )


@router.get("/conversations", response_model=list[ConversationSummary])
def list_conversations(
    session: SessionDep, _: StaffDep, resident_id: int | None = None, channel: str | None = None, limit: int = 50
) -> list[ConversationSummary]:
    """Conversations, newest first; one resident's across all channels with ``resident_id``."""
    q = select(Conversation).order_by(Conversation.id.desc()).limit(max(1, min(limit, 200)))
    if resident_id is not None:
        q = q.where(Conversation.resident_id == resident_id)
    if channel is not None:
        q = q.where(Conversation.channel == channel)
    return [_summary(c) for c in session.scalars(q)]


@router.get("/conversations/{conversation_id}", response_model=ConversationOut)
def get_conversation(conversation_id: int, session: SessionDep, _: StaffDep) -> ConversationOut:
    """The whole transcript, both directions, with each message's delivery status."""
    c = session.get(Conversation, conversation_id)
    if c is None:
        raise NotFound(f"no conversation {conversation_id}")
    return conversation_out(c)


@router.post("/conversations/{conversation_id}/resident", response_model=ConversationSummary)
def link_resident(conversation_id: int, data: ConversationLink, session: SessionDep, who: StaffDep) -> ConversationSummary:
    """Link a conversation to a resident's record (e.g. an agent recognised them on a new channel)."""
    c = session.get(Conversation, conversation_id)
    if c is None:
        raise NotFound(f"no conversation {conversation_id}")
    resident = session.get(Resident, data.resident_id)
    if resident is None:
        raise NotFound(f"no resident {data.resident_id}")
    c.resident_id = resident.id
    record_event(session, "conversation_linked", who.actor, conversation_id=c.id, resident_id=resident.id)
    return _summary(c)
