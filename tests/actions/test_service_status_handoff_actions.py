"""Service requests, status, escalation, a person, and resilience, against the real backend."""

from __future__ import annotations

import httpx

from tests.actions.conftest import Actions, said, slot_events, texts
from tests.actions.test_intake_actions import FULL

SR = {
    "sr_kind": "repair",
    "sr_description": "The kitchen tap is dripping",
    "sr_location": "12 Hill Road, kitchen",
    "postcode": "LS6 2AB",
    "sr_since": "last week",
    "sr_access": "any weekday morning",
    "resident_name": "Amira Khan",
}


def test_a_repair_is_recorded_with_a_reference_and_what_happens_next(actions: Actions) -> None:
    out = actions.run("action_submit_service_request", slots=SR, channel="sms")
    ref = slot_events(out)["last_reference"]
    assert ref.startswith("SR-") and ref in texts(out) and "repairs team" in texts(out)
    register = actions.staff_get("/api/v1/service-requests")
    mine = next(s for s in register if s["service_request_id"] == ref)
    assert mine["service_code"] == "repairs_plumbing" and mine["status"] == "open"
    assert "complaint_offered" not in slot_events(out)  # a first report is not dissatisfaction


def test_dissatisfaction_in_a_repair_report_gets_the_offer_to_complain_linked_to_it(actions: Actions) -> None:
    out = actions.run("action_submit_service_request", slots={**SR, "sr_description": "The tap is STILL dripping, third time I've reported it"})
    events = slot_events(out)
    assert events["complaint_offered"] == "after_service_request" and events["linked_sr_ref"] == events["last_reference"]
    submitted = actions.run("action_submit_complaint", slots={**FULL, "linked_sr_ref": events["linked_sr_ref"], "submission_key": "cmp-linked-sr-0001"})
    case = actions.case(slot_events(submitted)["last_reference"])
    assert case["service_request_refs"] == [events["linked_sr_ref"]]
    sr = actions.staff_get(f"/api/v1/service-requests/{events['linked_sr_ref']}")
    assert sr["status"] == "open"  # Code 1.5: the repair carries on


def test_an_asb_report_is_a_service_request(actions: Actions) -> None:
    out = actions.run("action_submit_service_request", slots={**SR, "sr_kind": "asb", "sr_description": "Drug dealing on the stairs every night"})
    assert "neighbourhood team" in texts(out) and "999" in texts(out)


class TestStatusAndEscalation:
    def _complaint(self, actions: Actions, key: str) -> str:
        return str(slot_events(actions.run("action_submit_complaint", slots={**FULL, "acting_for": "self", "submission_key": key}))["last_reference"])

    def test_status_needs_the_right_postcode(self, actions: Actions) -> None:
        ref = self._complaint(actions, "cmp-status-0001")
        wrong = actions.run("action_check_status", slots={"complaint_reference": ref, "verify_postcode": "LS1 1AA"})
        assert "couldn't find" in texts(wrong)
        right = actions.run("action_check_status", slots={"complaint_reference": ref, "verify_postcode": "LS6 2AB"})
        assert ref in texts(right) and "stage 1" in texts(right) and "Due by" in texts(right)

    def test_escalation_is_logged_without_a_reason_and_gives_the_acknowledgement_date(self, actions: Actions) -> None:
        ref = self._complaint(actions, "cmp-escalate-0001")
        too_soon = actions.run("action_escalate_complaint", slots={"complaint_reference": ref, "verify_postcode": "LS6 2AB", "escalation_reason": "none"})
        assert "after you've had our stage 1 response" in texts(too_soon)
        actions.staff_post(f"/api/v1/complaints/{ref}/acknowledge", {})
        actions.staff_post(
            f"/api/v1/complaints/{ref}/respond",
            {"decision": "not_upheld", "reasons": "Works were done.", "remedy": "None offered: no fault found.", "outstanding_actions": "None."},
        )
        out = actions.run("action_escalate_complaint", slots={"complaint_reference": ref, "verify_postcode": "LS6 2AB", "escalation_reason": "none"})
        assert "stage 2" in texts(out) and "within 5 working days" in texts(out) and "0300 111 3000" in texts(out)
        case = actions.case(ref)
        assert case["status"] == "stage2_requested"
        events = actions.staff_get(f"/api/v1/complaints/{ref}/events")
        assert next(e for e in events if e["type"] == "stage2_requested")["details"]["reason"] is None


class TestAPerson:
    def test_asking_for_a_person_queues_the_conversation(self, actions: Actions) -> None:
        out = actions.run("action_request_handoff", text="can I speak to a real person", intent="human_handoff")
        said = texts(out)
        assert "member of our team" in said or "contact centre is closed" in said

    def test_distress_comes_with_support_numbers_and_goes_to_the_top(self, actions: Actions) -> None:
        out = actions.run("action_request_handoff", text="I can't cope I want to end it all", intent="distress")
        assert "116 123" in texts(out) and "999" in texts(out)

    def test_two_misunderstandings_in_a_row_bring_a_person(self, actions: Actions) -> None:
        fallback = {"event": "user", "text": "asdf", "parse_data": {"intent": {"name": "nlu_fallback"}}}
        once = actions.run("action_handle_fallback", text="asdf", intent="nlu_fallback", events=[fallback])
        assert "didn't understand" in texts(once)
        twice = actions.run("action_handle_fallback", text="qwer", intent="nlu_fallback", events=[fallback, {**fallback, "text": "qwer"}])
        assert "still not understanding" in texts(twice)

    def test_a_message_not_understood_that_names_a_danger_gets_safety_first_and_a_person(self, actions: Actions) -> None:
        fallback = {"event": "user", "text": "think i can smell gas in the kitchen?", "parse_data": {"intent": {"name": "nlu_fallback"}}}
        out = actions.run("action_handle_fallback", text="think i can smell gas in the kitchen?", intent="nlu_fallback", events=[fallback])
        messages = said(out)
        assert "0800 111 999" in messages[0]
        assert "didn't understand" not in texts(out)
        assert "member of our team" in texts(out) or "contact centre is closed" in texts(out)

    def test_an_emergency_gets_safety_first_then_the_offer_of_a_person(self, actions: Actions) -> None:
        out = actions.run("action_emergency", text="I can smell gas", intent="emergency")
        messages = said(out)
        assert "0800 111 999" in messages[0] and "999" in messages[0]
        assert "member of our team" in messages[1]
        assert slot_events(out)["emergency_offered"] is True


def test_ombudsman_details_come_from_the_backend(actions: Actions) -> None:
    out = actions.run("action_ombudsman_info", text="how do I contact the ombudsman", intent="ombudsman_info")
    template = httpx.get(f"{actions.stack.backend_url}/api/v1/ombudsman", timeout=5).json()["text"]
    assert template in texts(out)


def test_when_the_backend_is_down_nothing_is_lost_and_the_reference_arrives_once_it_is_back(actions: Actions) -> None:
    stack = actions.stack
    port = int(stack.backend_url.rsplit(":", 1)[1])
    slots = {**FULL, "submission_key": "cmp-outage-0001"}
    stack.stop_backend()
    try:
        out = actions.run("action_submit_complaint", slots=slots)
        assert "kept everything you told me" in texts(out)
        pending = slot_events(out)["pending_submission"]
        assert pending["key"] == "cmp-outage-0001" and pending["payload"]["definition"]["points"] == FULL["complaint_points"]
        still_down = actions.run("action_validate_slot_mappings", slots={"pending_submission": pending})
        assert slot_events(still_down) == {}  # kept for the next message
    finally:
        stack.start_backend(port)
    back = actions.run("action_validate_slot_mappings", slots={"pending_submission": pending})
    ref = slot_events(back)["last_reference"]
    assert "now been logged" in texts(back) and ref in texts(back)
    again = actions.run("action_validate_slot_mappings", slots={"pending_submission": pending})  # a duplicate retry
    assert slot_events(again)["last_reference"] == ref
    assert actions.case(ref)["definition"]["points"] == FULL["complaint_points"]


def test_a_repair_that_sounds_dangerous_gets_safety_first_and_a_person(actions: Actions) -> None:
    out = actions.run("action_start_service_request", text="the bathroom ceiling has just come down and water is everywhere", intent="service_request")
    messages = said(out)
    assert "999" in messages[0] and "0800 111 999" in messages[0]
    assert any("member of our team" in m or "contact centre is closed" in m for m in messages[1:])
    calm = actions.run("action_start_service_request", text="the bathroom extractor fan is not working", intent="service_request")
    assert "999" not in texts(calm)
