"""Two backend workers sharing PostgreSQL and Redis behave as one backend: a resident's browser on
one worker hears the agent typing on the other, the agent's console hears the resident, and work
every worker does on a timer (resending a failed text, deadline alerts) happens once.

The workers are two apps with their own event loops, hubs and live-update relays, as two uvicorn
worker processes would be; only the database and Redis are shared.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session
from starlette.testclient import WebSocketTestSession

from backend.db.models import Base
from backend.main import create_app
from backend.services import alerts
from backend.services.context import FixedClock
from backend.settings import Settings
from tests.conftest import KEEP_TABLES, REDIS_URL, redis_available
from tests.hub.conftest import RESIDENT, Fakes, HubApp
from tests.hub.test_handoff_console import SERVICE, login
from tests.hub.test_webchat_socket import start
from tests.processes import need


def until(ws: WebSocketTestSession, pred: Callable[[dict[str, object]], bool], seconds: float = 15) -> list[dict[str, object]]:
    """Frames until one matches; fails (instead of hanging) when none comes in time."""

    async def next_frame() -> dict[str, object]:
        with anyio.fail_after(seconds):
            message = await ws._send_rx.receive()
        return dict(json.loads(message["text"]))

    got: list[dict[str, object]] = []
    try:
        while True:
            got.append(ws.portal.call(next_frame))
            if pred(got[-1]):
                return got
    except TimeoutError:
        raise AssertionError(f"nothing matching arrived within {seconds} s; got {got}") from None


@dataclass
class Workers:
    a: HubApp
    b: HubApp


@pytest.fixture
def workers(fakes: Fakes, pg_database_url: str) -> Iterator[Workers]:
    need(redis_available(), f"Redis not reachable at {REDIS_URL}", "several workers on Redis")
    fakes.rasa.down = False
    fakes.twilio.sent.clear()
    fakes.twilio.fail_next.clear()
    clock = FixedClock(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC))
    settings = Settings(
        database_url=pg_database_url,
        redis_url=REDIS_URL,
        service_token="hub-service-token-" + "h" * 32,
        app_env="test",
        rasa_url=fakes.rasa_url,
        hub_poll_seconds=3600,  # the tests run retry passes themselves
        alert_scan_seconds=0,
        staff_session_hours=24 * 60,  # the clock moves on a fortnight
        twilio_account_sid="AC" + "1" * 32,
        twilio_auth_token="twilio-auth-token-for-tests",
        twilio_sms_from="+447700900000",
        twilio_public_url="https://landlord.example/channels/twilio",
        twilio_api_base=fakes.twilio_url,
    )
    app_a, app_b = create_app(settings, clock=clock), create_app(settings, clock=clock)
    try:
        with TestClient(app_a) as a, TestClient(app_b) as b:
            yield Workers(HubApp(a, clock, fakes, app_a), HubApp(b, clock, fakes, app_b))
    finally:
        tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
        engine = create_engine(pg_database_url)
        with engine.begin() as conn:
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        engine.dispose()


def test_the_agent_on_one_worker_and_the_residents_chat_on_the_other_hear_each_other(workers: Workers) -> None:
    a, b = workers.a, workers.b
    with a.client.websocket_connect("/channels/webchat/ws") as chat:
        start(chat)
        chat.send_json({"type": "message", "text": "I want to speak to a person", "client_id": "r1"})
        until(chat, lambda f: f == {"type": "typing", "on": False})
        conv = a.conversations()[0]
        handoff = b.client.post("/api/v1/handoffs", json={"conversation_id": conv.public_id, "channel": "webchat", "reason": "asked"}, headers=SERVICE)
        assert handoff.status_code == 201, handoff.text
        agent, _ = login(b, "agent")
        assert b.client.post(f"/api/v1/agent/handoffs/{handoff.json()['id']}/claim", headers=agent).status_code == 200
        with b.client.websocket_connect("/api/v1/agent/live") as console:
            console.send_json({"type": "auth", "token": agent["Authorization"].split()[1]})
            assert console.receive_json()["type"] == "ready"
            console.send_json({"type": "watch", "conversation_id": conv.id})
            sent = b.client.post(f"/api/v1/agent/handoffs/{handoff.json()['id']}/messages", json={"text": "Hi, I'm Ada."}, headers=agent)
            assert sent.json()["status"] == "sent"  # the resident's browser is connected, to the other worker
            assert until(chat, lambda f: f.get("sender") == "agent")[-1]["text"] == "Hi, I'm Ada."
            chat.send_json({"type": "message", "text": "Thank you, it's the boiler again", "client_id": "r2"})
            heard = until(console, lambda f: f.get("type") == "message" and f.get("sender") == "resident")
            assert heard[-1]["text"] == "Thank you, it's the boiler again"
    assert [m.text for m in a.messages() if m.sender in ("resident", "agent")] == [
        "I want to speak to a person",
        "Hi, I'm Ada.",
        "Thank you, it's the boiler again",
    ]


def test_a_failed_text_is_resent_once_when_both_workers_retry_at_the_same_moment(workers: Workers) -> None:
    a, b = workers.a, workers.b
    a.fakes.twilio.fail_next.extend([503, 503])
    a.sms("hello", "SM1")
    assert a.fakes.twilio.sent == []
    a.clock.at += dt.timedelta(seconds=3)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda w: w.retry_pass(), [a, b, a, b]))
    assert a.fakes.twilio.bodies_to(RESIDENT) == ["You said: hello", "Anything else?"]
    assert [m.status for m in a.messages() if m.direction == "out"] == ["sent", "sent"]


def test_deadline_alerts_scanned_by_both_workers_at_once_are_raised_once(workers: Workers) -> None:
    a, b = workers.a, workers.b
    officer, officer_id = login(a, "officer", "Olu Officer")
    body = {"channel": "webchat", "resident": {"name": "Amira Khan", "postcode": "LS6 2AB"}, "definition": {"points": ["Damp"], "outcomes": ["Fix it"]}}
    refs = [a.client.post("/api/v1/complaints", json=body, headers=SERVICE).json()["reference"] for _ in range(3)]
    for ref in refs:
        assert b.client.post(f"/api/v1/complaints/{ref}/acknowledge", json={}, headers=officer).status_code == 200
    a.clock.at = dt.datetime(2026, 6, 16, 9, tzinfo=dt.UTC)  # the responses were due on Monday 15 June

    def scan(w: HubApp) -> alerts.ScanResult:
        with Session(w.app.state.engine) as session:
            result = alerts.scan(session, w.app.state.ctx)
            session.commit()
            return result

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(scan, [a, b]))
    results.append(scan(b))
    mine = a.client.get("/api/v1/alerts", headers=officer)
    assert mine.status_code == 200, mine.text
    mine = mine.json()
    assert sorted(x["reference"] for x in mine) == sorted(refs)
    assert sum(r.created for r in results) == len(refs) * (1 + _managers(a))
    assert officer_id


def _managers(w: HubApp) -> int:
    with w.app.state.sessionmaker() as s:
        return int(s.scalar(text("SELECT count(*) FROM staff_users WHERE role = 'manager' AND active")) or 0)
