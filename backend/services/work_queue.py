"""The complaints officer's work queue: new cases first, then by days remaining, with filters and search.

Built for 100,000 complaints, so no request sorts or counts more of them than it must:

- **The counts** (total, new, red, amber, open) are five counts in one statement, each answered from
  an index range of its own (a status, or due dates), not one pass adding up every matching row.
- **The page** of the mixed order ("open" and "all": new first, then by due date, none last) is
  merged from one index walk per status: the cases of one status with a due date are already in
  ``ix_complaints_queue``'s order (status, current_due, id), and those without one in id order. Each
  walk stops after ``offset + limit`` rows, so a deep page reads a few thousand index entries
  instead of sorting every complaint. One status alone is the index's order already.
- **A search** runs once: the few thousand complaints it matches are passed back as one parameter
  (a JSON array on SQLite, an array on PostgreSQL), then counted and sorted among themselves.

Stage, handler and "needs" are expressions over columns the record already keeps, so the filters
need no second copy of the facts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass

from sqlalchemy import Integer, Select, Text, and_, any_, bindparam, case, cast, exists, false, func, or_, select, true, union, union_all
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.elements import ColumnElement

from backend.api.casework_schemas import QueueRag, RegisterItem, WorkCounts, WorkItem, WorkQueueOut
from backend.db.models import Complaint, ReasonableAdjustment, Resident, ServiceRequest, StaffUser
from backend.domain.calendar import WorkingCalendar
from backend.domain.complaints import OPEN_STATUSES, Status, stage_of
from backend.domain.deadlines import Rag, rag_status
from backend.services.context import CaseContext
from backend.services.residents import normalise_postcode

STAGE2_STATUSES = (Status.STAGE2_REQUESTED.value, Status.STAGE2_ACKNOWLEDGED.value, Status.STAGE2_RESPONDED.value)
OPEN_VALUES = tuple(sorted(s.value for s in OPEN_STATUSES))
ALL_VALUES = frozenset(s.value for s in Status)
DECLINED = Status.DECLINED.value
_RAG_NAMES: dict[Rag, QueueRag] = {Rag.OVERDUE: "red", Rag.DUE_SOON: "amber", Rag.ON_TRACK: "green", Rag.NONE: "none"}


@dataclass(frozen=True)
class QueueFilters:
    """What the officer asked for; ``None`` means "any".

    ``status`` is a complaint status, ``"open"`` (anything not closed, declined or withdrawn) or
    ``"all"``. Left out, the queue shows open complaints, and a search (``q``) looks through every
    complaint, so a resident ringing about a closed case is found by reference, name or postcode.
    """

    stage: int | None = None
    status: str | None = None
    rag: str | None = None  # red | amber | green
    handler_id: int | None = None
    category: str | None = None
    channel: str | None = None
    needs: bool | None = None
    representative: bool | None = None
    region: str | None = None
    q: str | None = None


def _is_stage2() -> ColumnElement[bool]:
    """The stage as ``domain.complaints.stage_of`` gives it, as SQL."""
    return or_(Complaint.status.in_(STAGE2_STATUSES), func.coalesce(Complaint.declined_at_stage, 0) == 2)


def _handler_column() -> ColumnElement[int | None]:
    return case((_is_stage2(), Complaint.stage2_handler_id), else_=Complaint.stage1_handler_id)


def _needs_residents() -> Select[tuple[int]]:
    """Residents with disclosed needs (a JSON list, '[]' when none) or any reasonable adjustment on record."""
    disclosed = select(Resident.id).where(cast(Resident.disclosed_needs, Text).not_in(["[]", "null"]))
    return union(disclosed, select(ReasonableAdjustment.resident_id))


def _has_needs() -> ColumnElement[bool]:
    """The same question for one row (used on the page's few rows only)."""
    adjustment = exists(select(ReasonableAdjustment.id).where(ReasonableAdjustment.resident_id == Complaint.resident_id))
    return or_(func.coalesce(cast(Resident.disclosed_needs, Text), "[]").not_in(["[]", "null"]), adjustment)


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


#: The start of a UK postcode, spaces removed: "M1", "LS6", "LS62", "LS62AB".
POSTCODE_PREFIX = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?([0-9][A-Z]{0,2})?$")
#: A whole reference (CMP-2026-000123) or its year and number (2026-123).
REFERENCE = re.compile(r"^(?:([A-Z]{2,4})-)?([0-9]{4})-([0-9]{1,6})$")
NUMBER = re.compile(r"^[0-9]{1,6}$")
FIRST_YEAR = 2000
#: A search matching at most this many complaints is fetched once and reused by the count and the page.
MATERIALISE_UP_TO = 10_000


def _references(term: str, today: dt.date) -> list[str]:
    """The references ``term`` can name: a whole one, a year and number, or a case number in any year.

    Looked up exactly in the unique index, instead of scanning every reference for a fragment.
    """
    upper = term.upper().replace(" ", "")
    if m := REFERENCE.match(upper):
        return [f"{m.group(1) or 'CMP'}-{m.group(2)}-{int(m.group(3)):06d}"]
    if NUMBER.match(upper):
        return [f"CMP-{year}-{int(upper):06d}" for year in range(FIRST_YEAR, today.year + 1)]
    return []


def _search_ids(q: str, today: dt.date, dialect: str) -> Select[tuple[int]]:
    """Complaints whose reference ``q`` names, whose resident's name contains it (any case), or
    whose postcode (the complaint's or the resident's) starts with it, spaces ignored.

    Each part is its own indexed lookup, joined by UNION (an OR across two tables would scan both).
    """
    term = q.strip()
    pattern = f"%{_escape_like(term)}%"
    # SQLite's LIKE already ignores ASCII case (and its lower() knows no more than ASCII either)
    name_matches = Resident.name.like(pattern, escape="\\") if dialect == "sqlite" else Resident.name.ilike(pattern, escape="\\")
    parts: list[Select[tuple[int]]] = [select(Complaint.id).where(Complaint.resident_id.in_(select(Resident.id).where(name_matches)))]
    if refs := _references(term, today):
        parts.append(select(Complaint.id).where(Complaint.reference.in_(refs)))
    postcode = normalise_postcode(term) or ""
    if POSTCODE_PREFIX.match(postcode):
        # a prefix as a range, so the plain index serves it on both databases (postcodes are A-Z and 0-9)
        low, high = postcode, postcode + "Z" * 8
        parts.append(select(Complaint.id).where(Complaint.postcode_norm.between(low, high)))
        at = select(Resident.id).where(Resident.postcode_norm.between(low, high))
        parts.append(select(Complaint.id).where(Complaint.resident_id.in_(at)))
    return union(*parts)


def _search_condition(session: Session, q: str, today: dt.date) -> ColumnElement[bool]:
    """Run the search once when it matches few complaints, so the count and the page do not repeat it."""
    dialect = session.get_bind().dialect.name
    search = _search_ids(q, today, dialect)
    matched = list(session.scalars(search.limit(MATERIALISE_UP_TO + 1)))
    if len(matched) > MATERIALISE_UP_TO:
        return Complaint.id.in_(search)
    if not matched:
        return false()
    # one parameter, not thousands: binding and planning 7,000 separate ones cost more than running the query
    if dialect == "postgresql":
        return Complaint.id == any_(bindparam("search_ids", matched, type_=ARRAY(Integer)))
    if dialect == "sqlite":
        listed = func.json_each(bindparam("search_ids", json.dumps(matched))).table_valued("value")
        return Complaint.id.in_(select(listed.c.value))
    return Complaint.id.in_(matched)


def _status(f: QueueFilters) -> str:
    return f.status or ("all" if f.q else "open")


def _allowed_statuses(f: QueueFilters) -> set[str]:
    """The statuses the status and stage filters leave."""
    status = _status(f)
    allowed = set(OPEN_VALUES) if status == "open" else set(ALL_VALUES) if status == "all" else {status}
    if f.stage == 2:
        allowed &= {*STAGE2_STATUSES, DECLINED}
    elif f.stage == 1:
        allowed -= set(STAGE2_STATUSES)
    return allowed


def _status_conditions(f: QueueFilters) -> list[ColumnElement[bool]]:
    """The status and stage filters folded into one list of statuses, so the queue index answers them.

    Only a declined complaint needs more than its status to tell its stage (``stage_of``).
    """
    allowed = _allowed_statuses(f)
    declined_at: ColumnElement[bool] | None = None
    if f.stage == 2:
        declined_at = func.coalesce(Complaint.declined_at_stage, 0) == 2
    elif f.stage == 1:
        declined_at = func.coalesce(Complaint.declined_at_stage, 0) != 2
    where: list[ColumnElement[bool]] = []
    if allowed != ALL_VALUES:
        where.append(Complaint.status.in_(sorted(allowed)) if allowed else false())
    if declined_at is not None and DECLINED in allowed:
        where.append(or_(Complaint.status != DECLINED, declined_at))
    return where


def _conditions(f: QueueFilters, search: ColumnElement[bool] | None, dialect: str) -> list[ColumnElement[bool]]:
    """Every filter except ``rag``, which the counts leave out; ``search`` is ``q``'s condition."""
    where = _status_conditions(f)
    if f.handler_id is not None:
        where.append(_handler_column() == f.handler_id)
    if f.category:
        # On SQLite, "|| ''" keeps the planner on the queue index (category is in it) while the
        # statuses are narrowed: it otherwise takes the category index for the open statuses and
        # reads each of its rows from the table: the counts took 40 ms instead of 7 at 100,000.
        narrowed = _allowed_statuses(f) != ALL_VALUES
        category = Complaint.category + "" if dialect == "sqlite" and narrowed else Complaint.category
        where.append(category == f.category)
    if f.channel:
        where.append(Complaint.channel == f.channel)
    if f.region:
        where.append(Complaint.region == f.region)
    if f.representative is not None:
        where.append(Complaint.representative_id.is_not(None) if f.representative else Complaint.representative_id.is_(None))
    if f.needs is not None:
        # on SQLite "+ 0" keeps the planner on the queue index (resident_id is in it) instead of walking
        # complaints by resident; PostgreSQL plans the semi-join well by itself, and misjudges it with "+ 0"
        needs, resident = _needs_residents(), (Complaint.resident_id + 0) if dialect == "sqlite" else Complaint.resident_id
        where.append(resident.in_(needs) if f.needs else resident.not_in(needs))
    if search is not None:
        where.append(search)
    return where


def _mixed(f: QueueFilters) -> bool:
    """Whether the page mixes statuses (and so needs the whole order, not just the queue index's)."""
    return _status(f) in ("open", "all")


def _order(f: QueueFilters, status: ColumnElement[str], due: ColumnElement[dt.date | None], id_: ColumnElement[int]) -> list[ColumnElement[object]]:
    """New first, then by due date with none last, then oldest. One status alone needs only the last
    two terms (its cases all have a due date, or none do), and then the queue index gives the order."""
    if not _mixed(f):
        return [due, id_]
    return [case((status == Status.RECEIVED.value, 0), else_=1), case((due.is_(None), 1), else_=0), due, id_]


def _page_ids(session: Session, f: QueueFilters, where: list[ColumnElement[bool]], merged: bool, limit: int, offset: int) -> list[int]:
    """The page's complaint ids, in queue order.

    ``merged``: the mixed order taken as the merge of one index walk per status and per "has a due
    date or not", each walk stopping after ``offset + limit`` rows (see the module's docstring);
    otherwise one query sorting the matching rows (one status, already in index order, or a search's
    few thousand).
    """
    if not merged:
        stmt = select(Complaint.id).where(*where).order_by(*_order(f, Complaint.status, Complaint.current_due, Complaint.id))
        return list(session.scalars(stmt.limit(limit).offset(offset)))
    enough = offset + limit
    walks = []
    for status in sorted(_allowed_statuses(f)):
        cols, one = (Complaint.id, Complaint.status, Complaint.current_due), Complaint.status == status
        dated = select(*cols).where(*where, one, Complaint.current_due.is_not(None)).order_by(Complaint.current_due, Complaint.id).limit(enough)
        undated = select(*cols).where(*where, one, Complaint.current_due.is_(None)).order_by(Complaint.id).limit(enough)
        # each walk wrapped as a subquery: SQLite takes no ORDER BY or LIMIT on a UNION's parts
        walks += [select(w.c.id, w.c.status, w.c.current_due) for w in (dated.subquery(), undated.subquery())]
    if not walks:
        return []
    merged_rows = union_all(*walks).subquery()
    stmt = select(merged_rows.c.id).order_by(*_order(f, merged_rows.c.status, merged_rows.c.current_due, merged_rows.c.id))
    return list(session.scalars(stmt.limit(limit).offset(offset)))


def _rag_condition(rag: str | None, today: dt.date, horizon: dt.date) -> ColumnElement[bool]:
    if rag == "red":
        return Complaint.current_due < today
    if rag == "amber":
        return and_(Complaint.current_due >= today, Complaint.current_due <= horizon)
    if rag == "green":
        return Complaint.current_due > horizon
    return true()


def _amber_horizon(cal: WorkingCalendar, today: dt.date, due_soon_within: int) -> dt.date:
    """The last date ``rag_status`` calls due soon: the day before the first working day beyond the window."""
    return cal.add_working_days(today, due_soon_within + 1) - dt.timedelta(days=1)


def _postcode(norm: str | None) -> str | None:
    """LS62AB → LS6 2AB: the inward code is always the last three characters."""
    return f"{norm[:-3]} {norm[-3:]}" if norm and len(norm) > 3 else norm


def work_queue(session: Session, ctx: CaseContext, filters: QueueFilters, *, limit: int = 50, offset: int = 0) -> WorkQueueOut:
    """The page of the queue: received (new) cases first by their acknowledgement deadline, then the
    rest by their current due date (soonest first, none last), oldest reference breaking ties.

    Three queries: the counts and total; the page's ids, sorted and cut in the database over the
    complaints table alone (its indexes, mostly); then those rows' details (resident, needs, handler
    names).
    """
    cal = ctx.calendar(session)
    today = ctx.today()
    horizon = _amber_horizon(cal, today, ctx.profile.due_soon_within)
    search = _search_condition(session, filters.q, today) if filters.q and filters.q.strip() else None
    where = _conditions(filters, search, session.get_bind().dialect.name)
    rag_cond = _rag_condition(filters.rag, today, horizon)

    conditions = [
        rag_cond,
        Complaint.status == Status.RECEIVED.value,
        Complaint.current_due < today,
        and_(Complaint.current_due >= today, Complaint.current_due <= horizon),
        Complaint.status.in_(OPEN_VALUES),
    ]
    if search is not None:
        # a search's few thousand rows: added up in one pass

        def counted(cond: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

        counts = select(*[counted(c) if i or filters.rag else func.count() for i, c in enumerate(conditions)]).select_from(Complaint).where(*where)
    else:
        # each count from an index range of its own (a status, or due dates)
        counts = select(*[select(func.count()).select_from(Complaint).where(*where, c).scalar_subquery() for c in conditions])
    total, new, red, amber, open_ = session.execute(counts).one()
    ids = _page_ids(session, filters, [*where, rag_cond], _mixed(filters) and search is None, limit, offset)
    rows = (
        {
            r.id: r
            for r in session.execute(
                select(
                    Complaint.id,
                    Complaint.reference,
                    Complaint.status,
                    Complaint.declined_at_stage,
                    Complaint.current_due,
                    Complaint.received_at,
                    Complaint.category,
                    Complaint.channel,
                    Complaint.region,
                    Complaint.postcode_norm,
                    Complaint.representative_id,
                    _handler_column().label("handler_id"),
                    Resident.name.label("resident_name"),
                    Resident.postcode.label("resident_postcode"),
                    _has_needs().label("has_needs"),
                )
                .join(Resident, Resident.id == Complaint.resident_id)
                .where(Complaint.id.in_(ids))
            )
        }
        if ids
        else {}
    )
    page = [rows[i] for i in ids if i in rows]
    handler_ids = {r.handler_id for r in page if r.handler_id is not None}
    names = dict(session.execute(select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(handler_ids))).all()) if handler_ids else {}
    items = [
        WorkItem(
            reference=r.reference,
            status=r.status,
            stage=stage_of(Status(r.status), declined_at_stage=r.declined_at_stage),
            current_due=r.current_due,
            working_days_remaining=cal.working_days_between(today, r.current_due) if r.current_due else None,
            rag=_RAG_NAMES[rag_status(cal, today, r.current_due, ctx.profile.due_soon_within)],
            received_at=r.received_at,
            resident_name=r.resident_name,
            postcode=_postcode(r.postcode_norm) or r.resident_postcode,
            category=r.category,
            channel=r.channel,
            region=r.region,
            handler_id=r.handler_id,
            handler_name=names.get(r.handler_id),
            has_needs=bool(r.has_needs),
            has_representative=r.representative_id is not None,
            is_new=r.status == Status.RECEIVED.value,
        )
        for r in page
    ]
    return WorkQueueOut(today=today, counts=WorkCounts(new=new, red=red, amber=amber, open=open_), total=total, items=items)


def service_request_register(session: Session, ctx: CaseContext, status: str | None, *, limit: int = 100, offset: int = 0) -> list[RegisterItem]:
    """Code 1.4: service requests are recorded, monitored and reviewed, so the register shows the
    longest-waiting first with their age and any complaints they led to (1.5).

    ``status`` is open, in_progress, closed or all; left out, everything not yet closed.
    """
    today = ctx.today()
    stmt = (
        select(ServiceRequest)
        .options(selectinload(ServiceRequest.complaints).load_only(Complaint.reference))
        .order_by(ServiceRequest.requested_at, ServiceRequest.id)
        .limit(limit)
        .offset(offset)
    )
    if status is None:
        stmt = stmt.where(ServiceRequest.status != "closed")
    elif status != "all":
        stmt = stmt.where(ServiceRequest.status == status)
    return [
        RegisterItem(
            reference=sr.reference,
            service_code=sr.service_code,
            description=sr.description,
            status=sr.status,
            requested_at=sr.requested_at,
            age_days=(today - ctx.local_date(sr.requested_at)).days,
            complaint_refs=sorted(c.reference for c in sr.complaints),
            channel=sr.channel,
            postcode=sr.postcode,
        )
        for sr in session.scalars(stmt)
    ]


__all__ = ["QueueFilters", "service_request_register", "work_queue"]
