"""A subject-access request (UK GDPR Art. 15): a manager exports everything held on one resident,
as a JSON download, and the export is itself recorded."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from backend.db.models import Conversation, Correspondence, Event, Message
from tests.backend.privacy_helpers import AMIRA, BRYN, found, history, sessionmaker
from tests.conftest import Backend


def export(b: Backend, rid: int, as_: str = "manager") -> dict:
    r = b.client.get(f"/api/v1/residents/{rid}/subject-access", headers=b.as_(as_))
    assert r.status_code == 200, r.text
    assert r.headers["content-disposition"].startswith('attachment; filename="subject-access-resident-')
    assert r.headers["cache-control"] == "no-store"
    return r.json()


def test_the_export_holds_everything_on_the_resident_and_nothing_of_anyone_else(backend: Backend) -> None:
    mine = history(backend, AMIRA, dt.date(2026, 3, 2))
    theirs = history(backend, BRYN, dt.date(2026, 3, 9))
    backend.travel_to(dt.date(2026, 6, 1))
    doc = export(backend, mine["resident_id"])
    text = json.dumps(doc)
    assert found(text, AMIRA) == list(AMIRA.personal), "their name, phone and postcode are all in it"
    assert found(text, BRYN) == [] and theirs["reference"] not in text and theirs["conversation"] not in text

    # the person, how we reach them, what they need and who acts for them
    assert doc["resident"]["name"] == "Zephyrine Khan" and doc["resident"]["phone"] == AMIRA.phone and doc["resident"]["postcode"] == AMIRA.postcode
    assert {(i["channel"], i["address"]) for i in doc["identities"]} == {("sms", mine["conversation"]), ("sms", AMIRA.phone)}
    assert doc["disclosed_needs"] == ["Zephyrine has a visual impairment"]
    assert [(a["type"], a["detail"]) for a in doc["adjustments"]] == [("large_print", "Zephyrine needs 16pt")]
    assert [r["name"] for r in doc["representatives"]] == ["Zephyrine Senior"]
    (restriction,) = doc["contact_restrictions"]
    assert restriction["reasons"] == "Zephyrine shouted" and restriction["end_reason"] == "Zephyrine apologised"

    # the complaint with every definition, letter, action and event
    (complaint,) = doc["complaints"]
    assert complaint["reference"] == mine["reference"] and complaint["status"] == "closed" and complaint["impact"] == "Zephyrine's children are coughing"
    assert complaint["definitions"][0]["points"] == ["Zephyrine: damp in the back bedroom"]
    assert [a["description"] for a in complaint["actions"]] == ["Treat Zephyrine's damp"]
    kinds = [n["kind"] for n in complaint["correspondence"]]
    assert "stage1_acknowledgement" in kinds and "stage1_response" in kinds and "action_update" in kinds
    assert {"complaint_received", "definition_versioned", "acknowledged", "responded", "action_added", "action_done", "closed"} <= {
        e["type"] for e in complaint["events"]
    }
    # the service request, the conversation with every message, the offer and the handoff
    (sr,) = doc["service_requests"]
    assert sr["reference"] == mine["service_request"] and sr["description"] == "Zephyrine: mould on the ceiling" and sr["status"] == "closed"
    assert [e["type"] for e in sr["events"]] == ["service_request_opened", "service_request_updated"]
    (conv,) = doc["conversations"]
    said = [(m["direction"], m["sender"], m["text"]) for m in conv["messages"]]
    assert said[0] == ("in", "resident", "Zephyrine here, the damp in my flat is getting worse")
    assert ("out", "agent", "Hello Zephyrine") in said and ("note", "agent", "Zephyrine sounded upset") in said
    assert [o["context"] for o in doc["complaint_offers"]] == ["Zephyrine is fed up"]
    assert [(h["id"], h["last_message"], h["outcome"]) for h in doc["handoffs"]] == [(mine["handoff"], "Zephyrine wants a person", "Zephyrine satisfied")]
    top = {e["type"] for e in doc["events"]}
    assert {"resident_created", "contact_restricted", "contact_restriction_ended", "handoff_requested", "handoff_claimed", "handoff_closed"} <= top

    # every item: the counts agree with the database itself
    with sessionmaker(backend)() as s:
        conv_id = s.scalar(select(Conversation.id).where(Conversation.public_id == mine["conversation"]))
        assert len(conv["messages"]) == s.scalar(select(func.count()).select_from(Message).where(Message.conversation_id == conv_id))
        cid = s.scalar(select(Event.complaint_id).where(Event.type == "complaint_received", Event.details["reference"].as_string() == mine["reference"]))
        assert len(complaint["correspondence"]) == s.scalar(select(func.count()).select_from(Correspondence).where(Correspondence.complaint_id == cid))
        assert len(complaint["events"]) == s.scalar(select(func.count()).select_from(Event).where(Event.complaint_id == cid))
    counts = doc["counts"]
    assert counts["messages"] == len(conv["messages"]) and counts["complaints"] == 1 and counts["handoffs"] == 1
    assert doc["retention"] == {"retention_years": 6, "due": False, "anonymise_on": "2032-03-22", "reason": "kept until 2032-03-22: last activity 2026-03-22"}


def test_the_export_is_recorded_without_its_contents(backend: Backend) -> None:
    mine = history(backend, AMIRA, dt.date(2026, 3, 2))
    export(backend, mine["resident_id"])
    again = export(backend, mine["resident_id"])
    (recorded, _) = [e for e in again["events"] if e["type"] == "subject_access_export"] + [None]
    assert recorded["actor"] == f"manager:{backend.staff_ids['manager']}"
    assert found(json.dumps(recorded), AMIRA) == [] and recorded["details"]["counts"]["complaints"] == 1
    assert again["retention"]["anonymise_on"] == "2032-03-22", "exporting the record is not activity on it"


def test_only_managers_can_export_a_resident(backend: Backend) -> None:
    mine = history(backend, AMIRA, dt.date(2026, 3, 2))
    url = f"/api/v1/residents/{mine['resident_id']}/subject-access"
    for who, code in (("anonymous", 401), ("service", 403), ("agent", 403), ("officer", 403), ("manager", 200)):
        assert backend.client.get(url, headers=backend.as_(who)).status_code == code, who
    missing = backend.client.get("/api/v1/residents/999999/subject-access", headers=backend.as_("manager"))
    assert missing.status_code == 404 and "no resident" in missing.json()["detail"]
    assert backend.client.get("/api/v1/residents/0/subject-access", headers=backend.as_("manager")).status_code == 422
