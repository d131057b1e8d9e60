"""letters, remedies and actions, contact restrictions, reporting years

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 23:34:12.283860
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import backend.db.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reporting_years',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('homes', sa.Integer(), nullable=False),
    sa.Column('updated_by', sa.String(length=120), nullable=False),
    sa.Column('updated_at', backend.db.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_reporting_years'))
    )
    op.create_table('contact_restrictions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('restriction', sa.Text(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('equality_considerations', sa.Text(), nullable=False),
    sa.Column('review_on', sa.Date(), nullable=False),
    sa.Column('decided_by', sa.String(length=120), nullable=False),
    sa.Column('decided_at', backend.db.base.UTCDateTime(), nullable=False),
    sa.Column('ended_at', backend.db.base.UTCDateTime(), nullable=True),
    sa.Column('ended_by', sa.String(length=120), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['resident_id'], ['residents.id'], name=op.f('fk_contact_restrictions_resident_id_residents')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_restrictions'))
    )
    with op.batch_alter_table('contact_restrictions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_restrictions_resident_id'), ['resident_id'], unique=False)

    op.create_table('complaint_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('amount_pence', sa.Integer(), nullable=True),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=True),
    sa.Column('resident_update', sa.Text(), nullable=True),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', backend.db.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', backend.db.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaints.id'], name=op.f('fk_complaint_actions_complaint_id_complaints')),
    sa.ForeignKeyConstraint(['owner_id'], ['staff_users.id'], name=op.f('fk_complaint_actions_owner_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_actions'))
    )
    with op.batch_alter_table('complaint_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_actions_complaint_id'), ['complaint_id'], unique=False)

    with op.batch_alter_table('correspondence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('large_print', sa.Boolean(), nullable=False, server_default=sa.false()))  # letters written before this upgrade
        batch_op.add_column(sa.Column('delivery', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=20), nullable=False, server_default='prepared'))
        batch_op.add_column(sa.Column('delivered_at', backend.db.base.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('delivered_by', sa.String(length=120), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('correspondence', schema=None) as batch_op:
        batch_op.drop_column('delivered_by')
        batch_op.drop_column('delivered_at')
        batch_op.drop_column('delivery_status')
        batch_op.drop_column('delivery')
        batch_op.drop_column('large_print')

    with op.batch_alter_table('complaint_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_actions_complaint_id'))

    op.drop_table('complaint_actions')
    with op.batch_alter_table('contact_restrictions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_restrictions_resident_id'))

    op.drop_table('contact_restrictions')
    op.drop_table('reporting_years')
