"""Complaints: intake (bot or staff), the officer's commands, the queue and the record."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select

from backend.api.deps import CtxDep, IntakeDep, OfficerDep, Principal, SessionDep, StaffDep
from backend.api.idempotency import IdempotencyKeyHeader, create_once
from backend.api.lookup import verify_resident
from backend.api.schemas import (
    AcknowledgeIn,
    AssignHandlerIn,
    AuthorityDecisionIn,
    CloseIn,
    CommandResult,
    ComplaintCreate,
    ComplaintOut,
    DeclineIn,
    DefinitionIn,
    EscalateIn,
    EventOut,
    ExtendIn,
    NoticeOut,
    QueueOut,
    RelatedIssueIn,
    RelatedIssueOut,
    RepresentativeOut,
    ResidentProof,
    RespondIn,
    WithdrawIn,
)
from backend.db.models import Correspondence, Event, Representative
from backend.services import complaints as svc
from backend.services.complaints import NotFound
from backend.services.letters import title_of
from backend.services.residents import decide_authority, representative_out


def _redact(who: Principal) -> bool:
    """The action server gets dates and statuses back, never a resident's personal details."""
    return who.kind == "service"


def _proof(request: Request, ctx: CtxDep, who: Principal, reference: str, proof: ResidentProof) -> None:
    verify_resident(request, ctx, who, reference, proof.postcode, proof.client_id)


router = APIRouter(prefix="/api/v1/complaints", tags=["complaints"])
RefPath = Annotated[str, "complaint reference, e.g. CMP-2026-000123"]


def _notice(n: Correspondence | None) -> NoticeOut | None:
    if n is None:
        return None
    return NoticeOut(
        kind=n.kind,
        body=n.body,
        signposting_version=n.signposting_version,
        created_at=n.created_at,
        id=n.id,
        title=title_of(n),
        delivery=n.delivery,
        delivery_status=n.delivery_status or "prepared",
    )


@router.post("", response_model=ComplaintOut, status_code=201)
def create_complaint(
    data: ComplaintCreate,
    session: SessionDep,
    ctx: CtxDep,
    who: IntakeDep,
    response: Response,
    idempotency_key: IdempotencyKeyHeader = None,
) -> object:
    """Record a complaint received on any channel. Send an Idempotency-Key so a retry never duplicates it."""
    return create_once(
        session,
        response,
        scope="complaint",
        key=idempotency_key,
        payload=data,
        make=lambda: svc.create(session, ctx, data, who.actor).reference,
        existing=lambda ref: svc.view(session, ctx, svc.load(session, ref), redact=_redact(who)),
    )


@router.get("/queue", response_model=QueueOut)
def queue(
    session: SessionDep,
    ctx: CtxDep,
    _: OfficerDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QueueOut:
    """Everything overdue or due soon, the oldest deadline first, with counts of each."""
    return svc.officer_queue(session, ctx, limit=limit, offset=offset)


@router.get("/{reference}", response_model=ComplaintOut)
def get_complaint(
    reference: RefPath,
    request: Request,
    session: SessionDep,
    ctx: CtxDep,
    who: IntakeDep,
    as_representative: bool = False,
    postcode: Annotated[str | None, Query(max_length=10)] = None,
    client_id: Annotated[str | None, Query(max_length=100)] = None,
) -> ComplaintOut:
    """The case with deadlines derived now.

    The action server must prove the resident (``postcode``, ``client_id``) and gets no personal
    details back; ``as_representative`` shows them only once the representative's authority is confirmed.
    """
    if who.kind == "service":
        verify_resident(request, ctx, who, reference, postcode, client_id)
    return svc.view(session, ctx, svc.load(session, reference), redact=_redact(who), as_representative=as_representative)


@router.get("/{reference}/events", response_model=list[EventOut])
def events(reference: RefPath, session: SessionDep, _: StaffDep) -> list[EventOut]:
    """The full append-only record of the case (Code 5.12)."""
    c = svc.load(session, reference)
    rows = session.scalars(select(Event).where(Event.complaint_id == c.id).order_by(Event.id))
    return [EventOut(type=e.type, actor=e.actor, at=e.at, details=e.details) for e in rows]


@router.get("/{reference}/correspondence", response_model=list[NoticeOut])
def correspondence(reference: RefPath, session: SessionDep, _: StaffDep) -> list[NoticeOut]:
    c = svc.load(session, reference)
    rows = session.scalars(select(Correspondence).where(Correspondence.complaint_id == c.id).order_by(Correspondence.id))
    return [n for n in (_notice(r) for r in rows) if n is not None]


def _result(session: SessionDep, ctx: CtxDep, c: svc.Complaint, notice: Correspondence | None = None, *, redact: bool = False) -> CommandResult:
    session.flush()
    return CommandResult(complaint=svc.view(session, ctx, c, redact=redact), notice=_notice(notice))


@router.post("/{reference}/acknowledge", response_model=CommandResult)
def acknowledge(reference: RefPath, data: AcknowledgeIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> CommandResult:
    """Acknowledge, define and log at the current stage (Code 6.2 / 6.11); needs the definition and outcome (5.6)."""
    c = svc.load(session, reference, for_update=True)
    return _result(session, ctx, c, svc.acknowledge(session, ctx, c, data, who.actor, who.user_id))


@router.post("/{reference}/decline", response_model=CommandResult)
def decline(reference: RefPath, data: DeclineIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> CommandResult:
    """Not accept (Code 2.1-2.4) or refuse to escalate (5.11), with reasons and Ombudsman signposting."""
    c = svc.load(session, reference, for_update=True)
    return _result(session, ctx, c, svc.decline(session, ctx, c, data, who.actor, who.user_id))


@router.post("/{reference}/extend", response_model=CommandResult)
def extend(reference: RefPath, data: ExtendIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> CommandResult:
    """Extend the response date (Code 6.4 / 6.15), before it passes; the notice carries the Ombudsman's details."""
    c = svc.load(session, reference, for_update=True)
    return _result(session, ctx, c, svc.extend(session, ctx, c, data, who.actor, who.user_id))


@router.post("/{reference}/respond", response_model=CommandResult)
def respond(reference: RefPath, data: RespondIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> CommandResult:
    """Record the stage response; refused unless every item of Code 6.9 / 6.19 is stated."""
    c = svc.load(session, reference, for_update=True)
    return _result(session, ctx, c, svc.respond(session, ctx, c, data, who.actor, who.user_id))


@router.post("/{reference}/escalate", response_model=CommandResult)
def escalate(reference: RefPath, data: EscalateIn, request: Request, session: SessionDep, ctx: CtxDep, who: IntakeDep) -> CommandResult:
    """The resident asks for stage 2 (Code 6.10-6.12); no reason is required."""
    _proof(request, ctx, who, reference, data)
    c = svc.load(session, reference, for_update=True)
    svc.request_stage2(session, ctx, c, data, who.actor)
    return _result(session, ctx, c, redact=_redact(who))


@router.post("/{reference}/handlers", response_model=CommandResult)
def assign_handler(reference: RefPath, data: AssignHandlerIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> CommandResult:
    """Assign the stage 1 or stage 2 handler; stage 2 is never the stage 1 handler (Code 6.13)."""
    c = svc.load(session, reference, for_update=True)
    svc.assign_handler(session, ctx, c, data.stage, data.handler_id, who.actor)
    return _result(session, ctx, c)


@router.post("/{reference}/definition", response_model=CommandResult)
def revise_definition(reference: RefPath, data: DefinitionIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> CommandResult:
    """Correct the complaint definition (Code 5.6/5.7); every version is kept."""
    c = svc.load(session, reference, for_update=True)
    svc.revise_definition(session, ctx, c, data, who.actor)
    return _result(session, ctx, c)


@router.post("/{reference}/close", response_model=CommandResult)
def close(reference: RefPath, data: CloseIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> CommandResult:
    c = svc.load(session, reference, for_update=True)
    svc.close(session, ctx, c, data, who.actor)
    return _result(session, ctx, c)


@router.post("/{reference}/withdraw", response_model=CommandResult)
def withdraw(reference: RefPath, data: WithdrawIn, request: Request, session: SessionDep, ctx: CtxDep, who: IntakeDep) -> CommandResult:
    _proof(request, ctx, who, reference, data)
    c = svc.load(session, reference, for_update=True)
    svc.withdraw(session, ctx, c, data, who.actor)
    return _result(session, ctx, c, redact=_redact(who))


@router.post("/{reference}/related-issues", response_model=RelatedIssueOut)
def related_issue(reference: RefPath, data: RelatedIssueIn, request: Request, session: SessionDep, ctx: CtxDep, who: IntakeDep) -> RelatedIssueOut:
    """Code 6.8: a related issue before the stage 1 response joins this complaint; otherwise a new one is opened."""
    _proof(request, ctx, who, reference, data)
    c = svc.load(session, reference, for_update=True)
    route, target = svc.add_related_issue(session, ctx, c, data, who.actor)
    session.flush()
    return RelatedIssueOut(route=route, complaint=svc.view(session, ctx, target, redact=_redact(who)))


reps = APIRouter(prefix="/api/v1/representatives", tags=["representatives"])


@reps.post("/{rep_id}/authority", response_model=RepresentativeOut)
def decide_representative_authority(rep_id: int, data: AuthorityDecisionIn, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> RepresentativeOut:
    """Confirm or refuse a representative's authority to act, recording how (Code 1.3, 3.6)."""
    rep = session.get(Representative, rep_id)
    if rep is None:
        raise NotFound(f"no representative {rep_id}")
    assert who.user_id is not None
    return representative_out(decide_authority(session, rep, data.status, data.method, who.user_id, who.actor, ctx.now()))
