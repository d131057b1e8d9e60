"""The reports over HTTP as a manager uses them: who may see them, the homes count per year, the CSV
exports (safe to open in a spreadsheet), the draft annual report, and the /reports page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest

from tests.backend.helpers import RESPONSE, new_complaint, ok
from tests.conftest import Backend

ENDPOINTS = [
    ("GET", "/api/v1/reports/years"),
    ("PUT", "/api/v1/reports/years/2026"),
    ("GET", "/api/v1/reports/tsm?year=2026&homes=100"),
    ("GET", "/api/v1/reports/summary?year=2026"),
    ("GET", "/api/v1/reports/summary.csv?year=2026"),
    ("GET", "/api/v1/reports/tsm.csv?year=2026&homes=100"),
    ("GET", "/api/v1/reports/annual?year=2026&format=html"),
    ("GET", "/api/v1/reports/annual?year=2026&format=pdf"),
    ("GET", "/api/v1/reports/reconcile?year=2026"),
]


def call(b: Backend, method: str, path: str, who: str) -> int:
    body = {"homes": 1200} if method == "PUT" else None
    return b.client.request(method, path, json=body, headers=b.as_(who)).status_code


def test_only_managers_see_any_report(backend: Backend) -> None:
    for method, path in ENDPOINTS:
        got = {who: call(backend, method, path, who) for who in ("anonymous", "service", "agent", "officer", "manager")}
        assert got == {"anonymous": 401, "service": 403, "agent": 403, "officer": 403, "manager": 200}, (path, got)


def test_the_homes_count_is_kept_per_year_and_used_for_ch01(backend: Backend) -> None:
    m = backend.as_("manager")
    no_homes = backend.client.get("/api/v1/reports/tsm?year=2026", headers=m)
    assert no_homes.status_code == 422
    assert "no homes count is stored for 2026/27" in no_homes.json()["detail"] and "PUT /api/v1/reports/years/2026" in no_homes.json()["detail"]

    r = backend.client.put("/api/v1/reports/years/2026", json={"homes": 4000}, headers=m)
    assert r.status_code == 200, r.text
    assert r.json() | {"updated_at": None} == {
        "year": 2026,
        "label": "2026/27",
        "period_start": "2026-04-01",
        "period_end": "2027-03-31",
        "homes": 4000,
        "updated_by": f"manager:{backend.staff_ids['manager']}",
        "updated_at": None,
    }
    backend.client.put("/api/v1/reports/years/2025", json={"homes": 3900}, headers=m)
    backend.client.put("/api/v1/reports/years/2026", json={"homes": 4100}, headers=m)  # corrected
    years = backend.client.get("/api/v1/reports/years", headers=m).json()
    assert (years["today"], years["current_year"]) == ("2026-06-01", 2026)
    assert [(y["year"], y["homes"]) for y in years["years"]] == [(2026, 4100), (2025, 3900)]

    new_complaint(backend)
    assert backend.client.get("/api/v1/reports/tsm?year=2026", headers=m).json()["stages"][0] | {"responded": 0} == {
        "stage": 1,
        "received": 1,
        "per_1000_homes": 0.2,
        "responded": 0,
        "within_original": 0,
        "within_extended": 0,
        "pct_within_original": None,
        "pct_within_extended": None,
    }
    assert backend.client.get("/api/v1/reports/tsm?year=2026&homes=1000", headers=m).json()["homes"] == 1000  # given beats stored
    assert backend.client.get("/api/v1/reports/tsm", headers=m).json()["year"] == "2026/27"  # the current year by default


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/v1/reports/years/2026", {"homes": 0}),
        ("/api/v1/reports/years/2026", {"homes": "many"}),
        ("/api/v1/reports/years/2026", {"homes": 10, "extra": 1}),
        ("/api/v1/reports/years/1999", {"homes": 10}),
    ],
)
def test_a_bad_homes_count_is_refused_with_a_reason(backend: Backend, path: str, body: dict[str, object]) -> None:
    r = backend.client.put(path, json=body, headers=backend.as_("manager"))
    assert r.status_code == 422 and r.json()["detail"]


def test_bad_report_queries_are_refused_with_a_reason(backend: Backend) -> None:
    m = backend.as_("manager")
    for path in (
        "/api/v1/reports/summary?year=1990",
        "/api/v1/reports/summary?year=soon",
        "/api/v1/reports/annual?format=docx",
        "/api/v1/reports/summary?learning_limit=-1",
    ):
        r = backend.client.get(path, headers=m)
        assert r.status_code == 422 and r.json()["detail"], path


def _closed_with(b: Backend, learning: str, category: str) -> str:
    ref = new_complaint(b, category=category)["reference"]
    ok(b, ref, "acknowledge", {})
    ok(b, ref, "respond", RESPONSE)
    ok(b, ref, "close", {"learning": learning})
    return ref


def test_the_summary_csv_is_a_spreadsheet_that_runs_no_formulas(backend: Backend) -> None:
    ref = _closed_with(backend, '=HYPERLINK("http://evil.example","Click") and call the resident back', "@SUM(A1:A9)")
    _closed_with(backend, "Book surveys on the first report of damp", "Damp and mould")
    r = backend.client.get("/api/v1/reports/summary.csv?year=2026", headers=backend.as_("manager"))
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="complaints-summary-2026-27.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Complaints summary", "2026/27"]
    cells = [c for row in rows for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@")], "a cell a spreadsheet would run as a formula"
    assert "'@SUM(A1:A9)" in cells
    log = rows[rows.index(["Reference", "Stage", "Closed on", "Category", "Learning"]) + 1 :]
    assert [ref, "1", "2026-06-01", "'@SUM(A1:A9)", '\'=HYPERLINK("http://evil.example","Click") and call the resident back'] in log
    volumes = rows[rows.index(["Stage", "Received", "Declined", "Counted (CH01)", "Responded", "Withdrawn"]) + 1]
    assert volumes == ["1", "2", "0", "2", "2", "0"]


def test_the_tsm_csv_has_both_readings_of_ch02(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    ok(backend, ref, "acknowledge", {})
    backend.travel_to(dt.date(2026, 6, 5))
    ok(backend, ref, "respond", RESPONSE)
    r = backend.client.get("/api/v1/reports/tsm.csv?year=2026&homes=500", headers=backend.as_("manager"))
    assert r.status_code == 200 and r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.headers["content-disposition"] == 'attachment; filename="tsm-2026-27.csv"'
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert rows[1][:4] == ["Stage", "CH01 complaints received", "Homes", "CH01 per 1,000 homes"]
    assert rows[2] == ["1", "1", "500", "2.0", "1", "1", "100.0", "1", "100.0"]
    assert rows[3] == ["2", "0", "500", "0.0", "0", "0", "", "0", ""]


def test_the_draft_annual_report_has_the_figures_and_marks_what_the_landlord_must_write(backend: Backend) -> None:
    _closed_with(backend, "<script>alert(1)</script> Check the boiler on the first visit", "Repairs")
    declined = new_complaint(backend)["reference"]
    ok(backend, declined, "decline", {"ground": "legal_proceedings", "reasons": "A court claim was filed in May"})
    backend.client.put("/api/v1/reports/years/2026", json={"homes": 2000}, headers=backend.as_("manager"))
    r = backend.client.get("/api/v1/reports/annual?year=2026&format=html", headers=backend.as_("manager"))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = r.text
    assert "Annual complaints performance and service improvement report 2026/27 (draft)" in page
    for heading in (
        "1. Tenant Satisfaction Measures",
        "5. Complaints not accepted or not escalated, and why (Code 8.1)",
        "7. Learning and service improvements (Code 9.1)",
        "8. Self-assessment against the Complaint Handling Code (DRAFT",
        "10. The governing body&#x27;s response (DRAFT",
    ):
        assert heading in page, heading
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Check the boiler" in page
    assert re.search(r"<td>Legal proceedings filed \(Code 2\.2\)</td><td>1</td><td>0</td>", page)
    assert "<td>1</td><td>1</td><td>2000</td><td>0.5</td>" in page  # CH01: 1 complaint (the declined one is not), 0.5 per 1,000 homes
    pdf = backend.client.get("/api/v1/reports/annual?year=2026&format=pdf", headers=backend.as_("manager"))
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-disposition"] == 'attachment; filename="annual-complaints-report-2026-27.pdf"'


def test_the_annual_report_without_a_homes_count_says_what_is_missing(backend: Backend) -> None:
    r = backend.client.get("/api/v1/reports/annual?year=2026", headers=backend.as_("manager"))
    assert r.status_code == 200 and "CH01 needs the number of homes owned in the year" in r.text


def test_the_reports_page_is_served_with_a_strict_policy_and_no_inline_code(backend: Backend) -> None:
    r = backend.client.get("/reports")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in r.headers["content-security-policy"] and r.headers["x-frame-options"] == "DENY"
    page = r.text
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/reports/static/reports.js" defer>']
    assert "<style" not in page and " style=" not in page and not re.search(r"<[^>]+\son[a-z]+\s*=", page)  # no inline handlers
    script = backend.client.get("/reports/static/reports.js")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "innerHTML" not in script.text and "insertAdjacentHTML" not in script.text and "staff_token" in script.text
    assert backend.client.get("/reports/static/reports.css").headers["content-type"].startswith("text/css")
    assert backend.client.get("/reports/static/secrets.py").status_code == 404
