"""The complaints officer's casework: the work queue, the service request register, a case's timeline,
remedies and outstanding actions, and the resident's adjustments and contact restrictions.

Officers and managers only. Include this router before the service-requests router, so
``/service-requests/register`` is not read as a request reference.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from backend.api.casework_schemas import (
    ActionDoneIn,
    ActionIn,
    ActionOut,
    AdjustmentPatch,
    RegisterItem,
    RestrictionEndIn,
    RestrictionIn,
    TimelineEntry,
    WorkQueueOut,
)
from backend.api.deps import CtxDep, OfficerDep, SessionDep
from backend.api.schemas import AdjustmentIn, ResidentOut
from backend.domain.complaints import Status
from backend.services import complaints, remedies, restrictions, timeline, work_queue
from backend.services.residents import resident_out

router = APIRouter(tags=["casework"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
STATUS_PATTERN = "^(open|all|" + "|".join(s.value for s in Status) + ")$"


@router.get("/api/v1/complaints", response_model=WorkQueueOut)
def queue(
    session: SessionDep,
    ctx: CtxDep,
    _: OfficerDep,
    stage: Annotated[int | None, Query(ge=1, le=2)] = None,
    status: Annotated[str | None, Query(pattern=STATUS_PATTERN, description="a status, 'open' (the default) or 'all'")] = None,
    rag: Literal["red", "amber", "green"] | None = None,
    handler_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    category: Annotated[str | None, Query(max_length=60)] = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    needs: Annotated[bool | None, Query(description="disclosed needs or reasonable adjustments on record")] = None,
    representative: bool | None = None,
    region: Annotated[str | None, Query(max_length=30)] = None,
    q: Annotated[str | None, Query(max_length=100, description="reference, resident name or postcode; searches closed cases too")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> WorkQueueOut:
    """The work queue: new cases first by acknowledgement deadline, then by days remaining, with red/amber counts."""
    filters = work_queue.QueueFilters(
        stage=stage,
        status=status,
        rag=rag,
        handler_id=handler_id,
        category=category or None,
        channel=channel or None,
        needs=needs,
        representative=representative,
        region=region or None,
        q=(q or "").strip() or None,
    )
    return work_queue.work_queue(session, ctx, filters, limit=limit, offset=offset)


@router.get("/api/v1/service-requests/register", response_model=list[RegisterItem])
def register(
    session: SessionDep,
    ctx: CtxDep,
    _: OfficerDep,
    status: Annotated[str | None, Query(pattern="^(open|in_progress|closed|all)$", description="left out: everything not closed")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[RegisterItem]:
    """The service request register (Code 1.4): oldest first, with age and linked complaints."""
    return work_queue.service_request_register(session, ctx, status, limit=limit, offset=offset)


@router.get("/api/v1/complaints/{reference}/timeline", response_model=list[TimelineEntry])
def case_timeline(reference: str, session: SessionDep, _: OfficerDep) -> list[TimelineEntry]:
    """Every event, letter and message of the case, oldest first (Code 5.12); staff notes shown as ``note``."""
    return timeline.timeline(session, complaints.load(session, reference))


@router.get("/api/v1/complaints/{reference}/actions", response_model=list[ActionOut])
def list_actions(reference: str, session: SessionDep, ctx: CtxDep, _: OfficerDep) -> list[ActionOut]:
    return remedies.list_actions(session, ctx, complaints.load(session, reference))


@router.post("/api/v1/complaints/{reference}/actions", response_model=ActionOut, status_code=201)
def add_action(reference: str, data: ActionIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> ActionOut:
    """A remedy or outstanding action (Code 5.13, 6.6, 7.1-7.3); a financial remedy states its amount in pence."""
    c = complaints.load(session, reference, for_update=True)
    return remedies.add_action(session, ctx, c, data, who.actor)


@router.post("/api/v1/complaints/{reference}/actions/{action_id}/done", response_model=ActionOut)
def action_done(reference: str, action_id: Id, data: ActionDoneIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> ActionOut:
    """Done, with the update to the resident (Code 6.6); the update is prepared as a letter (``letter_id``) to send."""
    c = complaints.load(session, reference, for_update=True)
    return remedies.mark_done(session, ctx, c, action_id, data, who.actor)


@router.post("/api/v1/residents/{resident_id}/adjustments", response_model=ResidentOut, status_code=201)
def add_adjustment(resident_id: Id, data: AdjustmentIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> ResidentOut:
    """Record a reasonable adjustment with its review date (Code 5.10); the resident's record comes back."""
    r = restrictions.load_resident(session, resident_id)
    restrictions.add_adjustment(session, ctx, r, data, who.actor)
    return resident_out(r, ctx.today())


@router.patch("/api/v1/residents/{resident_id}/adjustments/{adjustment_id}", response_model=ResidentOut)
def update_adjustment(resident_id: Id, adjustment_id: Id, data: AdjustmentPatch, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> ResidentOut:
    """Agree an adjustment, reword it, or set its next review (kept under active review, Code 5.10)."""
    r = restrictions.load_resident(session, resident_id)
    restrictions.update_adjustment(session, ctx, r, adjustment_id, data, who.actor)
    return resident_out(r, ctx.today())


@router.post("/api/v1/residents/{resident_id}/contact-restrictions", response_model=ResidentOut, status_code=201)
def restrict_contact(resident_id: Id, data: RestrictionIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> ResidentOut:
    """Restrict contact for unacceptable behaviour (Code 5.14 / 5.15): reasons, Equality Act regard, review within 6 months.

    It never stops the resident complaining: their complaints carry on through both stages.
    """
    r = restrictions.load_resident(session, resident_id)
    restrictions.restrict_contact(session, ctx, r, data, who.actor)
    return resident_out(r, ctx.today())


@router.post("/api/v1/residents/{resident_id}/contact-restrictions/{restriction_id}/end", response_model=ResidentOut)
def end_restriction(resident_id: Id, restriction_id: Id, data: RestrictionEndIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> ResidentOut:
    """End a restriction with the reason; it stays on the record."""
    r = restrictions.load_resident(session, resident_id)
    restrictions.end_restriction(session, ctx, r, restriction_id, data, who.actor)
    return resident_out(r, ctx.today())
