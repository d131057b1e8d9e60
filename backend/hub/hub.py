"""Routing: store every inbound message, hand it to the bot when the bot owns the conversation, and
send every reply through the resident's channel, retrying failures with backoff.

The database is the source of truth. Routing and sending claim rows with conditional updates, so a
message is answered once and a reply sent once even when a retry loop and a request race.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from backend.api.schemas import HandoffIn, HandoffOut
from backend.db.models import Conversation, HandoffRequest, Message, Resident
from backend.domain.adjustments import AdjustmentType
from backend.domain.messaging import Choice, choice_for_reply, render_reply, whatsapp_window_open
from backend.hub import store
from backend.hub.live import Live, LiveUpdates, conversation_topic, resident_topic
from backend.hub.rasa import RasaClient, RasaUnavailable
from backend.hub.store import ConversationView, MessageView
from backend.services import handoffs
from backend.services.context import CaseContext

log = logging.getLogger("backend.hub")
T = TypeVar("T")

#: What the resident is told when the assistant cannot answer; their message is kept and retried.
ASSISTANT_DOWN = (
    "Sorry, I can't answer just now because of a technical problem. Your message is saved and I'll reply "
    "as soon as I can. If it's urgent, please phone us. If anyone is in danger call 999; for a gas smell "
    "call the National Gas Emergency line on 0800 111 999."
)
#: An unanswered message older than this is picked up by the retry loop rather than its own request.
STALE_AFTER = dt.timedelta(seconds=5)
AGENTS_TOPIC = "agents"
#: A message is claimed for answering until Rasa's timeout plus this: a worker that has not stored
#: the answer by then died (it gives up on Rasa after its timeout and releases the message), so the
#: message is answered again, with the same message id, which Rasa answers once (bot/channels.py).
ROUTING_MARGIN = dt.timedelta(seconds=10)
#: A claim made without an expiry (before this was recorded) counts as abandoned after this.
ROUTING_ABANDONED = dt.timedelta(minutes=2)


class SendFailed(Exception):
    """The provider did not take the message; ``retryable`` says whether trying again may help."""

    def __init__(self, reason: str, retryable: bool = True) -> None:
        super().__init__(reason)
        self.retryable = retryable


class ChannelSender(Protocol):
    async def send(self, conv: ConversationView, msg: MessageView) -> str | None:
        """Send one stored message; returns the provider's id for it. Raises SendFailed."""
        ...


@dataclass(frozen=True)
class Claim:
    """A resident's message this worker has taken for answering, and whether it goes to a person instead."""

    conversation: ConversationView
    message: MessageView
    handed_over: HandoffOut | None


@dataclass(frozen=True)
class Received:
    conversation: ConversationView
    message: MessageView | None  # None: a duplicate of a message already kept
    claim: Claim | None = None  # taken for answering as it was kept: pass it to route()


class Hub:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        ctx: CaseContext,
        rasa: RasaClient,
        *,
        poll_seconds: float = 1.0,
        handoff_hours: tuple[str, str, int] = ("08:00", "18:00", 5),
        live: LiveUpdates | None = None,
    ) -> None:
        self.sessions = sessions
        # the case context: its clock for every timestamp, its calendar for contact-centre hours
        self.ctx = ctx
        self.clock = ctx.clock
        self.rasa = rasa
        self.handoff_hours = handoff_hours  # opens, closes, minutes per person waiting
        self.live: LiveUpdates = live or Live()
        self.senders: dict[str, ChannelSender] = {}
        self.poll_seconds = poll_seconds
        self.routing_expiry = dt.timedelta(seconds=rasa.timeout) + ROUTING_MARGIN
        self._locks: weakref.WeakValueDictionary[int, asyncio.Lock] = weakref.WeakValueDictionary()

    # -- database calls, off the event loop ------------------------------------------------------
    async def db(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one transaction on a worker thread (the ORM is synchronous)."""

        def run() -> T:
            session = self.sessions()
            try:
                result = fn(session)
                session.commit()
                return result
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

        return await asyncio.to_thread(run)

    def now(self) -> dt.datetime:
        return self.clock.now()

    async def publish(self, conv_id: int, event: dict[str, Any]) -> int:
        """To the resident's open web chat and to staff watching; returns how many resident sockets took it
        (a staff console watching is not delivery to the resident). With several workers, how many
        workers holding one of the resident's sockets took it."""
        _, resident = await self.live.publish_all((conversation_topic(conv_id), resident_topic(conv_id)), event)
        return resident

    # -- inbound ------------------------------------------------------------------------------------
    async def receive(
        self,
        channel: str,
        address: str,
        text: str,
        *,
        payload: dict[str, Any] | None = None,
        external_id: str | None = None,
        status: str = "received",
        answer_now: bool = False,
    ) -> Received:
        """Keep the resident's message (before anything else can fail). Routing is a separate step.

        ``answer_now``: the caller routes the conversation next. Then a message the bot can answer at
        once (the bot's conversation, nothing earlier still unanswered) is taken for answering in the
        same transaction that keeps it, which saves routing a transaction of its own on every turn;
        anything else is left for route() to find, exactly as without it.
        """
        now = self.now()

        def keep(session: Session) -> Received:
            conv = store.open_conversation(session, channel, address, now)
            data = dict(payload or {})
            if conv.pending_choices and "choice" not in data and channel in ("sms", "whatsapp"):
                picked = choice_for_reply(text, [Choice(**c) for c in conv.pending_choices])
                if picked is not None:
                    data.update(choice=picked.payload, title=picked.title)
            first_status = status if conv.owner == "bot" or status != "received" else "for_agent"
            at_once = answer_now and first_status == "received" and not store.waiting_or_being_answered(session, conv.id)
            claim_until = now + self.routing_expiry if at_once else None
            msg = store.record_inbound(session, conv, text, data, external_id, now, first_status, claim_until=claim_until)
            if msg is not None and channel in ("sms", "whatsapp"):
                conv.pending_choices = []
            session.flush()
            claim = None
            if msg is not None and claim_until is not None:
                handed_over = self._hand_over_first(session, conv, msg)
                claim = Claim(ConversationView.of(conv), MessageView.of(msg), handed_over)
            return Received(ConversationView.of(conv), MessageView.of(msg) if msg else None, claim)

        got = await self.db(keep)
        if got.message is not None:
            await self.publish(got.conversation.id, got.message.as_event())
            if got.message.status == "for_agent" and got.claim is None:  # (a claim handed over is announced by route)
                await self.live.publish(AGENTS_TOPIC, {"type": "queue", "conversation_id": got.conversation.id})
        return got

    async def route(self, conv_id: int, claim: Claim | None = None) -> None:
        """Answer the conversation's unanswered messages, oldest first, one at a time; ``claim`` (from
        receive) first, without looking for it."""
        lock = self._locks.get(conv_id)
        if lock is None:
            lock = asyncio.Lock()
            self._locks[conv_id] = lock
        async with lock:
            more = await self._answer(claim) if claim is not None else True
            while more:  # more messages arrived while this one was answered
                more = await self._route_one(conv_id)

    async def _route_one(self, conv_id: int) -> bool:
        """Answer the oldest unanswered message; True when more are waiting behind it."""
        now = self.now()

        def claim(session: Session) -> Claim | None:
            conv = session.get(Conversation, conv_id)
            if conv is None or conv.owner != "bot":
                return None
            waiting = store.unanswered(session, conv_id, now, now - ROUTING_ABANDONED)
            if not waiting:
                return None
            msg = waiting[0]
            if store.being_answered(session, conv_id, msg.id, now, now - ROUTING_ABANDONED):
                return None  # an earlier message is still with another worker: answer in order, after it
            done = session.execute(
                update(Message)
                .where(Message.id == msg.id, Message.status == msg.status, Message.attempts == msg.attempts)
                .values(status="routing", attempts=Message.attempts + 1, next_attempt_at=now + self.routing_expiry)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                return None
            session.refresh(msg)
            handed_over = self._hand_over_first(session, conv, msg)
            return Claim(ConversationView.of(conv), MessageView.of(msg), handed_over)

        claimed = await self.db(claim)
        return False if claimed is None else await self._answer(claimed)

    async def _answer(self, claim: Claim) -> bool:
        """Answer one claimed message and send the replies; True when more messages are waiting."""
        conv, msg, handed_over = claim.conversation, claim.message, claim.handed_over
        if handed_over is not None:
            await self.live.publish(AGENTS_TOPIC, {"type": "queue", "new": handed_over.id})
            await self.say(conv.id, "system", handoff_message(handed_over))
            return False
        await self.publish(conv.id, {"type": "typing", "on": True})
        metadata = {"channel": conv.channel, "hub": True}
        try:
            replies = await self.rasa.turn(conv.public_id, str(msg.payload.get("choice") or msg.text), metadata, message_id=str(msg.id))
        except RasaUnavailable as exc:
            log.warning("assistant unavailable", extra={"conversation": conv.id, "error": str(exc)})
            await self.publish(conv.id, {"type": "typing", "on": False})
            await self._assistant_down(conv, msg)
            return False
        more = await self._send_replies(conv, (msg.id, msg.attempts), replies)
        # after the replies, so "typing" covers the whole turn and its end marks the turn complete
        await self.publish(conv.id, {"type": "typing", "on": False})
        return more

    def _hand_over_first(self, session: Session, conv: Conversation, msg: Message) -> HandoffOut | None:
        """A managers' keyword in the message, or a resident whose record says they need a person,
        goes straight to the contact centre instead of the bot (in the same transaction as the claim)."""
        reason = None
        if handoffs.matching_keyword(session, msg.text) is not None:
            reason = "keyword"
        elif _needs_person(session, conv) and not _handed_over_before(session, conv.id):
            reason = "needs_person"
        if reason is None:
            return None
        msg.status = "for_agent"
        data = HandoffIn(conversation_id=conv.public_id, channel=conv.channel, reason=reason, last_message=msg.text[:5000])
        return handoffs.request_handoff(session, self.ctx, data, "hub", *self.handoff_hours)

    async def bot_event(self, conv_id: int, intent: str, extra: dict[str, Any]) -> bool:
        """Tell the bot something happened outside the chat (an agent handed back) and send what it says."""
        conv = await self.db(lambda s: ConversationView.of(s.get(Conversation, conv_id)))  # type: ignore[arg-type]
        try:
            replies = await self.rasa.turn(conv.public_id, f"/{intent}", {"channel": conv.channel, "hub": True, **extra})
        except RasaUnavailable:
            return False
        await self._send_replies(conv, None, replies)
        return True

    async def _assistant_down(self, conv: ConversationView, msg: MessageView) -> None:
        now = self.now()

        def release(session: Session) -> int | None:
            m = session.get(Message, msg.id)
            if m is not None and m.status == "routing":
                m.status, m.next_attempt_at = "received", None
            if msg.attempts == 1:  # tell them once per message, not on every retry
                return store.record_outbound(session, conv.id, "system", ASSISTANT_DOWN, {}, now).id
            return None

        notice = await self.db(release)
        if notice is not None:
            await self.deliver(notice)

    async def _send_replies(self, conv: ConversationView, claim: tuple[int, int] | None, replies: list[dict[str, Any]]) -> bool:
        """Store the bot's replies and send them; True when more of the resident's messages are waiting.

        One transaction stores the turn: the answered message marked handled, the replies (in one
        statement), and each reply's fate decided and taken for sending (web chat with the browser
        connected is sent as it is stored). SMS and WhatsApp replies are then sent, in order, and one
        more transaction records how each went. ``claim`` is the answered message's id and attempt
        number (None: no message, a bot event).
        """
        live = conv.channel == "webchat" and await self.live.listeners(resident_topic(conv.id)) > 0
        stored, more = await self.db(lambda s: self._record_replies(s, conv, claim, replies, live))
        if conv.channel == "webchat":
            for view in stored:
                if view.status == "sent":
                    await self.publish(conv.id, view.as_event())
            return more
        sent = [(view, *await self._send(conv, view)) for view in stored if view.status == "sending"]
        if sent:
            now = self.now()
            await self.db(lambda s: [store.finish_send(s, v.id, now, provider_id=pid, status=st, error=err) for v, st, pid, err in sent])
            for view, status, _, _ in sent:
                if status == "sent":
                    await self.publish(conv.id, view.as_event())
        return more

    def _record_replies(
        self, session: Session, conv: ConversationView, claim: tuple[int, int] | None, replies: list[dict[str, Any]], live: bool
    ) -> tuple[list[MessageView], bool]:
        now = self.now()
        if claim is not None:
            # Only while the claim is still this worker's: if it ran out and another worker took the
            # message again, that worker stores the same turn's replies (Rasa answers it from its record).
            msg_id, attempts = claim
            done = session.execute(
                update(Message)
                .where(Message.id == msg_id, Message.status == "routing", Message.attempts == attempts)
                .values(status="handled", next_attempt_at=None)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                log.warning("answer dropped: the message was taken again after this worker's claim ran out", extra={"message_id": msg_id})
                return [], False
        current = session.get(Conversation, conv.id)
        if current is None:  # the conversation is gone: nobody to send to
            return [], False
        # read in this transaction: once an agent has the conversation the bot is silent; a resident
        # who sent STOP gets nothing more; WhatsApp outside its window gets nothing free-form
        refusal = _refusal(current, "bot", {}, now)
        # web chat with the browser connected is sent as it is stored; SMS, WhatsApp and Telegram are
        # taken for sending by this worker
        status = refusal[0] if refusal else ("sending" if conv.channel != "webchat" else "sent" if live else "pending")
        error = refusal[1] if refusal else None
        stored: list[Message] = []
        for reply in replies:
            choices = [Choice(str(b.get("title", "")), str(b.get("payload", ""))) for b in reply.get("buttons") or [] if isinstance(b, dict)]
            text = str(reply.get("text") or "")
            custom = reply.get("custom")
            if not text and isinstance(custom, dict) and isinstance(custom.get("text"), str):
                text = custom["text"]
            image = reply.get("image") if isinstance(reply.get("image"), str) else None
            for part, payload in render_reply(conv.channel, text, choices, image):
                stored.append(store.record_outbound(session, conv.id, "bot", part, dict(payload), now, status=status, flush=False, error=error))
            if choices and conv.channel in ("sms", "whatsapp"):
                current.pending_choices = [{"title": x.title, "payload": x.payload} for x in choices]
        session.flush()  # the turn's replies in one INSERT
        more = claim is not None and store.has_unanswered(session, conv.id, now, now - ROUTING_ABANDONED)
        return [MessageView.of(m) for m in stored], more

    # -- outbound -----------------------------------------------------------------------------------
    async def say(self, conv_id: int, sender: str, text: str, payload: dict[str, Any] | None = None, agent_id: int | None = None) -> MessageView:
        """Store and send a message from the system or a person (agents, officers' updates)."""
        now = self.now()

        def keep(session: Session) -> MessageView:
            return MessageView.of(store.record_outbound(session, conv_id, sender, text, payload or {}, now, agent_id=agent_id))

        msg = await self.db(keep)
        await self.deliver(msg.id)
        return msg

    async def deliver(self, msg_id: int) -> str:
        """Send one stored outbound message; returns its status afterwards."""
        now = self.now()
        prepared = await self.db(lambda s: _prepare_send(s, msg_id, now))
        if prepared is None:
            return "missing"
        conv, msg, decided = prepared
        if decided == "webchat":
            if await self.publish(conv.id, msg.as_event()):
                await self._finish(msg_id, status="sent")
                return "sent"
            return "pending"  # delivered from the record when the browser reconnects
        if decided is not None:
            return decided
        status, provider_id, error = await self._send(conv, msg)
        await self._finish(msg_id, status=status, provider_id=provider_id, error=error)
        if status == "sent":
            await self.publish(conv.id, msg.as_event())
        return status

    async def _send(self, conv: ConversationView, msg: MessageView) -> tuple[str, str | None, str | None]:
        sender = self.senders.get(conv.channel)
        if sender is None:
            return "failed", None, f"the {conv.channel} channel is not configured"
        try:
            return "sent", await sender.send(conv, msg), None
        except SendFailed as exc:
            log.warning("send failed", extra={"message_id": msg.id, "channel": conv.channel, "error": str(exc), "retryable": exc.retryable})
            return ("retry" if exc.retryable else "failed"), None, str(exc)
        except Exception as exc:  # an SDK bug must not lose the message: retry it like a failure
            log.exception("send crashed", extra={"message_id": msg.id, "channel": conv.channel})
            return "retry", None, f"{type(exc).__name__}: {exc}"

    async def _finish(self, msg_id: int, *, status: str, provider_id: str | None = None, error: str | None = None) -> None:
        now = self.now()
        await self.db(lambda s: store.finish_send(s, msg_id, now, provider_id=provider_id, status=status, error=error))

    # -- the retry loop -------------------------------------------------------------------------------
    async def retry_once(self) -> None:
        """One pass: resend what is due, and answer messages left unanswered (e.g. while Rasa was down)."""
        now = self.now()
        due = await self.db(lambda s: store.due_sends(s, now))
        for msg_id in due:
            await self.deliver(msg_id)
        waiting = await self.db(lambda s: store.conversations_waiting_for_bot(s, now - STALE_AFTER, now, now - ROUTING_ABANDONED))
        for conv_id in waiting:
            await self.route(conv_id)

    async def run(self) -> None:
        while True:
            try:
                await self.retry_once()
            except Exception:
                log.exception("hub retry pass failed")
            await asyncio.sleep(self.poll_seconds)

    async def close(self) -> None:
        await self.rasa.close()
        await self.live.close()
        for sender in set(self.senders.values()):
            closer = getattr(sender, "close", None)
            if closer is not None:
                await closer()


def _prepare_send(session: Session, msg_id: int, now: dt.datetime) -> tuple[ConversationView, MessageView, str | None] | None:
    """Decide whether a stored message may go now; claims it when it may (decision None).

    The owner is checked here, before every send: the bot never speaks once an agent owns the
    conversation. A resident who sent STOP gets nothing more; WhatsApp outside its window gets
    nothing free-form (the message is kept, marked for a template, email or letter).
    """
    msg = session.get(Message, msg_id)
    if msg is None:
        return None
    conv = session.get(Conversation, msg.conversation_id)
    assert conv is not None
    refusal = _refusal(conv, msg.sender, msg.payload or {}, now)
    if refusal is None and conv.channel == "webchat":
        return ConversationView.of(conv), MessageView.of(msg), "webchat"
    if refusal is not None:
        store.finish_send(session, msg_id, now, status=refusal[0], error=refusal[1])
        return ConversationView.of(conv), MessageView.of(msg), refusal[0]
    if not store.claim_send(session, msg_id, now):
        return ConversationView.of(conv), MessageView.of(msg), "claimed"
    session.refresh(msg)
    return ConversationView.of(conv), MessageView.of(msg), None


def _refusal(conv: Conversation, sender: str, payload: dict[str, Any], now: dt.datetime) -> tuple[str, str] | None:
    """Why a message may not go to the resident now (status, reason), or None when it may."""
    if sender == "bot" and conv.owner == "agent":
        return ("suppressed", "an agent owns this conversation")
    if conv.channel == "webchat":
        return None
    if conv.opted_out and not payload.get("opt_out_confirmation"):
        return ("suppressed", "the resident replied STOP")
    if conv.channel == "whatsapp" and not whatsapp_window_open(conv.last_inbound_at, now):
        return ("needs_template", "outside WhatsApp's 24-hour window: send a template, email or letter")
    return None


def _needs_person(session: Session, conv: Conversation) -> bool:
    if conv.resident_id is None:
        return False
    resident = session.get(Resident, conv.resident_id)
    return bool(resident and any(a.type == AdjustmentType.PERSON.value for a in resident.adjustments))


def _handed_over_before(session: Session, conv_id: int) -> bool:
    return session.scalar(select(HandoffRequest.id).where(HandoffRequest.conversation_pk == conv_id).limit(1)) is not None


def handoff_message(out: HandoffOut) -> str:
    """What the resident is told when they are put through to a person: honest about the wait."""
    if out.open_now:
        place = "You're next in the queue." if out.position <= 1 else f"You're number {out.position} in the queue."
        wait = f" The wait is about {out.estimated_wait_minutes} minutes." if out.estimated_wait_minutes and out.position > 1 else ""
        return f"I've asked a member of our team to join this chat. {place}{wait} They'll see everything you've told me."
    opening = out.next_opening
    return (
        "Our contact centre is closed right now. I've left your message for the team and someone will reply "
        f"when we open, {opening:%A} at {opening:%H:%M}. You can keep adding to your message here and nothing is lost. "
        "If anyone is in danger, call 999; for a gas smell call 0800 111 999."
    )
