"""Engine and sessions; and the guard that keeps the record append-only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from backend.db.models import ComplaintDefinition, Correspondence, Event

#: Rows that are history: once written they are never changed or removed (Code 5.12).
APPEND_ONLY = (Event, ComplaintDefinition, Correspondence)


class AppendOnlyError(RuntimeError):
    pass


def make_engine(url: str, *, enforce_foreign_keys: bool = True) -> Engine:
    """An engine; on SQLite, foreign keys are enforced except for migrations, which rebuild tables."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # let SQLAlchemy, not pysqlite, start transactions (see _begin_immediate)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute(f"PRAGMA foreign_keys={'ON' if enforce_foreign_keys else 'OFF'}")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn: Any) -> None:
            # Take the write lock at the start: a deferred transaction that reads and then writes
            # fails at once with "database is locked" when another writer got there first, while
            # BEGIN IMMEDIATE waits (up to the timeout) for its turn.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@event.listens_for(Session, "before_flush")
def _refuse_history_rewrites(session: Session, _ctx: Any, _instances: Any) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, APPEND_ONLY) and (obj in session.deleted or session.is_modified(obj)):
            raise AppendOnlyError(f"{type(obj).__name__} rows are append-only: add a new one instead")


def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One transaction per command: commit on success, roll back everything on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# The managers' report tallies follow every change to a complaint through the same flush events;
# importing the module here registers them wherever sessions are made (the API, the CLI, the scheduler).
import backend.services.reports_tallies  # noqa: E402, F401
