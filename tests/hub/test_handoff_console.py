"""Handing a conversation to a person: the queue, claims, replies on the resident's channel, notes,
transfer, hand-back and close, with the owner field deciding who may speak."""

from __future__ import annotations

import datetime as dt
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from backend.services import staff
from tests.hub.conftest import RESIDENT, HubApp

PASSWORD = "a long enough staff password"
SERVICE = {"Authorization": "Bearer hub-service-token-" + "h" * 32}


def login(hub_app: HubApp, role: str, name: str = "Ada Agent") -> tuple[dict[str, str], int]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@landlord.example"  # staff rows outlive a test on PostgreSQL
    with hub_app.app.state.sessionmaker() as s:
        user = staff.create_user(s, email, name, staff.Role(role), PASSWORD)
        s.commit()
        uid = user.id
    token = hub_app.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}, uid


def hand_over(hub_app: HubApp, reason: str = "asked", draft: dict[str, Any] | None = None, sid: str = "SM1", sender: str = RESIDENT) -> dict[str, Any]:
    """The resident texts; the bot (as its action would) asks the backend for a person."""
    hub_app.sms("can I speak to someone", sid, sender=sender)
    conv = next(c for c in reversed(hub_app.conversations()) if c.address == sender)
    body = {"conversation_id": conv.public_id, "channel": "sms", "reason": reason, "last_message": "can I speak to someone", "draft": draft or {}}
    r = hub_app.client.post("/api/v1/handoffs", json=body, headers=SERVICE)
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_while_waiting_the_residents_messages_are_kept_for_the_agent_not_the_bot(hub_app: HubApp) -> None:
    out = hand_over(hub_app, draft={"complaint_points": ["the damp is back"], "outcome_wanted": "fix it", "acting_for": "representative"})
    assert out["position"] == 1 and out["open_now"] is True
    assert hub_app.conversations()[0].owner == "queue"
    asked = len(hub_app.fakes.rasa.received)
    hub_app.sms("also the heating is off", "SM2")
    assert len(hub_app.fakes.rasa.received) == asked  # not sent to the bot
    assert hub_app.messages()[-1].status == "for_agent"
    agent, _ = login(hub_app, "agent")
    queue = hub_app.client.get("/api/v1/agent/queue", headers=agent).json()
    assert [(q["reason"], q["channel"], q["status"]) for q in queue] == [("asked", "sms", "queued")]
    assert queue[0]["flags"] == {"safeguarding": False, "adjustments": False, "representative": True}
    view = hub_app.client.get(f"/api/v1/agent/handoffs/{out['id']}", headers=agent).json()
    assert view["draft"]["outcome_wanted"] == "fix it"
    assert [m["text"] for m in view["conversation"]["messages"] if m["direction"] == "in"] == ["can I speak to someone", "also the heating is off"]


def test_only_one_of_two_agents_claiming_together_gets_the_conversation(hub_app: HubApp) -> None:
    out = hand_over(hub_app)
    ada, _ = login(hub_app, "agent", "Ada Agent")
    bo, _ = login(hub_app, "agent", "Bo Agent")
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda h: hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/claim", headers=h), [ada, bo] * 3))
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409, 409, 409, 409, 409]
    loser = next(r for r in results if r.status_code == 409).json()
    assert "already taken" in loser["detail"]
    assert hub_app.conversations()[0].owner == "agent"


def test_the_agent_talks_on_the_residents_channel_and_the_bot_stays_quiet(hub_app: HubApp) -> None:
    out = hand_over(hub_app)
    agent, agent_id = login(hub_app, "agent")
    assert hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/claim", headers=agent).status_code == 200
    r = hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/messages", json={"text": "Hi, I'm Ada from the contact centre."}, headers=agent)
    assert r.status_code == 201 and r.json()["status"] == "sent"
    assert hub_app.fakes.twilio.bodies_to(RESIDENT)[-1] == "Hi, I'm Ada from the contact centre."
    # a late reply from the bot is never sent while the agent owns the conversation
    conv_id = hub_app.conversations()[0].id
    late = hub_app.run(hub_app.app.state.hub.say, conv_id, "bot", "Anything else?")
    assert [m.status for m in hub_app.messages() if m.id == late.id] == ["suppressed"]
    # the resident's answer reaches the agent, not the bot
    asked = len(hub_app.fakes.rasa.received)
    hub_app.sms("thanks Ada", "SM9")
    assert len(hub_app.fakes.rasa.received) == asked
    # an internal note is kept and never sent
    sent = len(hub_app.fakes.twilio.sent)
    note = hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/notes", json={"text": "Sounds anxious; check adjustments"}, headers=agent)
    assert note.status_code == 201 and note.json()["direction"] == "note"
    assert len(hub_app.fakes.twilio.sent) == sent
    stored = hub_app.messages()
    assert any(m.agent_id == agent_id and m.sender == "agent" for m in stored)


def test_an_agent_who_has_not_claimed_it_cannot_speak(hub_app: HubApp) -> None:
    out = hand_over(hub_app)
    ada, _ = login(hub_app, "agent")
    bo, bo_id = login(hub_app, "agent", "Bo Agent")
    assert hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/messages", json={"text": "hello"}, headers=ada).status_code == 409
    hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/claim", headers=ada)
    moved = hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/transfer", json={"agent_id": bo_id}, headers=ada)
    assert moved.status_code == 200 and moved.json()["claimed_by_name"] == "Bo Agent"
    assert hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/messages", json={"text": "still me"}, headers=ada).status_code == 409
    assert hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/messages", json={"text": "Bo here"}, headers=bo).status_code == 201


def test_hand_back_lets_the_bot_resume_and_say_what_happened(hub_app: HubApp) -> None:
    out = hand_over(hub_app)
    agent, _ = login(hub_app, "agent")
    hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/claim", headers=agent)
    r = hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/hand-back", json={"summary": "I've booked the repair for Friday."}, headers=agent)
    assert r.status_code == 200 and r.json()["status"] == "handed_back"
    sent = hub_app.fakes.rasa.received[-1]
    assert sent["message"] == "/agent_handed_back" and sent["metadata"]["handback"]["summary"] == "I've booked the repair for Friday."
    assert hub_app.fakes.twilio.bodies_to(RESIDENT)[-1] == "You're back with the assistant. I've booked the repair for Friday."
    assert hub_app.conversations()[0].owner == "bot"
    hub_app.sms("thanks", "SM5")
    assert hub_app.fakes.rasa.messages()[-1] == "thanks"  # the bot has the conversation again


def test_close_ends_the_conversation_and_the_next_message_starts_a_new_one(hub_app: HubApp) -> None:
    out = hand_over(hub_app)
    agent, _ = login(hub_app, "agent")
    hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/claim", headers=agent)
    assert hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/close", json={"outcome": ""}, headers=agent).status_code == 422
    r = hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/close", json={"outcome": "repair booked"}, headers=agent)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    assert "has ended" in hub_app.fakes.twilio.bodies_to(RESIDENT)[-1]
    hub_app.sms("one more thing", "SM7")
    convs = hub_app.conversations()
    assert [c.status for c in convs] == ["closed", "open"] and convs[1].owner == "bot"
    assert hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/messages", json={"text": "hi"}, headers=agent).status_code == 409


def test_safeguarding_jumps_the_queue(hub_app: HubApp) -> None:
    first = hand_over(hub_app, "asked", sid="SMa", sender="+447700900201")
    hub_app.clock.at += dt.timedelta(minutes=5)
    urgent = hand_over(hub_app, "safeguarding", sid="SMb", sender="+447700900202")
    assert urgent["position"] == 1
    agent, _ = login(hub_app, "agent")
    queue = hub_app.client.get("/api/v1/agent/queue", headers=agent).json()
    assert [q["id"] for q in queue] == [urgent["id"], first["id"]]
    assert queue[0]["flags"]["safeguarding"] is True and queue[1]["waiting_seconds"] == 300


def test_out_of_hours_on_a_bank_holiday_the_resident_is_told_when_someone_will_reply(hub_app: HubApp) -> None:
    hub_app.clock.at = dt.datetime(2026, 12, 25, 10, 0, tzinfo=dt.UTC)  # Christmas Day, a Friday
    out = hand_over(hub_app)
    assert out["open_now"] is False and out["estimated_wait_minutes"] is None
    # Boxing Day is a Saturday, so its bank holiday moves to Monday 28th: the next opening is Tuesday
    assert out["next_opening"].startswith("2026-12-29T08:00")


def test_a_managers_keyword_sends_the_conversation_to_a_person(hub_app: HubApp) -> None:
    manager, _ = login(hub_app, "manager", "Mo Manager")
    agent, _ = login(hub_app, "agent")
    assert hub_app.client.post("/api/v1/handoff-keywords", json={"phrase": "Solicitor"}, headers=agent).status_code == 403
    assert hub_app.client.post("/api/v1/handoff-keywords", json={"phrase": "Solicitor"}, headers=manager).status_code == 201
    assert hub_app.client.post("/api/v1/handoff-keywords", json={"phrase": "solicitor"}, headers=manager).status_code == 409
    hub_app.sms("my solicitor says you must fix the roof", "SMk")
    assert hub_app.fakes.rasa.received == []
    assert "member of our team" in hub_app.fakes.twilio.bodies_to(RESIDENT)[-1]
    queue = hub_app.client.get("/api/v1/agent/queue", headers=agent).json()
    assert [q["reason"] for q in queue] == ["keyword"]


def test_a_resident_whose_record_says_they_need_a_person_goes_straight_to_one(hub_app: HubApp) -> None:
    hub_app.sms("hello", "SMp1")
    conv = hub_app.conversations()[0]
    resident = {"name": "Pat Jones", "identities": [{"channel": "sms", "address": conv.public_id}], "adjustments": [{"type": "needs_person", "agreed": True}]}
    body = {"channel": "sms", "service_code": "general", "description": "Asked to speak to a person", "resident": resident}
    assert hub_app.client.post("/api/v1/service-requests", json=body, headers=SERVICE).status_code == 201
    asked = len(hub_app.fakes.rasa.received)
    hub_app.sms("it's me again", "SMp2")
    assert len(hub_app.fakes.rasa.received) == asked
    agent, _ = login(hub_app, "agent")
    assert [q["reason"] for q in hub_app.client.get("/api/v1/agent/queue", headers=agent).json()] == ["needs_person"]


def test_a_message_arriving_during_hand_back_is_kept_once(hub_app: HubApp) -> None:
    out = hand_over(hub_app)
    agent, _ = login(hub_app, "agent")
    hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/claim", headers=agent)
    with ThreadPoolExecutor(2) as pool:
        back = pool.submit(hub_app.client.post, f"/api/v1/agent/handoffs/{out['id']}/hand-back", json={"summary": "done"}, headers=agent)
        text = pool.submit(hub_app.sms, "wait, one more thing", "SMrace")
        assert back.result().status_code == 200 and text.result().status_code == 200
    hub_app.clock.at += dt.timedelta(seconds=10)
    hub_app.retry_pass()
    kept = [m for m in hub_app.messages() if m.text == "wait, one more thing"]
    assert len(kept) == 1 and kept[0].status in ("for_agent", "handled")


def test_the_console_is_for_agents_and_managers(hub_app: HubApp) -> None:
    officer, _ = login(hub_app, "officer", "Olu Officer")
    assert hub_app.client.get("/api/v1/agent/queue").status_code == 401
    assert hub_app.client.get("/api/v1/agent/queue", headers=officer).status_code == 403
    assert hub_app.client.get("/api/v1/agent/queue", headers=SERVICE).status_code == 403


def test_the_live_feed_tells_a_console_when_the_queue_changes(hub_app: HubApp) -> None:
    agent, _ = login(hub_app, "agent")
    token = agent["Authorization"].split()[1]
    with hub_app.client.websocket_connect("/api/v1/agent/live") as ws:
        ws.send_json({"type": "auth", "token": token})
        assert ws.receive_json()["type"] == "ready"
        out = hand_over(hub_app)
        event = ws.receive_json()
        assert event["type"] == "queue"
        ws.send_json({"type": "watch", "conversation_id": hub_app.conversations()[0].id})
        hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/claim", headers=agent)
        assert ws.receive_json()["type"] == "queue"
        hub_app.sms("are you there?", "SMlive")
        seen = ws.receive_json()
        assert seen["type"] == "message" and seen["text"] == "are you there?"
    with hub_app.client.websocket_connect("/api/v1/agent/live") as ws:
        ws.send_json({"type": "auth", "token": "not-a-token"})
        assert ws.receive_json()["type"] == "error"


def test_the_agent_turns_the_conversation_into_a_complaint_with_the_same_rules_as_the_bot(hub_app: HubApp) -> None:
    out = hand_over(hub_app, draft={"resident_name": "Amira Khan", "complaint_points": ["Nobody came to fix the damp"], "outcome_wanted": "fix it"})
    agent, _ = login(hub_app, "agent")
    body = {
        "channel": "sms",
        "resident": {"name": "Amira Khan", "postcode": "LS6 2AB"},
        "definition": {"points": ["Nobody came to fix the damp"], "outcomes": ["fix it"], "confirmed_by_resident": True},
    }
    assert hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/complaint", json=body, headers=agent).status_code == 409  # not claimed
    hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/claim", headers=agent)
    bad = hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/complaint", json={**body, "channel": "pigeon"}, headers=agent)
    assert bad.status_code == 422
    made = hub_app.client.post(f"/api/v1/agent/handoffs/{out['id']}/complaint", json=body, headers=agent)
    assert made.status_code == 201, made.text
    ref = made.json()["reference"]
    assert ref.startswith("CMP-") and ref in hub_app.fakes.twilio.bodies_to(RESIDENT)[-1]
    assert hub_app.conversations()[0].resident_id == made.json()["resident"]["id"]
    view = hub_app.client.get(f"/api/v1/agent/handoffs/{out['id']}", headers=agent).json()
    assert [c["reference"] for c in view["open_cases"]] == [ref]


def test_a_console_watching_is_not_delivery_to_a_resident_whose_chat_is_closed(hub_app: HubApp) -> None:
    with hub_app.client.websocket_connect("/channels/webchat/ws") as chat:
        chat.send_json({"type": "hello", "token": None})
        chat.receive_json()
        chat.send_json({"type": "message", "text": "I want a person", "client_id": "p1"})
        while chat.receive_json() != {"type": "typing", "on": False}:
            pass
    conv = hub_app.conversations()[0]
    body = {"conversation_id": conv.public_id, "channel": "webchat", "reason": "asked"}
    handoff = hub_app.client.post("/api/v1/handoffs", json=body, headers=SERVICE).json()
    agent, _ = login(hub_app, "agent")
    hub_app.client.post(f"/api/v1/agent/handoffs/{handoff['id']}/claim", headers=agent)
    with hub_app.client.websocket_connect("/api/v1/agent/live") as console:
        console.send_json({"type": "auth", "token": agent["Authorization"].split()[1]})
        assert console.receive_json()["type"] == "ready"
        console.send_json({"type": "watch", "conversation_id": conv.id})
        sent = hub_app.client.post(f"/api/v1/agent/handoffs/{handoff['id']}/messages", json={"text": "Hello?"}, headers=agent).json()
        assert sent["status"] == "pending"  # the resident's chat is closed: they get it when they come back
