"""Service requests (Code 1.4): recorded and monitored apart from complaints; one can lead to a complaint (1.5)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.api.schemas import ServiceRequestComplaintIn, ServiceRequestCreate, ServiceRequestOut, ServiceRequestUpdate
from backend.db.models import Complaint, ServiceRequest
from backend.domain.rules import RuleViolation
from backend.services import complaints
from backend.services.context import CaseContext
from backend.services.records import next_reference, record_event
from backend.services.residents import upsert_resident


def load(session: Session, reference: str) -> ServiceRequest:
    sr = session.scalar(select(ServiceRequest).where(ServiceRequest.reference == reference.strip().upper()))
    if sr is None:
        raise complaints.NotFound(f"no service request with reference {reference!r}")
    return sr


def create(session: Session, ctx: CaseContext, data: ServiceRequestCreate, actor: str) -> ServiceRequest:
    now = ctx.now()
    resident = upsert_resident(session, data.resident, actor, ctx.today()) if data.resident else None
    sr = ServiceRequest(
        reference=next_reference(session, "SR", ctx.local_date(now).year),
        resident_id=resident.id if resident else None,
        service_code=data.service_code,
        description=data.description,
        location=data.location,
        postcode=data.postcode,
        access_notes=data.access_notes,
        problem_since=data.problem_since,
        channel=data.channel,
        status="open",
        requested_at=now,
        updated_at=now,
    )
    session.add(sr)
    session.flush()
    record_event(session, "service_request_opened", actor, service_request_id=sr.id, resident_id=sr.resident_id, service_code=sr.service_code)
    return sr


def update(session: Session, ctx: CaseContext, sr: ServiceRequest, data: ServiceRequestUpdate, actor: str) -> ServiceRequest:
    if sr.status == "closed" and data.status == "closed":
        raise RuleViolation("already_closed", "state", f"service request {sr.reference} is already closed", kind="conflict")
    sr.status = data.status
    sr.status_notes = data.status_notes or sr.status_notes
    if data.expected_at is not None:
        sr.expected_at = data.expected_at
    sr.updated_at = ctx.now()
    record_event(session, "service_request_updated", actor, service_request_id=sr.id, status=data.status, notes=data.status_notes)
    return sr


def raise_complaint(session: Session, ctx: CaseContext, sr: ServiceRequest, data: ServiceRequestComplaintIn, actor: str) -> Complaint:
    """Code 1.5: a complaint about how the request is handled; the request stays open and carries on."""
    if data.resident is not None:
        resident = upsert_resident(session, data.resident, actor, ctx.today())
    elif sr.resident is not None:
        resident = sr.resident
    else:
        raise RuleViolation("resident_required", "1.5", "this service request has no resident: say who is complaining")
    c = complaints.open_complaint(
        session,
        ctx,
        resident=resident,
        representative=None,
        channel=data.channel,
        received_at=ctx.now(),
        points=data.definition.points,
        outcomes=data.definition.outcomes,
        confirmed_by_resident=data.definition.confirmed_by_resident,
        actor=actor,
        service_requests=[sr],
        postcode=sr.postcode,
    )
    c.impact = data.impact
    c.category = sr.service_code
    record_event(
        session,
        "service_request_complaint_raised",
        actor,
        service_request_id=sr.id,
        complaint_reference=c.reference,
        service_request_status=sr.status,
        category=c.category,
    )
    return c


def view(sr: ServiceRequest) -> ServiceRequestOut:
    return ServiceRequestOut(
        service_request_id=sr.reference,
        service_code=sr.service_code,
        description=sr.description,
        address=sr.location,
        postcode=sr.postcode,
        status=sr.status,
        status_notes=sr.status_notes,
        requested_datetime=sr.requested_at,
        updated_datetime=sr.updated_at,
        expected_datetime=sr.expected_at,
        complaint_refs=[c.reference for c in sr.complaints],
        channel=sr.channel,
    )
