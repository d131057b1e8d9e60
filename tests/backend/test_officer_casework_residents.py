"""A resident's reasonable adjustments kept under review (Code 5.10) and contact restrictions for
unacceptable behaviour (Code 5.14 / 5.15), as the case page shows them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tests.backend.helpers import PROOF, RESPONSE, new_complaint, ok, staff_view
from tests.conftest import Backend


def resident_id(b: Backend) -> tuple[str, int]:
    c = new_complaint(b)
    return c["reference"], c["resident"]["id"]


def call(b: Backend, method: str, path: str, body: dict[str, Any], as_: str = "officer") -> Any:
    return b.client.request(method, f"/api/v1/residents/{path}", json=body, headers=b.as_(as_))


def events(b: Backend, ref: str) -> list[dict[str, Any]]:
    return [e for e in b.client.get(f"/api/v1/complaints/{ref}/timeline", headers=b.as_("officer")).json() if e["kind"] == "event"]


RESTRICTION = {
    "restriction": "Contact by email to one named officer only; phone calls will not be taken for three months",
    "reasons": "Abusive and threatening calls to the repairs team on 2, 3 and 4 June, recorded and listened to by a manager",
    "equality_considerations": "No disclosed disability or vulnerability; email was offered as the resident uses it already",
    "review_on": "2026-09-01",
}


class TestAdjustments:
    def test_an_adjustment_is_recorded_with_its_review_date_and_reviewed_later(self, backend: Backend) -> None:
        ref, rid = resident_id(backend)
        r = call(backend, "POST", f"{rid}/adjustments", {"type": "large_print", "detail": "18pt on yellow paper", "agreed": True, "review_on": "2026-12-01"})
        assert r.status_code == 201, r.text
        adj = r.json()["adjustments"][0]
        assert adj["type"] == "large_print" and adj["review_on"] == "2026-12-01" and adj["due_for_review"] is False

        backend.travel_to(dt.date(2026, 12, 1))
        assert staff_view(backend, ref)["resident"]["adjustments"][0]["due_for_review"] is True
        r = call(backend, "PATCH", f"{rid}/adjustments/{adj['id']}", {"review_on": "2027-06-01", "detail": "18pt, and email copies"})
        assert r.status_code == 200, r.text
        adj = r.json()["adjustments"][0]
        assert adj["review_on"] == "2027-06-01" and adj["detail"] == "18pt, and email copies" and adj["due_for_review"] is False
        updated = [e for e in events(backend, ref) if e["title"] == "Adjustment updated"]
        assert updated and updated[0]["details"]["before"]["review_on"] == "2026-12-01"

    def test_without_a_date_the_review_is_twelve_months_on(self, backend: Backend) -> None:
        _, rid = resident_id(backend)
        r = call(backend, "POST", f"{rid}/adjustments", {"type": "interpreter", "detail": "Urdu"})
        assert r.status_code == 201 and r.json()["adjustments"][0]["review_on"] == "2027-06-01"

    def test_a_review_date_in_the_past_or_beyond_a_year_is_refused(self, backend: Backend) -> None:
        _, rid = resident_id(backend)
        for day, code in (("2026-06-01", "review_date_not_future"), ("2027-06-02", "review_too_far")):
            r = call(backend, "POST", f"{rid}/adjustments", {"type": "audio", "review_on": day})
            assert r.status_code == 422 and r.json()["code"] == code and r.json()["rule"] == "Code 5.10", r.text
        r = call(backend, "POST", f"{rid}/adjustments", {"type": "audio"})
        aid = r.json()["adjustments"][0]["id"]
        assert call(backend, "PATCH", f"{rid}/adjustments/{aid}", {}).json()["code"] == "nothing_to_change"
        assert call(backend, "PATCH", f"{rid}/adjustments/{aid}", {"review_on": "2020-01-01"}).status_code == 422
        assert call(backend, "PATCH", f"{rid}/adjustments/999999", {"agreed": True}).status_code == 404
        assert call(backend, "POST", "999999/adjustments", {"type": "audio"}).status_code == 404
        assert call(backend, "POST", f"{rid}/adjustments", {"type": "audio"}, as_="agent").status_code == 403


class TestContactRestrictions:
    def test_a_restriction_is_shown_on_the_case_and_the_resident_can_still_complain_and_escalate(self, backend: Backend) -> None:
        ref, rid = resident_id(backend)
        r = call(backend, "POST", f"{rid}/contact-restrictions", RESTRICTION)
        assert r.status_code == 201, r.text
        shown = staff_view(backend, ref)["resident"]["contact_restrictions"]
        assert len(shown) == 1 and shown[0]["active"] is True and shown[0]["review_on"] == "2026-09-01"
        assert shown[0]["equality_considerations"].startswith("No disclosed disability")
        restricted = [e for e in events(backend, ref) if e["title"] == "Contact restricted"]
        assert "does not stop them complaining" in restricted[0]["details"]["complaints_unaffected"]

        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        assert ok(backend, ref, "escalate", PROOF, as_="service")["complaint"]["status"] == "stage2_requested"
        another = new_complaint(backend)
        assert another["resident"]["id"] == rid and another["status"] == "received"

    def test_reasons_equality_regard_and_a_review_within_six_months_are_required(self, backend: Backend) -> None:
        _, rid = resident_id(backend)
        cases = [
            ({"reasons": " "}, "restriction_reasons_required", "Code 5.14"),
            ({"equality_considerations": ""}, "equality_considerations_required", "Code 5.15"),
            ({"restriction": ""}, "restriction_required", "Code 5.14"),
            ({"review_on": "2026-12-02"}, "review_too_far", "Code 5.15"),
            ({"review_on": "2026-06-01"}, "review_date_not_future", "Code 5.15"),
        ]
        for change, code, rule in cases:
            r = call(backend, "POST", f"{rid}/contact-restrictions", {**RESTRICTION, **change})
            assert r.status_code == 422 and r.json()["code"] == code and r.json()["rule"] == rule, r.text
        assert call(backend, "POST", f"{rid}/contact-restrictions", {**RESTRICTION, "review_on": "2026-12-01"}).status_code == 201
        assert call(backend, "POST", f"{rid}/contact-restrictions", RESTRICTION, as_="agent").status_code == 403

    def test_ending_a_restriction_keeps_it_on_record_with_the_reason_and_active_ones_come_first(self, backend: Backend) -> None:
        ref, rid = resident_id(backend)
        first = call(backend, "POST", f"{rid}/contact-restrictions", RESTRICTION).json()["contact_restrictions"][0]
        assert call(backend, "POST", f"{rid}/contact-restrictions/{first['id']}/end", {"reason": ""}).json()["code"] == "end_reason_required"
        r = call(backend, "POST", f"{rid}/contact-restrictions/{first['id']}/end", {"reason": "Reviewed: calls have been civil since July"})
        assert r.status_code == 200, r.text
        call(backend, "POST", f"{rid}/contact-restrictions", {**RESTRICTION, "restriction": "Letters only"})
        shown = staff_view(backend, ref)["resident"]["contact_restrictions"]
        assert [(x["restriction"], x["active"]) for x in shown] == [("Letters only", True), (RESTRICTION["restriction"], False)]
        assert shown[1]["end_reason"] == "Reviewed: calls have been civil since July" and shown[1]["ended_by"] == f"officer:{backend.staff_ids['officer']}"
        again = call(backend, "POST", f"{rid}/contact-restrictions/{first['id']}/end", {"reason": "again"})
        assert again.status_code == 409 and again.json()["code"] == "restriction_already_ended"
        assert "Contact restriction ended" in [e["title"] for e in events(backend, ref)]

    def test_a_restriction_past_its_review_date_is_flagged(self, backend: Backend) -> None:
        ref, rid = resident_id(backend)
        call(backend, "POST", f"{rid}/contact-restrictions", RESTRICTION)
        backend.travel_to(dt.date(2026, 9, 1))
        assert staff_view(backend, ref)["resident"]["contact_restrictions"][0]["due_for_review"] is True
