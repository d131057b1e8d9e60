"""Migration 0008: responses sent before the decision was kept on the complaint get it from their
``responded`` events, so last year's outcomes still count the same after the upgrade."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text

from backend.db.migrations import alembic_config, upgrade_to_head
from backend.db.session import make_engine


@pytest.fixture
def database(empty_database: str) -> str:
    return empty_database


COMPLAINT = (
    "INSERT INTO complaints (id, reference, resident_id, channel, received_at, received_on, status, legal_proceedings, personal_injury,"
    " stage1_extensions, stage2_extensions, policy_name, region, created_at, updated_at, stage1_responded_on, stage2_responded_on)"
    " VALUES (:id, :ref, 1, 'sms', '2026-05-01', '2026-05-01', :status, 'unknown', false, 0, 0, 'default', 'england-and-wales',"
    " '2026-05-01', '2026-05-01', '2026-05-20', :s2)"
)
EVENT = "INSERT INTO events (complaint_id, type, actor, at, details) VALUES (:id, 'responded', 'officer:1', '2026-05-20', :details)"


def test_upgrading_fills_each_response_decision_from_its_responded_event(database: str) -> None:
    engine = make_engine(database)
    with engine.begin() as conn:
        cfg = alembic_config(database)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0007")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO residents (id, name, disclosed_needs, consent_to_record_needs, created_at) VALUES (1, 'A', '[]', false, '2026-01-01')"))
        conn.execute(text(COMPLAINT), [{"id": 1, "ref": "CMP-2026-000001", "status": "stage1_responded", "s2": None}])
        conn.execute(text(COMPLAINT), [{"id": 2, "ref": "CMP-2026-000002", "status": "stage2_responded", "s2": "2026-07-01"}])
        conn.execute(text(COMPLAINT), [{"id": 3, "ref": "CMP-2026-000003", "status": "stage1_responded", "s2": None}])
        conn.execute(
            text(EVENT),
            [
                {"id": 1, "details": '{"stage": 1, "decision": "partly upheld"}'},
                {"id": 2, "details": '{"stage": 1, "decision": "not upheld"}'},
                {"id": 2, "details": '{"stage": 2, "decision": "Upheld"}'},
                {"id": 3, "details": '{"stage": 1, "decision": ""}'},  # sent with no decision chosen
            ],
        )
    upgrade_to_head(engine)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT reference, stage1_decision, stage2_decision FROM complaints ORDER BY reference")).all()
    assert [tuple(r) for r in rows] == [
        ("CMP-2026-000001", "partly_upheld", None),
        ("CMP-2026-000002", "not_upheld", "upheld"),
        ("CMP-2026-000003", None, None),
    ]
    engine.dispose()
