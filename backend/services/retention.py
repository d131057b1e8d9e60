"""Anonymising residents' records after the retention period, keeping every statistic.

What is replaced (with ``domain.retention.MARKER``, or emptied where a field is optional): names,
contact details and addresses; identities are deleted, so the resident's old number or chat starts a
new, unlinked conversation; every piece of free text written by or about the resident: the
definitions' points, outcomes and summaries, impact, earlier reports, decline reasons, letter
bodies and items, remedy descriptions and updates, service-request descriptions and notes, contact
restrictions' wording, disclosed needs and adjustment details, offers' context, handoff drafts and
every message's text; and every string in an event's details except the report facts.

What is kept: every date, status, stage, category, channel, service code, decision, decline
ground, timeliness flag, amount and count; references and ids; who on the staff acted; and every
event with its type, time and the facts the reports rebuild from (so ``/reports/reconcile`` still
matches). The learning recorded at close stays too: it is the landlord's learning (Code 9.1), reported
in the learning log, and written by staff about the service, not about the resident.

A record is anonymised once: a resident with a ``resident_anonymised`` event is skipped, and
running ``anonymise`` on the record again changes nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, update
from sqlalchemy.orm import Session

from backend.db.models import (
    Complaint,
    ComplaintAction,
    ContactIdentity,
    ContactRestriction,
    Conversation,
    Correspondence,
    Event,
    HandoffRequest,
    Message,
    Resident,
    ServiceRequest,
)
from backend.db.session import APPEND_ONLY
from backend.domain import retention as rules
from backend.domain.complaints import OPEN_STATUSES
from backend.domain.retention import MARKER, Holding
from backend.services.context import CaseContext
from backend.services.rasa_trackers import TrackerEraser
from backend.services.records import record_event
from backend.services.subject_access import ResidentRecord, gather

log = logging.getLogger("backend.retention")

#: Event detail keys whose values are report facts or references, never personal text: kept as they
#: are. Every other string in an event's details is replaced (numbers, flags and nulls are kept).
FACT_KEYS = frozenset(
    {
        # what the reports rebuild from (backend/services/reports_rebuild.py)
        "reference",
        "channel",
        "received_at",
        "category",
        "complaint_reference",
        "acknowledged_on",
        "within_timescale",
        "stage",
        "new_due",
        "previous_due",
        "respond_by",
        "ground",
        "responded_on",
        "decision",
        "within_original_timescale",
        "within_timescale_including_extension",
        "closed_on",
        "learning",
        "withdrawn_on",
        # other facts, categories and references
        "kind",
        "route",
        "status",
        "service_code",
        "service_request_status",
        "type",
        "review_on",
        "due_on",
        "happened_on",
        "aware_on",
        "legal_proceedings",
        "relationship",
        "authority_status",
        "previously_considered_ref",
        "new_reference",
        "related_to",
        "service_requests",
        "adjustments_added",
        "edited_items",
        "counts",
    }
)
OPEN_HANDOFF = ("queued", "claimed")
WITH_A_PERSON = ("queue", "agent")


# -- the rule's inputs, for many residents at once ---------------------------------------------------


class _Acc:
    """Collects, per resident, the dates on their record and the things still open, from grouped queries."""

    def __init__(self, session: Session, ctx: CaseContext, resident_ids: Collection[int] | None) -> None:
        self.session, self.ctx, self.ids = session, ctx, resident_ids
        self.dates: dict[int, list[dt.date]] = {}
        self.open_items: dict[int, list[str]] = {}

    def _rows(self, stmt: Select[Any], whose: Any) -> Iterable[Any]:
        return self.session.execute(stmt if self.ids is None else stmt.where(whose.in_(list(self.ids))))

    def latest(self, whose: Any, stmt: Select[Any]) -> None:
        """``stmt`` selects (whose, latest date, latest date...) grouped by whose."""
        for rid, *values in self._rows(stmt, whose):
            if rid is None:
                continue
            days = self.dates.setdefault(rid, [])
            days.extend(self.ctx.local_date(v) if isinstance(v, dt.datetime) else v for v in values if v is not None)

    def still_open(self, whose: Any, stmt: Select[Any], label: str) -> None:
        """``stmt`` selects (whose, what) for each open thing; ``label`` names it with ``{}``."""
        for rid, what in self._rows(stmt, whose):
            if rid is not None:
                self.open_items.setdefault(rid, []).append(label.format(what))


#: Two ways a conversation is a resident's (as in ``subject_access.conversations_of``): linked to
#: them, or never linked and from one of their numbers. Each: (whose it is, join the identity?, condition).
_CONVERSATION_OWNERS: tuple[tuple[Any, bool, ColumnElement[bool]], ...] = (
    (Conversation.resident_id, False, Conversation.resident_id.is_not(None)),
    (ContactIdentity.resident_id, True, Conversation.resident_id.is_(None)),
)


def _of_conversations(whose: Any, by_number: bool, cond: ColumnElement[bool], base: Any, *cols: Any) -> Select[Any]:
    """(whose, *cols) over ``base``: conversations, or their messages or handoffs, owned one of the two ways."""
    stmt = select(whose, *cols).select_from(base)
    if base is Message:
        stmt = stmt.join(Conversation, Message.conversation_id == Conversation.id)
    elif base is HandoffRequest:
        stmt = stmt.join(Conversation, HandoffRequest.conversation_pk == Conversation.id)
    if by_number:
        stmt = stmt.join(ContactIdentity, (ContactIdentity.channel == Conversation.channel) & (ContactIdentity.address == Conversation.address))
    return stmt.where(cond)


def _case_dates(acc: _Acc) -> None:
    """Complaints, the actions promised on them and the letters sent; service requests; restrictions."""
    rid = Complaint.resident_id
    acc.latest(rid, select(rid, func.max(Complaint.received_at), func.max(Complaint.updated_at), func.max(Complaint.closed_on)).group_by(rid))
    acc.still_open(rid, select(rid, Complaint.reference).where(Complaint.status.in_([s.value for s in OPEN_STATUSES])), "complaint {}")
    acc.latest(rid, select(rid, func.max(ComplaintAction.updated_at), func.max(ComplaintAction.done_on)).join(Complaint).group_by(rid))
    acc.still_open(rid, select(rid, Complaint.reference).join(ComplaintAction).where(ComplaintAction.status == "open"), "an action promised on {}")
    # a letter is prepared by a command that updates its complaint or action; sending it later is activity of its own
    acc.latest(rid, select(rid, func.max(Correspondence.delivered_at)).join(Complaint).group_by(rid))
    srid = ServiceRequest.resident_id
    acc.latest(srid, select(srid, func.max(ServiceRequest.requested_at), func.max(ServiceRequest.updated_at)).group_by(srid))
    acc.still_open(srid, select(srid, ServiceRequest.reference).where(ServiceRequest.status != "closed"), "service request {}")
    xid = ContactRestriction.resident_id
    acc.latest(xid, select(xid, func.max(ContactRestriction.decided_at), func.max(ContactRestriction.ended_at)).group_by(xid))


def _conversation_dates(acc: _Acc) -> None:
    """Conversations, their messages and handoffs; one with (or waiting for) a person is open."""
    for whose, by_number, cond in _CONVERSATION_OWNERS:
        q = partial(_of_conversations, whose, by_number, cond)
        acc.latest(whose, q(Conversation, func.max(Conversation.created_at), func.max(Conversation.last_inbound_at)).group_by(whose))
        acc.latest(whose, q(Message, func.max(Message.created_at)).group_by(whose))
        acc.latest(whose, q(HandoffRequest, func.max(HandoffRequest.requested_at), func.max(HandoffRequest.ended_at)).group_by(whose))
        with_person = q(Conversation, Conversation.id).where(Conversation.status == "open", Conversation.owner.in_(WITH_A_PERSON))
        acc.still_open(whose, with_person, "conversation {} with a person")
        acc.still_open(whose, q(HandoffRequest, HandoffRequest.id).where(HandoffRequest.status.in_(OPEN_HANDOFF)), "handoff {} for a person")


def holdings(session: Session, ctx: CaseContext, resident_ids: Collection[int] | None = None) -> dict[int, Holding]:
    """The retention rule's inputs for every resident (or the given ones): a few grouped queries,
    not one per resident, so a nightly run over 100,000 residents stays quick."""
    acc = _Acc(session, ctx, resident_ids)
    residents = select(Resident.id, Resident.created_at)
    if resident_ids is not None:
        residents = residents.where(Resident.id.in_(list(resident_ids)))
    _case_dates(acc)
    _conversation_dates(acc)
    out = {}
    for rid, created_at in session.execute(residents):
        days = acc.dates.get(rid) or [ctx.local_date(created_at)]  # a record with nothing else counts from its creation
        out[rid] = Holding.of(days, sorted(set(acc.open_items.get(rid, []))))
    return out


# -- anonymising one record --------------------------------------------------------------------------


def redact(value: Any) -> Any:
    """Personal text replaced, the shape kept: strings become the marker, lists and dicts keep their
    length and keys; numbers, flags and nulls are not personal and stay."""
    if isinstance(value, str):
        return MARKER if value else value
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    return value


def redact_details(details: dict[str, Any]) -> dict[str, Any]:
    """An event's details with every string replaced except the report facts (``FACT_KEYS``)."""
    return {k: v if k in FACT_KEYS else redact(v) for k, v in (details or {}).items()}


class _Changes:
    """Sets fields only when they differ, counting the rows changed (so a second run counts nothing).

    Events, definitions and letters are append-only (``backend.db.session`` refuses to flush a change
    to them, Code 5.12). Erasure after the retention period is the one rewrite the law requires of
    them, so it is made here, deliberately, as a direct UPDATE of the personal text only: every date,
    fact and row stays, and nothing else in the code can do the same by accident.
    """

    def __init__(self, session: Session, dry_run: bool) -> None:
        self.session, self.dry_run = session, dry_run
        self.counts: Counter[str] = Counter()

    def set(self, kind: str, obj: Any, **values: Any) -> None:
        changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if not changed:
            return
        self.counts[kind] += 1
        if self.dry_run:
            return
        if isinstance(obj, APPEND_ONLY):
            table = type(obj).__table__
            self.session.execute(update(table).where(table.c.id == obj.id).values(**changed))
            self.session.expire(obj)
            return
        for k, v in changed.items():
            setattr(obj, k, v)


def _text(value: str | None) -> str | None:
    """The marker for text that was given; an empty field stays empty (there was nothing to erase)."""
    return MARKER if value else value


def _texts(values: Iterable[str] | None) -> list[str]:
    return [MARKER for _ in values or []]


def _person(ch: _Changes, record: ResidentRecord) -> None:
    """The resident, the people acting for them, their needs, adjustments and restrictions."""
    ch.set(
        "residents",
        record.resident,
        name=MARKER,
        address=None,
        postcode=None,
        postcode_norm=None,
        tenancy_ref=None,
        email=None,
        phone=None,
        preferred_contact_method=None,
        contact_times=None,
        disclosed_needs=[],
        consent_to_record_needs=False,
    )
    for a in record.adjustments:
        ch.set("adjustments", a, detail=_text(a.detail))
    for p in record.representatives:
        ch.set("representatives", p, name=MARKER, organisation=_text(p.organisation), contact=None, authority_method=_text(p.authority_method))
    for x in record.restrictions:
        texts = {k: _text(getattr(x, k)) for k in ("restriction", "reasons", "equality_considerations", "end_reason")}
        ch.set("contact_restrictions", x, **texts)


def _cases(ch: _Changes, record: ResidentRecord) -> None:
    """Complaints, their definitions, letters and actions, and service requests: the text goes, the facts stay."""
    for c in record.complaints:
        texts = {k: _text(getattr(c, k)) for k in ("when_described", "impact", "earlier_reports", "decline_reasons")}
        ch.set("complaints", c, postcode_norm=None, **texts)
    for d in record.definitions:
        texts = {k: _text(getattr(d, k)) for k in ("officer_summary", "landlord_responsible", "not_landlord_responsible")}
        ch.set("definitions", d, points=_texts(d.points), outcomes=_texts(d.outcomes), **texts)
    for n in record.correspondence:
        ch.set("correspondence", n, body=_text(n.body), details=redact(n.details or {}))
    for a in record.actions:
        ch.set("actions", a, description=_text(a.description), resident_update=_text(a.resident_update))
    for s in record.service_requests:
        texts = {k: _text(getattr(s, k)) for k in ("description", "access_notes", "problem_since", "status_notes")}
        ch.set("service_requests", s, location=None, postcode=None, **texts)


def _contact(ch: _Changes, record: ResidentRecord) -> None:
    """Conversations and every message, offers and handoffs, and the events' personal text."""
    for conv in record.conversations:
        # closed, so its old address can never be found open again (and the open-address index holds)
        ch.set("conversations", conv, address=MARKER, status="closed", pending_choices=[])
    for m in record.messages:
        ch.set("messages", m, text=_text(m.text), payload=redact(m.payload or {}), last_error=_text(m.last_error))
    for o in record.offers:
        ch.set("complaint_offers", o, context=_text(o.context))
    for h in record.handoffs:
        ch.set("handoffs", h, last_message=_text(h.last_message), draft=redact(h.draft or {}), outcome=_text(h.outcome))
    for e in record.events:
        ch.set("events", e, details=redact_details(e.details))


def anonymise(session: Session, record: ResidentRecord, *, dry_run: bool = False) -> dict[str, int]:
    """Replace the personal data in one resident's record; return how many rows of each kind changed
    (in a dry run, would change)."""
    ch = _Changes(session, dry_run)
    _person(ch, record)
    if record.identities:
        ch.counts["identities_deleted"] += len(record.identities)
        if not dry_run:
            record.resident.identities.clear()  # delete-orphan: the rows go, so the number or chat never links again
    _cases(ch, record)
    _contact(ch, record)
    if not dry_run:
        session.flush()
    return dict(ch.counts)


def anonymised_ids(session: Session) -> set[int]:
    """Residents already anonymised, from the record of it (not from the name: a resident could give
    the marker as their name, and must not escape the retention rule by doing so)."""
    return {rid for rid in session.scalars(select(Event.resident_id).where(Event.type == "resident_anonymised")) if rid is not None}


# -- the run ---------------------------------------------------------------------------------------


@dataclass
class RunResult:
    dry_run: bool
    retention_years: int
    today: dt.date
    checked: int
    anonymised: list[int]  # resident ids: what was (or, in a dry run, would be) anonymised
    kept_open: int  # past the period but something is still open
    not_yet_due: int
    already_anonymised: int
    more_due: int  # due, but beyond this run's limit
    counts: dict[str, int]


#: Residents rechecked and anonymised together (one lock and one set of grouped queries per batch).
BATCH = 200


def _forget(session: Session, record: ResidentRecord) -> None:
    """Let go of a finished record's rows, so a long run does not carry (and re-check at every
    flush) everything it has already done."""
    for name in ("identities", "adjustments", "representatives", "restrictions", "complaints", "definitions", "correspondence", "actions"):
        _expunge(session, getattr(record, name))
    for name in ("service_requests", "conversations", "messages", "offers", "handoffs", "events"):
        _expunge(session, getattr(record, name))
    _expunge(session, [record.resident])


def _expunge(session: Session, objs: Iterable[Any]) -> None:
    for obj in objs:
        if obj in session:
            session.expunge(obj)


def run(
    session: Session, ctx: CaseContext, years: int, actor: str, *, dry_run: bool, limit: int | None = None, trackers: TrackerEraser | None = None
) -> RunResult:
    """Anonymise (or, in a dry run, only count) every record due today; recorded as one event.

    With ``trackers``, the residents' conversations are also deleted from Rasa's tracker store (it
    holds their words too), after our own record is changed and before it is committed: if the commit
    then fails, Rasa has forgotten conversations years old, which costs nothing."""
    rules.check_years(years)
    today = ctx.today()
    already = anonymised_ids(session)
    due: list[int] = []
    kept_open = not_yet = 0
    for rid, holding in sorted(holdings(session, ctx).items()):
        if rid in already:
            continue
        decision = rules.decide(holding, years, today)
        if decision.due:
            due.append(rid)
        elif holding.open_items:
            kept_open += 1
        else:
            not_yet += 1
    chosen = due if limit is None else due[:limit]
    totals: Counter[str] = Counter()
    done: list[int] = []
    senders: list[str] = []
    for start in range(0, len(chosen), BATCH):
        batch = chosen[start : start + BATCH]
        if not dry_run:
            # checked again under the lock: a resident may have been in touch since the run began
            session.execute(select(Resident.id).where(Resident.id.in_(batch)).with_for_update())
            batch = [rid for rid, h in sorted(holdings(session, ctx, batch).items()) if rules.decide(h, years, today).due]
        with session.no_autoflush:
            for rid in batch:
                resident = session.get(Resident, rid)
                if resident is None:
                    continue
                record = gather(session, resident)
                changes = anonymise(session, record, dry_run=dry_run)
                totals.update(changes)
                done.append(rid)
                senders += [c.public_id for c in record.conversations]
                if not dry_run:
                    record_event(session, "resident_anonymised", actor, resident_id=rid, retention_years=years, counts=changes)
                    session.flush()
                _forget(session, record)
    if trackers is not None and senders:
        totals["rasa_tracker_events_deleted"] += trackers.erase(senders, dry_run=dry_run)
    checked = len(due) + kept_open + not_yet + len(already)
    result = RunResult(
        dry_run=dry_run,
        retention_years=years,
        today=today,
        checked=checked,
        anonymised=done,
        kept_open=kept_open,
        not_yet_due=not_yet,
        already_anonymised=len(already),
        more_due=len(due) - len(chosen),
        counts=dict(sorted(totals.items())),
    )
    record_event(
        session,
        "retention_run",
        actor,
        dry_run=dry_run,
        retention_years=years,
        residents=done,
        kept_open=kept_open,
        not_yet_due=not_yet,
        more_due=result.more_due,
        counts=result.counts,
    )
    # counts only: never a name, an address or a message in the logs
    log.info("retention run", extra={"dry_run": dry_run, "years": years, "residents": len(done), "kept_open": kept_open, "not_yet_due": not_yet})
    return result
