"""Apply Alembic migrations programmatically (at start-up, and in tests from an empty database)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Engine

from backend.db.session import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
#: Arbitrary constant: PostgreSQL advisory lock id so several workers never migrate at once.
_PG_LOCK_ID = 727_001


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(:id)"), {"id": _PG_LOCK_ID})
            try:
                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
                conn.commit()
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:id)"), {"id": _PG_LOCK_ID})
                conn.commit()
        return
    # SQLite alters a table by rebuilding it, which breaks foreign keys while it runs: migrate on a
    # connection without enforcement, then check every reference still holds before committing.
    migrator = make_engine(url, enforce_foreign_keys=False)
    try:
        with migrator.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
            broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"migration left broken references: {broken[:5]}")
    finally:
        migrator.dispose()
