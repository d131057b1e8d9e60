"""deadline alerts

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 23:52:55.504254
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('deadline_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('text', sa.String(length=300), nullable=False),
    sa.Column('created_at', backend.db.base.UTCDateTime(), nullable=False),
    sa.Column('read_at', backend.db.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_deadline_alerts_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_deadline_alerts_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_alerts')),
    sa.UniqueConstraint('staff_id', 'complaint_id', 'kind', 'due_on', name=op.f('uq_deadline_alerts_staff_id'))
    )
    with op.batch_alter_table('deadline_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_alerts_complaint_id'), ['complaint_id'], unique=False)
        batch_op.create_index('ix_deadline_alerts_staff_read', ['staff_id', 'read_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('deadline_alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_deadline_alerts_staff_read')
        batch_op.drop_index(batch_op.f('ix_deadline_alerts_complaint_id'))

    op.drop_table('deadline_alerts')
