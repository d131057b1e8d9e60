"""The report tallies (``services.reports_tallies``): kept equal to the record through every step a
complaint goes through, recounted when a closure day changes past working days, rolled back with a
failed transaction, filled by migration 0009 exactly as the application counts, and checked and
repaired by reconcile. The reports read them, so the year tests' figures depend on them too."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from backend import cli
from backend.db.migrations import alembic_config, upgrade_to_head
from backend.db.models import ClosureDay, Complaint
from backend.db.session import make_engine
from backend.services import reports, reports_tallies
from backend.settings import get_settings
from tests.backend.helpers import PROOF, RESPONSE, new_complaint, ok
from tests.conftest import Backend

D = dt.date
STAGE2_DEFINITION = {"points": ["The stage 1 promise was not kept"], "outcomes": ["The repair"]}


def in_step(b: Backend) -> dict[tuple[int, str, int, str], int]:
    """The stored tallies, after checking they equal the tallies counted afresh from the record."""
    with Session(b.engine) as session:  # type: ignore[attr-defined]
        stored, counted = reports_tallies.stored_tallies(session), reports_tallies.record_tallies(session)
    assert stored == counted
    return dict(stored)


def summary(b: Backend, year: int = 2026) -> dict[str, object]:
    r = b.client.get(f"/api/v1/reports/summary?year={year}&learning_limit=0", headers=b.as_("manager"))
    assert r.status_code == 200, r.text
    return r.json()


def reconciled(b: Backend) -> None:
    check = b.client.get("/api/v1/reports/reconcile?year=2026", headers=b.as_("manager")).json()
    assert (check["matches"], check["differences"]) == (True, [])


def test_the_tallies_follow_a_complaint_through_every_step(backend: Backend) -> None:
    assert in_step(backend) == {}
    ref = new_complaint(backend, category="Repairs", channel="sms")["reference"]
    assert in_step(backend) == {(2026, "received", 1, '["Repairs","sms",null]'): 1}
    ok(backend, ref, "acknowledge", {})
    backend.travel_to(D(2026, 6, 3))
    ok(backend, ref, "extend", {"new_due": "2026-06-22", "reason": "A survey is needed"})
    backend.travel_to(D(2026, 6, 18))
    ok(backend, ref, "respond", RESPONSE)  # late on the original date, within the extension
    tallies = in_step(backend)
    assert tallies[(2026, "acknowledged", 1, "[0,true]")] == 1  # acknowledged the day it arrived
    assert tallies[(2026, "responded", 1, "[13,false,true]")] == 1  # 1 June to 18 June: 13 working days
    assert tallies[(2026, "outcome", 1, '["partly_upheld"]')] == 1
    ok(backend, ref, "close", {"learning": "Book the survey at once"})
    assert in_step(backend)[(2026, "learned", 1, "[]")] == 1
    backend.travel_to(D(2026, 6, 25))
    ok(backend, ref, "escalate", PROOF, as_="service")  # reopened: no longer in the learning log
    tallies = in_step(backend)
    assert (2026, "learned", 1, "[]") not in tallies and tallies[(2026, "received", 2, '["Repairs","sms",null]')] == 1
    ok(backend, ref, "acknowledge", {"definition": STAGE2_DEFINITION}, as_="officer2")
    backend.travel_to(D(2026, 7, 2))
    ok(backend, ref, "respond", {**RESPONSE, "decision": "upheld"}, as_="officer2")
    ok(backend, ref, "close", {"learning": "Second look"}, as_="officer2")
    tallies = in_step(backend)
    assert tallies[(2026, "learned", 2, "[]")] == 1 and tallies[(2026, "outcome", 2, '["upheld"]')] == 1

    declined = new_complaint(backend)["reference"]
    ok(backend, declined, "decline", {"ground": "legal_proceedings", "reasons": "A claim was filed"})
    withdrawn = new_complaint(backend, channel="phone")["reference"]
    ok(backend, withdrawn, "acknowledge", {})
    ok(backend, withdrawn, "withdraw", {"note": "Resident withdrew", **PROOF}, as_="service")
    tallies = in_step(backend)
    assert tallies[(2026, "received", 1, '[null,"webchat","legal_proceedings"]')] == 1
    assert tallies[(2026, "withdrawn", 1, "[]")] == 1
    reconciled(backend)


def test_a_change_rolled_back_leaves_the_tallies_as_they_were(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    before = in_step(backend)
    with Session(backend.engine) as session:  # type: ignore[attr-defined]
        c = session.scalars(select(Complaint).where(Complaint.reference == ref)).one()
        c.category, c.status, c.closed_on, c.learning = "Damp", "closed", D(2026, 6, 1), "x"
        session.flush()
        assert reports_tallies.stored_tallies(session) == reports_tallies.record_tallies(session) != before  # in step inside the transaction
        session.rollback()
    assert in_step(backend) == before


def test_a_closure_day_on_a_day_already_counted_recounts_its_working_days(backend: Backend) -> None:
    """Closure days are declared in advance, so this only happens when one is declared for today
    after a step was taken today; the tallies are counted again with the new calendar."""
    ref = new_complaint(backend)["reference"]  # Monday 1 June
    backend.travel_to(D(2026, 6, 3))
    ok(backend, ref, "acknowledge", {})  # 2 working days
    assert in_step(backend)[(2026, "acknowledged", 1, "[2,true]")] == 1
    r = backend.client.post("/api/v1/calendar/closure-days", json={"day": "2026-06-03", "reason": "Office move"}, headers=backend.as_("manager"))
    assert r.status_code == 201, r.text
    tallies = in_step(backend)
    assert tallies.get((2026, "acknowledged", 1, "[2,true]"), 0) == 0 and tallies[(2026, "acknowledged", 1, "[1,true]")] == 1
    assert summary(backend)["timeliness"][0]["median_working_days"] == 1.0  # type: ignore[index]
    reconciled(backend)
    r = backend.client.delete("/api/v1/calendar/closure-days/2026-06-03", headers=backend.as_("manager"))
    assert r.status_code in (200, 204), r.text
    assert in_step(backend)[(2026, "acknowledged", 1, "[2,true]")] == 1
    reconciled(backend)


def test_a_record_changed_behind_the_tallies_back_is_reported_and_rebuild_repairs_it(backend: Backend) -> None:
    ref = new_complaint(backend, category="Repairs")["reference"]
    with backend.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("UPDATE complaints SET category = 'Damp' WHERE reference = :ref"), {"ref": ref})
    check = backend.client.get("/api/v1/reports/reconcile?year=2026", headers=backend.as_("manager")).json()
    assert check["matches"] is False
    assert 'tally 2026/27 received stage 1 ["Damp","webchat",null]: 0 stored, 1 in the record' in check["differences"]
    with Session(backend.engine) as session:  # type: ignore[attr-defined]
        reports_tallies.rebuild(session)
        session.commit()
    assert in_step(backend) == {(2026, "received", 1, '["Damp","webchat",null]'): 1}


def test_the_command_line_checks_the_tallies_and_rebuilds_them_in_batches(
    backend: Backend, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """More tallies than one batch, so the reads by id and the upserts are split (as 100,000 complaints split them)."""
    monkeypatch.setattr(reports_tallies, "BATCH", 2)
    refs = [new_complaint(backend, category=category)["reference"] for category in ("Repairs", "Damp", "Noise")]
    for ref in refs:
        ok(backend, ref, "acknowledge", {})
    expected = in_step(backend)
    assert len(expected) == 4  # three received, one acknowledged
    with backend.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text("UPDATE complaints SET category = 'Roof' WHERE reference IN (:a, :b)"), {"a": refs[0], "b": refs[1]})
    monkeypatch.setenv("DATABASE_URL", backend.engine.url.render_as_string(hide_password=False))  # type: ignore[attr-defined]
    get_settings.cache_clear()
    try:
        assert cli.main(["report-tallies"]) == 1
        out = capsys.readouterr().out
        assert 'tally 2026/27 received stage 1 ["Roof","webchat",null]: 0 stored, 2 in the record' in out
        assert "Report tallies: 3 difference(s) from the record. Run with --rebuild to repair." in out
        assert cli.main(["report-tallies", "--rebuild"]) == 0
        assert "Report tallies rebuilt from the record: 3 row(s)." in capsys.readouterr().out
        assert cli.main(["report-tallies"]) == 0
        assert "Report tallies: 0 difference(s) from the record." in capsys.readouterr().out
    finally:
        get_settings.cache_clear()
    assert in_step(backend) == {
        (2026, "received", 1, '["Roof","webchat",null]'): 2,
        (2026, "received", 1, '["Noise","webchat",null]'): 1,
        (2026, "acknowledged", 1, "[0,true]"): 3,
    }
    with Session(backend.engine) as session:  # type: ignore[attr-defined]
        for c in session.scalars(select(Complaint).where(Complaint.reference.in_(refs))):
            c.category = "Gas"
        session.commit()  # one flush, three complaints: read before and after in two batches
    assert in_step(backend) == {(2026, "received", 1, '["Gas","webchat",null]'): 3, (2026, "acknowledged", 1, "[0,true]"): 3}


def test_the_summary_csv_streams_a_long_learning_log_whole_and_in_order(backend: Backend, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first entries come with the summary, the rest page by page: none repeated or left out."""
    monkeypatch.setattr("backend.api.reports.CSV_FIRST_ENTRIES", 2)
    monkeypatch.setattr(reports, "LOG_PAGE", 2)
    refs = []
    for i in range(7):
        backend.travel_to(D(2026, 6, 1 + i // 2))  # pairs closed on the same day: the reference breaks the tie
        ref = new_complaint(backend)["reference"]
        ok(backend, ref, "acknowledge", {})
        ok(backend, ref, "respond", RESPONSE)
        ok(backend, ref, "close", {"learning": f"Learning {i}"})
        refs.append(ref)
    r = backend.client.get("/api/v1/reports/summary.csv?year=2026", headers=backend.as_("manager"))
    assert r.status_code == 200
    rows = list(csv.reader(io.StringIO(r.content.decode("utf-8-sig"))))
    log = rows[rows.index(["Reference", "Stage", "Closed on", "Category", "Learning"]) + 1 :]
    assert [row[0] for row in log] == sorted(refs, key=lambda ref: (refs.index(ref) // 2, ref), reverse=True)
    assert rows[rows.index(["Reference", "Stage", "Closed on", "Category", "Learning"]) - 1][0].startswith("Learning log (Code 9.1): 7 complaints")


# -- migration 0009 --------------------------------------------------------------------------------


@pytest.fixture
def old_database(empty_database: str) -> str:
    return empty_database


COMPLAINT = (
    "INSERT INTO complaints (id, reference, resident_id, channel, category, received_at, received_on, status, legal_proceedings, personal_injury,"
    " stage1_extensions, stage2_extensions, policy_name, region, created_at, updated_at, declined_at_stage, decline_ground,"
    " stage1_acknowledged_on, stage1_ack_within, stage1_responded_on, stage1_response_within_original, stage1_response_within_extended,"
    " stage1_decision, stage2_requested_on, stage2_acknowledged_on, stage2_ack_within, stage2_responded_on, stage2_response_within_original,"
    " stage2_response_within_extended, stage2_decision, closed_on, learning)"
    " VALUES (:id, :ref, 1, :channel, :category, :received_at, :received, :status, 'unknown', false, 0, 0, 'default', 'england-and-wales',"
    " :received_at, :received_at, :declined_at, :ground, :ack1, :ack1_within, :resp1, :orig1, :ext1, :decision1, :asked2, :ack2, :ack2_within,"
    " :resp2, :orig2, :ext2, :decision2, :closed, :learning)"
)
BLANK = dict.fromkeys(
    "category declined_at ground ack1 ack1_within resp1 orig1 ext1 decision1 asked2 ack2 ack2_within resp2 orig2 ext2 decision2 closed learning".split()
)
OLD_COMPLAINTS = [
    {"id": 1, "status": "received", "received": "2026-03-30", "channel": "sms"},
    {"id": 2, "status": "declined", "received": "2026-04-02", "channel": "phone", "declined_at": 1, "ground": "other", "category": "Repairs"},
    {"id": 3, "status": "stage1_acknowledged", "received": "2026-05-21", "channel": "sms", "ack1": "2026-06-01", "ack1_within": True},
    {
        "id": 4,
        "status": "closed",
        "received": "2027-03-25",
        "channel": "sms",
        "category": "Damp",
        "ack1": "2027-03-26",
        "ack1_within": True,
        "resp1": "2027-04-12",
        "orig1": False,
        "ext1": True,
        "decision1": "upheld",
        "closed": "2027-04-13",
        "learning": "Survey first",
    },
    {
        "id": 5,
        "status": "stage2_responded",
        "received": "2026-06-01",
        "channel": "webchat",
        "ack1": "2026-06-01",
        "ack1_within": True,
        "resp1": "2026-06-10",
        "orig1": True,
        "ext1": True,
        "decision1": "bogus",
        "asked2": "2026-06-20",
        "ack2": "2026-06-24",
        "ack2_within": True,
        "resp2": "2026-07-20",
        "orig2": False,
        "ext2": False,
        "decision2": "not_upheld",
    },
    {"id": 6, "status": "withdrawn", "received": "2026-06-01", "channel": "sms", "ack1": "2026-06-02", "ack1_within": True, "closed": "2026-06-05"},
    {"id": 7, "status": "stage1_responded", "received": "2026-06-01", "channel": "sms", "resp1": "2026-06-05", "orig1": None, "ext1": None},
]


def test_migration_0009_counts_the_record_as_the_application_does(old_database: str) -> None:
    engine = make_engine(old_database)
    with engine.begin() as conn:
        cfg = alembic_config(old_database)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO residents (id, name, disclosed_needs, consent_to_record_needs, created_at) VALUES (1, 'A', '[]', false, '2026-01-01')"))
        conn.execute(text("INSERT INTO closure_days (day, reason, created_by, created_at) VALUES ('2026-06-22', 'Move', 'manager:1', '2026-01-01')"))
        conn.execute(text(COMPLAINT), [{**BLANK, "ref": f"CMP-2026-{c['id']:06d}", "received_at": c["received"] + " 10:00", **c} for c in OLD_COMPLAINTS])
    upgrade_to_head(engine)
    with Session(engine) as session:
        stored = reports_tallies.stored_tallies(session)
        assert stored == reports_tallies.record_tallies(session)
        assert session.scalar(select(ClosureDay.day)) == D(2026, 6, 22)
    assert stored[(2026, "acknowledged", 2, "[2,true]")] == 1  # Saturday 20 June to Wednesday 24 June, Monday a closure day
    assert stored[(2027, "outcome", 1, '["upheld"]')] == 1 and stored[(2026, "outcome", 1, "[null]")] == 2  # "bogus" and none
    assert stored[(2026, "responded", 1, "[null,null,null]")] == 1  # a response never acknowledged
    engine.dispose()
