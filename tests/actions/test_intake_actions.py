"""Complaint intake actions against the real backend: validation, read-back, submission, the offer to complain."""

from __future__ import annotations

import httpx

from tests.actions.conftest import Actions, said, slot_events, texts

FULL = {
    "acting_for": "representative",
    "rep_relationship": "family",
    "rep_name": "Sam Khan",
    "resident_name": "Amira Khan",
    "contact": "sam.khan@example.org",
    "postcode": "LS6 2AB",
    "complaint_points": ["Damp in the back bedroom reported three times since March", "Contractor missed two appointments"],
    "points_done": True,
    "when_happened": "March 2026",
    "earlier_reports": "Repair ref SR-2026-000001",
    "impact": "My mum's asthma is worse and she sleeps in the living room",
    "outcome_wanted": "Fix the damp properly and an apology",
    "legal_status": "Only a solicitor's letter",
    "adjustments_text": "Large print letters please, and calls only in the morning",
    "needs_text": "She is partially sighted",
    "needs_consent": True,
    "definition_confirmed": True,
    "submission_key": "cmp-test-submission-0001",
}


def test_a_confirmed_complaint_is_submitted_with_everything_the_resident_said(actions: Actions) -> None:
    out = actions.run("action_submit_complaint", slots=FULL, channel="whatsapp")
    said = texts(out)
    assert "Your reference is CMP-" in said and "within 5 working days" in said and "stage 1" in said
    assert "0300 111 3000" in said  # Ombudsman signposting from the backend's template
    assert "confirm your authority" in said
    ref = slot_events(out)["last_reference"]
    case = actions.case(ref)
    assert case["channel"] == "whatsapp"
    assert case["definition"]["points"] == FULL["complaint_points"]
    assert case["definition"]["outcomes"] == [FULL["outcome_wanted"]]
    assert case["definition"]["confirmed_by_resident"] is True
    assert case["representative"]["relationship"] == "family" and case["representative"]["authority_status"] == "pending"
    assert case["representative"]["contact"] == "sam.khan@example.org" and case["resident"]["email"] is None
    assert {a["type"] for a in case["resident"]["adjustments"]} == {"large_print", "contact_times"}
    assert case["resident"]["disclosed_needs"] == ["She is partially sighted"]
    assert case["when_described"] == "March 2026" and case["happened_on"] == "2026-03-01"
    assert case["legal_proceedings"] == "pre_action" and case["impact"].startswith("My mum's asthma")
    assert case["stages"][0]["acknowledge_by"] == case["current_due"]
    # the form's slots are cleared for the next conversation turn
    assert slot_events(out)["complaint_points"] is None


def test_needs_are_not_recorded_without_consent(actions: Actions) -> None:
    out = actions.run("action_submit_complaint", slots={**FULL, "acting_for": "self", "needs_consent": False, "submission_key": "cmp-test-submission-0002"})
    case = actions.case(slot_events(out)["last_reference"])
    assert case["resident"]["disclosed_needs"] == [] and case["representative"] is None
    assert case["resident"]["email"] == "sam.khan@example.org"  # the resident's own contact goes on their record


def test_an_old_complaint_is_taken_and_flagged_for_the_officer_never_refused(actions: Actions) -> None:
    out = actions.run("action_submit_complaint", slots={**FULL, "when_happened": "about 3 years ago", "submission_key": "cmp-test-submission-0003"})
    case = actions.case(slot_events(out)["last_reference"])
    assert case["status"] == "received" and case["over_twelve_months_warning"] is True


def test_a_retry_after_a_lost_reply_does_not_duplicate_the_complaint(actions: Actions) -> None:
    slots = {**FULL, "submission_key": "cmp-test-submission-0004"}
    first = slot_events(actions.run("action_submit_complaint", slots=slots))["last_reference"]
    second = slot_events(actions.run("action_submit_complaint", slots=slots))["last_reference"]
    assert first == second


class TestValidation:
    def test_a_postcode_that_is_not_one_is_asked_again(self, actions: Actions) -> None:
        out = actions.validate("complaint_form", "postcode", "my house")
        assert slot_events(out)["postcode"] is None and "UK postcode" in texts(out)
        out = actions.validate("complaint_form", "postcode", "ls62ab")
        assert slot_events(out)["postcode"] == "LS6 2AB"

    def test_contact_must_be_a_phone_or_email_or_this_chat(self, actions: Actions) -> None:
        assert slot_events(actions.validate("complaint_form", "contact", "ring me"))["contact"] is None
        assert slot_events(actions.validate("complaint_form", "contact", "07700 900123"))["contact"] == "07700 900123"
        assert slot_events(actions.validate("complaint_form", "contact", "here please"))["contact"] == "here please"

    def test_several_points_are_collected_until_the_resident_says_that_is_all(self, actions: Actions) -> None:
        out = actions.validate("complaint_form", "points_done", "and the surveyor was rude", slots={"complaint_points": ["Damp"]})
        events = slot_events(out)
        assert events["points_done"] is None and events["complaint_points"] == ["Damp", "and the surveyor was rude"]
        out = actions.validate("complaint_form", "points_done", "that's all", slots={"complaint_points": ["Damp", "rude"]})
        assert slot_events(out)["points_done"] is True

    def test_the_read_back_shows_the_definition_and_the_outcome(self, actions: Actions) -> None:
        out = actions.run("action_ask_definition_confirmed", slots=FULL)
        said = texts(out)
        assert FULL["complaint_points"][0] in said and FULL["outcome_wanted"] in said
        assert [b["payload"] for b in out["responses"][0]["buttons"]] == ["/affirm", "/deny"]

    def test_saying_no_to_the_read_back_starts_the_definition_again(self, actions: Actions) -> None:
        out = actions.validate("complaint_form", "definition_confirmed", "no", intent="deny", slots=FULL)
        events = slot_events(out)
        assert events["complaint_points"] == [] and events["outcome_wanted"] is None and events["definition_confirmed"] is None

    def test_a_typed_correction_is_added_and_read_back_again(self, actions: Actions) -> None:
        out = actions.validate("complaint_form", "definition_confirmed", "it was April not March", slots=FULL)
        events = slot_events(out)
        assert events["complaint_points"][-1] == "Correction: it was April not March" and events["definition_confirmed"] is None

    def test_a_representative_is_told_how_authority_is_confirmed(self, actions: Actions) -> None:
        out = actions.validate("complaint_form", "rep_name", "Sam Khan", slots={"acting_for": "representative"})
        assert "authority as pending" in texts(out)

    def test_the_form_asks_a_representative_about_themselves_and_skips_consent_without_needs(self, actions: Actions) -> None:
        out = actions.run("validate_complaint_form", slots={"acting_for": "representative"}, active_loop="complaint_form")
        assert slot_events(out)["requested_slot"] == "rep_relationship"
        done = {k: v for k, v in FULL.items() if k not in ("needs_consent", "definition_confirmed")}
        out = actions.run("validate_complaint_form", slots={**done, "acting_for": "self", "needs_text": "none"}, active_loop="complaint_form")
        assert slot_events(out)["requested_slot"] == "definition_confirmed"  # no consent question without a disclosure

    def test_a_court_claim_is_explained_honestly_and_still_recorded(self, actions: Actions) -> None:
        out = actions.validate("complaint_form", "legal_status", "A court claim has been filed")
        assert "court" in texts(out) and slot_events(out)["legal_status"] == "A court claim has been filed"

    def test_safeguarding_words_in_an_answer_reach_a_person(self, actions: Actions) -> None:
        out = actions.validate("complaint_form", "impact", "I'm not safe at home and I want to end it all")
        assert "116 123" in texts(out) and slot_events(out)["impact"].startswith("I'm not safe")


class TestTheOfferToComplain:
    def test_dissatisfaction_gets_the_offer_and_it_is_recorded(self, actions: Actions) -> None:
        text = "I reported the leak 3 times and nobody has come, this is a joke"
        out = actions.run("action_offer_complaint", text=text, intent="complaint", sender="offer-1")
        assert slot_events(out)["complaint_offered"] == "triage"
        offer_id = slot_events(out)["offer_id"]
        assert isinstance(offer_id, int)
        started = actions.run("action_start_complaint", slots={"offer_id": offer_id, "offer_context": text, "complaint_offered": "triage"}, sender="offer-1")
        events = slot_events(started)
        assert events["complaint_points"] == [text]  # the first message already says what went wrong
        assert events["submission_key"].startswith("cmp-offer-1-")

    def test_a_complaint_that_names_a_danger_gets_the_safety_instructions_first(self, actions: Actions) -> None:
        text = "third time water has come through my kitchen light fitting and nobody has come out"
        said_first = said(actions.run("action_offer_complaint", text=text, intent="complaint", sender="offer-danger"))
        assert "0800 111 999" in said_first[0] and len(said_first) == 2  # then the offer to complain
        calm = actions.run("action_offer_complaint", text="third time I've asked for the fence to be fixed", intent="complaint", sender="offer-calm")
        assert "999" not in texts(calm)

    def test_declining_still_gets_the_problem_put_right(self, actions: Actions) -> None:
        text = "my boiler has been broken for a week"
        out = actions.run("action_decline_complaint_offer", slots={"complaint_offered": "triage", "offer_context": text})
        assert slot_events(out)["sr_description"] == text and slot_events(out)["sr_kind"] == "repair"


def test_the_offer_and_the_answer_are_in_the_record(actions: Actions) -> None:
    """Code 1.3: the offer to complain and what the resident said are kept by the backend."""
    import sqlite3

    text = "third time I've asked for the fence to be fixed, nobody has bothered"
    out = actions.run("action_offer_complaint", text=text, intent="complaint", sender="offer-record")
    offer_id = slot_events(out)["offer_id"]
    actions.run("action_decline_complaint_offer", slots={"offer_id": offer_id, "offer_context": text, "complaint_offered": "triage"})
    with sqlite3.connect(actions.stack.tmp / "complaints.db") as db:
        row = db.execute("SELECT conversation_id, context, accepted, answered_at FROM complaint_offers WHERE id = ?", (offer_id,)).fetchone()
    assert row[0] == "offer-record" and row[1] == text and row[2] == 0 and row[3] is not None
    r = httpx.post(f"{actions.stack.backend_url}/api/v1/complaint-offers", json={"conversation_id": "x", "channel": "webchat", "context": "x"}, timeout=5)
    assert r.status_code == 401  # only the action server (or staff) can write to the record
