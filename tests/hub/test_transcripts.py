"""Staff see a conversation's whole transcript, and a resident's conversations on every channel are
joined to their one record."""

from __future__ import annotations

import uuid

from backend.services import staff
from tests.fakes.telegram_api import update_message
from tests.hub.conftest import RESIDENT, HubApp

PASSWORD = "a long enough agent password"


def agent_headers(hub_app: HubApp) -> dict[str, str]:
    email = f"hub-agent-{uuid.uuid4().hex[:8]}@landlord.example"  # staff rows outlive a test on PostgreSQL
    with hub_app.app.state.sessionmaker() as s:
        staff.create_user(s, email, "Ada Agent", staff.Role.AGENT, PASSWORD)
        s.commit()
    token = hub_app.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def test_staff_read_the_transcript_with_delivery_status_and_nobody_else_can(hub_app: HubApp) -> None:
    hub_app.sms("choose", "SM1")
    conv = hub_app.conversations()[0]
    agent = agent_headers(hub_app)
    out = hub_app.client.get(f"/api/v1/conversations/{conv.id}", headers=agent).json()
    assert out["channel"] == "sms" and out["address"] == RESIDENT and out["owner"] == "bot"
    assert [(m["direction"], m["sender"], m["status"]) for m in out["messages"]] == [("in", "resident", "handled"), ("out", "bot", "sent")]
    assert out["messages"][1]["buttons"] == [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    assert hub_app.client.get(f"/api/v1/conversations/{conv.id}").status_code == 401
    service = {"Authorization": "Bearer hub-service-token-" + "h" * 32}
    assert hub_app.client.get(f"/api/v1/conversations/{conv.id}", headers=service).status_code == 403
    assert hub_app.client.get("/api/v1/conversations/999", headers=agent).status_code == 404


def test_a_residents_conversations_on_two_channels_are_joined_to_one_record(hub_app: HubApp) -> None:
    hub_app.sms("my boiler is broken", "SM1")
    sms_conv = hub_app.conversations()[0]
    # the bot records the request and names its conversation as the resident's identity
    body = {
        "channel": "sms",
        "service_code": "repairs_heating",
        "description": "Boiler broken",
        "resident": {"name": "Amira Khan", "identities": [{"channel": "sms", "address": sms_conv.public_id}]},
    }
    service = {"Authorization": "Bearer hub-service-token-" + "h" * 32}
    assert hub_app.client.post("/api/v1/service-requests", json=body, headers=service).status_code == 201
    linked = hub_app.conversations()[0]
    assert linked.resident_id is not None
    # the phone number is now on the record: her next conversation from it starts linked
    with hub_app.app.state.sessionmaker() as s:
        from backend.db.models import Conversation

        s.get(Conversation, linked.id).status = "closed"  # type: ignore[union-attr]
        s.commit()
    hub_app.sms("it's still broken", "SM2")
    newest = hub_app.conversations()[-1]
    assert newest.id != linked.id and newest.resident_id == linked.resident_id
    # an agent recognises her on Telegram and links that conversation too
    hub_app.telegram(update_message(1, 321, "hello, it's Amira"))
    tg = next(c for c in hub_app.conversations() if c.channel == "telegram")
    agent = agent_headers(hub_app)
    r = hub_app.client.post(f"/api/v1/conversations/{tg.id}/resident", json={"resident_id": linked.resident_id}, headers=agent)
    assert r.status_code == 200
    mine = hub_app.client.get(f"/api/v1/conversations?resident_id={linked.resident_id}", headers=agent).json()
    assert sorted(c["channel"] for c in mine) == ["sms", "sms", "telegram"]
