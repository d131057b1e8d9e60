"""Channel rules that do not depend on any provider's SDK: how long a text may be, how buttons read on
a channel without buttons, the SMS keywords, WhatsApp's 24-hour window and the retry schedule.

Kept here, apart from the adapters, so the rules can be tested directly and read in one place.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum

#: Twilio refuses a message body over 1,600 characters (error 21617).
SMS_MAX_CHARS = 1600
#: WhatsApp Business: free-form messages only within 24 hours of the customer's last message.
WHATSAPP_WINDOW = dt.timedelta(hours=24)
#: Outbound delivery: attempts before a message is marked failed, and the waits between them.
MAX_SEND_ATTEMPTS = 5
_BACKOFF_SECONDS = (2, 10, 30, 120)

CHANNELS = ("webchat", "sms", "whatsapp", "telegram")
#: Channels that show real buttons; the others get numbered choices.
BUTTON_CHANNELS = frozenset({"webchat", "telegram"})


class Keyword(StrEnum):
    STOP = "stop"
    START = "start"
    HELP = "help"


# Twilio's standard opt-out, opt-in and help keywords (Advanced Opt-Out defaults).
_KEYWORDS = {
    Keyword.STOP: {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"},
    Keyword.START: {"start", "yes", "unstop", "optin"},
    Keyword.HELP: {"help", "info"},
}


def sms_keyword(text: str, opted_out: bool) -> Keyword | None:
    """The keyword a whole SMS/WhatsApp message is, if any.

    "Yes" means START only for someone who has opted out; for everyone else it is an answer.
    """
    word = re.sub(r"[^a-z]", "", text.strip().lower())
    if len(text.strip()) > 20:
        return None
    for keyword, words in _KEYWORDS.items():
        if word in words and (keyword != Keyword.START or opted_out or word != "yes"):
            return keyword
    return None


def split_message(text: str, limit: int = SMS_MAX_CHARS) -> list[str]:
    """Split a long reply into parts of at most ``limit`` characters, at sentence ends where possible.

    Nothing is lost: joining the parts with single spaces gives the text back with its runs of
    whitespace at the cut points reduced to one.
    """
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = _last_boundary(window, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


_SENTENCE_END = re.compile(r"[.!?](?=\s)|\n")


def _last_boundary(window: str, limit: int) -> int:
    """Where to cut: after the last sentence end, else the last space, else hard at the limit."""
    ends = [m.end() for m in _SENTENCE_END.finditer(window) if m.end() <= limit]
    if ends and ends[-1] > limit // 3:
        return ends[-1]
    space = window.rfind(" ", 0, limit)
    if space > limit // 3:
        return space
    return limit


@dataclass(frozen=True)
class Choice:
    title: str
    payload: str


def numbered_choices(text: str, choices: list[Choice]) -> str:
    """Buttons as text for SMS and WhatsApp: 'Reply 1 for Yes, 2 for No'."""
    if not choices:
        return text
    lines = [f"{i}. {c.title}" for i, c in enumerate(choices, start=1)]
    hint = "Reply with the number of your choice, or type your answer."
    return "\n".join([text.rstrip(), *lines, hint]).strip()


def choice_for_reply(reply: str, choices: list[Choice]) -> Choice | None:
    """The choice a numbered reply ("2", "2.", " 2 ") or an exact title picks, if any."""
    stripped = reply.strip().rstrip(".").strip()
    if stripped.isdigit():
        index = int(stripped)
        return choices[index - 1] if 1 <= index <= len(choices) else None
    lowered = stripped.lower()
    for choice in choices:
        if choice.title.strip().lower() == lowered:
            return choice
    return None


def whatsapp_window_open(last_inbound_at: dt.datetime | None, now: dt.datetime) -> bool:
    """May a free-form WhatsApp message be sent now? Only within 24 hours of the resident's last one."""
    return last_inbound_at is not None and now - last_inbound_at < WHATSAPP_WINDOW


def next_attempt(attempts: int, now: dt.datetime) -> dt.datetime | None:
    """When to try a failed send again, or None when ``attempts`` have been used up."""
    if attempts >= MAX_SEND_ATTEMPTS:
        return None
    wait = _BACKOFF_SECONDS[min(attempts - 1, len(_BACKOFF_SECONDS) - 1)] if attempts > 0 else 0
    return now + dt.timedelta(seconds=wait)


#: Telegram's limit for one message's text.
TELEGRAM_MAX_CHARS = 4096


def render_reply(channel: str, text: str, choices: list[Choice], image: str | None) -> list[tuple[str, dict[str, object]]]:
    """A bot reply as the messages the resident will actually receive on this channel.

    Each part is stored as its own message, so a long SMS sent in three parts that fails on the
    third is retried from the third, never resending the first two.
    """
    payload: dict[str, object] = {}
    if channel in BUTTON_CHANNELS:
        if choices:
            payload["buttons"] = [{"title": c.title, "payload": c.payload} for c in choices]
        if image:
            payload["image"] = image
        limit = TELEGRAM_MAX_CHARS if channel == "telegram" else 10_000
        parts = split_message(text, limit) or ([""] if payload else [])
        return [(p, payload if i == len(parts) - 1 else {}) for i, p in enumerate(parts)]
    body = numbered_choices(text, choices)
    if image and channel == "sms":
        body = f"{body}\n{image}".strip()
    elif image:
        payload["image"] = image  # WhatsApp carries media
    if choices:
        payload["choices"] = [{"title": c.title, "payload": c.payload} for c in choices]
    parts = split_message(body) or ([""] if payload else [])
    return [(p, payload if i == len(parts) - 1 else {}) for i, p in enumerate(parts)]
