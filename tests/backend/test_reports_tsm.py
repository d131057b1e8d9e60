"""Tenant Satisfaction Measures CH01 and CH02: the counting rules directly, then the report from a
record made through the API, checked against answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from backend.domain.reports import StageFacts, ch01, ch02, reporting_year
from tests.backend.helpers import RESPONSE, new_complaint, ok
from tests.conftest import Backend

D = dt.date


def test_the_reporting_year_runs_from_april_to_march() -> None:
    assert reporting_year(2026) == (D(2026, 4, 1), D(2027, 3, 31))


def test_ch01_counts_complaints_received_in_the_year_per_thousand_homes() -> None:
    facts = [
        StageFacts(1, D(2026, 3, 31)),  # the year before
        StageFacts(1, D(2026, 4, 1)),
        StageFacts(1, D(2027, 3, 31)),
        StageFacts(1, D(2027, 4, 1)),  # the year after
        StageFacts(2, D(2026, 9, 1)),
    ]
    assert ch01(facts, 2026, homes=4000) == {1: (2, 0.5), 2: (1, 0.2)}
    with pytest.raises(ValueError, match="homes"):
        ch01(facts, 2026, homes=0)


def test_ch02_counts_responses_sent_in_the_year_in_both_readings() -> None:
    facts = [
        StageFacts(1, D(2026, 3, 20), D(2026, 4, 2), within_original=True, within_extended=True),  # received before, answered in the year
        StageFacts(1, D(2026, 5, 1), D(2026, 5, 20), within_original=False, within_extended=True),  # late, but within its extension
        StageFacts(1, D(2026, 6, 1), D(2026, 7, 30), within_original=False, within_extended=False),
        StageFacts(1, D(2027, 3, 1)),  # not answered yet: not in CH02
        StageFacts(2, D(2026, 8, 1), D(2026, 9, 1), within_original=True, within_extended=True),
    ]
    result = ch02(facts, 2026)
    assert (result[1].responded, result[1].within_original, result[1].within_extended) == (3, 1, 2)
    assert (result[1].pct_original, result[1].pct_extended) == (33.3, 66.7)
    assert (result[2].pct_original, result[2].pct_extended) == (100.0, 100.0)
    assert ch02([], 2026)[2].pct_original is None  # nothing answered: no percentage, not 0%


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
