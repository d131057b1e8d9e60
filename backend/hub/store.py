"""The transcript: conversations and messages in the database (synchronous; the hub calls it in a thread).

Storing comes before routing, so a resident's message is kept even when nothing downstream works.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db.models import ContactIdentity, Conversation, Message
from backend.domain.messaging import next_attempt

#: How long a sender may hold a claimed outbound message before another attempt may take it.
CLAIM_SECONDS = 60
#: A new reply is sent by the request that stored it; the retry loop leaves it alone this long.
FIRST_SEND_GRACE = dt.timedelta(seconds=10)


@dataclass(frozen=True)
class ConversationView:
    """What routing and sending need to know about a conversation, detached from the session."""

    id: int
    public_id: str
    channel: str
    address: str
    owner: str
    opted_out: bool
    last_inbound_at: dt.datetime | None
    pending_choices: list[dict[str, str]] = field(default_factory=list)

    @classmethod
    def of(cls, c: Conversation) -> ConversationView:
        return cls(c.id, c.public_id, c.channel, c.address, c.owner, c.opted_out, c.last_inbound_at, list(c.pending_choices or []))


@dataclass(frozen=True)
class MessageView:
    id: int
    conversation_id: int
    direction: str
    sender: str
    text: str
    payload: dict[str, Any]
    status: str
    created_at: dt.datetime
    external_id: str | None = None
    attempts: int = 0

    @classmethod
    def of(cls, m: Message) -> MessageView:
        return cls(m.id, m.conversation_id, m.direction, m.sender, m.text, dict(m.payload or {}), m.status, m.created_at, m.external_id, m.attempts)

    def as_event(self) -> dict[str, Any]:
        """The shape the web chat and the agent console receive."""
        out: dict[str, Any] = {
            "type": "message",
            "id": self.id,
            "conversation_id": self.conversation_id,
            "sender": self.sender,
            "text": self.text,
            "at": self.created_at.isoformat(),
        }
        for key in ("buttons", "image", "client_id", "title", "agent_name"):
            if key in self.payload:
                out[key] = self.payload[key]
        return out


def open_conversation(session: Session, channel: str, address: str, now: dt.datetime) -> Conversation:
    """The resident's open conversation on this channel and address, created on first contact."""
    conv = find_open(session, channel, address)
    if conv is not None:
        return conv
    try:
        with session.begin_nested():
            conv = Conversation(public_id=secrets.token_hex(16), channel=channel, address=address, owner="bot", status="open", created_at=now)
            conv.pending_choices = []
            # a number or chat already on a resident's record starts linked to them
            conv.resident_id = session.scalar(select(ContactIdentity.resident_id).where(ContactIdentity.channel == channel, ContactIdentity.address == address))
            session.add(conv)
            session.flush()
    except IntegrityError:  # a concurrent first message created it
        conv = find_open(session, channel, address)
        if conv is None:
            raise
    return conv


def find_open(session: Session, channel: str, address: str) -> Conversation | None:
    return session.scalar(select(Conversation).where(Conversation.channel == channel, Conversation.address == address, Conversation.status == "open"))


def record_inbound(
    session: Session,
    conv: Conversation,
    text: str,
    payload: dict[str, Any],
    external_id: str | None,
    now: dt.datetime,
    status: str = "received",
    claim_until: dt.datetime | None = None,
) -> Message | None:
    """Keep a resident's message; None when this provider message id was already kept (a retry or replay).

    ``claim_until``: stored already taken for answering by this worker until then (status "routing",
    first attempt), by the statement that stores it, so the request that received it answers it
    without another transaction (Hub.receive says when that is allowed).
    """
    if external_id is not None:
        seen = session.scalar(select(Message.id).where(Message.conversation_id == conv.id, Message.direction == "in", Message.external_id == external_id))
        if seen is not None:
            return None
    try:
        with session.begin_nested():
            msg = Message(
                conversation_id=conv.id,
                direction="in",
                sender="resident",
                text=text,
                payload=payload,
                external_id=external_id,
                status="routing" if claim_until is not None else status,
                created_at=now,
                attempts=1 if claim_until is not None else 0,
                next_attempt_at=claim_until,
            )
            session.add(msg)
            session.flush()
    except IntegrityError:  # the same provider message arriving twice at once
        return None
    conv.last_inbound_at = now
    return msg


def record_outbound(
    session: Session,
    conv_id: int,
    sender: str,
    text: str,
    payload: dict[str, Any],
    now: dt.datetime,
    status: str = "pending",
    agent_id: int | None = None,
    flush: bool = True,
    error: str | None = None,
) -> Message:
    """Store a message to the resident, in the state ``status`` says: "pending" (the request that stored
    it sends it now; the retry loop takes over only if that did not happen), "sending" (already taken
    for sending by this worker, as ``claim_send`` takes it), "sent", or a refusal with its ``error``.
    ``flush=False`` leaves the INSERT to the caller's next flush, so a turn's replies are one statement."""
    msg = Message(
        conversation_id=conv_id,
        direction="out",
        sender=sender,
        text=text,
        payload=payload,
        status=status,
        created_at=now,
        attempts=1 if status == "sending" else 0,
        next_attempt_at=now + FIRST_SEND_GRACE if status == "pending" else _claim_expiry(now) if status == "sending" else None,
        sent_at=now if status == "sent" else None,
        last_error=error,
        agent_id=agent_id,
    )
    session.add(msg)
    if flush:
        session.flush()
    return msg


def _abandoned(now: dt.datetime, legacy_before: dt.datetime) -> ColumnElement[bool]:
    """Taken for answering by a worker whose claim ran out (``next_attempt_at``): it must have crashed.
    A claim without an expiry (made by an older version) runs out ``legacy_before``."""
    expired = or_(Message.next_attempt_at <= now, and_(Message.next_attempt_at.is_(None), Message.created_at <= legacy_before))
    return and_(Message.status == "routing", expired)


def _unanswered(now: dt.datetime, legacy_before: dt.datetime) -> ColumnElement[bool]:
    """Not answered yet: waiting, or taken by a worker that must have crashed."""
    return or_(Message.status == "received", _abandoned(now, legacy_before))


def unanswered(session: Session, conv_id: int, now: dt.datetime, legacy_before: dt.datetime) -> list[Message]:
    """The resident's messages the bot has not answered yet, oldest first."""
    return list(
        session.scalars(
            select(Message).where(Message.conversation_id == conv_id, Message.direction == "in", _unanswered(now, legacy_before)).order_by(Message.id)
        )
    )


def _any_from_resident(session: Session, conv_id: int, *conditions: ColumnElement[bool]) -> bool:
    """Whether any of the resident's messages in the conversation meets the conditions (one indexed probe)."""
    found = session.scalar(select(Message.id).where(Message.conversation_id == conv_id, Message.direction == "in", *conditions).limit(1))
    return found is not None


def waiting_or_being_answered(session: Session, conv_id: int) -> bool:
    """Whether any of the resident's messages is not answered yet: waiting, being answered, or taken by a
    worker that crashed. A new message is answered straight away only when none is, so answers keep
    the order the messages came in."""
    return _any_from_resident(session, conv_id, Message.status.in_(("received", "routing")))


def has_unanswered(session: Session, conv_id: int, now: dt.datetime, legacy_before: dt.datetime) -> bool:
    """Whether any of the resident's messages is waiting for an answer (what ``unanswered`` lists)."""
    return _any_from_resident(session, conv_id, _unanswered(now, legacy_before))


def being_answered(session: Session, conv_id: int, before_id: int, now: dt.datetime, legacy_before: dt.datetime) -> bool:
    """Whether an earlier message of the conversation is being answered right now (by another worker)."""
    claim_runs = or_(Message.next_attempt_at > now, and_(Message.next_attempt_at.is_(None), Message.created_at > legacy_before))
    return _any_from_resident(session, conv_id, Message.id < before_id, Message.status == "routing", claim_runs)


def _claim_expiry(now: dt.datetime) -> dt.datetime:
    return now + dt.timedelta(seconds=CLAIM_SECONDS)


def claim_send(session: Session, msg_id: int, now: dt.datetime) -> bool:
    """Take an outbound message for sending; False if someone else has it or it is done.

    A conditional update, so two workers (or the request and the retry loop) never both send it. A
    claim older than CLAIM_SECONDS was left by a sender that crashed, and may be taken again; a live
    claim never is.
    """
    abandoned = and_(Message.status == "sending", Message.next_attempt_at <= now)
    result = session.execute(
        update(Message)
        .where(Message.id == msg_id, or_(Message.status == "pending", abandoned))
        .values(status="sending", next_attempt_at=_claim_expiry(now), attempts=Message.attempts + 1)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def finish_send(session: Session, msg_id: int, now: dt.datetime, *, provider_id: str | None = None, status: str = "sent", error: str | None = None) -> None:
    msg = session.get(Message, msg_id)
    if msg is None:
        return
    if error is not None and status == "retry":
        when = next_attempt(msg.attempts, now)
        msg.last_error = error[:500]
        msg.status = "pending" if when else "failed"
        msg.next_attempt_at = when
        return
    msg.status = status
    msg.provider_id = provider_id or msg.provider_id
    msg.last_error = error[:500] if error else None
    msg.next_attempt_at = None
    if status in ("sent", "delivered"):
        msg.sent_at = now


def due_sends(session: Session, now: dt.datetime, limit: int = 100) -> list[int]:
    """Outbound messages waiting for a (re)try, and claims abandoned by a crashed sender."""
    return list(
        session.scalars(
            select(Message.id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(
                Message.direction == "out",
                Message.status.in_(("pending", "sending")),
                Message.next_attempt_at <= now,
                Conversation.channel != "webchat",  # web chat is delivered when the browser (re)connects
            )
            .order_by(Message.id)
            .limit(limit)
        )
    )


def conversations_waiting_for_bot(session: Session, before: dt.datetime, now: dt.datetime, legacy_before: dt.datetime, limit: int = 100) -> list[int]:
    """Conversations owned by the bot with a message it has not answered since ``before``."""
    return list(
        session.scalars(
            select(Message.conversation_id)
            .join(Conversation, Conversation.id == Message.conversation_id)
            .where(Message.direction == "in", _unanswered(now, legacy_before), Message.created_at <= before, Conversation.owner == "bot")
            .group_by(Message.conversation_id)
            .limit(limit)
        )
    )


def transcript(session: Session, conv_id: int, after_id: int = 0) -> list[Message]:
    """What the resident sees of the conversation: both directions, never the staff's internal notes."""
    return list(
        session.scalars(
            select(Message).where(Message.conversation_id == conv_id, Message.id > after_id, Message.direction.in_(("in", "out"))).order_by(Message.id)
        )
    )
