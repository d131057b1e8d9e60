"""The officer queue ("everything due or overdue, oldest first") at 100,000 complaints; target p95 <= 50 ms.

Runs on a fresh SQLite file and, when reachable, a fresh PostgreSQL database (dropped afterwards).
Run: .venv/bin/python -m benchmarks.officer_queue [--complaints 100000] [--runs 200]
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
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine, insert, text

from backend.db.migrations import upgrade_to_head
from backend.db.models import Complaint, Resident
from backend.db.session import make_engine, make_sessionmaker
from backend.domain.timescales import load_profile
from backend.services.complaints import officer_queue
from backend.services.context import CaseContext, FixedClock

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TODAY = dt.datetime(2026, 11, 23, 10, tzinfo=dt.UTC)


def seed(engine, n: int) -> None:  # noqa: ANN001
    rng = random.Random(1)
    with engine.begin() as conn:
        conn.execute(insert(Resident), [{"name": f"Resident {i}", "disclosed_needs": [], "consent_to_record_needs": False} for i in range(1, n // 10 + 1)])
        batch = []
        for i in range(1, n + 1):
            received = TODAY - dt.timedelta(days=rng.randrange(0, 730))
            is_open = rng.random() < 0.15  # most complaints in a two-year record are finished
            batch.append(
                {
                    "reference": f"CMP-{received.year}-{i:06d}",
                    "resident_id": rng.randrange(1, n // 10 + 1),
                    "channel": rng.choice(["webchat", "sms", "whatsapp", "telegram", "phone"]),
                    "received_at": received,
                    "received_on": received.date(),
                    "status": rng.choice(["received", "stage1_acknowledged", "stage2_acknowledged"]) if is_open else "closed",
                    "legal_proceedings": "unknown",
                    "personal_injury": False,
                    "stage1_extensions": 0,
                    "stage2_extensions": 0,
                    "current_due": (TODAY.date() + dt.timedelta(days=rng.randrange(-20, 40))) if is_open else None,
                    "policy_name": "default",
                    "region": "england-and-wales",
                    "created_at": received,
                    "updated_at": received,
                }
            )
            if len(batch) == 10_000:
                conn.execute(insert(Complaint), batch)
                batch = []
        if batch:
            conn.execute(insert(Complaint), batch)
        if engine.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))


def measure(url: str, label: str, n: int, runs: int) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)
    t0 = time.perf_counter()
    seed(engine, n)
    seeded = time.perf_counter() - t0
    ctx = CaseContext(profile=load_profile(), timezone=ZoneInfo("Europe/London"), clock=FixedClock(TODAY))
    factory = make_sessionmaker(engine)
    timings = []
    for i in range(runs + 5):
        with factory() as session:
            t0 = time.perf_counter()
            q = officer_queue(session, ctx, limit=50)
            elapsed = (time.perf_counter() - t0) * 1000
        if i >= 5:  # warm-up
            timings.append(elapsed)
    timings.sort()
    p50 = statistics.median(timings)
    p95 = timings[int(0.95 * len(timings)) - 1]
    print(
        f"{label:<11} {n:,} complaints (seeded in {seeded:.1f} s): queue p50 {p50:.1f} ms, p95 {p95:.1f} ms, max {timings[-1]:.1f} ms "
        f"[{q.overdue} overdue, {q.due_soon} due soon, first page {len(q.items)}]  (target p95 <= 50 ms)"
    )
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure(f"sqlite:///{tmp}/bench.db", "SQLite", args.complaints, args.runs)
    name = f"cmp_bench_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 2})
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        print(f"PostgreSQL  skipped: {PG_ADMIN} not reachable ({type(exc).__name__})")
        return
    try:
        measure(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", "PostgreSQL", args.complaints, args.runs)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
