"""A subject-access export: everything the landlord holds on one resident (UK GDPR Art. 15).

``gather`` is the one answer to "which rows are this resident's": the export prints them, and
anonymisation (``backend.services.retention``) changes exactly them, so what a resident can ask to
see and what is erased after the retention period can never drift apart.

A resident's rows are: the resident; their channel identities, adjustments, representatives and
contact restrictions; their complaints with every definition version, every letter, every remedy or
action and every event; their service requests (and a request with no resident that one of their
complaints is about) with their events; their conversations, and conversations from one of their
numbers that were never linked to anyone, with every message; the complaint offers and handoffs on
those conversations (or naming their cases); and the events about the resident or their handoffs.
Nothing is read from another resident's record: a conversation linked to someone else is theirs,
even when it came from a number this resident also used.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, inspect, or_, select
from sqlalchemy.orm import Session

from backend.db.models import (
    Complaint,
    ComplaintAction,
    ComplaintDefinition,
    ComplaintOffer,
    ContactIdentity,
    ContactRestriction,
    Conversation,
    Correspondence,
    Event,
    HandoffRequest,
    Message,
    ReasonableAdjustment,
    Representative,
    Resident,
    ServiceRequest,
    complaint_service_requests,
)
from backend.domain import retention as rules
from backend.services.context import CaseContext
from backend.services.records import record_event

#: Events this module and retention write; reading or erasing the record is not activity on it.
PRIVACY_EVENTS = ("subject_access_export", "resident_anonymised")


@dataclass
class ResidentRecord:
    """Every row held on one resident, loaded once."""

    resident: Resident
    identities: list[ContactIdentity] = field(default_factory=list)
    adjustments: list[ReasonableAdjustment] = field(default_factory=list)
    representatives: list[Representative] = field(default_factory=list)
    restrictions: list[ContactRestriction] = field(default_factory=list)
    complaints: list[Complaint] = field(default_factory=list)
    definitions: list[ComplaintDefinition] = field(default_factory=list)
    correspondence: list[Correspondence] = field(default_factory=list)
    actions: list[ComplaintAction] = field(default_factory=list)
    service_requests: list[ServiceRequest] = field(default_factory=list)
    conversations: list[Conversation] = field(default_factory=list)
    messages: list[Message] = field(default_factory=list)
    offers: list[ComplaintOffer] = field(default_factory=list)
    handoffs: list[HandoffRequest] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many rows of each kind (for the export's summary and the record of it)."""
        return {name: len(getattr(self, name)) for name in _COUNTED}


_COUNTED = (
    "identities",
    "adjustments",
    "representatives",
    "restrictions",
    "complaints",
    "definitions",
    "correspondence",
    "actions",
    "service_requests",
    "conversations",
    "messages",
    "offers",
    "handoffs",
    "events",
)


def _all(session: Session, stmt: Any) -> list[Any]:
    return list(session.scalars(stmt))


def conversations_of(session: Session, resident: Resident, identities: list[ContactIdentity]) -> list[Conversation]:
    """Linked to the resident, or never linked and from one of their numbers (a conversation
    started before the number was on their record)."""
    from_numbers = [and_(Conversation.channel == i.channel, Conversation.address == i.address) for i in identities]
    where = Conversation.resident_id == resident.id
    if from_numbers:
        where = or_(where, and_(Conversation.resident_id.is_(None), or_(*from_numbers)))
    return _all(session, select(Conversation).where(where).order_by(Conversation.id))


def gather(session: Session, resident: Resident) -> ResidentRecord:
    """Every row held on ``resident``, each kind in the order it was recorded."""
    rid = resident.id
    r = ResidentRecord(resident)
    r.identities = _all(session, select(ContactIdentity).where(ContactIdentity.resident_id == rid).order_by(ContactIdentity.id))
    r.adjustments = _all(session, select(ReasonableAdjustment).where(ReasonableAdjustment.resident_id == rid).order_by(ReasonableAdjustment.id))
    r.representatives = _all(session, select(Representative).where(Representative.resident_id == rid).order_by(Representative.id))
    r.restrictions = _all(session, select(ContactRestriction).where(ContactRestriction.resident_id == rid).order_by(ContactRestriction.id))
    r.complaints = _all(session, select(Complaint).where(Complaint.resident_id == rid).order_by(Complaint.id))
    cids = [c.id for c in r.complaints]
    refs = [c.reference for c in r.complaints]
    r.definitions = _all(session, select(ComplaintDefinition).where(ComplaintDefinition.complaint_id.in_(cids)).order_by(ComplaintDefinition.id))
    r.correspondence = _all(session, select(Correspondence).where(Correspondence.complaint_id.in_(cids)).order_by(Correspondence.id))
    r.actions = _all(session, select(ComplaintAction).where(ComplaintAction.complaint_id.in_(cids)).order_by(ComplaintAction.id))
    # their requests, and a request nobody was named on that one of their complaints is about
    about_theirs = select(complaint_service_requests.c.service_request_id).where(complaint_service_requests.c.complaint_id.in_(cids))
    r.service_requests = _all(
        session,
        select(ServiceRequest)
        .where(or_(ServiceRequest.resident_id == rid, and_(ServiceRequest.resident_id.is_(None), ServiceRequest.id.in_(about_theirs))))
        .order_by(ServiceRequest.id),
    )
    sids = [s.id for s in r.service_requests]
    sr_refs = [s.reference for s in r.service_requests]
    r.conversations = conversations_of(session, resident, r.identities)
    conv_ids = [c.id for c in r.conversations]
    public_ids = [c.public_id for c in r.conversations]
    r.messages = _all(session, select(Message).where(Message.conversation_id.in_(conv_ids)).order_by(Message.id))
    r.offers = _all(
        session,
        select(ComplaintOffer)
        .where(or_(ComplaintOffer.conversation_id.in_(public_ids), ComplaintOffer.complaint_ref.in_(refs), ComplaintOffer.service_request_ref.in_(sr_refs)))
        .order_by(ComplaintOffer.id),
    )
    r.handoffs = _all(
        session,
        select(HandoffRequest)
        .where(or_(HandoffRequest.conversation_pk.in_(conv_ids), HandoffRequest.conversation_id.in_(public_ids)))
        .order_by(HandoffRequest.id),
    )
    hids = [h.id for h in r.handoffs]
    about = [Event.resident_id == rid, Event.complaint_id.in_(cids), Event.service_request_id.in_(sids)]
    if hids:  # handoff events name the handoff in their details only (a scan of the events, so only when there are any)
        about.append(Event.details["handoff_id"].as_integer().in_(hids))
    r.events = _all(session, select(Event).where(or_(*about)).order_by(Event.id))
    return r


# -- the export -------------------------------------------------------------------------------------


def _value(v: Any) -> Any:
    if isinstance(v, dt.datetime | dt.date):
        return v.isoformat()
    return v


def row(obj: Any) -> dict[str, Any]:
    """Every column of a row, by attribute name: a new column is exported without anyone remembering to."""
    return {attr.key: _value(getattr(obj, attr.key)) for attr in inspect(obj).mapper.column_attrs}


def _by(items: list[Any], key: str) -> dict[Any, list[dict[str, Any]]]:
    out: dict[Any, list[dict[str, Any]]] = {}
    for item in items:
        out.setdefault(getattr(item, key), []).append(row(item))
    return out


def export(r: ResidentRecord, *, generated_at: dt.datetime, generated_by: str, retention: dict[str, Any]) -> dict[str, Any]:
    """The record as one JSON document: each complaint with its definitions, letters, actions and
    events; each service request and conversation with theirs; then everything else."""
    definitions, letters, actions = _by(r.definitions, "complaint_id"), _by(r.correspondence, "complaint_id"), _by(r.actions, "complaint_id")
    messages = _by(r.messages, "conversation_id")
    complaint_ids = {c.id for c in r.complaints}
    sr_ids = {s.id for s in r.service_requests}
    complaint_events: dict[int, list[dict[str, Any]]] = {}
    sr_events: dict[int, list[dict[str, Any]]] = {}
    other_events: list[dict[str, Any]] = []
    for e in r.events:  # each event once: under its complaint, else its service request, else at the top
        if e.complaint_id in complaint_ids:
            complaint_events.setdefault(e.complaint_id, []).append(row(e))
        elif e.service_request_id in sr_ids:
            sr_events.setdefault(e.service_request_id, []).append(row(e))
        else:
            other_events.append(row(e))
    return {
        "resident_id": r.resident.id,
        "generated_at": generated_at.isoformat(),
        "generated_by": generated_by,
        "counts": r.counts(),
        "resident": row(r.resident),
        "identities": [row(i) for i in r.identities],
        "adjustments": [row(a) for a in r.adjustments],
        "disclosed_needs": list(r.resident.disclosed_needs or []),
        "representatives": [row(p) for p in r.representatives],
        "contact_restrictions": [row(x) for x in r.restrictions],
        "complaints": [
            {
                **row(c),
                "service_request_refs": [s.reference for s in c.service_requests],
                "definitions": definitions.get(c.id, []),
                "correspondence": letters.get(c.id, []),
                "actions": actions.get(c.id, []),
                "events": complaint_events.get(c.id, []),
            }
            for c in r.complaints
        ],
        "service_requests": [{**row(s), "complaint_refs": [c.reference for c in s.complaints], "events": sr_events.get(s.id, [])} for s in r.service_requests],
        "conversations": [{**row(c), "messages": messages.get(c.id, [])} for c in r.conversations],
        "complaint_offers": [row(o) for o in r.offers],
        "handoffs": [row(h) for h in r.handoffs],
        "events": other_events,
        "retention": retention,
    }


def subject_access(session: Session, ctx: CaseContext, resident: Resident, actor: str, years: int) -> dict[str, Any]:
    """Export the resident's record and record that it was exported (who, when, how much; no contents)."""
    from backend.services.retention import holdings  # here: retention builds on this module

    r = gather(session, resident)
    decision = rules.decide(holdings(session, ctx, [resident.id]).get(resident.id, rules.Holding(())), years, ctx.today())
    retention = {"retention_years": years, "due": decision.due, "anonymise_on": _value(decision.due_on), "reason": decision.reason}
    document = export(r, generated_at=ctx.now(), generated_by=actor, retention=retention)
    record_event(session, "subject_access_export", actor, resident_id=resident.id, counts=r.counts())
    return document
