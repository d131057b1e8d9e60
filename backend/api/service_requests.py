"""Service requests: the Code 1.4 register, kept apart from complaints."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from backend.api.deps import CtxDep, IntakeDep, SessionDep, StaffDep
from backend.api.idempotency import IdempotencyKeyHeader, create_once
from backend.api.lookup import verify_resident
from backend.api.schemas import (
    ComplaintOut,
    ServiceRequestComplaintIn,
    ServiceRequestCreate,
    ServiceRequestOut,
    ServiceRequestUpdate,
)
from backend.db.models import ServiceRequest
from backend.services import complaints
from backend.services import service_requests as svc

router = APIRouter(prefix="/api/v1/service-requests", tags=["service requests"])


@router.post("", response_model=ServiceRequestOut, status_code=201)
def create(
    data: ServiceRequestCreate,
    session: SessionDep,
    ctx: CtxDep,
    who: IntakeDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> object:
    return create_once(
        session,
        response,
        scope="service_request",
        key=idempotency_key,
        payload=data,
        make=lambda: svc.create(session, ctx, data, who.actor).reference,
        existing=lambda ref: svc.view(svc.load(session, ref)),
    )


@router.get("", response_model=list[ServiceRequestOut])
def register(
    session: SessionDep,
    _: StaffDep,
    status: Annotated[str | None, Query(pattern="^(open|in_progress|closed)$")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[ServiceRequestOut]:
    """The register, oldest first, so the longest-waiting requests are seen (Code 1.4)."""
    stmt = select(ServiceRequest).order_by(ServiceRequest.requested_at, ServiceRequest.id).limit(limit)
    if status:
        stmt = stmt.where(ServiceRequest.status == status)
    return [svc.view(sr) for sr in session.scalars(stmt)]


@router.get("/{reference}", response_model=ServiceRequestOut)
def get(reference: str, session: SessionDep, _: StaffDep) -> ServiceRequestOut:
    return svc.view(svc.load(session, reference))


@router.patch("/{reference}", response_model=ServiceRequestOut)
def update(reference: str, data: ServiceRequestUpdate, session: SessionDep, ctx: CtxDep, who: StaffDep) -> ServiceRequestOut:
    return svc.view(svc.update(session, ctx, svc.load(session, reference), data, who.actor))


@router.post("/{reference}/complaint", response_model=ComplaintOut, status_code=201)
def raise_complaint(
    reference: str,
    data: ServiceRequestComplaintIn,
    request: Request,
    session: SessionDep,
    ctx: CtxDep,
    who: IntakeDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> object:
    """Code 1.5: dissatisfaction with how this request is handled becomes a stage 1 complaint; the request stays open.

    The action server proves the resident with the request's postcode, as for a complaint lookup."""
    verify_resident(request, ctx, who, reference, data.postcode, data.client_id)
    sr = svc.load(session, reference)
    return create_once(
        session,
        response,
        scope=f"sr_complaint:{sr.reference}",
        key=idempotency_key,
        payload=data,
        make=lambda: svc.raise_complaint(session, ctx, sr, data, who.actor).reference,
        existing=lambda ref: complaints.view(session, ctx, complaints.load(session, ref), redact=who.kind == "service"),
    )
