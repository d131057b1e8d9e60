"""Shared fixtures: a fresh database per test run (SQLite always, PostgreSQL when reachable), a clock
the tests can move, and staff and service credentials.

Every test run gets its own databases (a temp SQLite file; a uniquely named PostgreSQL database
that is dropped afterwards), so parallel or repeated runs never collide.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from backend.db.models import Base
from backend.main import create_app
from backend.services import staff
from backend.services.context import FixedClock
from backend.settings import Settings

SERVICE_TOKEN = "test-service-token-" + "s" * 32
PASSWORD = "correct horse battery staple"
PG_ADMIN_URL = os.environ.get("TEST_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Staff accounts survive between tests (hashing passwords is slow); everything else is wiped.
KEEP_TABLES = {"staff_users", "staff_sessions", "alembic_version"}


def _postgres_available() -> bool:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 2})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return True
    except Exception:
        return False


PG_AVAILABLE = _postgres_available()
#: Redis for the scale-out tests (live updates between workers, Rasa's lock store).
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@contextlib.contextmanager
def fresh_pg_database(prefix: str = "cmp_test") -> Iterator[str]:
    """A PostgreSQL database of one's own, dropped afterwards: tests that add staff or settings of
    their own must not leave them for the next test (a stray manager receives alerts too)."""
    if not PG_AVAILABLE:
        if os.environ.get("CI") == "true" and os.environ.get("REQUIRE_POSTGRES", "1") == "1":
            pytest.fail(f"CI must test on PostgreSQL too, but {PG_ADMIN_URL} is not reachable")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL}")
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine, for migration tests that build last release's schema first."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with fresh_pg_database("cmp_migration") as url:
        yield url


@pytest.fixture(scope="session")
def pg_database_url() -> Iterator[str]:
    with fresh_pg_database() as url:
        yield url


@dataclass
class Backend:
    """A running backend app with its clock, credentials and a way to reach the database."""

    client: TestClient
    clock: FixedClock
    dialect: str
    staff_ids: dict[str, int]
    tokens: dict[str, str]

    def as_(self, who: str) -> dict[str, str]:
        """Headers for 'service', 'anonymous', or a staff login: 'agent', 'officer', 'officer2', 'manager'."""
        if who == "anonymous":
            return {}
        if who == "service":
            return {"Authorization": f"Bearer {SERVICE_TOKEN}"}
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def travel_to(self, day: dt.date, hour: int = 10) -> None:
        self.clock.at = dt.datetime(day.year, day.month, day.day, hour, 0, tzinfo=dt.UTC)


def _start_backend(url: str, dialect: str, tmp: Path) -> Iterator[Backend]:
    clock = FixedClock(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC))
    # logins last two years here, because tests move the clock across weeks
    settings = Settings(
        database_url=url, service_token=SERVICE_TOKEN, app_env="test", lookup_max_failures=5, staff_session_hours=24 * 730, alert_scan_seconds=0
    )
    app = create_app(settings, clock=clock)
    with TestClient(app) as client:
        ids: dict[str, int] = {}
        tokens: dict[str, str] = {}
        factory = app.state.sessionmaker
        people = {
            "agent": staff.Role.AGENT,
            "officer": staff.Role.OFFICER,
            "officer2": staff.Role.OFFICER,
            "manager": staff.Role.MANAGER,
        }
        with factory() as session:
            for key, role in people.items():
                user = staff.create_user(session, f"{key}@landlord.example", key.title(), role, PASSWORD)
                ids[key] = user.id
            session.commit()
        for key in people:
            r = client.post("/api/v1/auth/login", json={"email": f"{key}@landlord.example", "password": PASSWORD})
            assert r.status_code == 200, r.text
            tokens[key] = r.json()["token"]
        backend = Backend(client=client, clock=clock, dialect=dialect, staff_ids=ids, tokens=tokens)
        backend.engine = app.state.engine  # type: ignore[attr-defined]
        yield backend


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def _backend_session(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        yield from _start_backend(f"sqlite:///{tmp / 'complaints.db'}", request.param, tmp)
        return
    # A database of its own: this app lives for the whole session, and its hub's retry loop (every
    # second, with no SMS sender configured) would otherwise take the hub tests' pending texts on the
    # shared database and mark them failed, which is what made the Twilio retry test fail now and then.
    with fresh_pg_database("cmp_backend") as url:
        yield from _start_backend(url, request.param, tmp)


@pytest.fixture
def backend(_backend_session: Backend) -> Iterator[Backend]:
    """The backend on a clean record (staff accounts kept), standing on Monday 1 June 2026."""
    b = _backend_session
    b.travel_to(dt.date(2026, 6, 1))
    yield b
    engine = b.engine  # type: ignore[attr-defined]
    tables = [t for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
    with engine.begin() as conn:
        if b.dialect == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t.name}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for t in tables:
                conn.execute(t.delete())
