"""Residents' records are anonymised after the retention period, never while anything is open, and
the reports give the same numbers afterwards: the rule directly, then the run through the API and
the command line."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import create_engine, select, text

from backend import cli
from backend.db.models import Conversation, Event, Resident
from backend.domain.retention import MARKER, Holding, add_years, anonymise_on, check_years, decide
from backend.services import retention
from backend.services.subject_access import gather
from backend.settings import get_settings
from tests.backend.privacy_helpers import AMIRA, BRYN, Person, everything, found, history, sessionmaker, sms_conversation
from tests.conftest import Backend

D = dt.date
days = st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 12, 31))
years = st.integers(min_value=1, max_value=10)

# -- the rule ----------------------------------------------------------------------------------------


def test_the_period_is_counted_in_calendar_years() -> None:
    assert add_years(D(2020, 5, 3), 6) == D(2026, 5, 3)
    assert add_years(D(2020, 2, 29), 6) == D(2026, 3, 1), "never shorter than six years"
    assert add_years(D(2020, 2, 29), 4) == D(2024, 2, 29)
    with pytest.raises(ValueError, match="between 1 and 100"):
        check_years(0)


@given(st.lists(days, min_size=1, max_size=8), years, days)
def test_a_record_falls_due_the_set_number_of_years_after_its_last_activity(activity: list[D], n: int, today: D) -> None:
    decision = decide(Holding.of(activity), n, today)
    last = max(activity)
    assert decision.due_on == add_years(last, n)
    assert (decision.due_on - last).days >= 365 * n, "never sooner than N whole years"
    assert all(decision.due_on > d for d in activity)
    assert decision.due is (today >= decision.due_on)


@given(st.lists(days, min_size=1, max_size=8), st.lists(st.sampled_from(["complaint CMP-2026-000001", "service request SR-2026-000001"]), min_size=1), years)
def test_nothing_open_is_ever_due_however_old(activity: list[D], open_items: list[str], n: int) -> None:
    decision = decide(Holding.of(activity, open_items), n, D(2099, 12, 31))
    assert not decision.due and decision.due_on is None and decision.reason.startswith("kept: still open")


@given(st.lists(days, min_size=1, max_size=8), days, years)
def test_more_activity_never_brings_the_date_forward(activity: list[D], later: D, n: int) -> None:
    before, after = anonymise_on(Holding.of(activity), n), anonymise_on(Holding.of([*activity, later]), n)
    assert before is not None and after is not None and after >= before


@given(days, years, st.integers(min_value=0, max_value=4000))
def test_once_due_a_record_stays_due(last: D, n: int, wait: int) -> None:
    due_on = anonymise_on(Holding.of([last]), n)
    assert due_on is not None
    assert decide(Holding.of([last]), n, due_on + dt.timedelta(days=wait)).due
    assert not decide(Holding.of([last]), n, due_on - dt.timedelta(days=1)).due


# -- the run -----------------------------------------------------------------------------------------

OTTOLINE = Person("Ottoline", "+447700900777", "QQ7 7QC")
PELL = Person("Pellinore", "+447700900888", "QQ6 6QD")


def run(b: Backend, dry_run: bool, as_: str = "manager") -> dict[str, Any]:
    r = b.client.post("/api/v1/privacy/retention/run", json={"dry_run": dry_run}, headers=b.as_(as_))
    assert r.status_code == 200, r.text
    return r.json()


def reports(b: Backend) -> list[Any]:
    """The numbers a manager reports: TSM and the summary for both years, and the check against the events."""
    out = []
    for year in (2024, 2025):
        for path in (f"tsm?year={year}&homes=1000", f"summary?year={year}", f"reconcile?year={year}"):
            r = b.client.get(f"/api/v1/reports/{path}", headers=b.as_("manager"))
            assert r.status_code == 200, r.text
            out.append(r.json())
    return out


def resident_of(b: Backend, public_id: str) -> int | None:
    with sessionmaker(b)() as s:
        return s.scalar(select(Conversation.resident_id).where(Conversation.public_id == public_id))


def old_open_cases(b: Backend) -> None:
    """Ottoline's complaint from 2024 is still open; Pellinore's text conversation waits for a person."""
    b.travel_to(D(2024, 6, 4))
    body = {"channel": "phone", "resident": {"name": "Ottoline Ray", "postcode": OTTOLINE.postcode}, "definition": {"points": ["Ottoline: the lift"]}}
    assert b.client.post("/api/v1/complaints", json=body, headers=b.as_("service")).status_code == 201
    public_id = sms_conversation(b, PELL, "Pellinore: the boiler is out")
    body = {
        "channel": "sms",
        "service_code": "heating",
        "description": "Pellinore: no heating",
        "resident": {"name": "Pellinore Ash", "identities": [{"channel": "sms", "address": public_id}]},
    }
    sr = b.client.post("/api/v1/service-requests", json=body, headers=b.as_("service"))
    assert sr.status_code == 201, sr.text
    closed = b.client.patch(f"/api/v1/service-requests/{sr.json()['service_request_id']}", json={"status": "closed"}, headers=b.as_("officer"))
    assert closed.status_code == 200, closed.text
    handoff = {"conversation_id": public_id, "channel": "sms", "reason": "asked", "last_message": "Pellinore: someone please"}
    assert b.client.post("/api/v1/handoffs", json=handoff, headers=b.as_("service")).status_code == 201


def test_only_records_past_retention_are_anonymised_and_the_reports_do_not_change(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    old = history(backend, AMIRA, D(2024, 6, 3))  # everything over by 23 June 2024
    recent = history(backend, BRYN, D(2025, 9, 1))  # over by 21 September 2025
    old_open_cases(backend)
    backend.travel_to(D(2026, 6, 1))
    assert run(backend, dry_run=True)["anonymised"] == [], "under the default six years nothing is due yet"

    monkeypatch.setattr(backend.client.app.state.settings, "retention_years", 1)  # type: ignore[attr-defined]
    before = reports(backend)
    preview = run(backend, dry_run=True)
    assert preview["anonymised"] == [old["resident_id"]] and preview["retention_years"] == 1 and preview["dry_run"] is True
    assert (preview["kept_open"], preview["not_yet_due"], preview["already_anonymised"]) == (2, 1, 0)
    assert preview["counts"]["messages"] >= 4 and preview["counts"]["identities_deleted"] == 2 and preview["counts"]["complaints"] == 1
    assert found(everything(backend), AMIRA) == list(AMIRA.personal), "a dry run changes nothing"

    done = run(backend, dry_run=False)
    assert done["anonymised"] == [old["resident_id"]] and done["counts"] == preview["counts"]
    dump = everything(backend)
    assert found(dump, AMIRA) == [], "nothing of theirs is left anywhere"
    assert found(dump, BRYN) == list(BRYN.personal) and OTTOLINE.tag in dump and PELL.tag in dump, "the others are untouched"
    assert reports(backend) == before, "the same TSM, summary and reconciliation as before"
    for report in before[2::3]:
        assert report["matches"] is True

    case = backend.client.get(f"/api/v1/complaints/{old['reference']}", headers=backend.as_("officer")).json()
    assert case["status"] == "closed" and case["category"] == "repairs" and case["channel"] == "sms" and case["received_at"].startswith("2024-06-03")
    assert case["resident"]["name"] == MARKER and case["resident"]["phone"] is None and case["impact"] == MARKER
    assert case["stages"][0]["responded_within_original_timescale"] is True and case["learning"] == "Check damp reports within a week"
    officer = backend.as_("officer")
    timeline = backend.client.get(f"/api/v1/complaints/{old['reference']}/timeline", headers=officer)
    assert timeline.status_code == 200 and MARKER in timeline.text, "the case history still opens, with the text replaced"
    letters = backend.client.get(f"/api/v1/complaints/{old['reference']}/correspondence", headers=officer).json()
    for path in ("", "/html", "/pdf"):
        assert backend.client.get(f"/api/v1/letters/{letters[0]['id']}{path}", headers=officer).status_code == 200, path

    again = run(backend, dry_run=False)
    assert again["anonymised"] == [] and again["counts"] == {} and again["already_anonymised"] == 1, "anonymised once"
    with sessionmaker(backend)() as s:
        resident = s.get(Resident, old["resident_id"])
        assert retention.anonymise(s, gather(s, resident)) == {}, "anonymising again changes nothing"
        s.rollback()
        kinds = ("retention_run", "resident_anonymised")
        recorded = [(e.type, e.details.get("dry_run"), e.resident_id) for e in s.scalars(select(Event).where(Event.type.in_(kinds)).order_by(Event.id))]
    rid = old["resident_id"]
    dry, real = ("retention_run", True, None), ("retention_run", False, None)
    assert recorded == [dry, dry, ("resident_anonymised", None, rid), real, real], "every run is recorded, the dry runs too"

    # their old number texting in now starts a conversation of its own, linked to nobody
    assert resident_of(backend, sms_conversation(backend, AMIRA, "hello again")) is None
    assert resident_of(backend, sms_conversation(backend, BRYN, "hello again")) == recent["resident_id"], "a kept record still links"


def test_only_managers_run_retention_and_bad_requests_are_refused(backend: Backend) -> None:
    for who, code in (("anonymous", 401), ("service", 403), ("agent", 403), ("officer", 403)):
        r = backend.client.post("/api/v1/privacy/retention/run", json={"dry_run": True}, headers=backend.as_(who))
        assert r.status_code == code, who
    for body in ({"dry_run": "perhaps"}, {"dry_run": True, "everyone": True}, {"dry_run": False, "limit": 0}):
        assert backend.client.post("/api/v1/privacy/retention/run", json=body, headers=backend.as_("manager")).status_code == 422, body
    r = backend.client.post("/api/v1/privacy/retention/run", json={}, headers=backend.as_("manager"))
    assert r.status_code == 200 and r.json()["dry_run"] is True, "erasing is never the default"


def test_the_command_line_reports_then_anonymises(backend: Backend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    old = history(backend, AMIRA, D(2024, 6, 3))
    monkeypatch.setenv("DATABASE_URL", backend.engine.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]
    monkeypatch.setenv("RETENTION_YEARS", "1")
    get_settings.cache_clear()
    try:
        assert cli.main(["retention", "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert "Would anonymise 1 resident record(s) (retention 1 years" in out and "messages:" in out
        assert found(everything(backend), AMIRA) == list(AMIRA.personal)
        assert cli.main(["retention"]) == 0
        out = capsys.readouterr().out
        assert "Anonymised 1 resident record(s)" in out and found(out, AMIRA) == []
    finally:
        get_settings.cache_clear()
    assert found(everything(backend), AMIRA) == []
    with sessionmaker(backend)() as s:
        assert s.scalar(select(Event.actor).where(Event.type == "resident_anonymised", Event.resident_id == old["resident_id"])) == "cli:retention"


def test_giving_the_marker_as_a_name_does_not_escape_retention(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    backend.travel_to(D(2024, 6, 3))
    body = {
        "channel": "sms",
        "service_code": "damp",
        "description": "Mould again",
        "resident": {"name": MARKER, "phone": "+447700900999", "identities": [{"channel": "sms", "address": "+447700900999"}]},
    }
    sr = backend.client.post("/api/v1/service-requests", json=body, headers=backend.as_("service"))
    assert sr.status_code == 201, sr.text
    backend.client.patch(f"/api/v1/service-requests/{sr.json()['service_request_id']}", json={"status": "closed"}, headers=backend.as_("officer"))
    backend.travel_to(D(2026, 6, 1))
    monkeypatch.setattr(backend.client.app.state.settings, "retention_years", 1)  # type: ignore[attr-defined]
    with sessionmaker(backend)() as s:
        rid = s.scalar(select(Resident.id))
    assert run(backend, dry_run=False)["anonymised"] == [rid]
    assert "7700900999" not in everything(backend)


def test_the_run_also_erases_their_conversations_from_rasas_tracker_store(backend: Backend, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    """Rasa keeps every turn in its own store (``events``, keyed by the conversation's public id, as
    SQLTrackerStore writes it; tests/e2e/test_scale_out.py erases rows a real Rasa wrote)."""
    old = history(backend, AMIRA, D(2024, 6, 3))
    recent = history(backend, BRYN, D(2025, 9, 1))
    trackers = create_engine(f"sqlite:///{tmp_path / 'trackers.db'}")
    with trackers.begin() as conn:
        conn.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255), data TEXT)"))
        for sender in (old["conversation"], old["conversation"], recent["conversation"]):
            conn.execute(text("INSERT INTO events (sender_id, type_name, data) VALUES (:s, 'user', :d)"), {"s": sender, "d": '{"text": "words"}'})
    settings = backend.client.app.state.settings  # type: ignore[attr-defined]
    monkeypatch.setattr(settings, "retention_years", 1)
    monkeypatch.setattr(settings, "rasa_tracker_database_url", str(trackers.url))
    backend.travel_to(D(2026, 6, 1))

    def left() -> list[str]:
        with trackers.connect() as conn:
            return list(conn.execute(text("SELECT sender_id FROM events ORDER BY id")).scalars())

    preview = run(backend, dry_run=True)
    assert preview["counts"]["rasa_tracker_events_deleted"] == 2 and len(left()) == 3, "a dry run only counts"
    done = run(backend, dry_run=False)
    assert done["anonymised"] == [old["resident_id"]] and done["counts"]["rasa_tracker_events_deleted"] == 2
    assert left() == [recent["conversation"]], "only the anonymised resident's conversation goes"
    trackers.dispose()
