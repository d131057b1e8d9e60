"""Code section 2: accept unless there is a valid, evidenced reason; the bot never decides an exclusion."""

from __future__ import annotations

import datetime as dt

from backend.domain.complaints import twelve_month_warning
from tests.backend.helpers import PROOF, RESPONSE, new_complaint, ok, post, staff_view
from tests.conftest import Backend


def test_2_1_declining_without_reasons_is_refused(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    r = post(backend, ref, "decline", {"ground": "previously_considered", "reasons": "   "})
    assert r.status_code == 422
    assert r.json()["rule"] == "Code 2.1"
    assert staff_view(backend, ref)["status"] == "received"


def test_2_4_a_decline_tells_the_resident_why_and_how_to_reach_the_ombudsman(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    out = ok(
        backend,
        ref,
        "decline",
        {
            "ground": "legal_proceedings",
            "reasons": "A claim about this disrepair was filed at Leeds County Court on 2 March.",
            "evidence": "Claim form ref K00LS123",
        },
    )
    assert out["complaint"]["status"] == "declined"
    body = out["notice"]["body"]
    assert "filed at Leeds County Court" in body
    assert "0300 111 3000" in body and "housing-ombudsman.org.uk/residents/make-a-complaint" in body
    assert out["notice"]["kind"] == "stage1_decline"


def test_2_3_twelve_months_is_a_warning_for_the_officer_not_a_refusal(backend: Backend) -> None:
    c = new_complaint(backend, happened_on="2024-01-10", legal_proceedings="pre_action")  # pre-action is not "filed"
    assert c["status"] == "received"
    assert c["over_twelve_months_warning"] is True
    assert c["legal_proceedings"] == "pre_action"


def test_2_3_the_clock_runs_from_when_the_resident_became_aware() -> None:
    received = dt.date(2026, 6, 1)
    assert twelve_month_warning(received, dt.date(2024, 1, 1), None)
    assert not twelve_month_warning(received, dt.date(2024, 1, 1), dt.date(2026, 1, 5))
    assert not twelve_month_warning(received, None, None)


def test_5_11_escalation_can_only_be_refused_on_a_section_2_ground(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    ok(backend, ref, "acknowledge", {})
    ok(backend, ref, "respond", RESPONSE)
    ok(backend, ref, "escalate", PROOF, as_="service")
    r = post(backend, ref, "decline", {"ground": "other", "reasons": "We think stage 1 was fair."}, as_="officer2")
    assert r.status_code == 422 and r.json()["rule"] == "Code 5.11"
    r = post(backend, ref, "decline", {"ground": "legal_proceedings", "reasons": "A court claim has since been filed."}, as_="officer")
    assert r.status_code == 422 and r.json()["rule"] == "Code 6.13"  # the stage 1 officer takes no part in stage 2
    out = ok(backend, ref, "decline", {"ground": "legal_proceedings", "reasons": "A court claim has since been filed."}, as_="officer2")
    assert out["notice"]["kind"] == "stage2_decline"
    assert "escalate your complaint to stage 2" in out["notice"]["body"] and "0300 111 3000" in out["notice"]["body"]
    assert out["complaint"]["stage"] == 2


def test_2_3_accepting_an_old_complaint_records_that_discretion_was_considered(backend: Backend) -> None:
    c = new_complaint(backend, happened_on="2024-01-10")
    assert c["exclusion_flags"] == ["over_twelve_months"]
    r = post(backend, c["reference"], "acknowledge", {})
    assert r.status_code == 422 and r.json()["rule"] == "Code 2.3"
    note = "The resident only learned the survey findings last month; discretion applied."
    ok(backend, c["reference"], "acknowledge", {"exclusion_note": note})
    events = backend.client.get(f"/api/v1/complaints/{c['reference']}/events", headers=backend.as_("officer")).json()
    assert next(e for e in events if e["type"] == "acknowledged")["details"]["exclusion_note"] == note


def test_2_2_a_court_claim_already_filed_is_flagged_but_a_letter_of_claim_is_not(backend: Backend) -> None:
    assert new_complaint(backend, legal_proceedings="filed")["exclusion_flags"] == ["legal_proceedings_filed"]
    assert new_complaint(backend, legal_proceedings="pre_action")["exclusion_flags"] == []
