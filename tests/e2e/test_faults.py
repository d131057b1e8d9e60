"""Killing the action server, the backend or Rasa (SIGKILL, by its own pid) in the middle of a
complaint intake: the resident's complaint is stored once with everything they said, they are told
plainly that we are having trouble and that their message is kept, and the transcript holds each of
their messages once and no reply twice.

Everything runs as real processes, as in production: the backend (the conversation hub, SMS through
the signed Twilio webhook and a local fake of Twilio's API), the action server, and Rasa with its
trackers in PostgreSQL and its conversation locks in Redis (bot/endpoints.scaleout.yml), so a
restarted Rasa carries on the conversation. Two small proxies in this process sit on the wires where
a death is most dangerous, and fire the kill at a moment the test chooses instead of at a guess:

- between the action server and the backend (``BACKEND_URL``): the complaint submission reaches the
  backend and is committed, and then the action server (or the backend itself) is killed before the
  answer gets back, so the conversation never learns that the complaint was stored;
- between Rasa and the action server (``ACTION_ENDPOINT_URL``): Rasa is killed in the middle of a turn,
  while the action server validates the resident's answer.

Each test has its own backend database (the backend is started for it); Rasa and the action server
are shared by the module and keep no state of their own between conversations.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import sqlite3
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from sqlalchemy import Engine, create_engine, text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from twilio.request_validator import RequestValidator

from backend.hub.hub import ASSISTANT_DOWN
from tests.actions.conftest import create_officer, login
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE, REDIS_URL, redis_available
from tests.fakes.servers import serve
from tests.fakes.twilio_api import FakeTwilio
from tests.processes import BOT_PYTHON, MODEL, SERVICE_TOKEN, Stack, free_port, need, scaleout_rasa_env

ACCOUNT_SID = "AC" + "f" * 32
TWILIO_TOKEN = "faults-twilio-token"
PUBLIC_URL = "https://landlord.example/channels/twilio"
#: What the hub says when the assistant cannot answer (backend/hub/hub.py), and what the action
#: server says when the backend cannot take a submission (actions/common.py): plain words, once.
HUB_NOTICE = "Your message is saved and I'll reply as soon as I can"
ACTIONS_NOTICE = "our case system isn't answering just now. I've kept everything you told me"
#: The hub gives up on a Rasa turn after this; a claim on a message runs out 10 s later.
RASA_TIMEOUT = 10
#: The one question the form asks again on purpose: after each point the resident adds.
MORE_POINTS = "Is there anything else that went wrong?"


# -- a proxy that can kill a process at the moment a chosen request passes -------------------------


@dataclass
class Trap:
    """Fires once, on the first request ``matches`` accepts."""

    matches: Callable[[str, str, Any], bool]
    kill: Callable[[], None]
    #: True: the request reaches its target first (a submission is committed), then the kill.
    after_forward: bool
    #: Instead of the target's answer, the caller gets a 502 (the target died before answering).
    drop_answer: bool = False
    fired: threading.Event = field(default_factory=threading.Event)
    answered: int | None = None  # the target's status for the request that fired the trap


@dataclass
class Proxy:
    """Forwards every request to ``target`` (which changes when the process behind it restarts)."""

    target: str = ""
    trap: Trap | None = None

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/{path:path}", self.forward, methods=["GET", "POST", "PUT", "PATCH", "DELETE"])])

    async def forward(self, request: Request) -> Response:
        body = await request.body()
        trap = self.trap
        hit = trap is not None and not trap.fired.is_set() and trap.matches(request.method, request.url.path, _json(body))
        if hit and trap is not None and not trap.after_forward:
            trap.kill()
            trap.fired.set()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length", "connection")}
        url = f"{self.target}{request.url.path}" + (f"?{request.url.query}" if request.url.query else "")
        try:
            async with httpx.AsyncClient(timeout=120) as client:
                r = await client.request(request.method, url, content=body, headers=headers)
            answer: Response = Response(r.content, r.status_code, media_type=r.headers.get("content-type"))
            status: int | None = r.status_code
        except httpx.HTTPError as exc:
            answer, status = JSONResponse({"detail": f"bad gateway: {type(exc).__name__}"}, status_code=502), None
        if hit and trap is not None and trap.after_forward:
            trap.answered = status
            trap.kill()
            trap.fired.set()
            if trap.drop_answer:
                return JSONResponse({"detail": "bad gateway: the backend died"}, status_code=502)
        return answer


def _json(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None


# -- the running system -------------------------------------------------------------------------------


@dataclass
class World:
    stack: Stack
    twilio: FakeTwilio
    to_backend: Proxy  # the action server's BACKEND_URL
    to_actions: Proxy  # Rasa's ACTION_ENDPOINT_URL
    rasa_env: dict[str, str]
    trackers: Engine  # Rasa's tracker store (PostgreSQL)
    to_backend_url: str = ""
    db: Path = Path()
    officer: dict[str, str] = field(default_factory=dict)

    def kill(self, name: str) -> None:
        """SIGKILL the process by its own pid: no shutdown handlers, no goodbyes."""
        proc = next(p for p in self.stack.procs if p.name == name)
        os.kill(proc.popen.pid, signal.SIGKILL)
        proc.popen.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.popen.pid, signal.SIGKILL)  # anything it had started goes with it
        self.stack.procs.remove(proc)

    def wait_until_rasa_said(self, words: str, timeout: float = 60) -> None:
        """Wait until a reply containing ``words`` is in Rasa's record (a turn is saved whole, at its end)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.trackers.connect() as conn:
                found = conn.execute(text("SELECT count(*) FROM events WHERE type_name = 'bot' AND data LIKE :w"), {"w": f"%{words}%"}).scalar_one()
            if found:
                return
            time.sleep(0.2)
        raise AssertionError(f"Rasa's record has no reply with {words!r} after {timeout} s")

    def start_actions(self) -> None:
        port = free_port()
        env = {"BACKEND_URL": self.to_backend_url, "SERVICE_TOKEN": SERVICE_TOKEN, "SANIC_HOST": "127.0.0.1", "BACKEND_TIMEOUT_SECONDS": "3"}
        cmd = [str(BOT_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
        self.stack.start("actions", cmd, env, f"http://127.0.0.1:{port}/health", timeout=90)
        self.to_actions.target = f"http://127.0.0.1:{port}"

    def start_rasa(self) -> None:
        self.stack.start_rasa(endpoints="bot/endpoints.scaleout.yml", env=self.rasa_env)

    def start_backend(self) -> None:
        self.stack.start_backend()
        self.to_backend.target = self.stack.backend_url


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    need(BOT_PYTHON.exists() and MODEL.exists(), "the Rasa environment and a trained model are needed (scripts/train.sh)", "the fault tests")
    need(PG_AVAILABLE, f"PostgreSQL is not reachable at {PG_ADMIN_URL} (Rasa's trackers must outlive Rasa)", "the fault tests")
    need(redis_available(), f"Redis is not reachable at {REDIS_URL} (Rasa's conversation locks)", "the fault tests")
    trackers = f"rasa_faults_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{trackers}"'))
    rasa_env = scaleout_rasa_env(admin.url, REDIS_URL, trackers)
    tmp: Path = tmp_path_factory.mktemp("faults")
    twilio, to_backend, to_actions = FakeTwilio(ACCOUNT_SID, TWILIO_TOKEN), Proxy(), Proxy()
    backend_env = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_SMS_FROM": "+447700900000",
        "TWILIO_PUBLIC_URL": PUBLIC_URL,
        "HUB_POLL_SECONDS": "0.5",
        "RASA_TIMEOUT_SECONDS": str(RASA_TIMEOUT),
        "ALERT_SCAN_SECONDS": "0",
    }
    stack = Stack(tmp, backend_env=backend_env)
    tracker_db = create_engine(admin.url.set(database=trackers))
    try:
        with serve(twilio.app()) as twilio_url, serve(to_backend.app()) as backend_proxy, serve(to_actions.app()) as actions_proxy:
            try:
                stack.backend_env["TWILIO_API_BASE"] = twilio_url
                rasa_env["ACTION_ENDPOINT_URL"] = f"{actions_proxy}/webhook"
                w = World(stack, twilio, to_backend, to_actions, rasa_env, tracker_db, to_backend_url=backend_proxy)
                w.start_actions()
                w.start_rasa()
                yield w
            finally:
                stack.stop_all()  # before the proxies go: a turn still running would fail on them
    finally:
        stack.stop_all()
        tracker_db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{trackers}" WITH (FORCE)'))
        admin.dispose()
        with contextlib.suppress(redis.RedisError):
            client = redis.Redis.from_url(REDIS_URL)
            for key in client.scan_iter(f"{rasa_env['LOCK_STORE_PREFIX']}:*"):
                client.delete(key)


@pytest.fixture
def w(world: World, tmp_path: Path) -> Iterator[World]:
    """The world with a backend of this test's own, on a fresh database."""
    world.db = tmp_path / "complaints.db"
    world.stack.backend_env["DATABASE_URL"] = f"sqlite:///{world.db}"
    world.to_backend.trap = world.to_actions.trap = None
    world.start_backend()
    try:
        create_officer(f"sqlite:///{world.db}")
        world.officer = {"Authorization": f"Bearer {login(world.stack)}"}
        yield world
    finally:
        world.stack.stop("backend")
        # a test that failed half way leaves the others a whole system
        names = {p.name for p in world.stack.procs}
        if "actions" not in names:
            world.start_actions()
        if "rasa" not in names:
            world.start_rasa()


# -- a resident texting -------------------------------------------------------------------------------


class Resident:
    """A resident on SMS: each message goes through the signed Twilio webhook; replies come back as texts."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.number = f"+4477009{uuid.uuid4().int % 100000:05d}"
        self.sent: list[str] = []
        self.log: list[str] = []
        self.seen = 0
        self.last = ""  # the last turn's replies

    def send(self, text_: str) -> None:
        params = {"AccountSid": ACCOUNT_SID, "MessageSid": f"SM{uuid.uuid4().hex}", "From": self.number, "To": "+447700900000", "Body": text_, "NumMedia": "0"}
        sig = RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL, params)
        r = httpx.post(f"{self.w.stack.backend_url}/channels/twilio", data=params, headers={"X-Twilio-Signature": sig}, timeout=30)
        assert r.status_code == 200, r.text
        self.sent.append(text_)
        self.log.append(f"> {text_}")

    def texts(self) -> list[str]:
        return self.w.twilio.bodies_to(self.number)

    def new(self) -> str:
        """What arrived since the last look."""
        got = self.texts()[self.seen :]
        self.seen += len(got)
        self.log += got
        return "\n".join(got)

    def says(self, text_: str, expect: str) -> str:
        self.send(text_)
        self.settle()
        self.last = self.new()
        assert expect in self.last, self.history()
        return self.last

    def choice(self, title: str) -> str:
        """SMS shows buttons as numbered choices: the number to reply with for this one."""
        line = next(x for x in self.last.splitlines() if re.match(r"^\d+\. ", x) and x.split(". ", 1)[1].startswith(title))
        return line.split(".")[0]

    def picks(self, title: str, expect: str) -> str:
        return self.says(self.choice(title), expect)

    def wait_for(self, expect: str, timeout: float) -> str:
        """Wait until a text containing ``expect`` arrives; returns everything that arrived meanwhile."""
        got: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            more = self.new()
            if more:
                got.append(more)
            if expect in "\n".join(got):
                return "\n".join(got)
            time.sleep(0.1)
        raise AssertionError(f"no text with {expect!r} within {timeout} s\n{self.history()}")

    def settle(self, timeout: float = 90) -> None:
        """Wait until every message of this conversation is answered and every reply has left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with sqlite3.connect(self.w.db) as conn:
                busy = conn.execute(
                    "SELECT count(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE c.address = ? AND "
                    "((m.direction = 'in' AND m.status IN ('received', 'routing')) OR (m.direction = 'out' AND m.status IN ('pending', 'sending')))",
                    (self.number,),
                ).fetchone()[0]
            if busy == 0:
                return
            time.sleep(0.1)
        raise AssertionError(f"the conversation did not settle in {timeout} s\n{self.history()}")

    def history(self) -> str:
        return "\n".join(self.log)

    def rows(self) -> list[tuple[str, str, str, str]]:
        """The stored transcript: (direction, sender, text, status), in order."""
        with sqlite3.connect(self.w.db) as conn:
            return conn.execute(
                "SELECT m.direction, m.sender, m.text, m.status FROM messages m JOIN conversations c ON c.id = m.conversation_id "
                "WHERE c.address = ? ORDER BY m.id",
                (self.number,),
            ).fetchall()


OPENING = "I've reported the damp in my bedroom three times and nobody has come to fix it, it's disgusting"


def up_to_the_points(me: Resident, name: str) -> None:
    assert "make a complaint" in me.says(OPENING, "make a complaint")
    me.picks("Yes, make a complaint", "resident")
    me.picks("I am the resident", "full name")
    me.says(name, "contact")
    me.says("amira.khan@example.org", "postcode")
    me.says("LS6 2AB", "anything else")


def after_the_points(me: Resident) -> None:
    me.says("since March 2026", "reported this to us before")
    me.says("yes, three times on the phone", "affected")
    me.says("my asthma is worse and I sleep on the sofa", "put things right")
    me.says("fix the damp properly and an apology", "court claim")
    me.picks("No", "make this easier")
    me.says("large print letters please", "health")
    readback = me.says("no", "Is that right")
    assert "three times" in readback and "apology" in readback, me.history()


def the_complaint(w: World, me: Resident, name: str, points: list[str]) -> dict[str, Any]:
    """(a) Stored exactly once, with everything the resident said."""
    with sqlite3.connect(w.db) as conn:
        assert conn.execute("SELECT count(*) FROM complaints").fetchone()[0] == 1, "the complaint is stored once, not twice"
        assert conn.execute("SELECT count(*) FROM idempotency_keys WHERE scope = 'complaint'").fetchone()[0] == 1
    found = httpx.get(f"{w.stack.backend_url}/api/v1/complaints", params={"q": name}, headers=w.officer, timeout=10).json()
    assert len(found["items"]) == 1, found
    ref = found["items"][0]["reference"]
    assert f"Your reference is {ref}" in "\n".join(me.texts()), me.history()
    case = httpx.get(f"{w.stack.backend_url}/api/v1/complaints/{ref}", headers=w.officer, timeout=10).json()
    assert case["channel"] == "sms"
    assert case["resident"]["name"] == name and case["resident"]["email"] == "amira.khan@example.org"
    assert case["definition"]["points"] == points
    assert case["definition"]["outcomes"] == ["fix the damp properly and an apology"]
    assert case["definition"]["confirmed_by_resident"] is True
    assert case["when_described"] == "since March 2026"
    assert case["earlier_reports"] == "yes, three times on the phone"
    assert case["impact"] == "my asthma is worse and I sleep on the sofa"
    assert [a["type"] for a in case["resident"]["adjustments"]] == ["large_print"]
    return case


def the_transcript(me: Resident, notices: dict[str, int], points: int = 1) -> None:
    """(b) told what was happening, as often as expected; (c) every resident message once, answered,
    and no reply stored or sent twice (the "anything else?" question comes once per point given)."""
    rows = me.rows()
    inbound = [(r[2], r[3]) for r in rows if r[0] == "in"]
    assert inbound == [(t, "handled") for t in me.sent], me.history()
    out = [r[2] for r in rows if r[0] == "out"]
    assert all(r[3] == "sent" for r in rows if r[0] == "out"), rows
    for notice, times in notices.items():
        assert sum(notice in t for t in out) == times, f"{notice!r} should be said {times} time(s)\n{me.history()}"
    assert sum(MORE_POINTS in t for t in out) == points, me.history()
    doubled = [t for t, n in Counter(out).items() if n > 1 and MORE_POINTS not in t]
    assert not doubled, f"replies stored twice: {doubled}\n{me.history()}"
    assert Counter(me.texts()) == Counter(out), "every stored reply was sent once"
    assert sum("Your reference is CMP-" in t for t in out) == 1, me.history()


# -- the tests -------------------------------------------------------------------------------------------


def test_the_action_server_killed_while_the_complaint_is_being_submitted(w: World) -> None:
    """The submission reaches the backend and is committed; the action server dies before it can
    tell Rasa. The turn is rolled back and refused, the hub keeps the resident's "yes" and tells
    them, and once the action server is back the same submission (same idempotency key) gives the
    complaint already stored, not a second one."""
    me, name = Resident(w), "Amira Khan-Action"
    up_to_the_points(me, name)
    me.says("that's all", "When did this happen")
    after_the_points(me)

    w.to_backend.trap = Trap(lambda m, p, _: m == "POST" and p == "/api/v1/complaints", lambda: w.kill("actions"), after_forward=True)
    me.send(me.choice("Yes, that's right"))
    told = me.wait_for(HUB_NOTICE, timeout=30)
    assert w.to_backend.trap.fired.wait(30) and w.to_backend.trap.answered == 201, "the kill came after the backend stored the complaint"
    assert "technical problem" in told and "999" in told and "Your reference" not in told, me.history()
    me.send("hello? did that go through?")  # while the action server is down
    time.sleep(2)
    assert me.new() == "", "nothing more is said while it is down: they were told once"

    w.start_actions()
    done = me.wait_for("Your reference is CMP-", timeout=60)
    me.settle()  # the rest of the confirmation, and the answer to their second message
    done += "\n" + me.new()
    assert "0300 111 3000" in done, me.history()  # the Ombudsman's details, the confirmation's last part
    the_complaint(w, me, name, [OPENING])
    the_transcript(me, {ASSISTANT_DOWN: 1})


def test_rasa_killed_in_the_middle_of_a_turn(w: World) -> None:
    """Rasa dies while the action server validates the resident's second point; the resident adds a
    third while it is down. The hub keeps both and says once that it can't answer; the restarted
    Rasa (trackers in PostgreSQL) takes both, in order, each once."""
    me, name = Resident(w), "Amira Khan-Rasa"
    up_to_the_points(me, name)
    second, third = "the contractor missed two appointments without telling me", "and now the mould has spread into the living room"

    def validating_second(method: str, path: str, body: Any) -> bool:
        latest = ((body or {}).get("tracker") or {}).get("latest_message") or {}
        return method == "POST" and path == "/webhook" and (body or {}).get("next_action") == "validate_complaint_form" and latest.get("text") == second

    w.to_actions.trap = Trap(validating_second, lambda: w.kill("rasa"), after_forward=False)
    me.send(second)
    told = me.wait_for(HUB_NOTICE, timeout=30)
    assert w.to_actions.trap.fired.wait(30)  # set once the kill is done: the hub may hear of it first
    assert "technical problem" in told, me.history()
    me.send(third)  # while Rasa is down
    time.sleep(1)
    assert me.new() == "", "nothing more is said while it is down: they were told once"

    w.start_rasa()
    me.settle(timeout=120)  # the dead process's conversation lock in Redis runs out first
    answers = me.new()
    assert answers.count(MORE_POINTS) == 2, me.history()
    me.says("that's all", "When did this happen")
    after_the_points(me)
    me.picks("Yes, that's right", "Your reference is CMP-")
    the_complaint(w, me, name, [OPENING, second, third])
    the_transcript(me, {ASSISTANT_DOWN: 1}, points=3)


def test_the_backend_killed_while_it_stores_the_complaint(w: World) -> None:
    """The backend dies just after committing the complaint, before answering the action server and
    before it could store and send the turn's replies. After its restart the resident writes again:
    the abandoned turn is answered from Rasa's record (not run twice), and the kept submission is
    sent again with its key, which finds the complaint already stored."""
    me, name = Resident(w), "Amira Khan-Backend"
    up_to_the_points(me, name)
    me.says("that's all", "When did this happen")
    after_the_points(me)

    trap = Trap(lambda m, p, _: m == "POST" and p == "/api/v1/complaints", lambda: w.kill("backend"), after_forward=True, drop_answer=True)
    w.to_backend.trap = trap
    me.send(me.choice("Yes, that's right"))
    assert trap.fired.wait(30), me.history()
    assert trap.answered == 201, "the kill came after the backend stored the complaint"
    # Rasa finishes the turn without the hub (the action server gives up on the dead backend and
    # keeps the submission): only then does the backend come back, or the action server's last
    # retry could reach it and this would not be the case the test is about
    w.wait_until_rasa_said(ACTIONS_NOTICE)
    assert me.new() == "", "the backend died before it could send anything"
    with sqlite3.connect(w.db) as conn:
        assert conn.execute("SELECT count(*) FROM complaints").fetchone()[0] == 1

    w.start_backend()
    me.send("hello? did my complaint go through?")  # sent once the backend is back
    told = me.wait_for("Your reference is CMP-", timeout=90)
    assert ACTIONS_NOTICE in told, me.history()
    me.settle()
    me.new()
    the_complaint(w, me, name, [OPENING])
    the_transcript(me, {ACTIONS_NOTICE: 1, "Good news: our case system is back": 1})
