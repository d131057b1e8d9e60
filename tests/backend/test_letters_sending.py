"""Sending a letter on the resident's own conversation through the hub: web chat (seen at once in
their open chat) and SMS (split by the channel's rules, nothing lost), once only.

Uses the hub with local fakes of Twilio and Rasa (tests/hub/conftest.py), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import uuid
from typing import Any

from backend.services import staff
from tests.backend.helpers import DEFINITION, RESPONSE
from tests.hub.conftest import RESIDENT, HubApp, fakes, hub_app  # noqa: F401 - the hub and its fakes, as fixtures
from tests.hub.test_webchat_socket import start, until

SERVICE = {"Authorization": "Bearer hub-service-token-" + "h" * 32}
PASSWORD = "a long enough officer password"


def officer(hub: HubApp) -> dict[str, str]:
    email = f"letters-officer-{uuid.uuid4().hex[:8]}@landlord.example"  # staff rows outlive a test on PostgreSQL
    with hub.app.state.sessionmaker() as s:
        staff.create_user(s, email, "Olu Officer", staff.Role.OFFICER, PASSWORD)
        s.commit()
    token = hub.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
    return {"Authorization": f"Bearer {token}"}


def complaint_from(hub: HubApp, channel: str, conversation_public_id: str, **resident: Any) -> str:
    """What the bot does at the end of a complaint: record it, naming its conversation as the resident's."""
    body = {
        "channel": channel,
        "resident": {"name": "Amira Khan", "postcode": "LS6 2AB", "identities": [{"channel": channel, "address": conversation_public_id}], **resident},
        "definition": DEFINITION,
    }
    r = hub.client.post("/api/v1/complaints", json=body, headers=SERVICE)
    assert r.status_code == 201, r.text
    return str(r.json()["reference"])


def command(hub: HubApp, h: dict[str, str], ref: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
    r = hub.client.post(f"/api/v1/complaints/{ref}/{action}", json=body, headers=h)
    assert r.status_code == 200, r.text
    return r.json()["notice"]  # type: ignore[no-any-return]


def test_a_letter_sent_on_web_chat_reaches_the_residents_open_chat_once(hub_app: HubApp) -> None:  # noqa: F811 - the fixture
    h = officer(hub_app)
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        start(ws)
        ws.send_json({"type": "message", "text": "I want to make a complaint", "client_id": "c1"})
        until(ws, lambda f: f == {"type": "typing", "on": False})
        conv = hub_app.conversations()[0]
        ref = complaint_from(hub_app, "webchat", conv.public_id)
        notice = command(hub_app, h, ref, "acknowledge", {"letter": {"note": "Your surveyor is Sam."}})

        r = hub_app.client.post(f"/api/v1/letters/{notice['id']}/send", json={"route": "channel"}, headers=h)
        assert r.status_code == 200, r.text
        out = r.json()
        assert out["delivery"] == "webchat" and out["delivery_status"] == "sent" and out["conversation_id"] == conv.id
        assert out["message_statuses"] == ["sent"]
        frame = until(ws, lambda f: f.get("type") == "message" and f.get("sender") == "system")[-1]
    assert frame["text"].startswith("We have received your complaint\n\n")
    assert "Monday 15 June 2026" in frame["text"] and "Your surveyor is Sam." in frame["text"] and "0300 111 3000" in frame["text"]
    stored = [m for m in hub_app.messages("webchat") if m.sender == "system"]
    assert len(stored) == 1 and stored[0].payload == {"letter_id": notice["id"]} and stored[0].status == "sent"

    again = hub_app.client.post(f"/api/v1/letters/{notice['id']}/send", json={"route": "channel"}, headers=h)
    assert again.status_code == 409 and again.json()["code"] == "letter_already_sent" and "sent on webchat" in again.json()["detail"]
    assert len([m for m in hub_app.messages("webchat") if m.sender == "system"]) == 1
    events = hub_app.client.get(f"/api/v1/complaints/{ref}/events", headers=h).json()
    sent = [e for e in events if e["type"] == "letter_sent"]
    assert len(sent) == 1 and sent[0]["details"]["channel"] == "webchat" and sent[0]["details"]["message_ids"] == [stored[0].id]


def test_a_long_letter_on_sms_is_split_by_the_channels_rules_and_nothing_is_lost(hub_app: HubApp) -> None:  # noqa: F811 - the fixture
    h = officer(hub_app)
    hub_app.sms("I want to make a complaint", "SM1")
    conv = hub_app.conversations()[0]
    ref = complaint_from(hub_app, "sms", conv.public_id, preferred_contact_method="sms")
    command(hub_app, h, ref, "acknowledge", {})
    reasons = " ".join(f"On visit {i} the operative found the extractor fan had failed again." for i in range(40))
    notice = command(hub_app, h, ref, "respond", {**RESPONSE, "reasons": reasons})
    before = len(hub_app.fakes.twilio.sent)

    r = hub_app.client.post(f"/api/v1/letters/{notice['id']}/send", json={"route": "channel"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json()["delivery"] == "sms" and set(r.json()["message_statuses"]) == {"sent"}
    parts = hub_app.fakes.twilio.bodies_to(RESIDENT)[-len(r.json()["message_statuses"]) :]
    assert len(hub_app.fakes.twilio.sent) - before == len(parts) >= 2
    assert all(len(p) <= 1600 for p in parts)
    letter = hub_app.client.get(f"/api/v1/letters/{notice['id']}", headers=h).json()
    assert " ".join(" ".join(parts).split()) == " ".join(f"{letter['title']}\n\n{letter['body']}".split())


def test_a_resident_who_sent_stop_is_not_sent_the_letter_by_sms(hub_app: HubApp) -> None:  # noqa: F811 - the fixture
    h = officer(hub_app)
    hub_app.sms("I want to make a complaint", "SM1")
    conv = hub_app.conversations()[0]
    ref = complaint_from(hub_app, "sms", conv.public_id)
    notice = command(hub_app, h, ref, "acknowledge", {})
    hub_app.sms("STOP", "SM2")
    r = hub_app.client.post(f"/api/v1/letters/{notice['id']}/send", json={"route": "channel"}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "no_open_conversation" and "STOP" in r.json()["detail"]
    assert hub_app.client.post(f"/api/v1/letters/{notice['id']}/send", json={"route": "post"}, headers=h).json()["delivery_status"] == "to_post"
