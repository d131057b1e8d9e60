"""Report tallies: per reporting year, how many complaints share each report fact, kept in step with
the complaints as they change, so a year's summary or TSM reads a few hundred rows.

Why: at 100,000 complaints one reporting year can hold 50,000 of them, and grouping them afresh
(eight grouped queries over the report indexes) took 0.4 to 1 s a request. The tallies hold the same
facts already grouped: received (by category, channel and decline ground), acknowledgements and
responses by the working days they took and whether they were within the timescale, outcomes,
withdrawals and the learning log's size.

How they stay right:

- **On every flush** (a session event, so every code path that changes a complaint through the ORM
  is covered): before the flush, the changed complaints' report columns are read from the database
  (locked on PostgreSQL, so two transactions changing one complaint take turns); after it, they are
  read again, and the difference of the two sets of facts is added to the tallies with one upsert.
  It runs in the flush's own transaction: a rollback takes the tally change back with it.
- **Working days** are counted with the calendar in force, in the complaint's own region (kept on
  it from the day it was received; a flush listener has no request to take the profile from).
  Closure days are declared in advance (``services.closures`` refuses past days), so the working
  days between two past dates do not change later; when one is added or removed for today, after a
  step was taken today, the complaints with a step on or after it are counted again with the old
  and the new calendar and the difference applied.
- **Concurrency**: an upsert locks its tally rows until the transaction ends (PostgreSQL), so two
  writers of one fact take turns, as they already do on SQLite's single write lock. ``rebuild``
  holds the other writers off while it counts, so no change can fall between its count and its write.
- **The same rules**: each complaint's facts come from ``domain.reports.case_facts_by_year``, the
  function the rebuild from events uses, so a tally is exactly "the facts of the complaints, added".
- **Checked**: ``differences`` recounts them from the whole record (``/reports/reconcile`` shows
  it), and ``rebuild`` writes them afresh from the record (``python -m backend.cli report-tallies
  --rebuild``).

What the flush events cannot see, and so needs ``rebuild`` afterwards: writes that bypass the ORM
(bulk inserts, raw SQL), and a change to the bank holidays themselves (a new ``holidays`` release
adding a holiday on a day already past). Reconcile shows both.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, RowMapping, delete, event, inspect, or_, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, UOWTransaction

from backend.db.models import ClosureDay, Complaint, ReportTally
from backend.domain import reports as rules
from backend.domain.calendar import WorkingCalendar, calendar_for
from backend.domain.complaints import OPEN_STATUSES, Status
from backend.domain.reports import AckTime, CaseFacts, Facts, Learned, Outcome, Received, ResponseTime, StageRecord, Withdrawn

#: (reporting year, fact, stage, key as JSON)
TallyKey = tuple[int, str, int, str]

# -- one complaint's facts, read from the record ---------------------------------------------------

STAGE_FIELDS = ("acknowledged_on", "ack_within", "extended_to", "responded_on", "response_within_original", "response_within_extended", "decision")
CASE_COLUMNS = (
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
    *[getattr(Complaint, f"stage{s}_{name}") for s in rules.STAGES for name in STAGE_FIELDS],
    Complaint.stage2_requested_on,
)
#: The attributes the tallies depend on: a flush that changes none of them (a handler, a due date) costs nothing here.
WATCHED = frozenset(c.key for c in CASE_COLUMNS) - {"reference", "current_due", "stage1_extended_to", "stage2_extended_to"} | {"region"}
#: The days a step happened on; a closure day changes the working days of steps on or after it.
STEP_DAYS = (Complaint.stage1_acknowledged_on, Complaint.stage1_responded_on, Complaint.stage2_acknowledged_on, Complaint.stage2_responded_on)


def _stage_record(c: RowMapping, s: int, received_on: Any) -> StageRecord:
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


def case_facts_of(c: RowMapping) -> CaseFacts:
    """One complaint's report facts from its row (``CASE_COLUMNS``)."""
    stages = [_stage_record(c, 1, c["received_on"])]
    if c["stage2_requested_on"] is not None:
        stages.append(_stage_record(c, 2, c["stage2_requested_on"]))
    due = c["current_due"] if Status(c["status"]) in OPEN_STATUSES else None
    return CaseFacts(c["reference"], c["channel"], c["category"], c["status"], tuple(stages), c["closed_on"], c["learning"], due)


# -- facts as tallies ------------------------------------------------------------------------------

FACT_NAMES: dict[type, str] = {
    Received: "received",
    AckTime: "acknowledged",
    ResponseTime: "responded",
    Outcome: "outcome",
    Withdrawn: "withdrawn",
    Learned: "learned",
}


def _values(fact: Any) -> list[Any]:
    if isinstance(fact, Received):
        return [fact.category, fact.channel, fact.declined_ground]
    if isinstance(fact, AckTime):
        return [fact.days, fact.within]
    if isinstance(fact, ResponseTime):
        return [fact.days, fact.within_original, fact.within_extended]
    if isinstance(fact, Outcome):
        return [fact.outcome]
    return []  # withdrawn, learned: only how many


def encode(values: list[Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def case_tallies(c: CaseFacts, cal: WorkingCalendar) -> Iterator[TallyKey]:
    """The tallies one complaint adds to, one key per fact (the working days counted with ``cal``)."""
    for year, fact in rules.case_facts_by_year(c):
        timed = fact.timed(cal) if isinstance(fact, rules.Acknowledged | rules.Responded) else fact
        yield year, FACT_NAMES[type(timed)], timed.stage, encode(_values(timed))


@dataclass(frozen=True)
class YearTallies:
    """One reporting year's tallies as report facts (``due`` and the learning entries are read from the record)."""

    facts: Facts
    learning_total: int


def _decode(fact: str, stage: int, key: str, n: int, facts: Facts) -> int:
    """Add one tally to ``facts``; returns the learning entries it counts (0 for other facts)."""
    v = json.loads(key)
    if fact == "received":
        facts.received.append(Received(stage, v[0], v[1], v[2], n))
    elif fact == "acknowledged":
        facts.acknowledged.append(AckTime(stage, v[0], v[1], n))
    elif fact == "responded":
        facts.responded.append(ResponseTime(stage, v[0], v[1], v[2], n))
    elif fact == "outcome":
        facts.outcomes.append(Outcome(stage, v[0], n))
    elif fact == "withdrawn":
        facts.withdrawn.append(Withdrawn(stage, n))
    elif fact == "learned":
        return n
    return 0


def year_tallies(session: Session, year: int, only: Iterable[str] | None = None) -> YearTallies:
    """The year's tallies (or only the facts named in ``only``): one indexed read of a few hundred rows."""
    stmt = select(ReportTally.fact, ReportTally.stage, ReportTally.key, ReportTally.count).where(ReportTally.year == year, ReportTally.count != 0)
    if only is not None:
        stmt = stmt.where(ReportTally.fact.in_(list(only)))
    facts, learned = Facts(), 0
    for fact, stage, key, n in session.execute(stmt):
        learned += _decode(fact, stage, key, n, facts)
    return YearTallies(facts, learned)


# -- counting from the record ----------------------------------------------------------------------


def _closures(conn: Connection) -> frozenset[Any]:
    return frozenset(conn.scalars(select(ClosureDay.day)))


#: Complaint ids per ``IN (...)`` and tallies per upsert: well inside the bound parameters SQLite
#: (32,766 in older builds) and PostgreSQL's protocol (65,535) allow in one statement.
BATCH = 1000


def _count(conn: Connection, where: Any, closures: frozenset[Any], *, lock: bool = False, many: bool = False) -> Counter[TallyKey]:
    """The tallies of the complaints ``where`` selects, as the database holds them now (``many``: read in batches)."""
    stmt = select(Complaint.region, *CASE_COLUMNS).where(where)
    if lock and conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Complaint)
    if many:
        stmt = stmt.execution_options(yield_per=5000)
    out: Counter[TallyKey] = Counter()
    for row in conn.execute(stmt):
        m = row._mapping
        out.update(case_tallies(case_facts_of(m), calendar_for(m["region"], closures)))  # cached per region and closures
    return out


def _count_ids(conn: Connection, ids: list[int], closures: frozenset[Any], *, lock: bool = False) -> Counter[TallyKey]:
    """The tallies of the complaints with these ids (any number of them: read ``BATCH`` at a time)."""
    out: Counter[TallyKey] = Counter()
    for i in range(0, len(ids), BATCH):
        out.update(_count(conn, Complaint.id.in_(ids[i : i + BATCH]), closures, lock=lock))
    return out


def _record_tallies(conn: Connection) -> Counter[TallyKey]:
    return _count(conn, Complaint.id.is_not(None), _closures(conn), many=True)


def _stored_tallies(conn: Connection) -> Counter[TallyKey]:
    rows = conn.execute(select(ReportTally.year, ReportTally.fact, ReportTally.stage, ReportTally.key, ReportTally.count).where(ReportTally.count != 0))
    return Counter({(y, f, s, k): n for y, f, s, k, n in rows})


def record_tallies(session: Session) -> Counter[TallyKey]:
    """Every tally counted afresh from the whole record."""
    return _record_tallies(session.connection())


def stored_tallies(session: Session) -> Counter[TallyKey]:
    return _stored_tallies(session.connection())


def _hold_writers(conn: Connection) -> None:
    """On PostgreSQL, make every other writer of the tallies wait for this transaction to end.

    SHARE ROW EXCLUSIVE conflicts with the ROW EXCLUSIVE lock an upsert takes (and with itself), not
    with readers. Taken before the record is read, so a change committed while the record is being
    counted cannot be lost: either it committed before the lock (and is counted), or its upsert waits
    and then adds its difference to the rows written here. SQLite needs nothing: a transaction there
    holds the database's one write lock from its start (``db.session``).
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE report_tallies IN SHARE ROW EXCLUSIVE MODE"))


def rebuild(session: Session) -> int:
    """Write the tallies afresh from the record (after a bulk load or a repair); returns how many rows."""
    conn = session.connection()
    _hold_writers(conn)
    counted = _record_tallies(conn)
    conn.execute(delete(ReportTally))
    _add(conn, counted)
    return len(+counted)


def _differences(conn: Connection) -> list[str]:
    stored, counted = _stored_tallies(conn), _record_tallies(conn)
    return [
        f"tally {rules.year_label(y)} {fact} stage {stage} {key}: {stored.get(k, 0)} stored, {counted.get(k, 0)} in the record"
        for k in sorted(stored.keys() | counted.keys())
        for y, fact, stage, key in [k]
        if stored.get(k, 0) != counted.get(k, 0)
    ]


def differences(session: Session) -> list[str]:
    """Where the stored tallies differ from the tallies counted from the record, one line per tally.

    Both are read from one snapshot, so a change committed meanwhile cannot show as a difference: on
    PostgreSQL a read-only REPEATABLE READ transaction of its own (the session's READ COMMITTED gives
    each statement a newer snapshot), on SQLite the session's own transaction (it holds the write
    lock, so nothing else commits while it runs). Nothing is locked on PostgreSQL: writers go on.
    """
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return _differences(session.connection())
    with bind.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True) as conn:
        return _differences(conn)


def _add(conn: Connection, delta: Counter[TallyKey]) -> None:
    """Add ``delta`` to the tallies, ``BATCH`` keys per upsert, keys in order (two writers lock rows in the same order)."""
    rows = [{"year": y, "fact": f, "stage": s, "key": k, "count": n} for (y, f, s, k), n in sorted(delta.items()) if n]
    if not rows:
        return
    dialect = conn.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"report tallies need an upsert: {dialect} is not supported")
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    for i in range(0, len(rows), BATCH):
        stmt = insert(ReportTally).values(rows[i : i + BATCH])
        conn.execute(stmt.on_conflict_do_update(index_elements=["year", "fact", "stage", "key"], set_={"count": ReportTally.count + stmt.excluded.count}))


# -- keeping them in step --------------------------------------------------------------------------

_PENDING = "report_tallies_pending"


@dataclass
class _Pending:
    """What ``before_flush`` saw, for ``after_flush`` to finish."""

    complaints: list[Complaint]
    before: Counter[TallyKey]
    closures: frozenset[Any]
    closures_changed: bool


def _changed(obj: Complaint) -> bool:
    attrs = inspect(obj).attrs
    return any(attrs[name].history.has_changes() for name in WATCHED)


def _before_flush(session: Session, _ctx: UOWTransaction, _instances: Any) -> None:
    session.info.pop(_PENDING, None)  # left by a flush that failed
    changed = [o for o in session.dirty if isinstance(o, Complaint) and _changed(o)]
    changed += [o for o in session.deleted if isinstance(o, Complaint)]
    new = [o for o in session.new if isinstance(o, Complaint)]
    closures_changed = any(isinstance(o, ClosureDay) for o in (*session.new, *session.deleted, *session.dirty))
    if not (changed or new or closures_changed):
        return
    conn = session.connection()
    closures = _closures(conn)
    ids = sorted({o.id for o in changed if o.id is not None})
    before = _count_ids(conn, ids, closures, lock=True)
    session.info[_PENDING] = _Pending(changed + new, before, closures, closures_changed)


def _after_flush(session: Session, _ctx: UOWTransaction) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    conn = session.connection()
    closures = _closures(conn) if pending.closures_changed else pending.closures
    ids = sorted({o.id for o in pending.complaints if o.id is not None})
    delta = _count_ids(conn, ids, closures)
    delta.subtract(pending.before)
    if moved := closures ^ pending.closures:
        # A step on or after the earliest day added or removed may now take a different number of
        # working days (the days counted run from the stage's start to the step). The complaints this
        # flush changed are counted above, before with the old calendar and after with the new.
        first = min(moved)
        others = sorted(set(conn.scalars(select(Complaint.id).where(or_(*(day >= first for day in STEP_DAYS))))) - set(ids))
        delta.update(_count_ids(conn, others, closures))
        delta.subtract(_count_ids(conn, others, pending.closures))
    _add(conn, delta)


event.listen(Session, "before_flush", _before_flush)
event.listen(Session, "after_flush", _after_flush)
