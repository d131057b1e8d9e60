"""report tallies: each reporting year's report facts, already counted, filled from the record

The managers' summary and TSM grouped a whole reporting year of complaints on every request (up to
50,000 at 100,000 complaints: 0.4 to 1 s). ``report_tallies`` holds the same facts already counted
per year; ``backend.services.reports_tallies`` keeps them in step on every change. This migration
creates the table and counts the complaints already recorded.

The counting is written out here rather than imported: a migration must give the same result when
the application code changes later (as 0008 does). ``tests/backend/test_reports_tallies.py`` checks
it against the application's own count. Working days come from ``backend.domain.calendar``, the
calendar the deadlines use.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:00:00
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import sqlalchemy as sa
from alembic import op

from backend.domain.calendar import calendar_for


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

DECISIONS = ('upheld', 'partly_upheld', 'not_upheld')
STAGE_COLUMNS = {
    s: [
        sa.column(f'stage{s}_acknowledged_on', sa.Date), sa.column(f'stage{s}_ack_within', sa.Boolean),
        sa.column(f'stage{s}_responded_on', sa.Date), sa.column(f'stage{s}_response_within_original', sa.Boolean),
        sa.column(f'stage{s}_response_within_extended', sa.Boolean), sa.column(f'stage{s}_decision', sa.String),
    ]
    for s in (1, 2)
}
COMPLAINTS = sa.table(
    'complaints',
    sa.column('region', sa.String), sa.column('channel', sa.String), sa.column('category', sa.String),
    sa.column('status', sa.String), sa.column('received_on', sa.Date), sa.column('declined_at_stage', sa.Integer),
    sa.column('decline_ground', sa.String), sa.column('closed_on', sa.Date), sa.column('learning', sa.Text),
    sa.column('stage2_requested_on', sa.Date), *STAGE_COLUMNS[1], *STAGE_COLUMNS[2],
)
TALLIES = sa.table(
    'report_tallies',
    sa.column('year', sa.Integer), sa.column('fact', sa.String), sa.column('stage', sa.Integer),
    sa.column('key', sa.String), sa.column('count', sa.Integer),
)


def _year(day: dt.date) -> int:
    """The reporting year (1 April to 31 March) a day falls in."""
    return day.year if day.month >= 4 else day.year - 1


def _outcome(decision: Any) -> str | None:
    key = (decision if isinstance(decision, str) else '').strip().lower().replace(' ', '_').replace('-', '_')
    return key if key in DECISIONS else None


def _key(values: list[Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(',', ':'))


def _count(rows: Any, closures: frozenset[dt.date]) -> Counter[tuple[int, str, int, str]]:
    """The facts of each complaint (see ``backend.domain.reports``), counted per year."""
    out: Counter[tuple[int, str, int, str]] = Counter()
    for c in rows:
        cal = calendar_for(c.region, closures)
        starts = [(1, c.received_on)] + ([(2, c.stage2_requested_on)] if c.stage2_requested_on is not None else [])
        for s, start in starts:
            ground = c.decline_ground if c.declined_at_stage == s else None
            out[(_year(start), 'received', s, _key([c.category, c.channel, ground]))] += 1
            ack, responded = c._mapping[f'stage{s}_acknowledged_on'], c._mapping[f'stage{s}_responded_on']
            if ack is not None:
                days = cal.working_days_between(start, ack)
                out[(_year(ack), 'acknowledged', s, _key([days, c._mapping[f'stage{s}_ack_within']]))] += 1
            if responded is not None:
                days = None if ack is None else cal.working_days_between(ack, responded)
                within = [c._mapping[f'stage{s}_response_within_original'], c._mapping[f'stage{s}_response_within_extended']]
                out[(_year(responded), 'responded', s, _key([days, *within]))] += 1
                out[(_year(responded), 'outcome', s, _key([_outcome(c._mapping[f'stage{s}_decision'])]))] += 1
        last = starts[-1][0]
        if c.status == 'withdrawn' and c.closed_on is not None:
            out[(_year(c.closed_on), 'withdrawn', last, _key([]))] += 1
        if c.status == 'closed' and c.closed_on is not None and c.learning:
            out[(_year(c.closed_on), 'learned', last, _key([]))] += 1
    return out


def upgrade() -> None:
    op.create_table('report_tallies',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('fact', sa.String(length=12), nullable=False),
    sa.Column('stage', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('year', 'fact', 'stage', 'key', name=op.f('pk_report_tallies'))
    )
    conn = op.get_bind()
    closures = frozenset(day for (day,) in conn.execute(sa.select(sa.column('day', sa.Date)).select_from(sa.table('closure_days'))))
    counted = _count(conn.execute(sa.select(COMPLAINTS)), closures)
    rows = [{'year': y, 'fact': f, 'stage': s, 'key': k, 'count': n} for (y, f, s, k), n in sorted(counted.items())]
    for i in range(0, len(rows), 5000):
        conn.execute(sa.insert(TALLIES), rows[i:i + 5000])


def downgrade() -> None:
    op.drop_table('report_tallies')
