"""Retention and subject access at a landlord's scale.

Seeds residents each with a closed complaint (with its events and a letter), a closed service
request and a text conversation of six messages; half finished in 2018 (past six years' retention),
half in 2025. Then times, on a fresh SQLite file and (when reachable) a fresh PostgreSQL database:

- the retention rule's inputs for every resident (``retention.holdings``: grouped queries);
- a dry run and a real run, each over up to ``--anonymise`` records (one transaction);
- a subject-access export of one resident (``subject_access``).

    .venv/bin/python -m benchmarks.privacy [--residents 20000] [--anonymise 1000] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine

from backend.db.migrations import upgrade_to_head
from backend.db.models import Complaint, ContactIdentity, Conversation, Correspondence, Event, Message, Resident, ServiceRequest
from backend.db.session import make_engine, make_sessionmaker
from backend.domain.timescales import load_profile
from backend.services import retention
from backend.services.context import CaseContext, FixedClock
from backend.services.subject_access import subject_access
from backend.settings import Settings

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC)


def seed(engine: Engine, n: int) -> None:
    rows: dict[str, list[dict[str, object]]] = {k: [] for k in ("res", "ids", "cmp", "ev", "cor", "sr", "conv", "msg")}
    for i in range(1, n + 1):
        at = dt.datetime(2018 if i % 2 else 2025, 1 + i % 12, 1 + i % 27, 10, tzinfo=dt.UTC)
        day = at.date()
        phone = f"+4477{i:09d}"
        rows["res"].append({"id": i, "name": f"Resident {i}", "postcode": "LS6 2AB", "phone": phone, "disclosed_needs": [], "created_at": at})
        rows["ids"].append({"resident_id": i, "channel": "sms", "address": phone})
        rows["cmp"].append(
            {
                "id": i,
                "reference": f"CMP-B-{i:07d}",
                "resident_id": i,
                "channel": "sms",
                "received_at": at,
                "received_on": day,
                "status": "closed",
                "closed_on": day + dt.timedelta(days=20),
                "impact": f"impact {i}",
                "policy_name": "bench",
                "region": "england",
                "created_at": at,
                "updated_at": at + dt.timedelta(days=20),
            }
        )
        for kind in ("complaint_received", "acknowledged", "responded", "closed"):
            rows["ev"].append({"complaint_id": i, "type": kind, "actor": "bench", "at": at, "details": {"reference": f"CMP-B-{i:07d}", "note": f"text {i}"}})
        rows["cor"].append({"complaint_id": i, "kind": "stage1_response", "body": f"Dear Resident {i}", "details": {}, "created_by": "bench", "created_at": at})
        rows["sr"].append(
            {"reference": f"SR-B-{i:07d}", "resident_id": i, "service_code": "damp", "description": f"damp {i}", "channel": "sms", "status": "closed"}
            | {"requested_at": at, "updated_at": at + dt.timedelta(days=5)}
        )
        rows["conv"].append(
            {"id": i, "public_id": uuid.uuid4().hex, "channel": "sms", "address": phone, "resident_id": i, "status": "open"} | {"created_at": at}
        )
        for m in range(6):
            rows["msg"].append(
                {"conversation_id": i, "direction": "in" if m % 2 == 0 else "out", "sender": "resident" if m % 2 == 0 else "bot"}
                | {"text": f"msg {i}", "status": "handled", "created_at": at, "payload": {}}
            )
    with engine.begin() as conn:
        for model, key in (
            (Resident, "res"),
            (ContactIdentity, "ids"),
            (Complaint, "cmp"),
            (Event, "ev"),
            (Correspondence, "cor"),
            (ServiceRequest, "sr"),
            (Conversation, "conv"),
            (Message, "msg"),
        ):
            for start in range(0, len(rows[key]), 5000):
                conn.execute(insert(model), rows[key][start : start + 5000])
        if engine.dialect.name == "postgresql":
            for table in ("residents", "complaints", "conversations", "contact_identities"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {n})"))
            conn.execute(text("ANALYZE"))


def timed(label: str, fn: object) -> object:
    started = time.perf_counter()
    out = fn()  # type: ignore[operator]
    print(f"  {label}: {(time.perf_counter() - started) * 1000:.0f} ms")
    return out


def bench(engine: Engine, n: int, anonymise: int) -> None:
    upgrade_to_head(engine)
    started = time.perf_counter()
    seed(engine, n)
    print(f"  seeded {n} residents in {time.perf_counter() - started:.1f} s")
    settings = Settings()
    ctx = CaseContext(profile=load_profile(settings.policy_profile), timezone=ZoneInfo("Europe/London"), clock=FixedClock(NOW))
    factory = make_sessionmaker(engine)
    with factory() as s:
        found = timed("holdings (every resident)", lambda: retention.holdings(s, ctx))
        assert isinstance(found, dict) and len(found) == n
        dry = timed(f"dry run, {anonymise} records", lambda: retention.run(s, ctx, 6, "bench", dry_run=True, limit=anonymise))
        s.rollback()
        print(f"    due: {len(dry.anonymised) + dry.more_due}, not yet due: {dry.not_yet_due}")  # type: ignore[attr-defined]
        real = timed(f"real run, {anonymise} records", lambda: retention.run(s, ctx, 6, "bench", dry_run=False, limit=anonymise))
        timed("  commit", s.commit)
        print(f"    anonymised {len(real.anonymised)}, rows changed: {sum(real.counts.values())}")  # type: ignore[attr-defined]
        resident = s.get(Resident, 2)
        doc = timed("subject-access export of one resident", lambda: subject_access(s, ctx, resident, "bench", 6))
        print(f"    export size: {len(str(doc)) // 1024} kB")
        s.rollback()


@contextmanager
def postgres() -> Iterator[Engine | None]:
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
        admin.connect().close()
    except Exception:
        yield None
        return
    name = f"bench_privacy_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}")
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--residents", type=int, default=20_000)
    parser.add_argument("--anonymise", type=int, default=1000)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            print("SQLite")
            engine = make_engine(f"sqlite:///{tmp}/bench.db")
            bench(engine, args.residents, args.anonymise)
            engine.dispose()
    if args.only != "sqlite":
        with postgres() as engine:
            if engine is None:
                print("PostgreSQL not reachable: skipped")
                return
            print("PostgreSQL")
            bench(engine, args.residents, args.anonymise)


if __name__ == "__main__":
    main()
