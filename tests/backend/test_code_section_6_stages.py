"""Code section 6: timescales, extensions, response contents and the stage 2 rules."""

from __future__ import annotations

import datetime as dt

from tests.backend.helpers import DEFINITION, PROOF, RESPONSE, new_complaint, ok, post, staff_view
from tests.conftest import Backend

MON_1_JUNE = dt.date(2026, 6, 1)


def get(b: Backend, ref: str) -> dict:  # type: ignore[type-arg]
    return staff_view(b, ref)


def to_stage2(b: Backend) -> str:
    ref = new_complaint(b)["reference"]
    ok(b, ref, "acknowledge", {})
    ok(b, ref, "respond", RESPONSE)
    ok(b, ref, "escalate", PROOF, as_="service")
    return ref


STAGE2_DEFINITION = {"definition": {"points": ["Still no repair to the damp after the stage 1 promise"], "outcomes": ["Repair and compensation"]}}


class TestStage1Timescales:
    def test_6_2_acknowledge_within_five_working_days_of_receipt(self, backend: Backend) -> None:
        c = new_complaint(backend)
        assert c["stages"][0]["acknowledge_by"] == "2026-06-08"
        assert c["current_due"] == "2026-06-08" and c["working_days_remaining"] == 5 and c["rag"] == "on_track"

    def test_6_2_a_complaint_sent_late_on_friday_still_counts_from_that_friday(self, backend: Backend) -> None:
        backend.travel_to(dt.date(2026, 6, 8))
        c = new_complaint(backend, received_at="2026-06-05T22:30:00+00:00")  # 23:30 in London, a Friday
        assert c["stages"][0]["received_on"] == "2026-06-05"
        assert c["stages"][0]["acknowledge_by"] == "2026-06-12"

    def test_6_2_a_late_acknowledgement_is_recorded_as_late_for_good(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        backend.travel_to(dt.date(2026, 6, 9))
        assert get(backend, ref)["rag"] == "overdue"
        assert get(backend, ref)["working_days_remaining"] == -1
        c = ok(backend, ref, "acknowledge", {})["complaint"]
        assert c["stages"][0]["acknowledged_within_timescale"] is False

    def test_6_3_respond_within_ten_working_days_of_acknowledgement(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        backend.travel_to(dt.date(2026, 6, 3))
        c = ok(backend, ref, "acknowledge", {})["complaint"]
        assert c["stages"][0]["respond_by"] == "2026-06-17"
        assert c["stages"][0]["acknowledged_within_timescale"] is True
        backend.travel_to(dt.date(2026, 6, 15))
        assert get(backend, ref)["rag"] == "due_soon"


class TestExtensions:
    def _acknowledged(self, b: Backend) -> str:
        ref = new_complaint(b)["reference"]
        ok(b, ref, "acknowledge", {})  # respond by Mon 15 June
        return ref

    def test_6_4_an_extension_needs_a_reason(self, backend: Backend) -> None:
        ref = self._acknowledged(backend)
        r = post(backend, ref, "extend", {"new_due": "2026-06-22", "reason": ""})
        assert r.status_code == 422 and r.json()["rule"] == "Code 6.4"

    def test_6_4_and_6_5_an_extension_of_up_to_ten_days_is_allowed_and_the_notice_names_the_ombudsman(self, backend: Backend) -> None:
        ref = self._acknowledged(backend)
        out = ok(backend, ref, "extend", {"new_due": "2026-06-29", "reason": "We need a damp survey before we can answer."})
        assert out["complaint"]["current_due"] == "2026-06-29"
        assert out["complaint"]["stages"][0]["respond_by_original"] == "2026-06-15"
        notice = out["notice"]
        assert notice["kind"] == "stage1_extension"
        assert "damp survey" in notice["body"] and "Monday 29 June 2026" in notice["body"]
        assert "0300 111 3000" in notice["body"] and notice["signposting_version"]

    def test_6_4_more_than_ten_working_days_needs_a_recorded_good_reason(self, backend: Backend) -> None:
        ref = self._acknowledged(backend)
        r = post(backend, ref, "extend", {"new_due": "2026-06-30", "reason": "Survey needed"})
        assert r.status_code == 422 and r.json()["code"] == "extension_too_long"
        assert "11 working days" in r.json()["detail"]
        out = ok(
            backend, ref, "extend", {"new_due": "2026-06-30", "reason": "Survey needed", "good_reason": "The specialist surveyor's earliest date is 26 June"}
        )
        assert out["complaint"]["current_due"] == "2026-06-30"

    def test_6_4_an_extension_must_be_made_before_the_due_date_passes(self, backend: Backend) -> None:
        ref = self._acknowledged(backend)
        backend.travel_to(dt.date(2026, 6, 16))
        r = post(backend, ref, "extend", {"new_due": "2026-06-22", "reason": "Survey needed"})
        assert r.status_code == 409 and r.json()["code"] == "extension_too_late"

    def test_6_4_only_one_extension_without_good_reason(self, backend: Backend) -> None:
        ref = self._acknowledged(backend)
        ok(backend, ref, "extend", {"new_due": "2026-06-19", "reason": "Waiting for the contractor's report"})
        r = post(backend, ref, "extend", {"new_due": "2026-06-22", "reason": "Still waiting"})
        assert r.status_code == 422 and r.json()["code"] == "second_extension_needs_good_reason"

    def test_the_new_date_must_be_later(self, backend: Backend) -> None:
        ref = self._acknowledged(backend)
        r = post(backend, ref, "extend", {"new_due": "2026-06-12", "reason": "x"})
        assert r.status_code == 422 and r.json()["code"] == "extension_not_later"

    def test_ch02_both_readings_are_frozen_when_the_response_is_sent(self, backend: Backend) -> None:
        ref = self._acknowledged(backend)
        ok(backend, ref, "extend", {"new_due": "2026-06-22", "reason": "Survey needed"})
        backend.travel_to(dt.date(2026, 6, 18))
        c = ok(backend, ref, "respond", RESPONSE)["complaint"]
        s1 = c["stages"][0]
        assert s1["responded_within_original_timescale"] is False
        assert s1["responded_within_timescale_including_extension"] is True
        assert c["rag"] == "none" and c["current_due"] is None


class TestResponses:
    def test_6_9_a_response_missing_items_is_refused_naming_each(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        r = post(backend, ref, "respond", {"decision": "upheld", "reasons": "We got it wrong."})
        assert r.status_code == 422
        detail = r.json()["detail"]
        assert "6.9(e)" in detail and "6.9(f)" in detail and "6.9(c)" not in detail
        assert get(backend, ref)["status"] == "stage1_acknowledged"

    def test_6_9_the_stage_1_response_states_every_item_and_how_to_escalate(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        out = ok(backend, ref, "respond", RESPONSE)
        body = out["notice"]["body"]
        for text in (
            "Stage 1",
            DEFINITION["points"][0],
            "partly upheld",
            RESPONSE["reasons"],
            RESPONSE["remedy"],
            RESPONSE["outstanding_actions"],
            "escalate your complaint to stage 2",
        ):
            assert text in body
        assert out["complaint"]["status"] == "stage1_responded"


class TestStage2:
    def test_6_12_escalation_needs_no_reason_and_6_11_starts_a_five_day_clock(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        backend.travel_to(dt.date(2026, 6, 10))
        c = ok(backend, ref, "escalate", PROOF, as_="service")["complaint"]
        assert c["status"] == "stage2_requested" and c["stage"] == 2
        assert c["stages"][1]["acknowledge_by"] == "2026-06-17"

    def test_6_13_the_stage_1_handler_cannot_handle_stage_2(self, backend: Backend) -> None:
        ref = to_stage2(backend)  # stage 1 handled by 'officer'
        r = post(backend, ref, "acknowledge", STAGE2_DEFINITION, as_="officer")
        assert r.status_code == 422 and r.json()["rule"] == "Code 6.13"
        r = post(backend, ref, "handlers", {"stage": 2, "handler_id": backend.staff_ids["officer"]})
        assert r.status_code == 422 and r.json()["code"] == "same_handler"
        c = ok(backend, ref, "acknowledge", STAGE2_DEFINITION, as_="officer2")["complaint"]
        assert c["stages"][1]["handler_id"] == backend.staff_ids["officer2"]

    def test_6_11_stage_2_must_be_defined_when_acknowledged(self, backend: Backend) -> None:
        ref = to_stage2(backend)
        r = post(backend, ref, "acknowledge", {}, as_="officer2")
        assert r.status_code == 422 and r.json()["rule"] == "Code 6.11"

    def test_6_14_respond_within_twenty_working_days_and_6_15_extend_by_up_to_twenty(self, backend: Backend) -> None:
        ref = to_stage2(backend)
        c = ok(backend, ref, "acknowledge", STAGE2_DEFINITION, as_="officer2")["complaint"]
        assert c["stages"][1]["respond_by"] == "2026-06-29"
        r = post(backend, ref, "extend", {"new_due": "2026-07-28", "reason": "Independent survey"}, as_="officer2")
        assert r.status_code == 422 and r.json()["rule"] == "Code 6.15"
        out = ok(backend, ref, "extend", {"new_due": "2026-07-27", "reason": "Independent survey"}, as_="officer2")
        assert out["complaint"]["current_due"] == "2026-07-27"
        assert "0300 111 3000" in out["notice"]["body"]

    def test_6_19_the_final_response_tells_the_resident_about_the_ombudsman(self, backend: Backend) -> None:
        ref = to_stage2(backend)
        ok(backend, ref, "acknowledge", STAGE2_DEFINITION, as_="officer2")
        out = ok(backend, ref, "respond", RESPONSE, as_="officer2")
        assert out["complaint"]["status"] == "stage2_responded"
        body = out["notice"]["body"]
        assert "final" in body and "ask the Housing Ombudsman Service to investigate" in body
        assert STAGE2_DEFINITION["definition"]["points"][0] in body

    def test_there_is_no_stage_3(self, backend: Backend) -> None:
        ref = to_stage2(backend)
        ok(backend, ref, "acknowledge", STAGE2_DEFINITION, as_="officer2")
        ok(backend, ref, "respond", RESPONSE, as_="officer2")
        r = post(backend, ref, "escalate", PROOF, as_="service")
        assert r.status_code == 409 and r.json()["rule"] == "state machine"


class TestRelatedIssues:
    def test_6_8_a_related_issue_before_the_stage_1_response_joins_the_complaint(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        out = backend.client.post(
            f"/api/v1/complaints/{ref}/related-issues",
            json={"points": ["The surveyor was rude to my mother"], "related": True, **PROOF},
            headers=backend.as_("service"),
        ).json()
        assert out["route"] == "joined" and out["complaint"]["reference"] == ref
        assert out["complaint"]["definition"] is None  # the action server gets no personal details back
        assert staff_view(backend, ref)["definition"]["points"][-1] == "The surveyor was rude to my mother"

    def test_6_8_after_the_stage_1_response_it_becomes_a_new_complaint(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        out = backend.client.post(
            f"/api/v1/complaints/{ref}/related-issues",
            json={"points": ["Bins not collected"], "outcomes": ["Collect them"], "related": True, **PROOF},
            headers=backend.as_("service"),
        ).json()
        assert out["route"] == "new_complaint"
        new = staff_view(backend, out["complaint"]["reference"])
        assert new["reference"] != ref and new["related_to"] == ref and new["status"] == "received"
        assert new["resident"]["name"] == "Amira Khan"


class TestOfficerQueue:
    def test_overdue_and_due_soon_cases_come_first_oldest_deadline_first(self, backend: Backend) -> None:
        backend.travel_to(dt.date(2026, 5, 20))
        oldest = new_complaint(backend)["reference"]  # ack by 28 May (25 May is a bank holiday)
        backend.travel_to(dt.date(2026, 5, 27))
        middle = new_complaint(backend)["reference"]  # ack by 3 June
        backend.travel_to(MON_1_JUNE)
        fresh = new_complaint(backend)["reference"]  # ack by 8 June: on track
        q = backend.client.get("/api/v1/complaints/queue", headers=backend.as_("officer")).json()
        assert [i["reference"] for i in q["items"]] == [oldest, middle]
        assert q["overdue"] == 1 and q["due_soon"] == 1
        assert q["items"][0]["rag"] == "overdue" and q["items"][0]["working_days_remaining"] == -2
        assert fresh not in [i["reference"] for i in q["items"]]


class TestStage2IsIndependent:
    def test_6_13_the_stage_1_officer_cannot_respond_extend_or_decline_at_stage_2(self, backend: Backend) -> None:
        ref = to_stage2(backend)
        ok(backend, ref, "acknowledge", STAGE2_DEFINITION, as_="officer2")
        for action, body in (("respond", RESPONSE), ("extend", {"new_due": "2026-07-06", "reason": "survey"})):
            r = post(backend, ref, action, body, as_="officer")
            assert r.status_code == 422 and r.json()["rule"] == "Code 6.13", action

    def test_6_13_whoever_answered_stage_1_cannot_handle_stage_2(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})  # officer handles
        ok(backend, ref, "respond", RESPONSE, as_="manager")  # the manager signs the response
        ok(backend, ref, "escalate", PROOF, as_="service")
        r = post(backend, ref, "handlers", {"stage": 2, "handler_id": backend.staff_ids["manager"]})
        assert r.status_code == 422 and r.json()["rule"] == "Code 6.13"

    def test_6_10_an_escalation_cannot_be_dated_before_the_stage_1_response(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        r = post(backend, ref, "escalate", {"received_at": "2026-01-01T10:00:00Z", **PROOF}, as_="service")
        assert r.status_code == 422 and r.json()["code"] == "escalation_before_response"

    def test_an_extension_must_end_on_a_working_day(self, backend: Backend) -> None:
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        r = post(backend, ref, "extend", {"new_due": "2026-06-20", "reason": "survey"})  # a Saturday
        assert r.status_code == 422 and "weekend" in r.json()["detail"]
