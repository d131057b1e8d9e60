"""Reports read from the record: the facts each report needs come from the complaints, and the
counting rules live in ``backend.domain.reports``.

A response's decision (upheld, partly upheld, not upheld) is read from ``stageN_decision`` on the
complaint, set when the response was sent (migration 0008 filled it for older responses from their
``responded`` events). The rebuild from events (``backend.services.reports_rebuild``) still reads
the events, so reconciling the two compares two independent sources for outcomes too.

The endpoints read grouped facts: one row per set of complaints sharing every fact the rules look
at, with a count, so a year of 50,000 complaints is a few thousand rows, not 50,000 objects. Each
grouped query selects by the day that puts a case in the year and reads only columns of one of the
``ix_reports_*`` covering indexes (``ix_complaints_queue`` for overdue), so the database answers
from the index alone. The rules then run on those rows exactly as they run on one complaint at a
time (``case_facts``), which is what the rebuild from events produces.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import ColumnElement, RowMapping, func, select
from sqlalchemy.orm import Session

from backend.api.schemas import TsmOut, TsmStage
from backend.db.models import Complaint, ReportingYear
from backend.domain import reports as rules
from backend.domain.complaints import OPEN_STATUSES, Status
from backend.domain.reports import (
    Acknowledged,
    CaseFacts,
    Due,
    Facts,
    Learned,
    Outcome,
    Received,
    Responded,
    StageRecord,
    Summary,
    Withdrawn,
)
from backend.domain.rules import RuleViolation
from backend.services.context import CaseContext

# -- homes per reporting year (the CH01 denominator) ------------------------------------------------


def list_years(session: Session) -> list[ReportingYear]:
    return list(session.scalars(select(ReportingYear).order_by(ReportingYear.year.desc())))


def set_homes(session: Session, ctx: CaseContext, year: int, homes: int, actor: str) -> ReportingYear:
    """Store (or correct) the homes owned in a reporting year; who changed it and when are kept."""
    row = session.get(ReportingYear, year)
    if row is None:
        row = ReportingYear(year=year, homes=homes, updated_by=actor, updated_at=ctx.now())
        session.add(row)
    else:
        row.homes, row.updated_by, row.updated_at = homes, actor, ctx.now()
    session.flush()
    return row


def homes_for(session: Session, year: int, given: int | None) -> int:
    """The homes count to use: the one given, else the one stored for the year, else a clear refusal."""
    if given is not None:
        return given
    row = session.get(ReportingYear, year)
    if row is None:
        raise RuleViolation(
            "homes_unknown",
            "TSM CH01",
            f"no homes count is stored for {rules.year_label(year)}: give ?homes= or store it with PUT /api/v1/reports/years/{year} "
            "(CH01 is complaints per 1,000 homes)",
        )
    return row.homes


# -- facts from the record, grouped -----------------------------------------------------------------

_STAGE_COLUMNS = {
    1: (Complaint.received_on, Complaint.stage1_acknowledged_on, Complaint.stage1_ack_within, Complaint.stage1_responded_on),
    2: (Complaint.stage2_requested_on, Complaint.stage2_acknowledged_on, Complaint.stage2_ack_within, Complaint.stage2_responded_on),
}
_WITHIN = {
    1: (Complaint.stage1_response_within_original, Complaint.stage1_response_within_extended),
    2: (Complaint.stage2_response_within_original, Complaint.stage2_response_within_extended),
}


def _between(column: ColumnElement[dt.date] | object, year: int) -> ColumnElement[bool]:
    first, last = rules.reporting_year(year)
    return column.between(first, last)  # type: ignore[attr-defined, no-any-return]


def _received(session: Session, year: int) -> Iterator[Received]:
    for stage, (received_on, *_rest) in _STAGE_COLUMNS.items():
        cols = (Complaint.category, Complaint.channel, Complaint.declined_at_stage, Complaint.decline_ground)
        for category, channel, declined_at, ground, n in session.execute(select(*cols, func.count()).where(_between(received_on, year)).group_by(*cols)):
            yield Received(stage, category, channel, ground if declined_at == stage else None, n)


def _acknowledged(session: Session, year: int) -> Iterator[Acknowledged]:
    for stage, (received_on, ack_on, ack_within, _responded) in _STAGE_COLUMNS.items():
        cols = (received_on, ack_on, ack_within)
        for rec, ack, within, n in session.execute(select(*cols, func.count()).where(_between(ack_on, year)).group_by(*cols)):
            yield Acknowledged(stage, rec, ack, within, n)


_DECISION = {1: Complaint.stage1_decision, 2: Complaint.stage2_decision}


def _responses(session: Session, year: int) -> Iterator[tuple[Responded, Outcome]]:
    """Each group of responses sent in the year, with its decision (None when none was recorded):
    one query per stage, answered from ``ix_reports_sN_resp``."""
    for stage, (_received, ack_on, _within, responded_on) in _STAGE_COLUMNS.items():
        cols = (ack_on, responded_on, *_WITHIN[stage], _DECISION[stage])
        for ack, resp, original, extended, decision, n in session.execute(select(*cols, func.count()).where(_between(responded_on, year)).group_by(*cols)):
            yield Responded(stage, ack, resp, original, extended, n), Outcome(stage, rules.outcome_of(decision), n)


def _responded(session: Session, year: int) -> list[Responded]:
    return [r for r, _ in _responses(session, year)]


def _withdrawn(session: Session, year: int) -> Iterator[Withdrawn]:
    at_stage2 = Complaint.stage2_requested_on.is_not(None)
    stmt = select(at_stage2, func.count()).where(Complaint.status == Status.WITHDRAWN.value, _between(Complaint.closed_on, year)).group_by(at_stage2)
    for stage2, n in session.execute(stmt):
        yield Withdrawn(2 if stage2 else 1, n)


def _due(session: Session) -> Iterator[Due]:
    open_ = [s.value for s in OPEN_STATUSES]
    cols = (Complaint.status, Complaint.current_due)
    for status, due, n in session.execute(select(*cols, func.count()).where(Complaint.status.in_(open_), Complaint.current_due.is_not(None)).group_by(*cols)):
        step = rules.due_step(status)
        if step is not None:
            yield Due(2 if status.startswith("stage2") else 1, step, due, n)


def _learned_where(year: int) -> list[ColumnElement[bool]]:
    # the same rule as domain.reports.learning_log: closed in the year, with learning recorded
    return [Complaint.status == Status.CLOSED.value, _between(Complaint.closed_on, year), Complaint.learning.is_not(None), Complaint.learning != ""]


def learning_entries(session: Session, year: int, limit: int | None = None) -> Iterator[Learned]:
    """The learning log, newest first (the order of ``domain.reports.learning_log``)."""
    stmt = (
        select(Complaint.reference, Complaint.stage2_requested_on.is_not(None), Complaint.closed_on, Complaint.category, Complaint.learning)
        .where(*_learned_where(year))
        .order_by(Complaint.closed_on.desc(), Complaint.reference.desc())
        .limit(limit)
    )
    for ref, stage2, closed_on, category, learning in session.execute(stmt.execution_options(yield_per=2000)):
        yield Learned(ref, 2 if stage2 else 1, closed_on, category, learning)


def learning_log(session: Session, year: int, limit: int | None) -> tuple[int, tuple[Learned, ...]]:
    total = session.scalar(select(func.count()).select_from(Complaint).where(*_learned_where(year))) or 0
    return total, tuple(learning_entries(session, year, limit))


def record_facts(session: Session, year: int) -> Facts:
    """The year's report facts, grouped, straight from the complaints (the learning log apart)."""
    responses = list(_responses(session, year))
    return Facts(
        received=list(_received(session, year)),
        acknowledged=list(_acknowledged(session, year)),
        responded=[r for r, _ in responses],
        outcomes=[o for _, o in responses],
        withdrawn=list(_withdrawn(session, year)),
        due=list(_due(session)),
    )


# -- the reports ------------------------------------------------------------------------------------


def summary(session: Session, ctx: CaseContext, year: int, learning_limit: int | None = 50) -> Summary:
    facts = record_facts(session, year)
    return rules.summarise(
        facts, year, ctx.today(), ctx.calendar(session), ctx.profile, learning=learning_log(session, year, learning_limit), learning_limit=learning_limit
    )


def tsm_from_facts(facts: Facts, year: int, homes: int) -> TsmOut:
    received, responded = rules.ch01(facts.received, homes), rules.ch02(facts.responded)
    first, last = rules.reporting_year(year)
    stages = [
        TsmStage(
            stage=s,
            received=received[s][0],
            per_1000_homes=received[s][1],
            responded=responded[s].responded,
            within_original=responded[s].within_original,
            within_extended=responded[s].within_extended,
            pct_within_original=responded[s].pct_original,
            pct_within_extended=responded[s].pct_extended,
        )
        for s in rules.STAGES
    ]
    return TsmOut(year=rules.year_label(year), period_start=first, period_end=last, homes=homes, stages=stages)


def tsm(session: Session, year: int, homes: int | None = None) -> TsmOut:
    """CH01 and CH02 for the year; ``homes`` defaults to the count stored for that year."""
    homes = homes_for(session, year, homes)
    facts = Facts(received=list(_received(session, year)), responded=_responded(session, year))
    return tsm_from_facts(facts, year, homes)


# -- one complaint at a time (for checking the grouped reading and the rebuild from events) -------


_CASE_COLUMNS = (
    Complaint.reference,
    Complaint.channel,
    Complaint.category,
    Complaint.status,
    Complaint.received_on,
    Complaint.declined_at_stage,
    Complaint.decline_ground,
    Complaint.closed_on,
    Complaint.learning,
    Complaint.current_due,
    *[
        getattr(Complaint, f"stage{s}_{name}")
        for s in rules.STAGES
        for name in ("acknowledged_on", "ack_within", "extended_to", "responded_on", "response_within_original", "response_within_extended", "decision")
    ],
    Complaint.stage2_requested_on,
)


def _stage_record(c: RowMapping, s: int, received_on: dt.date) -> StageRecord:
    p = f"stage{s}_"
    responded_on = c[p + "responded_on"]
    return StageRecord(
        s,
        received_on,
        c["decline_ground"] if c["declined_at_stage"] == s else None,
        c[p + "acknowledged_on"],
        c[p + "ack_within"],
        c[p + "extended_to"],
        responded_on,
        c[p + "response_within_original"],
        c[p + "response_within_extended"],
        rules.outcome_of(c[p + "decision"]) if responded_on else None,
    )


def case_facts(session: Session) -> list[CaseFacts]:
    """Every complaint's report facts as the record holds them, in reference order (for reconciling
    with the rebuild from events: the columns it needs, not whole complaints)."""
    out = []
    for row in session.execute(select(*_CASE_COLUMNS).order_by(Complaint.reference)).yield_per(5000):
        c = row._mapping
        stages = [_stage_record(c, 1, c["received_on"])]
        if c["stage2_requested_on"] is not None:
            stages.append(_stage_record(c, 2, c["stage2_requested_on"]))
        due = c["current_due"] if Status(c["status"]) in OPEN_STATUSES else None
        out.append(CaseFacts(c["reference"], c["channel"], c["category"], c["status"], tuple(stages), c["closed_on"], c["learning"], due))
    return out
