"""Reports read from the record: the facts each report needs come from the complaints, and the
counting rules live in ``backend.domain.reports``.

A year's summary and TSM read the report tallies (``backend.services.reports_tallies``): the facts
of every complaint, counted per reporting year and kept in step with the complaints on every change,
so a request reads a few hundred rows whether the year holds 5,000 complaints or 50,000. The rest
comes from the complaints themselves, each with one indexed query: the open complaints' deadlines
(overdue now, ``ix_complaints_queue``) and the newest learning log entries (``ix_reports_closed``).

A response's decision (upheld, partly upheld, not upheld) is read from ``stageN_decision`` on the
complaint, set when the response was sent (migration 0008 filled it for older responses from their
``responded`` events). The rebuild from events (``backend.services.reports_rebuild``) still reads
the events, so reconciling the two compares two independent sources, and ``/reports/reconcile``
also recounts the tallies from the complaints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session, sessionmaker

from backend.api.schemas import TsmOut, TsmStage
from backend.db.models import Complaint, ReportingYear
from backend.domain import reports as rules
from backend.domain.complaints import OPEN_STATUSES, Status
from backend.domain.reports import CaseFacts, Due, Facts, Learned, Summary
from backend.domain.rules import RuleViolation
from backend.services import reports_tallies as tallies
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


# -- facts from the record -------------------------------------------------------------------------


def _due(session: Session) -> Iterator[Due]:
    """Open complaints' current deadlines, grouped (answered from ``ix_complaints_queue``)."""
    open_ = [s.value for s in OPEN_STATUSES]
    cols = (Complaint.status, Complaint.current_due)
    for status, due, n in session.execute(select(*cols, func.count()).where(Complaint.status.in_(open_), Complaint.current_due.is_not(None)).group_by(*cols)):
        step = rules.due_step(status)
        if step is not None:
            yield Due(2 if status.startswith("stage2") else 1, step, due, n)


def _learned_where(year: int) -> list[ColumnElement[bool]]:
    # the same rule as domain.reports.case_facts_by_year: closed in the year, with learning recorded
    first, last = rules.reporting_year(year)
    return [Complaint.status == Status.CLOSED.value, Complaint.closed_on.between(first, last), Complaint.learning.is_not(None), Complaint.learning != ""]


#: Where a page of the learning log ends: the last entry's (closed_on, reference).
LogPosition = tuple[dt.date, str]


def learning_entries(session: Session, year: int, limit: int | None = None, after: LogPosition | None = None) -> Iterator[Learned]:
    """The learning log, newest first (the order of ``domain.reports.learning_log``), from ``after`` on."""
    stmt = select(Complaint.reference, Complaint.stage2_requested_on.is_not(None), Complaint.closed_on, Complaint.category, Complaint.learning).where(
        *_learned_where(year)
    )
    if after is not None:
        closed_on, reference = after
        stmt = stmt.where(or_(Complaint.closed_on < closed_on, and_(Complaint.closed_on == closed_on, Complaint.reference < reference)))
    stmt = stmt.order_by(Complaint.closed_on.desc(), Complaint.reference.desc()).limit(limit)
    for ref, stage2, closed_on, category, learning in session.execute(stmt.execution_options(yield_per=2000)):
        yield Learned(ref, 2 if stage2 else 1, closed_on, category, learning)


#: Learning log entries per page when the log is streamed.
LOG_PAGE = 5000


def learning_pages(factory: sessionmaker[Session], year: int, after: LogPosition | None, page: int | None = None) -> Iterator[Learned]:
    """The learning log from ``after`` on, a page at a time, each page in a short transaction of its own.

    For streaming a long log: nothing is held open between pages (on SQLite a transaction holds the
    write lock). Entries are keyed by (closed_on, reference), so a page never repeats or skips one
    that stays in the log; a complaint closed while the file is being sent is not in it (nor in the
    total at its top), and one reopened meanwhile may be left out.
    """
    page = page or LOG_PAGE
    while True:
        with factory() as session:
            entries = list(learning_entries(session, year, page, after))
        yield from entries
        if len(entries) < page:
            return
        after = (entries[-1].closed_on, entries[-1].reference)


def learning_log(session: Session, year: int, limit: int | None, total: int | None = None) -> tuple[int, tuple[Learned, ...]]:
    """How many entries the year's log has (from the tallies unless given), and the newest ``limit`` of them."""
    if total is None:
        total = tallies.year_tallies(session, year, only=["learned"]).learning_total
    entries = tuple(learning_entries(session, year, limit)) if limit != 0 else ()
    return total, entries


# -- the reports ------------------------------------------------------------------------------------


def summary(session: Session, ctx: CaseContext, year: int, learning_limit: int | None = 50) -> Summary:
    """The year's summary: the tallies, today's overdue from the open complaints, and the newest learning."""
    counted = tallies.year_tallies(session, year)
    facts = counted.facts
    facts.due = list(_due(session))
    log = learning_log(session, year, learning_limit, total=counted.learning_total)
    return rules.summarise(facts, year, ctx.today(), ctx.calendar(session), ctx.profile, learning=log, learning_limit=learning_limit)


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
    return tsm_from_facts(tallies.year_tallies(session, year, only=["received", "responded"]).facts, year, homes)


# -- one complaint at a time (for checking the grouped reading and the rebuild from events) -------


def case_facts(session: Session) -> list[CaseFacts]:
    """Every complaint's report facts as the record holds them, in reference order (for reconciling
    with the rebuild from events: the columns it needs, not whole complaints)."""
    stmt = select(*tallies.CASE_COLUMNS).order_by(Complaint.reference)
    return [tallies.case_facts_of(row._mapping) for row in session.execute(stmt).yield_per(5000)]
