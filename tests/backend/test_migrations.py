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
