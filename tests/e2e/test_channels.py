"""End to end on every channel: the backend (the hub), the action server and Rasa run as real
processes; residents write on web chat, SMS, WhatsApp and Telegram (through the signed webhooks, with
local fakes of Twilio's and Telegram's APIs), and each conversation's transcript and case are checked.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from twilio.request_validator import RequestValidator
from websockets.sync.client import ClientConnection, connect

from tests.actions.conftest import create_officer, create_staff, login
from tests.fakes.servers import serve
from tests.fakes.telegram_api import FakeTelegram, update_button, update_message
from tests.fakes.twilio_api import FakeTwilio
from tests.processes import BOT_PYTHON, MODEL, Stack, need, running

ACCOUNT_SID = "AC" + "e" * 32
TWILIO_TOKEN = "e2e-twilio-token"
PUBLIC_URL = "https://landlord.example/channels/twilio"
TELEGRAM_TOKEN = "999:E2E-token"
TELEGRAM_SECRET = "e2e-telegram-secret-" + "s" * 32


@dataclass
class World:
    stack: Stack
    twilio: FakeTwilio
    telegram: FakeTelegram
    officer: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    need(BOT_PYTHON.exists() and MODEL.exists(), "no .venv-bot or no trained model (run scripts/train.sh)", "the channel tests")
    tmp: Path = tmp_path_factory.mktemp("channels")
    twilio, telegram = FakeTwilio(ACCOUNT_SID, TWILIO_TOKEN), FakeTelegram(TELEGRAM_TOKEN)
    with serve(twilio.app()) as twilio_url, serve(telegram.app()) as telegram_url:
        env = {
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "TWILIO_SMS_FROM": "+447700900000",
            "TWILIO_WHATSAPP_FROM": "+447700900001",
            "TWILIO_PUBLIC_URL": PUBLIC_URL,
            "TWILIO_API_BASE": twilio_url,
            "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN,
            "TELEGRAM_SECRET_TOKEN": TELEGRAM_SECRET,
            "TELEGRAM_API_BASE": telegram_url,
            "HUB_POLL_SECONDS": "0.5",
            # always closed, so the out-of-hours answer is tested whatever the time (tests/actions test open hours)
            "CONTACT_CENTRE_OPENS": "00:00",
            "CONTACT_CENTRE_CLOSES": "00:00",
        }
        with running(tmp, actions=True, rasa=True, backend_env=env) as stack:
            create_officer(f"sqlite:///{stack.db_path}")
            w = World(stack, twilio, telegram)
            w.officer = {"Authorization": f"Bearer {login(stack)}"}
            yield w


def settled(db: Path, timeout: float = 60) -> None:
    """Wait until every resident message is answered and every reply has left (or failed visibly)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with sqlite3.connect(db) as conn:
            busy = conn.execute(
                "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE (m.direction = 'in' AND m.status IN ('received', 'routing')) "
                "OR (m.direction = 'out' AND m.status IN ('pending', 'sending') AND c.channel != 'webchat')"
            ).fetchone()[0]
        if busy == 0:
            return
        time.sleep(0.05)
    raise AssertionError("the hub did not settle")


class Resident:
    """One resident on one channel: ``says`` returns everything the assistant answered to that turn."""

    channel = ""

    def __init__(self, world: World) -> None:
        self.world = world
        self.transcript: list[str] = []
        self.last_buttons: list[Any] = []

    def says(self, text: str) -> str:
        replies = self._send(text)
        self.transcript += [f"> {text}", replies]
        return replies

    def picks(self, title_start: str) -> str:
        """Choose an offered option the way this channel allows (a button, or its number)."""
        raise NotImplementedError

    def _send(self, text: str) -> str:
        raise NotImplementedError

    def history(self) -> str:
        return "\n".join(self.transcript)


class WebChat(Resident):
    channel = "webchat"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.ws: ClientConnection = connect(world.stack.backend_url.replace("http", "ws") + "/channels/webchat/ws", open_timeout=10)
        self.ws.send(json.dumps({"type": "hello", "token": None}))
        assert json.loads(self.ws.recv(timeout=10))["type"] == "session"

    def _turn(self, frame: dict[str, Any]) -> str:
        self.ws.send(json.dumps({**frame, "client_id": uuid.uuid4().hex}))
        texts: list[str] = []
        while True:
            event = json.loads(self.ws.recv(timeout=60))
            if event["type"] == "message" and event["sender"] != "resident":
                texts.append(event["text"])
                self.last_buttons = event.get("buttons") or self.last_buttons
            if event["type"] == "typing" and not event["on"]:
                return "\n".join(texts)

    def _send(self, text: str) -> str:
        self.last_buttons = []
        return self._turn({"type": "message", "text": text})

    def picks(self, title_start: str) -> str:
        button = next(b for b in self.last_buttons if b["title"].startswith(title_start))
        self.last_buttons = []
        reply = self._turn({"type": "choice", "payload": button["payload"], "title": button["title"]})
        self.transcript += [f"> [{button['title']}]", reply]
        return reply


class Texting(Resident):
    """SMS or WhatsApp through the signed Twilio webhook."""

    def __init__(self, world: World, whatsapp: bool = False) -> None:
        super().__init__(world)
        self.channel = "whatsapp" if whatsapp else "sms"
        self.number = f"+4477009{uuid.uuid4().int % 100000:05d}"
        self.sender = f"whatsapp:{self.number}" if whatsapp else self.number
        self.unanswerable = False

    def _send(self, text: str) -> str:
        before = len(self.world.twilio.bodies_to(self.number))
        params = {"AccountSid": ACCOUNT_SID, "MessageSid": f"SM{uuid.uuid4().hex}", "From": self.sender, "To": "+447700900000", "Body": text, "NumMedia": "0"}
        sig = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL, params)
        r = httpx.post(f"{self.world.stack.backend_url}/channels/twilio", data=params, headers={"X-Twilio-Signature": sig}, timeout=30)
        assert r.status_code == 200, r.text
        if self.unanswerable:  # the assistant is down: wait for what the hub itself says
            deadline = time.monotonic() + 30
            while len(self.world.twilio.bodies_to(self.number)) == before and time.monotonic() < deadline:
                time.sleep(0.05)
        else:
            settled(self.world.stack.db_path)
        return "\n".join(self.world.twilio.bodies_to(self.number)[before:])

    def picks(self, title_start: str) -> str:
        last = self.transcript[-1]
        line = next(x for x in last.splitlines() if x[:1].isdigit() and x.split(". ", 1)[1].startswith(title_start))
        return self.says(line.split(".")[0])  # the resident replies with the number


class Telegram(Resident):
    channel = "telegram"

    def __init__(self, world: World) -> None:
        super().__init__(world)
        self.chat = 7_000_000 + uuid.uuid4().int % 1_000_000
        self.update_id = 0

    def _post(self, update: dict[str, Any]) -> str:
        before = len(self.world.telegram.sent_to(self.chat))
        h = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
        r = httpx.post(f"{self.world.stack.backend_url}/channels/telegram", json=update, headers=h, timeout=30)
        assert r.status_code == 200, r.text
        settled(self.world.stack.db_path)
        sent = self.world.telegram.sent_to(self.chat)[before:]
        for s in sent:
            if s.get("reply_markup"):
                self.last_buttons = [row[0] for row in s["reply_markup"]["inline_keyboard"]]
        return "\n".join(str(s.get("text", "")) for s in sent)

    def _send(self, text: str) -> str:
        self.update_id += 1
        self.last_buttons = []
        return self._post(update_message(self.update_id, self.chat, text))

    def picks(self, title_start: str) -> str:
        button = next(b for b in self.last_buttons if b["text"].startswith(title_start))
        self.update_id += 1
        reply = self._post(update_button(self.update_id, self.chat, button["callback_data"]))
        self.transcript += [f"> [{button['text']}]", reply]
        return reply


def resident_on(channel: str, world: World) -> Resident:
    if channel == "webchat":
        return WebChat(world)
    if channel == "telegram":
        return Telegram(world)
    return Texting(world, whatsapp=channel == "whatsapp")


CHANNELS = ["webchat", "sms", "whatsapp", "telegram"]


def transcript(world: World, channel: str) -> list[tuple[str, str, str]]:
    with sqlite3.connect(world.stack.db_path) as conn:
        conv = conn.execute("SELECT max(id) FROM conversations WHERE channel = ?", (channel,)).fetchone()[0]
        return conn.execute("SELECT direction, sender, status FROM messages WHERE conversation_id = ? ORDER BY id", (conv,)).fetchall()


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_repair_reported_on_each_channel(world: World, channel: str) -> None:
    me = resident_on(channel, world)
    first = me.says("my kitchen tap is leaking under the sink")
    assert "Where is it" in first, me.history()
    assert "Since when" in me.says("12 Hill Road, kitchen, LS6 2AB"), me.history()
    assert "access" in me.says("since yesterday"), me.history()
    assert "full name" in me.says("no"), me.history()
    done = me.says("Amira Khan")
    assert "Your reference is SR-" in done, me.history()
    reference = done.split("Your reference is ")[1].split(".")[0].split()[0]
    sr = httpx.get(f"{world.stack.backend_url}/api/v1/service-requests/{reference}", headers=world.officer, timeout=10).json()
    assert sr["channel"] == channel and "tap" in sr["description"]
    rows = transcript(world, channel)
    assert [r for r in rows if r[0] == "in"] == [("in", "resident", "handled")] * 5
    assert all(r[2] == "sent" for r in rows if r[0] == "out") and len(rows) >= 10


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_complaint_made_on_each_channel(world: World, channel: str) -> None:
    me = resident_on(channel, world)
    offer = me.says("I've reported the damp in my bedroom three times and nobody has come to fix it, it's disgusting")
    assert "make a complaint" in offer, me.history()
    assert "resident" in me.picks("Yes, make a complaint"), me.history()
    assert "full name" in me.picks("I am the resident"), me.history()
    assert "contact" in me.says("Amira Khan"), me.history()
    assert "postcode" in me.says("amira.khan@example.org"), me.history()
    assert "anything else" in me.says("LS6 2AB"), me.history()
    assert "When did this happen" in me.says("that's all"), me.history()
    assert "reported this to us before" in me.says("since March 2026"), me.history()
    assert "affected" in me.says("yes, three times on the phone"), me.history()
    assert "put things right" in me.says("my asthma is worse and I sleep on the sofa"), me.history()
    assert "court claim" in me.says("fix the damp properly and an apology"), me.history()
    assert "make this easier" in me.picks("No"), me.history()
    assert "health" in me.says("large print letters please"), me.history()
    readback = me.says("no")
    assert "three times" in readback and "apology" in readback, me.history()
    done = me.picks("Yes, that's right")
    assert "Your reference is CMP-" in done and "0300 111 3000" in done, me.history()
    reference = done.split("Your reference is ")[1].split(".")[0]
    case = httpx.get(f"{world.stack.backend_url}/api/v1/complaints/{reference}", headers=world.officer, timeout=10).json()
    assert case["channel"] == channel
    assert case["definition"]["outcomes"] == ["fix the damp properly and an apology"]
    assert [a["type"] for a in case["resident"]["adjustments"]] == ["large_print"]
    with sqlite3.connect(world.stack.db_path) as conn:
        linked = conn.execute("SELECT resident_id FROM conversations WHERE id = (SELECT max(id) FROM conversations WHERE channel = ?)", (channel,)).fetchone()[
            0
        ]
    assert linked == case["resident"]["id"], "the conversation is linked to the resident's record"
    rows = transcript(world, channel)
    assert len([r for r in rows if r[0] == "in"]) == 15 and all(r[2] == "handled" for r in rows if r[0] == "in")


def agent_login(world: World) -> dict[str, str]:
    email = f"agent-{uuid.uuid4().hex[:6]}@landlord.example"
    create_staff(f"sqlite:///{world.stack.db_path}", email, role="agent", name="Ada Agent")
    return {"Authorization": f"Bearer {login(world.stack, email)}"}


def test_an_agent_takes_over_an_sms_conversation_and_hands_it_back(world: World) -> None:
    me = Texting(world)
    person = me.says("can I talk to a real person please")
    assert "contact centre is closed" in person and "when we open" in person, me.history()
    agent = agent_login(world)
    api = f"{world.stack.backend_url}/api/v1/agent"
    queue = httpx.get(f"{api}/queue", headers=agent, timeout=10).json()
    mine = next(q for q in queue if q["channel"] == "sms" and q["status"] == "queued")
    assert mine["reason"] == "asked"
    assert httpx.post(f"{api}/handoffs/{mine['id']}/claim", headers=agent, timeout=10).status_code == 200
    r = httpx.post(f"{api}/handoffs/{mine['id']}/messages", json={"text": "Hello, this is Ada. How can I help?"}, headers=agent, timeout=10)
    assert r.status_code == 201
    assert world.twilio.bodies_to(me.number)[-1] == "Hello, this is Ada. How can I help?"  # it left as an SMS
    before = len(world.twilio.bodies_to(me.number))
    me.says("my boiler has been broken for a week")
    assert len(world.twilio.bodies_to(me.number)) == before  # the bot stays quiet while Ada has it
    view = httpx.get(f"{api}/handoffs/{mine['id']}", headers=agent, timeout=10).json()
    assert view["conversation"]["messages"][-1]["text"] == "my boiler has been broken for a week"
    back = httpx.post(f"{api}/handoffs/{mine['id']}/hand-back", json={"summary": "Heating engineer booked for tomorrow."}, headers=agent, timeout=30)
    assert back.status_code == 200
    resumed = world.twilio.bodies_to(me.number)[-1]
    assert "handed you back" in resumed and "Heating engineer booked" in resumed, resumed
    assert "Ombudsman" in me.says("how do I contact the housing ombudsman"), me.history()


def test_a_text_sent_while_the_assistant_is_down_is_kept_and_answered_when_it_returns(world: World) -> None:
    """Runs last in this module: it stops and restarts Rasa."""
    me = Texting(world)
    assert "housing assistant" in me.says("hi")
    world.stack.stop("rasa")
    me.unanswerable = True
    notice = me.says("my front door lock is broken")
    assert "saved" in notice and "999" in notice, me.history()
    with sqlite3.connect(world.stack.db_path) as conn:
        waiting = conn.execute("SELECT text, status FROM messages WHERE direction = 'in' ORDER BY id DESC LIMIT 1").fetchone()
    assert waiting == ("my front door lock is broken", "received")
    world.stack.start_rasa()
    deadline = time.monotonic() + 60
    # the answer is two SMS ("I can report that ..." then "Where is it?"): wait for the question itself
    while time.monotonic() < deadline and "Where is it" not in "\n".join(world.twilio.bodies_to(me.number)[2:]):
        time.sleep(0.2)
    answered = world.twilio.bodies_to(me.number)[2:]
    assert answered and "Where is it" in "\n".join(answered), me.history()
    settled(world.stack.db_path)
    rows = transcript(world, "sms")
    assert [r[2] for r in rows if r[0] == "in"] == ["handled", "handled"]
    assert [r[1] for r in rows].count("system") == 1  # told once, not on every retry
