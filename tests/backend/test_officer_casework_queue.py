"""The complaints officer's work queue and the service request register, as an officer uses them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.backend.helpers import PROOF, RESPONSE, new_complaint, ok
from tests.conftest import Backend

MON_1_JUNE = dt.date(2026, 6, 1)


def resident(name: str, postcode: str, chat: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "postcode": postcode, "identities": [{"channel": "webchat", "address": chat}], **extra}


def complaint(b: Backend, name: str = "Amira Khan", postcode: str = "LS6 2AB", chat: str = "chat-1", **overrides: Any) -> str:
    extra = overrides.pop("resident_extra", {})
    return new_complaint(b, resident=resident(name, postcode, chat, **extra), **overrides)["reference"]


def queue(b: Backend, as_: str = "officer", **params: Any) -> dict[str, Any]:
    r = b.client.get("/api/v1/complaints", params=params, headers=b.as_(as_))
    assert r.status_code == 200, r.text
    return r.json()


def refs(page: dict[str, Any]) -> list[str]:
    return [i["reference"] for i in page["items"]]


class TestOrder:
    def test_new_cases_come_first_by_acknowledgement_deadline_then_the_rest_by_days_remaining(self, backend: Backend) -> None:
        acknowledged = complaint(backend, "Bea Jones", "LS1 1AA", "chat-b")
        ok(backend, acknowledged, "acknowledge", {})  # respond by 15 June
        answered = complaint(backend, "Cal Smith", "LS2 2BB", "chat-c")
        ok(backend, answered, "acknowledge", {})
        ok(backend, answered, "respond", RESPONSE)  # nothing due: waiting for escalation or closing
        backend.travel_to(dt.date(2026, 6, 3))
        later_new = complaint(backend, "Dee Brown", "LS3 3CC", "chat-d")  # acknowledge by 10 June
        backend.travel_to(dt.date(2026, 6, 2))
        earlier_new = complaint(backend, "Eve White", "LS4 4DD", "chat-e")  # acknowledge by 9 June
        backend.travel_to(dt.date(2026, 6, 3))

        page = queue(backend)

        assert refs(page) == [earlier_new, later_new, acknowledged, answered]
        first = page["items"][0]
        assert first["is_new"] is True and first["status"] == "received" and first["current_due"] == "2026-06-09"
        assert first["resident_name"] == "Eve White" and first["postcode"] == "LS4 4DD" and first["working_days_remaining"] == 4
        assert page["items"][2]["handler_id"] == backend.staff_ids["officer"] and page["items"][2]["handler_name"] == "Officer"
        assert page["items"][3]["current_due"] is None and page["items"][3]["rag"] == "none"
        assert page["counts"] == {"new": 2, "red": 0, "amber": 0, "open": 4} and page["total"] == 4

    def test_red_and_amber_are_counted_at_the_top_and_filter_the_list(self, backend: Backend) -> None:
        overdue = complaint(backend, "Bea Jones", "LS1 1AA", "chat-b")  # acknowledge by 8 June
        backend.travel_to(dt.date(2026, 6, 4))
        due_soon = complaint(backend, "Cal Smith", "LS2 2BB", "chat-c")  # acknowledge by 11 June
        backend.travel_to(dt.date(2026, 6, 8))
        on_track = complaint(backend, "Dee Brown", "LS3 3CC", "chat-d")  # acknowledge by 15 June
        backend.travel_to(dt.date(2026, 6, 9))

        page = queue(backend)
        assert page["counts"] == {"new": 3, "red": 1, "amber": 1, "open": 3}
        assert {i["reference"]: i["rag"] for i in page["items"]} == {overdue: "red", due_soon: "amber", on_track: "green"}
        assert refs(queue(backend, rag="red")) == [overdue]
        amber = queue(backend, rag="amber")
        assert refs(amber) == [due_soon] and amber["total"] == 1
        assert amber["counts"]["red"] == 1, "the counts stay the same whichever colour is chosen"
        assert refs(queue(backend, rag="green")) == [on_track]

    def test_pages_follow_the_same_order(self, backend: Backend) -> None:
        made = [complaint(backend, f"Resident {n}", "LS6 2AB", f"chat-{n}") for n in range(5)]
        assert refs(queue(backend, limit=2)) + refs(queue(backend, limit=2, offset=2)) + refs(queue(backend, limit=2, offset=4)) == made
        assert queue(backend, limit=2)["total"] == 5


class TestFilters:
    def test_each_filter_finds_just_the_cases_it_names(self, backend: Backend) -> None:
        plain = complaint(backend, "Amira Khan", "LS6 2AB", "chat-1", channel="sms", category="repairs")
        needs = complaint(
            backend,
            "Bea Jones",
            "LS1 1AA",
            "chat-b",
            category="antisocial_behaviour",
            resident_extra={"adjustments": [{"type": "large_print", "agreed": True}]},
        )
        disclosed = complaint(
            backend, "Cal Smith", "LS2 2BB", "chat-c", resident_extra={"disclosed_needs": ["Partially sighted"], "consent_to_record_needs": True}
        )
        represented = complaint(backend, "Dee Brown", "LS3 3CC", "chat-d", representative={"name": "Sam Adviser", "relationship": "advocate"})
        ok(backend, represented, "acknowledge", {"handler_id": backend.staff_ids["officer2"]})
        stage2 = complaint(backend, "Eve White", "LS4 4DD", "chat-e")
        ok(backend, stage2, "acknowledge", {})
        ok(backend, stage2, "respond", RESPONSE)
        ok(backend, stage2, "escalate", {"postcode": "LS4 4DD", "client_id": "x"}, as_="service")

        assert set(refs(queue(backend, stage=2))) == {stage2}
        assert set(refs(queue(backend, stage=1))) == {plain, needs, disclosed, represented}
        assert set(refs(queue(backend, status="stage1_acknowledged"))) == {represented}
        assert set(refs(queue(backend, handler_id=backend.staff_ids["officer2"]))) == {represented}
        assert set(refs(queue(backend, category="repairs"))) == {plain}
        assert set(refs(queue(backend, channel="sms"))) == {plain}
        assert set(refs(queue(backend, needs="true"))) == {needs, disclosed}
        assert set(refs(queue(backend, needs="false"))) == {plain, represented, stage2}
        assert set(refs(queue(backend, representative="true"))) == {represented}
        assert len(refs(queue(backend, representative="false"))) == 4
        assert len(refs(queue(backend, region="england-and-wales"))) == 5
        assert refs(queue(backend, region="scotland")) == []
        flags = {i["reference"]: (i["has_needs"], i["has_representative"]) for i in queue(backend)["items"]}
        assert flags[needs] == (True, False) and flags[represented] == (False, True) and flags[plain] == (False, False)

    def test_stage_2_is_handled_by_its_own_handler_in_the_handler_filter(self, backend: Backend) -> None:
        ref = complaint(backend)
        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        ok(backend, ref, "escalate", PROOF, as_="service")
        ok(backend, ref, "handlers", {"stage": 2, "handler_id": backend.staff_ids["manager"]})
        assert refs(queue(backend, handler_id=backend.staff_ids["manager"])) == [ref]
        assert refs(queue(backend, handler_id=backend.staff_ids["officer"])) == [], "the stage 1 handler no longer holds it"

    def test_closed_cases_leave_the_queue_but_a_search_still_finds_them(self, backend: Backend) -> None:
        ref = complaint(backend, "Amira Khan", "LS6 2AB")
        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        ok(backend, ref, "close", {"learning": "Book damp surveys within a week of the second report."})
        assert refs(queue(backend)) == []
        assert refs(queue(backend, status="closed")) == [ref]
        assert refs(queue(backend, q="amira")) == [ref]
        assert refs(queue(backend, q="khan", status="open")) == []

    def test_search_by_reference_name_or_postcode(self, backend: Backend) -> None:
        amira = complaint(backend, "Amira Khan", "LS6 2AB", "chat-1")
        bea = complaint(backend, "Bea O'Neill", "M1 1AE", "chat-2")
        assert refs(queue(backend, q=amira.lower())) == [amira]
        assert refs(queue(backend, q=bea[-6:])) == [bea]
        number = int(bea[-6:])
        assert refs(queue(backend, q=str(number))) == [bea], "the case number alone, without its zeros"
        assert refs(queue(backend, q=f"2026-{number}")) == [bea]
        assert refs(queue(backend, q="KHAN")) == [amira]
        assert refs(queue(backend, q="o'neill")) == [bea]
        assert refs(queue(backend, q="ls62ab")) == [amira]
        assert refs(queue(backend, q="LS6 2")) == [amira]
        assert refs(queue(backend, q="m1")) == [bea]
        assert refs(queue(backend, q="%")) == [], "wildcards are searched for literally"

    def test_resident_text_comes_back_as_it_was_written(self, backend: Backend) -> None:
        ref = complaint(backend, '<img src=x onerror="alert(1)">', "LS6 2AB")
        assert queue(backend)["items"][0]["resident_name"] == '<img src=x onerror="alert(1)">'
        assert refs(queue(backend, q="<img")) == [ref]


class TestAccess:
    def test_only_officers_and_managers_see_the_queue(self, backend: Backend) -> None:
        complaint(backend)
        assert backend.client.get("/api/v1/complaints").status_code == 401
        assert backend.client.get("/api/v1/complaints", headers=backend.as_("agent")).status_code == 403
        assert backend.client.get("/api/v1/complaints", headers=backend.as_("service")).status_code == 403
        assert len(queue(backend, as_="manager")["items"]) == 1

    def test_a_filter_it_does_not_know_is_refused_with_the_reason(self, backend: Backend) -> None:
        for params in ({"rag": "purple"}, {"stage": 3}, {"status": "pending"}, {"needs": "maybe"}, {"limit": 0}, {"handler_id": 2**40}):
            r = backend.client.get("/api/v1/complaints", params=params, headers=backend.as_("officer"))
            assert r.status_code == 422, (params, r.text)
            assert next(iter(params)) in r.json()["detail"]


class TestServiceRequestRegister:
    def _request(self, b: Backend, code: str, postcode: str) -> str:
        body = {"channel": "webchat", "service_code": code, "description": f"{code} needs doing", "postcode": postcode}
        r = b.client.post("/api/v1/service-requests", json=body, headers=b.as_("service"))
        assert r.status_code == 201, r.text
        return r.json()["service_request_id"]

    def test_open_requests_oldest_first_with_their_age_and_the_complaints_they_led_to(self, backend: Backend) -> None:
        oldest = self._request(backend, "leaking_tap", "LS6 2AB")
        backend.travel_to(dt.date(2026, 6, 5))
        middle = self._request(backend, "broken_window", "LS1 1AA")
        done = self._request(backend, "blocked_drain", "LS2 2BB")
        r = backend.client.patch(f"/api/v1/service-requests/{done}", json={"status": "closed"}, headers=backend.as_("officer"))
        assert r.status_code == 200, r.text
        r = backend.client.post(
            f"/api/v1/service-requests/{oldest}/complaint",
            json={"channel": "webchat", "resident": resident("Amira Khan", "LS6 2AB", "chat-1"), "definition": {"points": ["Still leaking"]}},
            headers=backend.as_("officer"),
        )
        assert r.status_code == 201, r.text
        complaint_ref = r.json()["reference"]
        backend.travel_to(dt.date(2026, 6, 11))

        r = backend.client.get("/api/v1/service-requests/register", headers=backend.as_("officer"))
        assert r.status_code == 200, r.text
        rows = r.json()
        assert [x["reference"] for x in rows] == [oldest, middle]
        assert rows[0]["age_days"] == 10 and rows[0]["complaint_refs"] == [complaint_ref] and rows[0]["postcode"] == "LS6 2AB"
        assert rows[1]["age_days"] == 6 and rows[1]["complaint_refs"] == [] and rows[1]["service_code"] == "broken_window"
        closed = backend.client.get("/api/v1/service-requests/register", params={"status": "closed"}, headers=backend.as_("officer")).json()
        assert [x["reference"] for x in closed] == [done]
        assert backend.client.get("/api/v1/service-requests/register", headers=backend.as_("agent")).status_code == 403
