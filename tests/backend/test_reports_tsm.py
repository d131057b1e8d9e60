"""Tenant Satisfaction Measures CH01 and CH02: the counting rules directly, then the report from a
record made through the API, checked against answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.domain.reports import CaseFacts, Received, Responded, StageRecord, case_measures, ch01, ch02, reporting_year
from tests.backend.helpers import RESPONSE, new_complaint, ok
from tests.conftest import Backend

D = dt.date


def test_the_reporting_year_runs_from_april_to_march() -> None:
    assert reporting_year(2026) == (D(2026, 4, 1), D(2027, 3, 31))


def test_a_complaint_counts_in_the_year_it_reached_us_and_a_response_in_the_year_it_was_sent() -> None:
    def case(ref: str, received: dt.date, responded: dt.date | None = None, stage2: dt.date | None = None) -> CaseFacts:
        stages = [StageRecord(1, received, acknowledged_on=received, responded_on=responded, within_original=True, within_extended=True)]
        if stage2:
            stages.append(StageRecord(2, stage2))
        return CaseFacts(ref, "sms", None, "stage1_responded", tuple(stages))

    facts = case_measures(
        [
            case("a", D(2026, 3, 31), responded=D(2026, 4, 1)),  # received the year before, answered in this one
            case("b", D(2026, 4, 1)),
            case("c", D(2027, 3, 31), responded=D(2027, 4, 1)),  # answered the year after
            case("d", D(2027, 4, 1)),  # the year after
            case("e", D(2026, 2, 1), stage2=D(2026, 9, 1)),  # stage 2 counts when the escalation was asked for
        ],
        2026,
    )
    assert sorted((f.stage, f.count) for f in facts.received) == [(1, 1), (1, 1), (2, 1)]
    assert [(f.stage, f.responded_on) for f in facts.responded] == [(1, D(2026, 4, 1))]


def test_ch01_counts_complaints_received_per_thousand_homes_and_not_the_declined() -> None:
    facts = [
        Received(1, "Repairs", "sms"),
        Received(1, None, "phone"),
        Received(1, "Repairs", "sms", declined_ground="legal_proceedings"),  # declined: not a complaint
        Received(2, "Repairs", "sms"),
    ]
    assert ch01(facts, homes=4000) == {1: (2, 0.5), 2: (1, 0.2)}
    assert ch01([Received(1, None, "sms", count=7)], homes=1000) == {1: (7, 7.0), 2: (0, 0.0)}  # a group of seven
    with pytest.raises(ValueError, match="homes"):
        ch01(facts, homes=0)


def test_ch02_counts_responses_in_both_readings() -> None:
    facts = [
        Responded(1, D(2026, 3, 20), D(2026, 4, 2), within_original=True, within_extended=True),
        Responded(1, D(2026, 5, 1), D(2026, 5, 20), within_original=False, within_extended=True),  # late, but within its extension
        Responded(1, D(2026, 6, 1), D(2026, 7, 30), within_original=False, within_extended=False),
        Responded(2, D(2026, 8, 1), D(2026, 9, 1), within_original=True, within_extended=True),
    ]
    result = ch02(facts)
    assert (result[1].responded, result[1].within_original, result[1].within_extended) == (3, 1, 2)
    assert (result[1].pct_original, result[1].pct_extended) == (33.3, 66.7)
    assert (result[2].pct_original, result[2].pct_extended) == (100.0, 100.0)
    assert ch02([])[2].pct_original is None  # nothing answered: no percentage, not 0%


def test_the_report_from_the_record_matches_the_answers_worked_out_by_hand(backend: Backend) -> None:
    # Three complaints received in June 2026 (the 2026/27 year):
    backend.travel_to(D(2026, 6, 1))
    on_time = new_complaint(backend)["reference"]
    extended = new_complaint(backend)["reference"]
    declined = new_complaint(backend)["reference"]
    for ref in (on_time, extended):
        ok(backend, ref, "acknowledge", {})  # respond by Monday 15 June
    ok(backend, declined, "decline", {"ground": "previously_considered", "reasons": "Considered under CMP-2025-000001 last year"})
    ok(backend, extended, "extend", {"new_due": "2026-06-22", "reason": "Survey needed"})
    backend.travel_to(D(2026, 6, 10))
    ok(backend, on_time, "respond", RESPONSE)  # within the original timescale
    backend.travel_to(D(2026, 6, 18))
    ok(backend, extended, "respond", RESPONSE)  # late on the original date, within the extension
    # one more in March 2026: the year before
    backend.travel_to(D(2026, 3, 2))
    new_complaint(backend)

    r = backend.client.get("/api/v1/reports/tsm?year=2026&homes=2000", headers=backend.as_("manager"))
    assert r.status_code == 200, r.text
    stage1, stage2 = r.json()["stages"]
    # CH01: 2 stage 1 complaints received in the year (the declined one is not a complaint), per 1,000 homes = 1.0
    assert (stage1["received"], stage1["per_1000_homes"]) == (2, 1.0)
    # CH02: 2 answered, 1 within the original timescale, 2 within it including the extension
    assert (stage1["responded"], stage1["pct_within_original"], stage1["pct_within_extended"]) == (2, 50.0, 100.0)
    assert (stage2["received"], stage2["responded"], stage2["pct_within_original"]) == (0, 0, None)


def test_only_managers_see_reports(backend: Backend) -> None:
    for who, code in (("anonymous", 401), ("service", 403), ("agent", 403), ("officer", 403), ("manager", 200)):
        assert backend.client.get("/api/v1/reports/tsm?year=2026&homes=100", headers=backend.as_(who)).status_code == code, who
    bad = backend.client.get("/api/v1/reports/tsm?year=2026&homes=0", headers=backend.as_("manager"))
    assert bad.status_code == 422
