"""A resident's whole history made the way it happens: a text conversation, a complaint through the
action server, the officer's casework, a service request, a handoff to an agent; and a way to look
for a resident's personal details anywhere in the database.

Every piece of personal text carries the resident's tag, so "is anything of theirs left?" is a
search of every table for the tag (and their phone number and postcode).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from backend.db.models import Base
from backend.hub import store
from tests.backend.helpers import RESPONSE, ok
from tests.conftest import Backend


@dataclass(frozen=True)
class Person:
    tag: str  # in every piece of their personal text
    phone: str
    postcode: str

    @property
    def personal(self) -> tuple[str, ...]:
        """What must not survive anonymisation (and must all be in their export)."""
        return (self.tag, self.phone.lstrip("+"), self.postcode, self.postcode.replace(" ", ""))


AMIRA = Person("Zephyrine", "+447700900555", "QQ9 9QA")
BRYN = Person("Quillon", "+447700900666", "QQ8 8QB")


def sessionmaker(b: Backend) -> Any:
    return b.client.app.state.sessionmaker  # type: ignore[attr-defined]


def sms_conversation(b: Backend, p: Person, text: str) -> str:
    """The resident texts in: the conversation and their message are stored as the Twilio webhook
    stores them (``hub.store``, which links a known number to its resident), and the bot replies."""
    now = b.clock.now()
    with sessionmaker(b)() as s:
        conv = store.open_conversation(s, "sms", p.phone, now)
        store.record_inbound(s, conv, text, {}, f"SM{conv.id}-{now.timestamp():.0f}", now, status="handled")
        store.record_outbound(s, conv.id, "bot", "Thanks. I'll take down your complaint.", {}, now, status="sent")
        s.commit()
        return conv.public_id


def history(b: Backend, p: Person, on: dt.date) -> dict[str, Any]:
    """Everything a resident can leave on the record, starting on ``on`` and finished (closed) 20 days later."""
    t = p.tag
    b.travel_to(on)
    public_id = sms_conversation(b, p, f"{t} here, the damp in my flat is getting worse")
    body = {
        "channel": "sms",
        "resident": {
            "name": f"{t} Khan",
            "address": f"12 {t} Street, Leeds",
            "postcode": p.postcode,
            "email": f"{t.lower()}@example.org",
            "phone": p.phone,
            "contact_times": f"{t}: mornings",
            "disclosed_needs": [f"{t} has a visual impairment"],
            "consent_to_record_needs": True,
            "adjustments": [{"type": "large_print", "detail": f"{t} needs 16pt", "agreed": True}],
            "identities": [{"channel": "sms", "address": public_id}],
        },
        "representative": {"name": f"{t} Senior", "relationship": "family", "contact": f"{t}-rep@example.org"},
        "definition": {"points": [f"{t}: damp in the back bedroom"], "outcomes": [f"{t}: fix the damp"]},
        "category": "repairs",
        "when_described": f"since March, says {t}",
        "impact": f"{t}'s children are coughing",
        "earlier_reports": f"{t} phoned twice",
    }
    r = b.client.post("/api/v1/complaints", json=body, headers=b.as_("service"))
    assert r.status_code == 201, r.text
    ref = r.json()["reference"]
    case = b.client.get(f"/api/v1/complaints/{ref}", headers=b.as_("officer")).json()
    rid = case["resident"]["id"]
    ok(b, ref, "acknowledge", {})
    b.travel_to(on + dt.timedelta(days=7))
    ok(b, ref, "respond", RESPONSE)
    action = b.client.post(f"/api/v1/complaints/{ref}/actions", json={"kind": "repair", "description": f"Treat {t}'s damp"}, headers=b.as_("officer"))
    assert action.status_code == 201, action.text
    r = b.client.post(f"/api/v1/complaints/{ref}/actions/{action.json()['id']}/done", json={"resident_update": f"Dear {t}, done"}, headers=b.as_("officer"))
    assert r.status_code == 200, r.text
    restriction = {
        "restriction": f"{t}: email only",
        "reasons": f"{t} shouted",
        "equality_considerations": f"{t}: none known",
        "review_on": str(on + dt.timedelta(days=60)),
    }
    r = b.client.post(f"/api/v1/residents/{rid}/contact-restrictions", json=restriction, headers=b.as_("officer"))
    assert r.status_code == 201, r.text
    xid = r.json()["contact_restrictions"][0]["id"]
    r = b.client.post(f"/api/v1/residents/{rid}/contact-restrictions/{xid}/end", json={"reason": f"{t} apologised"}, headers=b.as_("officer"))
    assert r.status_code == 200, r.text
    sr = b.client.post(
        "/api/v1/service-requests",
        json={
            "channel": "sms",
            "service_code": "damp",
            "description": f"{t}: mould on the ceiling",
            "location": f"12 {t} Street",
            "postcode": p.postcode,
            "access_notes": f"{t}'s dog",
            "resident": {"name": f"{t} Khan", "identities": [{"channel": "sms", "address": p.phone}]},
        },
        headers=b.as_("service"),
    )
    assert sr.status_code == 201, sr.text
    sr_ref = sr.json()["service_request_id"]
    offer = {"conversation_id": public_id, "channel": "sms", "context": f"{t} is fed up"}
    assert b.client.post("/api/v1/complaint-offers", json=offer, headers=b.as_("service")).status_code == 201
    handoff = {
        "conversation_id": public_id,
        "channel": "sms",
        "reason": "asked",
        "last_message": f"{t} wants a person",
        "draft": {"resident_name": f"{t} Khan"},
    }
    h = b.client.post("/api/v1/handoffs", json=handoff, headers=b.as_("service"))
    assert h.status_code == 201, h.text
    hid = h.json()["id"]
    assert b.client.post(f"/api/v1/agent/handoffs/{hid}/claim", headers=b.as_("agent")).status_code == 200
    assert b.client.post(f"/api/v1/agent/handoffs/{hid}/messages", json={"text": f"Hello {t}"}, headers=b.as_("agent")).status_code == 201
    assert b.client.post(f"/api/v1/agent/handoffs/{hid}/notes", json={"text": f"{t} sounded upset"}, headers=b.as_("agent")).status_code == 201
    b.travel_to(on + dt.timedelta(days=20))
    r = b.client.patch(f"/api/v1/service-requests/{sr_ref}", json={"status": "closed", "status_notes": f"{t}: fixed"}, headers=b.as_("officer"))
    assert r.status_code == 200, r.text
    ok(b, ref, "close", {"learning": "Check damp reports within a week"})
    r = b.client.post(f"/api/v1/agent/handoffs/{hid}/close", json={"outcome": f"{t} satisfied"}, headers=b.as_("agent"))
    assert r.status_code == 200, r.text
    return {"resident_id": rid, "reference": ref, "service_request": sr_ref, "conversation": public_id, "handoff": hid}


def everything(b: Backend) -> str:
    """Every row of every table, as text: what a search for a resident's details would find."""
    out = []
    with sessionmaker(b)() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)):
                out.append(json.dumps([str(v) if not isinstance(v, dict | list) else v for v in row], default=str))
    return "\n".join(out)


def found(text: str, p: Person) -> list[str]:
    return [s for s in p.personal if s in text]
