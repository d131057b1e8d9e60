"""Shared by every capability: which channel a conversation is on, asking for a person, and keeping
a submission the backend could not take yet."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from zoneinfo import ZoneInfo

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import backend, parsing

log = logging.getLogger(__name__)
CHANNELS = {"webchat", "sms", "whatsapp", "telegram"}
LONDON = ZoneInfo("Europe/London")

SUPPORT_LINES = (
    "If you are in immediate danger, call 999. You can talk to Samaritans any time, free, on 116 123. "
    "The National Domestic Abuse Helpline is free and open 24 hours: 0808 2000 247."
)


def channel(tracker: Tracker) -> str:
    """The resident's channel, as the hub tells us in message metadata; web chat when talking to Rasa directly."""
    meta = (tracker.latest_message or {}).get("metadata") or {}
    value = str(meta.get("channel", "webchat")).lower()
    return value if value in CHANNELS else "webchat"


def latest_text(tracker: Tracker) -> str:
    return str((tracker.latest_message or {}).get("text") or "")


def latest_intent(tracker: Tracker) -> str:
    return str(((tracker.latest_message or {}).get("intent") or {}).get("name") or "")


def today() -> dt.date:
    return dt.datetime.now(LONDON).date()


def long_date(value: str | None) -> str:
    """'2026-11-30' → 'Monday 30 November 2026' (what residents read)."""
    if not value:
        return "soon"
    d = dt.date.fromisoformat(value[:10])
    return f"{d:%A} {d.day} {d:%B %Y}"


async def safety_then_a_person(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[EventType]:
    """A named danger, whatever the classifier said: safety instructions first, then a person at once."""
    dispatcher.utter_message(response="utter_emergency_safety")
    return await request_handoff(dispatcher, tracker, "emergency")


async def request_handoff(dispatcher: CollectingDispatcher, tracker: Tracker, reason: str) -> list[EventType]:
    """Ask the backend for a person and tell the resident honestly what happens next."""
    if reason == "safeguarding":
        dispatcher.utter_message(text=f"I'm really sorry you're going through this. {SUPPORT_LINES}")
    try:
        out = await backend.call(
            "POST",
            "/api/v1/handoffs",
            json={
                "conversation_id": tracker.sender_id,
                "channel": channel(tracker),
                "reason": reason,
                "last_message": latest_text(tracker)[:5000],
                "draft": draft(tracker),
            },
        )
    except (backend.BackendUnavailable, backend.BackendRefused):
        dispatcher.utter_message(
            text="I'm sorry, I can't reach our team's system right now, so I can't pass you to a person from here. "
            "Please phone us instead. If anyone is in danger, call 999."
        )
        return [SlotSet("emergency_offered", False)]
    if out.get("open_now"):
        place = int(out.get("position", 1))
        queue = "You're next in the queue." if place <= 1 else f"You're number {place} in the queue."
        if place > 1 and out.get("estimated_wait_minutes"):
            queue += f" The wait is about {int(out['estimated_wait_minutes'])} minutes."
        text = f"I've asked a member of our team to join this chat. {queue} They'll see everything you've told me, so you won't need to repeat it."
    else:
        # Python 3.10 (Rasa's) does not read a trailing "Z"
        opening = dt.datetime.fromisoformat(str(out["next_opening"]).replace("Z", "+00:00")).astimezone(LONDON)
        text = (
            "Our contact centre is closed right now. I've left your message for the team and someone will pick it up "
            f"when we open, {opening:%A} at {opening:%H:%M}. Everything you've told me is kept. "
            "If anyone is in danger, call 999; for a gas smell call 0800 111 999."
        )
    dispatcher.utter_message(text=text)
    return [SlotSet("emergency_offered", False)]


#: What the bot has captured that an agent should see instead of asking again (the backend keeps
#: disclosed needs only when the resident consented to recording them).
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
    "needs_consent",
    "linked_sr_ref",
    "last_reference",
    "sr_kind",
    "sr_description",
    "sr_location",
    "sr_since",
    "sr_access",
)


def draft(tracker: Tracker) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in DRAFT_SLOTS:
        value = tracker.get_slot(name)
        if isinstance(value, bool) or (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            out[name] = value
        elif value not in (None, ""):
            out[name] = str(value)[:5000]
    return out


def keep_pending(kind: str, payload: dict[str, Any], key: str, extra: dict[str, Any] | None = None) -> SlotSet:
    """Keep a submission in the conversation so the next message can send it again (same key: no duplicate)."""
    return SlotSet("pending_submission", {"kind": kind, "payload": payload, "key": key, **(extra or {})})


def checked_postcode(value: Any, dispatcher: CollectingDispatcher) -> str | None:
    """A UK postcode in standard form, or None after asking again (every form asks the same way)."""
    pc = parsing.postcode(str(value))
    if pc is None:
        dispatcher.utter_message(text="That doesn't look like a UK postcode. Please type it like LS6 2AB.")
    return pc


def checked_name(value: Any, dispatcher: CollectingDispatcher, ask_again: str) -> str | None:
    name = " ".join(str(value).split())
    if not 2 <= len(name) <= 200 or not any(c.isalpha() for c in name):
        dispatcher.utter_message(text=ask_again)
        return None
    return name


UNAVAILABLE = (
    "I'm sorry, our case system isn't answering just now. I've kept everything you told me and I'll send it "
    "as soon as it's back: just send me any message in a few minutes and I'll try again. Nothing is lost."
)
