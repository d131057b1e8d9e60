"""One record for the benchmarks (``benchmarks.officer_queue`` and ``benchmarks.reports``): a large
landlord's complaints, each walked through its life on the working calendar.

Residents have names, postcodes, disclosed needs and adjustments; some have representatives. Each
complaint is received on a day within the last ``years`` years, then acknowledged, extended,
answered, escalated, declined, withdrawn or closed as the days allow, leaving the dates, decisions,
handlers and (with ``events``) the events the record would hold. A share (``stalled``) stops where
it is and stays open however old it is: a backlog, so the queue has open cases to sort, filter and
page (at 100,000: about 17,400 open over two years, 15,000 over ten; the queue's earlier seed had 15,000).

How many years the complaints span decides how big one reporting year is:

- ``years=2`` (the **worst case**): 100,000 complaints in two years, about 48,000 in the year reported.
  A landlord with 100,000 homes receives a few thousand complaints a year, so this is far above life.
- ``years=10`` (the **realistic spread**): about 10,000 a year, still a large landlord.

Rows are written with bulk inserts, which bypass the ORM, so the report tallies are then counted
from the record (``reports_tallies.rebuild``, what migration 0009 does for an existing database) and
the time it took is returned.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from backend.db.models import Complaint, Event, ReasonableAdjustment, ReportingYear, Representative, Resident, ServiceRequest, StaffUser
from backend.domain.calendar import calendar_for
from backend.domain.deadlines import within
from backend.domain.reports import year_of
from backend.services import reports_tallies

TODAY = dt.datetime(2027, 3, 15, 10, tzinfo=dt.UTC)
HANDLERS = 12
FIRST = ["Amira", "Bea", "Cal", "Dee", "Eve", "Farid", "Grace", "Hamza", "Ivy", "Jon", "Kemi", "Liam", "Maya", "Noor", "Owen", "Priya"]
LAST = ["Khan", "Jones", "Smith", "Brown", "White", "Patel", "Taylor", "Wilson", "Evans", "Thomas", "Ali", "Roberts", "Walker", "Wright"]
AREAS = ["LS", "M", "B", "BD", "HX", "WF", "S", "YO", "HU", "DN"]
CATEGORIES = ["repairs", "damp_and_mould", "antisocial_behaviour", "staff_conduct", "communication", "rent_and_charges", "neighbourhood", None]
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
#: executemany wants the same keys in every row
OPTIONAL: dict[str, Any] = dict.fromkeys(
    ["declined_at_stage", "decline_ground", "decline_reasons", "stage2_requested_on", "stage2_requested_at", "closed_on", "learning", "current_due"]
    + ["representative_id", "stage1_handler_id", "stage2_handler_id"]
    + [f"stage{s}_{f}" for s in (1, 2) for f in STAGE_FIELDS]
)


@dataclass(frozen=True)
class Seeded:
    """What the benchmarks search and filter for, and what seeding cost."""

    handler_id: int
    surname: str  # a common one: about 1 resident in 14
    full_name: str
    postcode: str
    reference: str  # a case number, as an officer might type it
    open: int
    per_year: dict[int, int]  # complaints received per reporting year
    seconds: float  # the bulk inserts
    tally_seconds: float  # counting the report tallies from the record
    tally_rows: int


def _postcode(rng: random.Random) -> str:
    return f"{rng.choice(AREAS)}{rng.randrange(1, 30)} {rng.randrange(1, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"


class Lives:
    """One complaint at a time: its dates walk the working calendar, and each step leaves its event."""

    def __init__(self, rng: random.Random, today: dt.date, handlers: list[int], stalled: float, events: bool) -> None:
        self.rng, self.today, self.handlers, self.stalled, self.keep_events = rng, today, handlers, stalled, events
        self.cal = calendar_for("england-and-wales")
        self.events: list[dict[str, Any]] = []

    def wd(self, start: dt.date, n: int) -> dt.date:
        return self.cal.add_working_days(start, n)

    def event(self, cid: int, type_: str, on: dt.date, **details: Any) -> None:
        if self.keep_events:
            at = dt.datetime.combine(on, dt.time(11), tzinfo=dt.UTC)
            self.events.append({"complaint_id": cid, "type": type_, "actor": "officer:1", "at": at, "details": details})

    def _stage(self, row: dict[str, Any], cid: int, s: int, start: dt.date, stall: str | None) -> bool:
        """Acknowledge and respond at stage ``s`` (or stop where today or ``stall`` is); True when it was answered."""
        rng, p = self.rng, f"stage{s}_"
        ack_by = self.wd(start, 5)
        ack = self.wd(start, rng.choice([1, 1, 2, 3, 4, 5, 7]))
        if ack > self.today or stall == "acknowledge":
            row["status"], row["current_due"] = ("received" if s == 1 else "stage2_requested"), ack_by
            return False
        row[p + "acknowledged_on"], row[p + "ack_within"] = ack, within(ack, ack_by)
        row[p + "handler_id"] = rng.choice(self.handlers)
        self.event(cid, "acknowledged", ack, stage=s, acknowledged_on=ack.isoformat())
        self.event(cid, "correspondence_prepared", ack, kind=f"stage{s}_acknowledgement")
        original = self.wd(ack, 10 if s == 1 else 20)
        due = original
        if rng.random() < 0.25:
            due = self.wd(original, 5 if s == 1 else 10)
            row[p + "extended_to"], row[p + "extensions"] = due, 1
            self.event(cid, "extended", self.wd(ack, 3), stage=s, new_due=due.isoformat())
        resp = self.wd(ack, rng.randrange(4, 17 if s == 1 else 30))
        if resp > self.today or stall == "respond":
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

    def complaint(self, cid: int, received: dt.date, resident: dict[str, Any], representative: int | None) -> dict[str, Any]:
        rng = self.rng
        at = dt.datetime.combine(received, dt.time(10), tzinfo=dt.UTC)
        row: dict[str, Any] = {
            "id": cid,
            "reference": f"CMP-{received.year}-{cid:06d}",
            "resident_id": resident["id"],
            "representative_id": representative,
            "postcode_norm": resident["postcode_norm"],
            "channel": rng.choice(CHANNELS),
            "category": rng.choice(CATEGORIES),
            "received_at": at,
            "received_on": received,
            "status": "received",
            "legal_proceedings": "unknown",
            "personal_injury": False,
            "stage1_extensions": 0,
            "stage2_extensions": 0,
            "policy_name": "default",
            "region": "england-and-wales",
            "created_at": at,
            "updated_at": at,
        }
        self.event(cid, "complaint_received", received, reference=row["reference"], channel=row["channel"], received_at=at.isoformat())
        self.event(cid, "exclusion_facts_captured", received, category=row["category"])
        self.event(cid, "definition_versioned", received, stage=1, version=1)
        stall = rng.choice(["acknowledge", "respond"]) if rng.random() < self.stalled else None
        roll = rng.random()
        if roll < 0.05 and self.wd(received, 2) <= self.today and not stall:
            ground = rng.choice(GROUNDS)
            row.update(status="declined", declined_at_stage=1, decline_ground=ground, decline_reasons="Set out to the resident")
            self.event(cid, "declined", self.wd(received, 2), stage=1, ground=ground)
            return row
        if roll < 0.08 and self.wd(received, 3) <= self.today and not stall:
            row.update(status="withdrawn", closed_on=self.wd(received, 3))
            self.event(cid, "withdrawn", row["closed_on"], withdrawn_on=row["closed_on"].isoformat())
            return row
        stage2 = rng.random() < 0.15
        if not self._stage(row, cid, 1, received, None if stage2 else stall):
            return row
        final = row["stage1_responded_on"]
        if stage2 and final + dt.timedelta(days=10) <= self.today:
            asked = final + dt.timedelta(days=rng.randrange(1, 11))
            row.update(status="stage2_requested", stage2_requested_on=asked, stage2_requested_at=dt.datetime.combine(asked, dt.time(9), tzinfo=dt.UTC))
            self.event(cid, "stage2_requested", asked, received_at=row["stage2_requested_at"].isoformat())
            if rng.random() < 0.1 and not stall:
                ground = rng.choice(GROUNDS[:3])
                row.update(status="declined", declined_at_stage=2, decline_ground=ground, current_due=None)
                self.event(cid, "declined", asked, stage=2, ground=ground)
                return row
            if not self._stage(row, cid, 2, asked, stall):
                return row
            final = row["stage2_responded_on"]
        closed = self.wd(final, rng.randrange(1, 6))
        if rng.random() < 0.9 and closed <= self.today and not stall:
            row.update(status="closed", closed_on=closed, learning=rng.choice(LEARNING))
            self.event(cid, "closed", closed, learning=row["learning"], closed_on=closed.isoformat())
        return row


def seed(engine: Engine, n: int, *, years: float = 2, stalled: float = 0.06, events: bool = True, today: dt.datetime = TODAY) -> Seeded:
    """Seed ``n`` complaints received over the last ``years`` years, then count the report tallies."""
    rng = random.Random(6)
    t0 = time.perf_counter()
    residents = max(n // 10, 1)
    span = max(int(365.25 * years), 1)
    per_year: dict[int, int] = {}
    with engine.begin() as conn:
        conn.execute(
            insert(StaffUser),
            [{"email": f"officer{i}@bench.example", "name": f"Officer {i}", "role": "officer", "password_hash": "x", "active": True} for i in range(HANDLERS)],
        )
        handlers = [r[0] for r in conn.execute(text("SELECT id FROM staff_users ORDER BY id"))]
        people = []
        for i in range(1, residents + 1):
            needs = rng.random() < 0.08
            pc = _postcode(rng)
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}"
            people.append(
                {
                    "id": i,
                    "name": name,
                    "postcode": pc,
                    "postcode_norm": pc.replace(" ", ""),
                    "disclosed_needs": ["Partially sighted"] if needs else [],
                    "consent_to_record_needs": needs,
                }
            )
        conn.execute(insert(Resident), people)
        conn.execute(
            insert(ReasonableAdjustment),
            [{"resident_id": i, "type": "large_print", "detail": "", "agreed": True} for i in range(1, residents + 1) if rng.random() < 0.06],
        )
        reps = [
            {"id": k, "resident_id": i, "name": "Advocate", "relationship": "advocate", "authority_status": "confirmed"}
            for k, i in enumerate(range(1, residents + 1, 25), 1)
        ]
        conn.execute(insert(Representative), reps)
        rep_of = {r["resident_id"]: r["id"] for r in reps}
        lives = Lives(rng, today.date(), handlers, stalled, events)
        batch: list[dict[str, Any]] = []
        opened = 0
        for cid in range(1, n + 1):
            received = today.date() - dt.timedelta(days=rng.randrange(0, span))
            per_year[year_of(received)] = per_year.get(year_of(received), 0) + 1
            resident = people[rng.randrange(residents)]
            row = {**OPTIONAL, **lives.complaint(cid, received, resident, rep_of.get(resident["id"]))}
            opened += row["status"] not in ("closed", "declined", "withdrawn")
            batch.append(row)
            if len(batch) == 5_000 or cid == n:
                conn.execute(insert(Complaint), batch)
                if lives.events:
                    conn.execute(insert(Event), lives.events)
                batch, lives.events = [], []
        srs = []
        for i in range(1, n // 5 + 1):
            at = today - dt.timedelta(days=rng.randrange(0, span), minutes=rng.randrange(0, 1440))
            srs.append(
                {
                    "reference": f"SR-{at.year}-{i:06d}",
                    "resident_id": rng.randrange(1, residents + 1),
                    "service_code": rng.choice([c for c in CATEGORIES if c]),
                    "description": "A repair",
                    "channel": rng.choice(CHANNELS),
                    "status": "closed" if rng.random() < 0.9 else rng.choice(["open", "in_progress"]),
                    "requested_at": at,
                    "updated_at": at,
                }
            )
        conn.execute(insert(ServiceRequest), srs)
        conn.execute(insert(ReportingYear), [{"year": y, "homes": 100_000, "updated_by": "manager:1"} for y in sorted(per_year)])
    seconds = time.perf_counter() - t0
    t0 = time.perf_counter()
    with Session(engine) as session:
        tally_rows = reports_tallies.rebuild(session)
        session.commit()
    tally_seconds = time.perf_counter() - t0
    # what autovacuum and ANALYZE do to a settled database: statistics (and on PostgreSQL the visibility map)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE" if engine.dialect.name == "postgresql" else "ANALYZE"))
    sample = people[len(people) // 2]
    return Seeded(
        handler_id=handlers[3],
        surname=sample["name"].split()[1].lower(),
        full_name=sample["name"],
        postcode=sample["postcode"],
        reference=f"{n // 2:06d}",
        open=opened,
        per_year=dict(sorted(per_year.items())),
        seconds=seconds,
        tally_seconds=tally_seconds,
        tally_rows=tally_rows,
    )
