"""Remedies and outstanding actions followed through after the response (Code 6.6, 6.17, 7.1-7.3),
and the case timeline (Code 5.12), as a complaints officer works them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from backend.db.models import Conversation, Message
from tests.backend.helpers import RESPONSE, new_complaint, ok, post
from tests.conftest import Backend


def responded(b: Backend) -> str:
    ref = new_complaint(b)["reference"]
    ok(b, ref, "acknowledge", {})
    ok(b, ref, "respond", RESPONSE)
    return ref


def add(b: Backend, ref: str, body: dict[str, Any], as_: str = "officer") -> Any:
    return b.client.post(f"/api/v1/complaints/{ref}/actions", json=body, headers=b.as_(as_))


def added(b: Backend, ref: str, body: dict[str, Any]) -> dict[str, Any]:
    r = add(b, ref, body)
    assert r.status_code == 201, r.text
    return r.json()


def done(b: Backend, ref: str, action_id: int, update: str) -> Any:
    return b.client.post(f"/api/v1/complaints/{ref}/actions/{action_id}/done", json={"resident_update": update}, headers=b.as_("officer"))


def actions(b: Backend, ref: str) -> list[dict[str, Any]]:
    r = b.client.get(f"/api/v1/complaints/{ref}/actions", headers=b.as_("officer"))
    assert r.status_code == 200, r.text
    return r.json()


def event_types(b: Backend, ref: str) -> list[str]:
    return [e["type"] for e in b.client.get(f"/api/v1/complaints/{ref}/events", headers=b.as_("officer")).json()]


REPAIR = {"kind": "repair", "description": "Treat the damp and replaster the back bedroom", "due_on": "2026-06-30"}
COMPENSATION = {"kind": "financial", "description": "For the two missed appointments", "amount_pence": 15000, "due_on": "2026-06-12"}


class TestRemedies:
    def test_the_remedies_of_a_response_are_tracked_with_due_dates_and_owners(self, backend: Backend) -> None:
        ref = responded(backend)
        owner = backend.staff_ids["officer2"]
        repair = added(backend, ref, {**REPAIR, "owner_id": owner})
        money = added(backend, ref, COMPENSATION)
        apology = added(backend, ref, {"kind": "apology", "description": "Written apology for the missed appointments"})
        assert repair["status"] == "open" and repair["owner_id"] == owner and repair["owner_name"] == "Officer2" and repair["stage"] == 1
        assert money["amount_pence"] == 15000 and money["overdue"] is False and money["done_on"] is None
        assert [a["id"] for a in actions(backend, ref)] == [money["id"], repair["id"], apology["id"]], "soonest due first, undated last"
        assert event_types(backend, ref).count("action_added") == 3

    def test_a_remedy_can_be_offered_before_the_response_at_either_stage(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        assert added(backend, ref, {"kind": "explanation", "description": "Explain the repair appointment system"})["stage"] == 1

    def test_a_financial_remedy_states_its_amount_and_only_it_has_one(self, backend: Backend) -> None:
        ref = responded(backend)
        r = add(backend, ref, {"kind": "financial", "description": "Compensation"})
        assert r.status_code == 422 and r.json()["code"] == "amount_required" and r.json()["rule"] == "Code 7.1"
        r = add(backend, ref, {**REPAIR, "amount_pence": 500})
        assert r.status_code == 422 and r.json()["code"] == "amount_only_for_financial"
        r = add(backend, ref, {"kind": "financial", "description": "Compensation", "amount_pence": 0})
        assert r.status_code == 422

    def test_refusals_say_what_is_missing(self, backend: Backend) -> None:
        ref = responded(backend)
        cases = [
            ({"kind": "repair", "description": "  "}, "action_description_required"),
            ({**REPAIR, "due_on": "2026-05-29"}, "due_in_past"),
            ({**REPAIR, "owner_id": backend.staff_ids["agent"]}, "owner_not_officer"),
        ]
        for body, code in cases:
            r = add(backend, ref, body)
            assert r.status_code == 422 and r.json()["code"] == code, r.text
        assert add(backend, ref, {**REPAIR, "kind": "magic"}).status_code == 422
        assert actions(backend, ref) == [], "a refused action leaves nothing behind"
        assert add(backend, ref, REPAIR, as_="agent").status_code == 403
        assert add(backend, "CMP-2026-999999", REPAIR).status_code == 404

    def test_an_action_past_its_due_date_is_flagged_overdue(self, backend: Backend) -> None:
        ref = responded(backend)
        money = added(backend, ref, COMPENSATION)
        backend.travel_to(dt.date(2026, 6, 15))
        assert actions(backend, ref)[0]["overdue"] is True and actions(backend, ref)[0]["id"] == money["id"]


class TestFollowThrough:
    def test_close_is_refused_while_actions_are_open_and_done_needs_the_update_to_the_resident(self, backend: Backend) -> None:
        ref = responded(backend)
        repair = added(backend, ref, REPAIR)
        r = post(backend, ref, "close", {"learning": "Survey damp on the second report."})
        assert r.status_code == 409 and r.json()["code"] == "actions_outstanding" and r.json()["rule"] == "Code 6.6"
        assert "Treat the damp" in r.json()["detail"]

        r = done(backend, ref, repair["id"], "   ")
        assert r.status_code == 422 and r.json()["code"] == "resident_update_required"

        backend.travel_to(dt.date(2026, 6, 26))
        r = done(backend, ref, repair["id"], "The damp treatment and replastering were finished on 25 June.")
        assert r.status_code == 200, r.text
        finished = r.json()
        assert finished["status"] == "done" and finished["done_on"] == "2026-06-26" and finished["letter_id"] is not None
        assert finished["resident_update"] == "The damp treatment and replastering were finished on 25 June."
        assert done(backend, ref, repair["id"], "again").status_code == 409

        letters = backend.client.get(f"/api/v1/complaints/{ref}/correspondence", headers=backend.as_("officer")).json()
        update = [n for n in letters if n["kind"] == "action_update"]
        assert len(update) == 1 and "finished on 25 June" in update[0]["body"] and "Treat the damp" in update[0]["body"]
        assert actions(backend, ref)[0]["letter_id"] == finished["letter_id"]
        assert "action_done" in event_types(backend, ref)

        closed = ok(backend, ref, "close", {"learning": "Survey damp on the second report."})
        assert closed["complaint"]["status"] == "closed"
        r = add(backend, ref, REPAIR)
        assert r.status_code == 409 and r.json()["code"] == "complaint_finished"

    def test_stage_2_actions_block_closing_under_6_17(self, backend: Backend) -> None:
        ref = responded(backend)
        ok(backend, ref, "escalate", {"postcode": "LS6 2AB", "client_id": "c"}, as_="service")
        ok(backend, ref, "acknowledge", {"definition": {"points": ["Still damp"], "outcomes": ["Repair"]}}, as_="manager")
        added(backend, ref, REPAIR)
        ok(backend, ref, "respond", RESPONSE, as_="manager")
        r = post(backend, ref, "close", {"learning": "x"})
        assert r.status_code == 409 and r.json()["rule"] == "Code 6.17"

    def test_an_action_of_another_complaint_cannot_be_marked_done_here(self, backend: Backend) -> None:
        ref = responded(backend)
        other = new_complaint(backend, resident={"name": "Bea Jones", "identities": [{"channel": "sms", "address": "+447700900001"}]})["reference"]
        action = added(backend, other, REPAIR)
        assert done(backend, ref, action["id"], "done").status_code == 404


class TestTimeline:
    def test_every_event_letter_and_message_oldest_first_with_staff_notes_marked(self, backend: Backend) -> None:
        c = new_complaint(backend)
        ref = c["reference"]
        with Session(backend.engine) as s:  # type: ignore[attr-defined]
            conv = Conversation(public_id="conv-timeline", channel="webchat", address="hash", resident_id=c["resident"]["id"])
            s.add(conv)
            s.flush()
            s.add_all(
                [
                    Message(conversation_id=conv.id, direction="in", sender="resident", text="My bedroom wall is <b>black</b> with mould", status="handled"),
                    Message(conversation_id=conv.id, direction="out", sender="bot", text="I'm sorry to hear that.", status="sent"),
                    Message(conversation_id=conv.id, direction="note", sender="agent", text="Sounds like a long-running leak", status="note"),
                ]
            )
            other = Conversation(public_id="conv-other", channel="sms", address="+447700900002")
            s.add(other)
            s.flush()
            s.add(Message(conversation_id=other.id, direction="in", sender="resident", text="someone else entirely", status="handled"))
            s.commit()
        ok(backend, ref, "acknowledge", {})
        money = added(backend, ref, COMPENSATION)
        done(backend, ref, money["id"], "We have paid £150 into your account.")

        r = backend.client.get(f"/api/v1/complaints/{ref}/timeline", headers=backend.as_("officer"))
        assert r.status_code == 200, r.text
        entries = r.json()
        ats = [e["at"] for e in entries]
        assert ats == sorted(ats)
        kinds = [e["kind"] for e in entries]
        assert kinds.count("message") == 2 and kinds.count("note") == 1 and kinds.count("letter") == 2
        texts = [e["text"] for e in entries if e["kind"] in ("message", "note")]
        assert "My bedroom wall is <b>black</b> with mould" in texts and "someone else entirely" not in texts
        titles = [e["title"] for e in entries if e["kind"] == "event"]
        assert {"Complaint received", "Acknowledged", "Action added", "Action done"} <= set(titles)
        letters = [e for e in entries if e["kind"] == "letter"]
        assert letters[0]["details"]["kind"] == "stage1_acknowledgement" and letters[1]["details"]["kind"] == "action_update"
        assert letters[1]["letter_id"] == actions(backend, ref)[0]["letter_id"]
        assert backend.client.get(f"/api/v1/complaints/{ref}/timeline", headers=backend.as_("agent")).status_code == 403
