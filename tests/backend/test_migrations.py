"""The schema comes from Alembic migrations, from an empty database, and matches the models."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from backend.db.migrations import alembic_config, upgrade_to_head
from backend.db.models import Base
from backend.db.session import make_engine


def _url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("pg_database_url")


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    url = _url(request, tmp_path)
    if request.param == "postgresql":
        # a schema of its own inside the run's database, so it starts empty
        from sqlalchemy import text

        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS migration_check CASCADE"))
            conn.execute(text("CREATE SCHEMA migration_check"))
        engine.dispose()
        url = url + "?options=-csearch_path%3Dmigration_check"
    return url


def test_upgrade_from_empty_creates_every_table_and_matches_the_models(empty_database: str) -> None:
    engine = make_engine(empty_database)
    upgrade_to_head(engine)
    tables = set(inspect(engine).get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], f"models and migrations differ: write a migration for {diff}"
    upgrade_to_head(engine)  # running it again (another worker starting) is harmless
    engine.dispose()


def test_downgrade_and_upgrade_again(empty_database: str) -> None:
    engine = make_engine(empty_database)
    upgrade_to_head(engine)
    with engine.begin() as conn:
        cfg = alembic_config(empty_database)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert "complaints" not in inspect(engine).get_table_names()
    upgrade_to_head(engine)
    assert "complaints" in inspect(engine).get_table_names()
    engine.dispose()


def test_an_existing_sqlite_database_upgrades_and_keeps_its_record(tmp_path: Path) -> None:
    """A landlord running 0001 with complaints in it upgrades to the latest schema without losing any."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = make_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config(url)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO residents (id, name, disclosed_needs, consent_to_record_needs, created_at) VALUES (1, 'A', '[]', 0, '2026-01-01')")
        conn.exec_driver_sql(
            "INSERT INTO complaints (id, reference, resident_id, channel, received_at, received_on, status, legal_proceedings, personal_injury,"
            " stage1_extensions, stage2_extensions, policy_name, region, created_at, updated_at) VALUES (1, 'CMP-2026-000001', 1, 'sms',"
            " '2026-01-01', '2026-01-01', 'received', 'unknown', 0, 0, 0, 'default', 'england-and-wales', '2026-01-01', '2026-01-01')"
        )
        conn.exec_driver_sql("INSERT INTO events (complaint_id, type, actor, at, details) VALUES (1, 'complaint_received', 'x', '2026-01-01', '{}')")
    upgrade_to_head(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT reference FROM complaints").scalar() == "CMP-2026-000001"
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # enforcement is back on for the app
    engine.dispose()
