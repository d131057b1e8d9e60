"""work queue indexes: the officer queue's sort and filters, and the complaint postcode search

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 00:05:00
"""

from __future__ import annotations

from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

QUEUE_COLUMNS = [
    'status', 'current_due', 'id', 'resident_id', 'category', 'channel', 'region',
    'representative_id', 'stage1_handler_id', 'stage2_handler_id', 'declined_at_stage',
]


def upgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_queue', QUEUE_COLUMNS, unique=False)
        batch_op.create_index(batch_op.f('ix_complaints_postcode_norm'), ['postcode_norm'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaints_postcode_norm'))
        batch_op.drop_index('ix_complaints_queue')
