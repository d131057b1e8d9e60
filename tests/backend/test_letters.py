"""Letters to the resident: every kind holds what the Code requires, is filled from the case, can be
edited before it goes, cannot go with a required item empty, prints in large print for a resident
who asked for it, escapes what residents typed, and is sent or marked for the post room once."""

from __future__ import annotations

import base64
import re
import zlib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.domain import letters as L
from backend.domain.ombudsman import Moment, signposting
from backend.domain.responses import REQUIRED_ITEMS
from backend.domain.rules import RuleViolation
from tests.backend.helpers import DEFINITION, RESPONSE, new_complaint, ok, post, staff_view
from tests.conftest import Backend

# -- what each kind must say (plain Python) ---------------------------------------------------------


def required(kind: str) -> dict[str, str | None]:
    return {i.key: i.provision for i in L.spec(kind).items if i.required}


def test_acknowledgements_must_state_the_definition_the_outcomes_the_response_date_and_the_ombudsman() -> None:
    for stage, opened in ((1, "6.2"), (2, "6.11")):
        req = required(f"stage{stage}_acknowledgement")
        assert {"points", "outcomes", "respond_by", "ombudsman"} <= set(req)
        assert opened in req["points"] and "5.6" in req["outcomes"]  # type: ignore[operator]


def test_extensions_must_state_the_new_date_the_reason_and_the_ombudsman() -> None:
    assert required("stage1_extension") == {"reference": None, "date": None, "new_due": "6.4", "reason": "6.4", "ombudsman": "6.5"}
    assert required("stage2_extension") == {"reference": None, "date": None, "new_due": "6.15", "reason": "6.15", "ombudsman": "6.16"}


def test_declines_must_state_the_reasons_and_the_ombudsman() -> None:
    assert required("stage1_decline") == {"reference": None, "date": None, "reasons": "2.4", "ombudsman": "2.4"}
    assert required("stage2_decline") == {"reference": None, "date": None, "reasons": "5.11", "ombudsman": "5.11"}


@pytest.mark.parametrize("stage", [1, 2])
def test_responses_hold_every_item_of_6_9_and_6_19(stage: int) -> None:
    provision = "6.9" if stage == 1 else "6.19"
    req = required(f"stage{stage}_response")
    for key, letter, _ in REQUIRED_ITEMS[stage]:
        assert req[key] == f"{provision}({letter})"
    s = L.spec(f"stage{stage}_response")
    assert not s.item("escalation").editable and not s.item("stage").editable  # type: ignore[union-attr]


def test_the_ombudsman_text_is_always_the_one_template() -> None:
    moments = {
        "stage1_acknowledgement": Moment.ACKNOWLEDGEMENT,
        "stage1_extension": Moment.EXTENSION,
        "stage1_decline": Moment.DECLINE,
        "stage2_decline": Moment.ESCALATION_REFUSED,
        "stage2_response": Moment.FINAL_RESPONSE,
    }
    for kind, moment in moments.items():
        s = L.spec(kind)
        assert L.ombudsman_text(s) == signposting(moment).text
        fixed = s.item("ombudsman") or s.item("escalation")
        assert fixed is not None and not fixed.editable


@given(st.sets(st.sampled_from([k for k, _, _ in REQUIRED_ITEMS[1]]), min_size=1))
def test_a_response_with_items_left_empty_is_refused_naming_each(empty: set[str]) -> None:
    s = L.spec("stage1_response")
    values = {i.key: "" if i.key in empty else "stated" for i in s.items}
    with pytest.raises(L.LetterIncomplete) as refused:
        L.check(s, values)
    letters = {letter for key, letter, _ in REQUIRED_ITEMS[1] if key in empty}
    named = set(re.findall(r"6\.9\((\w)\)", refused.value.message))
    assert named == letters and len(refused.value.missing) == len(empty)
    assert refused.value.code == "response_incomplete"


def test_a_fixed_item_cannot_be_changed_but_may_be_posted_back_unchanged() -> None:
    s = L.spec("stage1_acknowledgement")
    filled = {"reference": "CMP-2026-000001", "respond_by": "Monday 15 June 2026", "points": "- Damp"}
    assert L.merge(s, filled, {"respond_by": " Monday 15 June  2026 ", "points": "- Damp and mould"})["points"] == "- Damp and mould"
    with pytest.raises(RuleViolation) as refused:
        L.merge(s, filled, {"respond_by": "Friday 31 July 2026"})
    assert refused.value.code == "letter_item_fixed" and "extending" in refused.value.message
    with pytest.raises(RuleViolation) as unknown:
        L.merge(s, filled, {"signature": "x"})
    assert unknown.value.code == "unknown_letter_item"


# -- drafts from the case ----------------------------------------------------------------------------


def draft(b: Backend, ref: str, kind: str, **extra: Any) -> dict[str, Any]:
    r = b.client.post(f"/api/v1/complaints/{ref}/letters/draft", json={"kind": kind, **extra}, headers=b.as_("officer"))
    assert r.status_code == 200, r.text
    return r.json()


def values(letter: dict[str, Any]) -> dict[str, str]:
    return {i["key"]: i["value"] for i in letter["items"]}


def test_the_acknowledgement_draft_is_filled_from_the_case(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    d = draft(backend, ref, "stage1_acknowledgement")
    v = values(d)
    assert v["reference"] == ref and v["respond_by"] == "Monday 15 June 2026"  # ten working days from today's acknowledgement
    assert DEFINITION["points"][0] in v["points"] and DEFINITION["outcomes"][1] in v["outcomes"]
    assert v["ombudsman"] == signposting(Moment.ACKNOWLEDGEMENT).text
    assert v["recipient"].startswith("Amira Khan")
    item = next(i for i in d["items"] if i["key"] == "points")
    assert item == {**item, "required": True, "editable": True, "provision": "5.6, 6.2"}
    assert d["missing"] == [] and d["large_print"] is False
    assert "Monday 15 June 2026" in d["html"] and "0300 111 3000" in d["html"]


def test_an_extension_draft_names_what_is_still_missing(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    ok(backend, ref, "acknowledge", {})
    d = draft(backend, ref, "stage1_extension")
    assert d["missing"] == ["The new response date (Code 6.4)", "Why we need more time (Code 6.4)"]
    d = draft(backend, ref, "stage1_extension", new_due="2026-06-29")
    assert values(d)["new_due"] == "Monday 29 June 2026" and d["missing"] == ["Why we need more time (Code 6.4)"]
    r = backend.client.post(
        f"/api/v1/complaints/{ref}/letters/preview",
        json={"kind": "stage1_extension", "new_due": "2026-06-29", "items": {"reason": "We need a damp survey first."}},
        headers=backend.as_("officer"),
    )
    assert r.status_code == 200 and r.json()["missing"] == []
    assert "We need a damp survey first." in r.json()["html"] and "Monday 29 June 2026" in r.json()["html"]


def test_a_letter_for_the_other_stage_is_refused(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    r = backend.client.post(f"/api/v1/complaints/{ref}/letters/draft", json={"kind": "stage2_response"}, headers=backend.as_("officer"))
    assert r.status_code == 409 and r.json()["code"] == "letter_wrong_stage"


# -- refusing, editing, keeping ---------------------------------------------------------------------------


def correspondence(b: Backend, ref: str) -> list[dict[str, Any]]:
    r = b.client.get(f"/api/v1/complaints/{ref}/correspondence", headers=b.as_("officer"))
    assert r.status_code == 200
    return r.json()  # type: ignore[no-any-return]


def test_a_letter_with_a_required_item_emptied_is_not_sent_and_nothing_changes(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    r = post(backend, ref, "acknowledge", {"letter": {"points": "  ", "outcomes": ""}})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "letter_incomplete" and body["rule"] == "Code 6.2"
    assert body["missing"] == ["What went wrong (the complaint definition) (Code 5.6, 6.2)", "What the resident wants to happen (Code 5.6, 6.2)"]
    assert staff_view(backend, ref)["status"] == "received" and correspondence(backend, ref) == []


def test_a_response_with_an_empty_item_in_the_letter_is_refused(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    ok(backend, ref, "acknowledge", {})
    r = post(backend, ref, "respond", {**RESPONSE, "letter": {"remedy": ""}})
    assert r.status_code == 422 and r.json()["code"] == "response_incomplete"
    assert "6.9(e)" in r.json()["detail"] and "6.9(d)" not in r.json()["detail"]
    assert staff_view(backend, ref)["status"] == "stage1_acknowledged" and len(correspondence(backend, ref)) == 1


def test_the_officer_edits_the_letter_before_it_goes_and_the_record_keeps_it_as_sent(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    edits = {"points": "- Black mould in the back bedroom since March", "note": "Our surveyor will call you to book a visit."}
    out = ok(backend, ref, "acknowledge", {"letter": edits})
    notice = out["notice"]
    assert notice["id"] and notice["title"] == "We have received your complaint" and notice["delivery_status"] == "prepared"
    assert "Black mould in the back bedroom since March" in notice["body"] and DEFINITION["points"][0] not in notice["body"]
    assert "Our surveyor will call you" in notice["body"] and "Monday 15 June 2026" in notice["body"]
    letter = backend.client.get(f"/api/v1/letters/{notice['id']}", headers=backend.as_("officer")).json()
    assert values(letter)["points"] == edits["points"] and letter["body"] == notice["body"]
    assert letter["reference"] == ref and letter["delivery_status"] == "prepared"
    events = backend.client.get(f"/api/v1/complaints/{ref}/events", headers=backend.as_("officer")).json()
    prepared = next(e for e in events if e["type"] == "correspondence_prepared")
    assert prepared["details"]["edited_items"] == ["note", "points"]
    # a fixed item cannot be changed in the letter: the date comes from the deadlines
    ref2 = new_complaint(backend)["reference"]
    r = post(backend, ref2, "acknowledge", {"letter": {"respond_by": "Friday 31 July 2026"}})
    assert r.status_code == 422 and r.json()["code"] == "letter_item_fixed"


def test_edits_are_bounded(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    assert post(backend, ref, "acknowledge", {"letter": {"note": "x" * 20001}}).status_code == 422
    assert post(backend, ref, "acknowledge", {"letter": {f"k{i}": "x" for i in range(31)}}).status_code == 422
    assert post(backend, ref, "acknowledge", {"letter": {"note": 5}}).status_code == 422


def test_the_decline_and_extension_letters_as_stored(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    ok(backend, ref, "acknowledge", {})
    edited = {"reason": "We need a damp survey by a specialist."}
    out = ok(backend, ref, "extend", {"new_due": "2026-06-29", "reason": "We need a damp survey.", "letter": edited})
    v = values(backend.client.get(f"/api/v1/letters/{out['notice']['id']}", headers=backend.as_("officer")).json())
    assert v["new_due"] == "Monday 29 June 2026" and v["reason"] == "We need a damp survey by a specialist."
    assert v["ombudsman"] == signposting(Moment.EXTENSION).text
    ref2 = new_complaint(backend)["reference"]
    r = post(backend, ref2, "decline", {"ground": "legal_proceedings", "reasons": "A court claim was filed.", "letter": {"reasons": ""}})
    assert r.status_code == 422 and r.json()["missing"] == ["Why (the reasons for the decision) (Code 2.4)"]


# -- HTML, PDF and large print ----------------------------------------------------------------------


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", pdf))


def _font_sizes(pdf: bytes) -> set[int]:
    sizes: set[int] = set()
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:  # reportlab writes page content as ASCII85 over Flate
            text = zlib.decompress(base64.a85decode(stream.strip(), adobe=True))
        except (ValueError, zlib.error):
            continue
        sizes |= {int(float(m)) for m in re.findall(rb"/F\d+ (\d+(?:\.\d+)?) Tf", text)}
    return sizes


def test_a_resident_who_asked_for_large_print_gets_large_print_letters(backend: Backend) -> None:
    resident = {
        "name": "Amira Khan",
        "postcode": "LS6 2AB",
        "address": "12 Hyde Park Road, Leeds",
        "adjustments": [{"type": "large_print", "detail": "Sight loss: 18 point letters", "agreed": True}],
    }
    ref = new_complaint(backend, resident=resident)["reference"]
    assert draft(backend, ref, "stage1_acknowledgement")["large_print"] is True
    ok(backend, ref, "acknowledge", {})
    out = ok(backend, ref, "respond", RESPONSE)
    letter_id = out["notice"]["id"]
    h = backend.as_("officer")
    assert backend.client.get(f"/api/v1/letters/{letter_id}", headers=h).json()["large_print"] is True
    large = backend.client.get(f"/api/v1/letters/{letter_id}/pdf", headers=h)
    standard = backend.client.get(f"/api/v1/letters/{letter_id}/pdf?large_print=false", headers=h)
    assert large.status_code == standard.status_code == 200 and large.headers["content-type"] == "application/pdf"
    assert large.content.startswith(b"%PDF") and standard.content.startswith(b"%PDF")
    assert "large-print" in large.headers["content-disposition"]
    assert 18 in _font_sizes(large.content) and 18 not in _font_sizes(standard.content) and 11 in _font_sizes(standard.content)
    assert _pages(large.content) > _pages(standard.content)
    html = backend.client.get(f"/api/v1/letters/{letter_id}/html", headers=h)
    assert 'class="large-print"' in html.text and "font-size:18pt" in html.text
    Path("/tmp/letter-large.pdf").write_bytes(large.content)
    Path("/tmp/letter-sample.pdf").write_bytes(standard.content)


def test_large_print_can_be_asked_for_a_resident_without_the_adjustment(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    notice = ok(backend, ref, "acknowledge", {})["notice"]
    h = backend.as_("officer")
    assert backend.client.get(f"/api/v1/letters/{notice['id']}", headers=h).json()["large_print"] is False
    assert 18 in _font_sizes(backend.client.get(f"/api/v1/letters/{notice['id']}/pdf?large_print=true", headers=h).content)
    r = backend.client.post(f"/api/v1/complaints/{ref}/letters/preview?large_print=true", json={"kind": "stage1_acknowledgement"}, headers=h)
    assert r.json()["large_print"] is True


def test_every_page_escapes_what_the_resident_typed(backend: Backend) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    resident = {"name": "<b>Amira</b>", "postcode": "LS6 2AB"}
    ref = new_complaint(backend, resident=resident, definition={"points": [evil], "outcomes": ["Fix it & say sorry"]})["reference"]
    h = backend.as_("officer")
    d = draft(backend, ref, "stage1_acknowledgement")
    notice = ok(backend, ref, "acknowledge", {})["notice"]
    pages = [
        d["html"],
        backend.client.get(f"/api/v1/letters/{notice['id']}", headers=h).json()["html"],
        backend.client.get(f"/api/v1/letters/{notice['id']}/html", headers=h).text,
    ]
    for page in pages:
        assert "<script" not in page and "<img" not in page and "<b>" not in page
        assert "&lt;script&gt;" in page and "&lt;b&gt;Amira&lt;/b&gt;" in page and "Fix it &amp; say sorry" in page
    r = backend.client.get(f"/api/v1/letters/{notice['id']}/html", headers=h)
    assert "default-src 'none'" in r.headers["content-security-policy"]
    pdf = backend.client.get(f"/api/v1/letters/{notice['id']}/pdf", headers=h)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")  # reportlab's markup is escaped too


# -- marking for the post room, and who may ------------------------------------------------------------


def send(b: Backend, letter_id: int, route: str, as_: str = "officer") -> Any:
    return b.client.post(f"/api/v1/letters/{letter_id}/send", json={"route": route}, headers=b.as_(as_))


def test_a_letter_marked_for_post_is_recorded_and_not_sent_twice(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    notice = ok(backend, ref, "acknowledge", {})["notice"]
    r = send(backend, notice["id"], "post")
    assert r.status_code == 200, r.text
    assert r.json()["delivery_status"] == "to_post" and r.json()["delivery"] == "post" and r.json()["delivered_by"].startswith("officer:")
    listed = correspondence(backend, ref)[0]
    assert listed["id"] == notice["id"] and listed["delivery_status"] == "to_post" and listed["title"] == "We have received your complaint"
    again = send(backend, notice["id"], "email")
    assert again.status_code == 409 and again.json()["code"] == "letter_already_sent" and "marked for post" in again.json()["detail"]
    events = backend.client.get(f"/api/v1/complaints/{ref}/events", headers=backend.as_("officer")).json()
    marked = [e for e in events if e["type"] == "letter_marked"]
    assert len(marked) == 1 and marked[0]["details"]["route"] == "post" and marked[0]["details"]["address_on_record"] is False


def test_without_an_open_conversation_the_officer_is_told_to_post_or_email(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    notice = ok(backend, ref, "acknowledge", {})["notice"]
    r = send(backend, notice["id"], "channel")
    assert r.status_code == 409 and r.json()["code"] == "no_open_conversation"
    assert "post or email" in r.json()["detail"]
    assert send(backend, notice["id"], "email").json()["delivery_status"] == "to_email"


def test_letters_are_for_complaints_staff_only(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    notice = ok(backend, ref, "acknowledge", {})["notice"]
    for who, status in (("anonymous", 401), ("service", 403), ("agent", 403)):
        h = backend.as_(who)
        assert backend.client.get(f"/api/v1/letters/{notice['id']}", headers=h).status_code == status
        assert backend.client.get(f"/api/v1/letters/{notice['id']}/pdf", headers=h).status_code == status
        assert backend.client.post(f"/api/v1/complaints/{ref}/letters/draft", json={"kind": "stage1_decline"}, headers=h).status_code == status
        assert send(backend, notice["id"], "post", as_=who).status_code == status
    assert backend.client.get("/api/v1/letters/999999", headers=backend.as_("manager")).status_code == 404
    assert send(backend, 999999, "post", as_="manager").status_code == 404
    assert send(backend, notice["id"], "pigeon").status_code == 422


def test_the_update_when_a_promised_action_is_done_is_a_letter_like_any_other(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    ok(backend, ref, "acknowledge", {})
    h = backend.as_("officer")
    action = backend.client.post(f"/api/v1/complaints/{ref}/actions", json={"kind": "repair", "description": "Replace the extractor fan"}, headers=h)
    assert action.status_code == 201, action.text
    done = backend.client.post(
        f"/api/v1/complaints/{ref}/actions/{action.json()['id']}/done", json={"resident_update": "The new fan was fitted on 5 June."}, headers=h
    )
    assert done.status_code == 200, done.text
    letter = backend.client.get(f"/api/v1/letters/{done.json()['letter_id']}", headers=h).json()
    assert letter["kind"] == "action_update" and letter["title"] == "An update on what we promised to do"
    v = values(letter)
    assert v["action"] == "Replace the extractor fan" and v["update"] == "The new fan was fitted on 5 June." and v["reference"] == ref
    assert "The new fan was fitted on 5 June." in letter["html"]
    assert send(backend, letter["id"], "post").json()["delivery_status"] == "to_post"
