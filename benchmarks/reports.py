"""The managers' reports at 100,000 complaints: the issue's target is p95 page time <= 200 ms.

Seeds the benchmarks' shared record (``benchmarks.seed``: complaints walked through their lives on
the working calendar, with stage dates, extensions, declines with grounds, stage 2 escalations, late
steps, withdrawals, closures with learning, and the events each step leaves) on a fresh SQLite file
and, when reachable, a fresh PostgreSQL database (dropped afterwards). The seed's bulk inserts
bypass the ORM, so it then counts the report tallies from the record, as migration 0009 does for an
existing database; the time that takes is printed too.

``--years`` sets how big the reported year is: 2 (the default) puts about 48,000 complaints in it,
the worst case; 10 is a realistic spread (about 10,000). Then it times, through the HTTP app
(FastAPI TestClient, a manager's token), for the reporting year today falls in:

- ``GET /api/v1/reports/summary``, ``/tsm`` (homes stored), ``/summary.csv`` (the whole learning
  log: up to 40,000 rows, so its time is the download's, not the page's; the time to its first
  byte is timed too), ``/tsm.csv``, and a few times the draft annual report as HTML.

Run:

    .venv/bin/python -m benchmarks.reports [--complaints 100000] [--years 2] [--runs 40] [--only sqlite|postgresql]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from backend.db.migrations import upgrade_to_head
from backend.db.session import make_engine
from backend.domain.reports import year_of
from backend.main import create_app
from backend.services import staff
from backend.services.context import FixedClock
from backend.settings import Settings
from benchmarks.seed import TODAY, seed

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TARGET_MS = 200.0
PASSWORD = "benchmark password " + "x" * 8


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


def first_byte(client: TestClient, path: str, headers: dict[str, str]) -> tuple[float, float]:
    """Milliseconds to the first piece of the body and to the last, for a streamed download.

    The TestClient hands back a response only once the body is complete, so this calls the app
    directly (in the client's event loop, the app's lifespan running) and notes when each part of
    the body is sent.
    """
    raw, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": raw,
        "raw_path": raw.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), *[(k.lower().encode(), v.encode()) for k, v in headers.items()]],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }

    async def call() -> tuple[float, float]:
        t0, first = time.perf_counter(), 0.0
        status, requested, done = 0, False, asyncio.Event()

        async def receive() -> dict[str, Any]:
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()  # the client stays connected until the whole body has come
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal first, status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                if message.get("body") and not first:
                    first = time.perf_counter()
                if not message.get("more_body", False):
                    done.set()

        await client.app(scope, receive, send)
        assert status == 200, (path, status)
        return (first - t0) * 1000, (time.perf_counter() - t0) * 1000

    assert client.portal is not None, "inside `with TestClient(app)`: the lifespan runs"
    return client.portal.call(call)


def measure(url: str, label: str, n: int, runs: int, years: float) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)  # the schema as deployed: migration 0008's indexes, 0009's tallies
    seeded = seed(engine, n, years=years)
    engine.dispose()
    settings = Settings(database_url=url, service_token="bench-service-token-" + "s" * 32, app_env="test", staff_session_hours=24, alert_scan_seconds=0)
    app = create_app(settings, clock=FixedClock(TODAY))
    for name in ("backend", "httpx"):  # a log line per request would be timed too
        logging.getLogger(name).setLevel(logging.WARNING)
    with TestClient(app) as client:
        with app.state.sessionmaker() as session:
            staff.create_user(session, "manager@bench.example", "Manager", staff.Role.MANAGER, PASSWORD)
            session.commit()
        token = client.post("/api/v1/auth/login", json={"email": "manager@bench.example", "password": PASSWORD}).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        year = year_of(TODAY.date())

        def get(path: str) -> Any:
            r = client.get(path, headers=headers)
            assert r.status_code == 200, (path, r.status_code, r.text[:300])
            return r

        summary = get(f"/api/v1/reports/summary?year={year}").json()
        volumes = summary["stages"]
        print(
            f"{label}: {n:,} complaints over {years:g} years (seeded in {seeded.seconds:.0f} s; "
            f"report tallies counted from the record in {seeded.tally_seconds:.1f} s, {seeded.tally_rows:,} rows); "
            f"{year}/{(year + 1) % 100}: stage 1 received {volumes[0]['received']:,}, stage 2 {volumes[1]['received']:,}, "
            f"learning log {summary['learning_total']:,}, overdue {sum(o['total'] for o in summary['overdue']):,}"
        )
        for name, path in (
            ("GET /reports/summary", f"/api/v1/reports/summary?year={year}"),
            ("GET /reports/tsm", f"/api/v1/reports/tsm?year={year}"),
            ("GET /reports/summary.csv", f"/api/v1/reports/summary.csv?year={year}"),
            ("GET /reports/tsm.csv", f"/api/v1/reports/tsm.csv?year={year}"),
        ):
            print(report(name, timed(lambda path=path: get(path), runs)))
        starts = sorted(first_byte(client, f"/api/v1/reports/summary.csv?year={year}", headers)[0] for _ in range(runs))
        print(report("summary.csv, first byte", starts, "(the download starts; the log follows page by page)"))
        print(report("GET /reports/annual (html, 5 runs)", timed(lambda: get(f"/api/v1/reports/annual?year={year}"), 5, warm=1)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--complaints", type=int, default=100_000)
    parser.add_argument("--years", type=float, default=2, help="the span the complaints are received over (2: the worst case; 10: a realistic spread)")
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    if args.only != "postgresql":
        with tempfile.TemporaryDirectory() as tmp:
            measure(f"sqlite:///{tmp}/bench.db", "SQLite", args.complaints, args.runs, args.years)
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
        measure(PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", "PostgreSQL", args.complaints, args.runs, args.years)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    main()
