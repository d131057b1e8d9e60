"""The managers' reports at 100,000 complaints: the issue's target is p95 page time <= 200 ms.

Seeds a two-year record shaped for the reports (stage dates, extensions, declines with grounds,
stage 2 escalations, late steps, withdrawals, closures with learning, and the events each case
would have, about eight per complaint, including the ``responded`` event whose decision is also on the complaint)
on a fresh SQLite file and, when reachable, a fresh PostgreSQL database (dropped afterwards).
Then it times, through the HTTP app (FastAPI TestClient, a manager's token), for the reporting year
today falls in:

- ``GET /api/v1/reports/summary``, ``/tsm`` (homes stored), ``/summary.csv`` (the whole learning
  log, about 40,000 rows), ``/tsm.csv``, and once the draft annual report as HTML.

``benchmarks.officer_queue``'s seed is not reused: it has no stage dates, decisions or events, which
are what the reports read. Run:

    .venv/bin/python -m benchmarks.reports [--complaints 100000] [--runs 40] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine

from backend.db.migrations import upgrade_to_head
from backend.db.models import Complaint, Event, ReportingYear, Resident
from backend.db.session import make_engine
from backend.domain.calendar import calendar_for
from backend.domain.deadlines import within
from backend.main import create_app
from backend.services import staff
from backend.services.context import FixedClock
from backend.settings import Settings

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TODAY = dt.datetime(2027, 3, 15, 10, tzinfo=dt.UTC)
TARGET_MS = 200.0
PASSWORD = "benchmark password " + "x" * 8
CATEGORIES = ["Repairs", "Damp and mould", "Anti-social behaviour", "Staff conduct", "Communication", "Rent and charges", "Neighbourhood", None]
CHANNELS = ["webchat", "sms", "whatsapp", "telegram", "phone", "email", "letter"]
DECISIONS = ["upheld", "partly upheld", "not upheld"]
GROUNDS = ["over_twelve_months", "legal_proceedings", "previously_considered", "other"]
LEARNING = [
    "Book the damp survey on the first report, not the third.",
    "Contractors must text residents when they cannot keep an appointment.",
    "Nothing to learn: the service was delivered as promised.",
    "Staff briefing on recording adjustments at first contact.",
]


STAGE_FIELDS = ["acknowledged_on", "ack_within", "extended_to", "responded_on", "response_within_original", "response_within_extended", "decision"]
OPTIONAL: dict[str, Any] = dict.fromkeys(
    ["declined_at_stage", "decline_ground", "decline_reasons", "stage2_requested_on", "stage2_requested_at", "closed_on", "learning", "current_due"]
    + [f"stage{s}_{f}" for s in (1, 2) for f in STAGE_FIELDS]
)


class Seeder:
    """One complaint at a time: its dates walk the working calendar, and each step leaves its event."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.cal = calendar_for("england-and-wales")
        self.today = TODAY.date()
        self.events: list[dict[str, Any]] = []

    def wd(self, start: dt.date, n: int) -> dt.date:
        return self.cal.add_working_days(start, n)

    def event(self, cid: int, type_: str, on: dt.date, **details: Any) -> None:
        at = dt.datetime.combine(on, dt.time(11), tzinfo=dt.UTC)
        self.events.append({"complaint_id": cid, "type": type_, "actor": "officer:1", "at": at, "details": details})

    def _stage(self, row: dict[str, Any], cid: int, s: int, start: dt.date) -> bool:
        """Acknowledge and respond at stage ``s`` (or stop where today is); True when it was answered."""
        rng, p = self.rng, f"stage{s}_"
        ack_by = self.wd(start, 5)
        ack = self.wd(start, rng.choice([1, 1, 2, 3, 4, 5, 7]))
        if ack > self.today:
            row["status"], row["current_due"] = ("received" if s == 1 else "stage2_requested"), ack_by
            return False
        row[p + "acknowledged_on"], row[p + "ack_within"] = ack, within(ack, ack_by)
        self.event(cid, "acknowledged", ack, stage=s, acknowledged_on=ack.isoformat())
        self.event(cid, "correspondence_prepared", ack, kind=f"stage{s}_acknowledgement")
        original = self.wd(ack, 10 if s == 1 else 20)
        due = original
        if rng.random() < 0.25:
            due = self.wd(original, 5 if s == 1 else 10)
            row[p + "extended_to"], row[p + "extensions"] = due, 1
            self.event(cid, "extended", self.wd(ack, 3), stage=s, new_due=due.isoformat())
        resp = self.wd(ack, rng.randrange(4, 17 if s == 1 else 30))
        if resp > self.today:
            row["status"], row["current_due"] = f"stage{s}_acknowledged", due
            return False
        row[p + "responded_on"] = resp
        row[p + "response_within_original"], row[p + "response_within_extended"] = within(resp, original), within(resp, due)
        row["status"], row["current_due"] = f"stage{s}_responded", None
        decision = rng.choice(DECISIONS)
        row[p + "decision"] = decision.replace(" ", "_")  # as respond() stores it; the event keeps the words
        self.event(cid, "responded", resp, stage=s, responded_on=resp.isoformat(), decision=decision)
        self.event(cid, "correspondence_prepared", resp, kind=f"stage{s}_response")
        return True

    def complaint(self, cid: int) -> dict[str, Any]:
        rng = self.rng
        received = self.today - dt.timedelta(days=rng.randrange(0, 730))
        row: dict[str, Any] = {
            "id": cid,
            "reference": f"CMP-{received.year}-{cid:06d}",
            "resident_id": rng.randrange(1, 10_001),
            "channel": rng.choice(CHANNELS),
            "category": rng.choice(CATEGORIES),
            "received_at": dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC),
            "received_on": received,
            "status": "received",
            "legal_proceedings": "unknown",
            "personal_injury": False,
            "stage1_extensions": 0,
            "stage2_extensions": 0,
            "policy_name": "default",
            "region": "england-and-wales",
            "created_at": dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC),
            "updated_at": dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC),
        }
        self.event(cid, "complaint_received", received, reference=row["reference"], channel=row["channel"], received_at=row["received_at"].isoformat())
        self.event(cid, "exclusion_facts_captured", received, category=row["category"])
        self.event(cid, "definition_versioned", received, stage=1, version=1)
        roll = rng.random()
        if roll < 0.05 and self.wd(received, 2) <= self.today:
            ground = rng.choice(GROUNDS)
            row.update(status="declined", declined_at_stage=1, decline_ground=ground, decline_reasons="Set out to the resident")
            self.event(cid, "declined", self.wd(received, 2), stage=1, ground=ground)
            return row
        if roll < 0.08 and self.wd(received, 3) <= self.today:
            row.update(status="withdrawn", closed_on=self.wd(received, 3))
            self.event(cid, "withdrawn", row["closed_on"], withdrawn_on=row["closed_on"].isoformat())
            return row
        if not self._stage(row, cid, 1, received):
            return row
        final = row["stage1_responded_on"]
        if rng.random() < 0.15 and final + dt.timedelta(days=10) <= self.today:
            asked = final + dt.timedelta(days=rng.randrange(1, 11))
            row.update(status="stage2_requested", stage2_requested_on=asked, stage2_requested_at=dt.datetime.combine(asked, dt.time(9), tzinfo=dt.UTC))
            self.event(cid, "stage2_requested", asked, received_at=row["stage2_requested_at"].isoformat())
            if rng.random() < 0.1:
                ground = rng.choice(GROUNDS[:3])
                row.update(status="declined", declined_at_stage=2, decline_ground=ground, current_due=None)
                self.event(cid, "declined", asked, stage=2, ground=ground)
                return row
            if not self._stage(row, cid, 2, asked):
                return row
            final = row["stage2_responded_on"]
        closed = self.wd(final, rng.randrange(1, 6))
        if rng.random() < 0.9 and closed <= self.today:
            row.update(status="closed", closed_on=closed, learning=rng.choice(LEARNING))
            self.event(cid, "closed", closed, learning=row["learning"], closed_on=closed.isoformat())
        return row


def seed(engine: Engine, n: int) -> None:
    seeder = Seeder(random.Random(6))
    with engine.begin() as conn:
        conn.execute(insert(Resident), [{"id": i, "name": f"Resident {i}", "disclosed_needs": [], "consent_to_record_needs": False} for i in range(1, 10_001)])
        batch: list[dict[str, Any]] = []
        for cid in range(1, n + 1):
            batch.append({**OPTIONAL, **seeder.complaint(cid)})  # executemany wants the same keys in every row
            if len(batch) == 5_000 or cid == n:
                conn.execute(insert(Complaint), batch)
                conn.execute(insert(Event), seeder.events)
                batch, seeder.events = [], []
        conn.execute(
            insert(ReportingYear), [{"year": 2025, "homes": 24_000, "updated_by": "manager:1"}, {"year": 2026, "homes": 24_500, "updated_by": "manager:1"}]
        )


def timed(fn: Callable[[], Any], runs: int, warm: int = 3) -> list[float]:
    timings = []
    for i in range(runs + warm):
        t0 = time.perf_counter()
        fn()
        if i >= warm:
            timings.append((time.perf_counter() - t0) * 1000)
    return sorted(timings)


def report(label: str, timings: list[float], note: str = "") -> str:
    p50 = statistics.median(timings)
    p95 = timings[max(0, round(0.95 * len(timings)) - 1)]
    verdict = "ok" if p95 <= TARGET_MS else "OVER TARGET"
    return f"  {label:<34} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   max {timings[-1]:7.1f} ms   {verdict}  {note}"


def measure(url: str, label: str, n: int, runs: int) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)  # the schema as deployed, with migration 0008's covering indexes
    t0 = time.perf_counter()
    seed(engine, n)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    seeded = time.perf_counter() - t0
    engine.dispose()
    settings = Settings(database_url=url, service_token="bench-service-token-" + "s" * 32, app_env="test", staff_session_hours=24, alert_scan_seconds=0)
    app = create_app(settings, clock=FixedClock(TODAY))
    with TestClient(app) as client:
        with app.state.sessionmaker() as session:
            staff.create_user(session, "manager@bench.example", "Manager", staff.Role.MANAGER, PASSWORD)
            session.commit()
        token = client.post("/api/v1/auth/login", json={"email": "manager@bench.example", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        year = 2026

        def get(path: str) -> Any:
            r = client.get(path, headers=headers)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            return r

        summary = get(f"/api/v1/reports/summary?year={year}").json()
        volumes = summary["stages"]
        print(
            f"{label}: {n:,} complaints (seeded in {seeded:.0f} s); {year}/{(year + 1) % 100}: "
            f"stage 1 received {volumes[0]['received']:,}, stage 2 {volumes[1]['received']:,}, "
            f"learning log {summary['learning_total']:,}, overdue {sum(o['total'] for o in summary['overdue']):,}"
        )
        for name, path in (
            ("GET /reports/summary", f"/api/v1/reports/summary?year={year}"),
            ("GET /reports/tsm", f"/api/v1/reports/tsm?year={year}"),
            ("GET /reports/summary.csv", f"/api/v1/reports/summary.csv?year={year}"),
            ("GET /reports/tsm.csv", f"/api/v1/reports/tsm.csv?year={year}"),
        ):
            print(report(name, timed(lambda path=path: get(path), runs)))
        print(report("GET /reports/annual (html, once)", timed(lambda: get(f"/api/v1/reports/annual?year={year}"), 3, warm=1)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            measure(f"sqlite:///{tmp}/bench.db", "SQLite", args.complaints, args.runs)
    if args.only == "sqlite":
        return
    name = f"cmp_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL skipped: {PG_ADMIN} not reachable ({type(exc).__name__})")
        return
    try:
        measure(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", "PostgreSQL", args.complaints, args.runs)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
