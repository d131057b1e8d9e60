"""Code section 9 (and the end of a case): learning is recorded before a complaint closes."""

from __future__ import annotations

from tests.backend.helpers import PROOF, RESPONSE, new_complaint, ok, post
from tests.conftest import Backend


class TestClosing:
    def test_9_1_closing_records_the_learning(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        r = post(backend, ref, "close", {"learning": " "})
        assert r.status_code == 422 and r.json()["rule"] == "Code 9.1"
        c = ok(backend, ref, "close", {"learning": "Damp reports now trigger a survey within 10 days."})["complaint"]
        assert c["status"] == "closed" and c["learning"].startswith("Damp reports")

    def test_a_resident_can_still_escalate_after_a_stage_1_case_was_closed(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        ok(backend, ref, "close", {"learning": "None identified: the repair was already booked."})
        c = ok(backend, ref, "escalate", {"reason": "The repair never happened", **PROOF}, as_="service")["complaint"]
        assert c["status"] == "stage2_requested"

    def test_a_resident_can_withdraw(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        c = ok(backend, ref, "withdraw", {"note": "Resident says the repair is done and she is happy", **PROOF}, as_="service")["complaint"]
        assert c["status"] == "withdrawn" and c["rag"] == "none"
