"""response decisions on the complaint, filled from the ``responded`` events, and the reports' indexes

The managers' reports count responses by decision (upheld, partly upheld, not upheld). Until now the
decision lived only in the ``responded`` event's JSON details, so every report read and parsed one
event per response in the year. ``stage1_decision`` / ``stage2_decision`` hold it on the complaint
(set by ``respond()`` from now on); this migration fills them for the responses already sent, from
the last ``responded`` event of each complaint and stage, written as the decision's key
(``partly upheld`` -> ``partly_upheld``; anything else stays NULL, "decision not recorded").

The covering indexes let each grouped report query read one index instead of the wide rows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 00:00:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

DECISIONS = ('upheld', 'partly_upheld', 'not_upheld')
INDEXES = {
    'ix_reports_s1_received': ['received_on', 'category', 'channel', 'declined_at_stage', 'decline_ground'],
    'ix_reports_s2_received': ['stage2_requested_on', 'category', 'channel', 'declined_at_stage', 'decline_ground'],
    'ix_reports_s1_ack': ['stage1_acknowledged_on', 'received_on', 'stage1_ack_within'],
    'ix_reports_s2_ack': ['stage2_acknowledged_on', 'stage2_requested_on', 'stage2_ack_within'],
    'ix_reports_s1_resp': [
        'stage1_responded_on', 'stage1_acknowledged_on', 'stage1_response_within_original',
        'stage1_response_within_extended', 'stage1_decision',
    ],
    'ix_reports_s2_resp': [
        'stage2_responded_on', 'stage2_acknowledged_on', 'stage2_response_within_original',
        'stage2_response_within_extended', 'stage2_decision',
    ],
    'ix_reports_closed': ['status', 'closed_on', 'stage2_requested_on'],
}


def _key(decision: Any) -> str | None:
    """The decision as ``backend.domain.reports.outcome_of`` reads it (kept here: a migration must not
    change when the application code does)."""
    key = (decision if isinstance(decision, str) else '').strip().lower().replace(' ', '_').replace('-', '_')
    return key if key in DECISIONS else None


def _backfill() -> None:
    """Each complaint's decision per stage from its ``responded`` events, the last one winning (as the
    rebuild from events reads them). Python, not SQL: JSON is read differently by SQLite and PostgreSQL."""
    conn = op.get_bind()
    found: dict[tuple[int, int], str | None] = {}
    rows = conn.execute(sa.text("SELECT complaint_id, details FROM events WHERE type = 'responded' AND complaint_id IS NOT NULL ORDER BY id"))
    for complaint_id, details in rows:
        d = json.loads(details) if isinstance(details, str) else (details or {})
        try:
            stage = int(d.get('stage') or 1)
        except (TypeError, ValueError):
            continue
        if stage in (1, 2):
            found[(complaint_id, stage)] = _key(d.get('decision'))
    for stage in (1, 2):
        params = [{'id': cid, 'decision': key} for (cid, s), key in found.items() if s == stage and key is not None]
        if params:
            conn.execute(sa.text(f'UPDATE complaints SET stage{stage}_decision = :decision WHERE id = :id'), params)


def upgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage1_decision', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('stage2_decision', sa.String(length=20), nullable=True))
    _backfill()
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        for name in INDEXES:
            batch_op.drop_index(name)
        batch_op.drop_column('stage2_decision')
        batch_op.drop_column('stage1_decision')
