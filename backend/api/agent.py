"""The contact-centre agent's API: the live queue, claiming, talking on the resident's channel, notes,
transfer, hand-back to the bot and close. Agents and managers only.

Endpoints are asynchronous because replies leave through the hub; database work runs in one
transaction on a worker thread (``hub.db``), and live updates go out once it has committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, WebSocket, WebSocketDisconnect
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.conversations import conversation_out, transcript_message
from backend.api.deps import BriefStaffDep, Principal, require_brief
from backend.api.schemas import (
    AgentConversation,
    AgentText,
    ComplaintCreate,
    ComplaintOut,
    ContactIdentityIn,
    HandBackIn,
    HandoffCloseIn,
    HandoffQueueItem,
    KeywordIn,
    KeywordOut,
    ServiceRequestCreate,
    ServiceRequestOut,
    TranscriptMessage,
    TransferIn,
)
from backend.db.models import Conversation, Message, Resident, StaffUser
from backend.domain.ombudsman import Moment, signposting
from backend.domain.rules import RuleViolation
from backend.hub.hub import AGENTS_TOPIC, Hub
from backend.hub.live import conversation_topic
from backend.services import complaints as complaints_svc
from backend.services import handoffs, staff
from backend.services import service_requests as requests_svc
from backend.services.records import record_event
from backend.services.residents import resident_out

router = APIRouter(prefix="/api/v1/agent", tags=["agent console"])
keywords_router = APIRouter(prefix="/api/v1/handoff-keywords", tags=["agent console"])
AgentDep = Annotated[Principal, Depends(require_brief("agent", "manager"))]
ManagerOnly = Annotated[Principal, Depends(require_brief("manager"))]

CLOSED_TEXT = "This chat with our team has ended. Everything is kept on your record. If you need anything else, just send a message."
CANNED = {
    "acknowledge": "Thank you for telling us. I've recorded your complaint and you'll receive an acknowledgement within five working days, "
    "with the name of the person handling it and when to expect a full response.",
    "out_of_hours": "Our contact centre is open Monday to Friday, 8am to 6pm, except bank holidays. If it's an emergency, call 999; "
    "for a gas smell call 0800 111 999. Otherwise we'll reply on the next working day.",
    "still_there": "Are you still there? Take your time. If I don't hear back in a few minutes I'll keep everything you've told us on your record.",
}


def _hub(request: Request) -> Hub:
    return request.app.state.hub  # type: ignore[no-any-return]


def _me(session: Session, who: Principal) -> StaffUser:
    user = session.get(StaffUser, who.user_id)
    assert user is not None
    return user


@router.get("/queue", response_model=list[HandoffQueueItem])
async def get_queue(request: Request, _: AgentDep) -> list[HandoffQueueItem]:
    """Waiting conversations by priority, then waiting time; then the ones agents are holding."""
    hub = _hub(request)
    now = hub.now()
    return await hub.db(lambda s: handoffs.queue(s, now))


@router.get("/handoffs/{handoff_id}", response_model=AgentConversation)
async def get_handoff(handoff_id: int, request: Request, _: AgentDep) -> AgentConversation:
    """Everything the agent needs: the whole transcript (the bot's part too), the bot's draft, the
    resident's record and their open complaints and repairs."""
    hub = _hub(request)
    now, today = hub.now(), hub.ctx.today()

    def load(session: Session) -> AgentConversation:
        req = handoffs.get(session, handoff_id)
        conv = session.get(Conversation, req.conversation_pk) if req.conversation_pk else None
        resident = session.get(Resident, conv.resident_id) if conv and conv.resident_id else None
        return AgentConversation(
            handoff=handoffs.item(session, req, now),
            conversation=conversation_out(conv) if conv else None,
            draft=dict(req.draft or {}),
            resident=resident_out(resident, today) if resident else None,
            open_cases=handoffs.open_cases(session, resident.id if resident else None),
        )

    return await hub.db(load)


@router.post("/handoffs/{handoff_id}/claim", response_model=HandoffQueueItem)
async def claim(handoff_id: int, request: Request, who: AgentDep) -> HandoffQueueItem:
    """Take the conversation. If another agent got there first, 409 says who."""
    hub = _hub(request)
    now = hub.now()
    out = await hub.db(lambda s: handoffs.item(s, handoffs.claim(s, handoff_id, _me(s, who), now), now))
    await hub.live.publish(AGENTS_TOPIC, {"type": "queue"})
    return out


async def _conv_held(hub: Hub, handoff_id: int, who: Principal) -> int:
    def check(session: Session) -> int:
        req = handoffs.holding(session, handoff_id, _me(session, who))
        if req.conversation_pk is None:
            raise RuleViolation("no_conversation", "handoff", "this handoff has no conversation in the hub", kind="invalid")
        return req.conversation_pk

    return await hub.db(check)


@router.post("/handoffs/{handoff_id}/messages", response_model=TranscriptMessage, status_code=201)
async def reply(handoff_id: int, data: AgentText, request: Request, who: AgentDep) -> TranscriptMessage:
    """Send a message to the resident on their own channel (it is stored first, then sent)."""
    hub = _hub(request)
    conv_id = await _conv_held(hub, handoff_id, who)
    assert who.user is not None
    sent = await hub.say(conv_id, "agent", data.text, {"agent_name": who.user.name.split()[0]}, agent_id=who.user_id)
    return await hub.db(lambda s: transcript_message(s.get(Message, sent.id)))  # type: ignore[arg-type]


@router.post("/handoffs/{handoff_id}/notes", response_model=TranscriptMessage, status_code=201)
async def add_note(handoff_id: int, data: AgentText, request: Request, who: AgentDep) -> TranscriptMessage:
    """An internal note: kept in the record, never sent to the resident."""
    hub = _hub(request)
    now = hub.now()

    def write(session: Session) -> tuple[TranscriptMessage, int]:
        note = handoffs.note(session, handoff_id, _me(session, who), now, data.text)
        return transcript_message(note), note.conversation_id

    out, conv_id = await hub.db(write)
    # staff watching see it at once; never the resident's topic
    event = {"type": "message", "id": out.id, "conversation_id": conv_id, "direction": "note", "sender": "agent", "text": out.text}
    event["at"] = out.created_at.isoformat()
    await hub.live.publish(conversation_topic(conv_id), event)
    return out


@router.post("/handoffs/{handoff_id}/transfer", response_model=HandoffQueueItem)
async def transfer(handoff_id: int, data: TransferIn, request: Request, who: AgentDep) -> HandoffQueueItem:
    hub = _hub(request)
    now = hub.now()
    out = await hub.db(lambda s: handoffs.item(s, handoffs.transfer(s, handoff_id, _me(s, who), data.agent_id), now))
    await hub.live.publish(AGENTS_TOPIC, {"type": "queue"})
    return out


@router.post("/handoffs/{handoff_id}/hand-back", response_model=HandoffQueueItem)
async def hand_back(handoff_id: int, data: HandBackIn, request: Request, who: AgentDep) -> HandoffQueueItem:
    """Give the conversation back to the bot, which tells the resident it is back and what happened."""
    hub = _hub(request)
    now = hub.now()

    def back(session: Session) -> tuple[HandoffQueueItem, int | None, list[str]]:
        req = handoffs.hand_back(session, handoff_id, _me(session, who), now, data.summary)
        refs = [c.reference for c in handoffs.open_cases(session, _resident_of(session, req.conversation_pk))]
        return handoffs.item(session, req, now), req.conversation_pk, refs

    out, conv_id, refs = await hub.db(back)
    await hub.live.publish(AGENTS_TOPIC, {"type": "queue"})
    if conv_id is not None:
        extra = {"handback": {"summary": data.summary or "", "references": refs[:5]}}
        if not await hub.bot_event(conv_id, "agent_handed_back", extra):
            await hub.say(conv_id, "system", "You're back with our automated assistant. " + (data.summary or "") + " Send a message whenever you're ready.")
    return out


@router.post("/handoffs/{handoff_id}/close", response_model=HandoffQueueItem)
async def close(handoff_id: int, data: HandoffCloseIn, request: Request, who: AgentDep) -> HandoffQueueItem:
    """End the conversation with an outcome; the resident is told, and a new message starts afresh."""
    hub = _hub(request)
    now = hub.now()
    out, conv_id = await hub.db(lambda s: _closed(s, handoff_id, _me(s, who), now, data.outcome))
    await hub.live.publish(AGENTS_TOPIC, {"type": "queue"})
    if conv_id is not None:
        await hub.say(conv_id, "system", CLOSED_TEXT)
    return out


def _closed(session: Session, handoff_id: int, agent: StaffUser, now: Any, outcome: str) -> tuple[HandoffQueueItem, int | None]:
    req = handoffs.close(session, handoff_id, agent, now, outcome)
    return handoffs.item(session, req, now), req.conversation_pk


def _resident_of(session: Session, conv_id: int | None) -> int | None:
    conv = session.get(Conversation, conv_id) if conv_id else None
    return conv.resident_id if conv else None


@router.get("/canned")
async def canned(_: AgentDep) -> list[dict[str, str]]:
    """Ready-made replies: the Ombudsman's details (from the one template), acknowledgement wording, out of hours."""
    ombudsman = signposting(Moment.GENERAL)
    return [
        {"key": "ombudsman", "title": "Housing Ombudsman details", "text": ombudsman.text},
        {"key": "acknowledge", "title": "Acknowledgement wording", "text": CANNED["acknowledge"]},
        {"key": "out_of_hours", "title": "Out of hours", "text": CANNED["out_of_hours"]},
        {"key": "still_there", "title": "Are you still there?", "text": CANNED["still_there"]},
    ]


@router.get("/colleagues")
async def colleagues(request: Request, who: AgentDep) -> list[dict[str, Any]]:
    """People a conversation can be transferred to."""
    rows = await _hub(request).db(
        lambda s: [
            {"id": u.id, "name": u.name, "role": u.role}
            for u in s.scalars(select(StaffUser).where(StaffUser.active.is_(True), StaffUser.role.in_(("agent", "manager"))).order_by(StaffUser.name))
        ]
    )
    return [r for r in rows if r["id"] != who.user_id]


@router.websocket("/live")
async def live(ws: WebSocket) -> None:
    """Live updates for the console. First frame: ``{"type": "auth", "token": ...}`` (never in the URL,
    which ends up in logs). Then ``{"type": "watch", "conversation_id": N}`` follows one conversation.
    The server sends ``{"type": "queue"}`` when the queue changes and message events for the watched
    conversation."""
    await ws.accept()
    hub: Hub = ws.app.state.hub
    try:
        first = json.loads(await asyncio.wait_for(ws.receive_text(), timeout=10))
    except (TimeoutError, json.JSONDecodeError, WebSocketDisconnect):
        await ws.close(code=1008)
        return
    token = first.get("token") if isinstance(first, dict) else None
    user = await hub.db(lambda s: staff.user_for_token(s, str(token or ""), hub.now())) if token else None
    if user is None or user.role not in ("agent", "manager"):
        await ws.send_json({"type": "error", "detail": "log in as an agent or manager"})
        await ws.close(code=1008)
        return
    await ws.send_json({"type": "ready", "name": user.name})
    lock = asyncio.Lock()

    async def send(event: dict[str, Any]) -> None:
        async with lock:
            await ws.send_json(event)

    async def pump(topic: str) -> None:
        async with hub.live.subscribe(topic) as queue:
            while True:
                await send(await queue.get())

    queue_task = asyncio.get_running_loop().create_task(pump(AGENTS_TOPIC))
    watch_task: asyncio.Task[None] | None = None
    try:
        while True:
            frame = json.loads(await ws.receive_text())
            if isinstance(frame, dict) and frame.get("type") == "watch" and isinstance(frame.get("conversation_id"), int):
                if watch_task is not None:
                    watch_task.cancel()
                watch_task = asyncio.get_running_loop().create_task(pump(conversation_topic(frame["conversation_id"])))
    except (WebSocketDisconnect, json.JSONDecodeError):
        pass
    finally:
        queue_task.cancel()
        if watch_task is not None:
            watch_task.cancel()
        with contextlib.suppress(Exception):
            await ws.close()


@keywords_router.get("", response_model=list[KeywordOut])
async def list_keywords(request: Request, _: BriefStaffDep) -> list[KeywordOut]:
    return await _hub(request).db(lambda s: [KeywordOut(id=k.id, phrase=k.phrase) for k in handoffs.keywords(s)])


@keywords_router.post("", response_model=KeywordOut, status_code=201)
async def add_keyword(data: KeywordIn, request: Request, who: ManagerOnly) -> KeywordOut:
    """Add a word or phrase that sends a conversation straight to a person (managers only)."""
    kw = await _hub(request).db(lambda s: handoffs.add_keyword(s, data.phrase, _me(s, who)))
    return KeywordOut(id=kw.id, phrase=kw.phrase)


@keywords_router.delete("/{keyword_id}", status_code=204)
async def remove_keyword(keyword_id: int, request: Request, who: ManagerOnly) -> None:
    await _hub(request).db(lambda s: handoffs.remove_keyword(s, keyword_id, _me(s, who)))


def _with_conversation(session: Session, req_conv: int | None, resident: Any) -> None:
    """Name the hub's conversation as the resident's identity, so it joins their record (as the bot does)."""
    conv = session.get(Conversation, req_conv) if req_conv else None
    if conv is not None and not any(i.address == conv.public_id for i in resident.identities):
        resident.identities.append(ContactIdentityIn(channel=conv.channel, address=conv.public_id))


@router.post("/handoffs/{handoff_id}/complaint", response_model=ComplaintOut, status_code=201)
async def complaint_from_handoff(handoff_id: int, data: ComplaintCreate, request: Request, who: AgentDep) -> ComplaintOut:
    """Record the complaint the agent took (the console prefills it from the bot's draft). The same
    rules apply as for the bot; the resident is told the reference and the acknowledgement date."""
    hub = _hub(request)
    ctx = hub.ctx

    def make(session: Session) -> tuple[ComplaintOut, int | None]:
        req = handoffs.holding(session, handoff_id, _me(session, who))
        if data.representative is None:  # a representative's chat is theirs, not the resident's identity
            _with_conversation(session, req.conversation_pk, data.resident)
        complaint = complaints_svc.create(session, ctx, data, who.actor)
        record_event(session, "complaint_from_handoff", who.actor, complaint_id=complaint.id, handoff_id=req.id)
        return complaints_svc.view(session, ctx, complaint), req.conversation_pk

    out, conv_id = await hub.db(make)
    if conv_id is not None:
        ack = out.stages[0].acknowledge_by if out.stages else None
        when = f" We'll acknowledge it by {ack:%A} {ack.day} {ack:%B %Y}." if ack else ""
        await hub.say(conv_id, "system", f"Your complaint is logged. Your reference is {out.reference}.{when}")
    return out


@router.post("/handoffs/{handoff_id}/service-request", response_model=ServiceRequestOut, status_code=201)
async def service_request_from_handoff(handoff_id: int, data: ServiceRequestCreate, request: Request, who: AgentDep) -> ServiceRequestOut:
    """Record the repair or other request the agent took; the resident is told the reference."""
    hub = _hub(request)
    ctx = hub.ctx

    def make(session: Session) -> tuple[ServiceRequestOut, int | None]:
        req = handoffs.holding(session, handoff_id, _me(session, who))
        if data.resident is not None:
            _with_conversation(session, req.conversation_pk, data.resident)
        sr = requests_svc.create(session, ctx, data, who.actor)
        record_event(session, "service_request_from_handoff", who.actor, service_request_id=sr.id, handoff_id=req.id)
        return requests_svc.view(sr), req.conversation_pk

    out, conv_id = await hub.db(make)
    if conv_id is not None:
        await hub.say(conv_id, "system", f"Your request is logged. Your reference is {out.service_request_id}.")
    return out
