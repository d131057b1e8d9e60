"""Complaint commands: each loads the case, asks the domain guards, changes it and records the event.

One command is one transaction (the caller's session scope): a refused command changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.api.schemas import (
    AcknowledgeIn,
    CloseIn,
    ComplaintCreate,
    ComplaintOut,
    DeclineIn,
    DefinitionIn,
    DefinitionOut,
    EscalateIn,
    ExtendIn,
    QueueItem,
    QueueOut,
    RelatedIssueIn,
    RespondIn,
    StageOut,
    WithdrawIn,
)
from backend.db.models import (
    Complaint,
    ComplaintDefinition,
    Correspondence,
    Representative,
    Resident,
    ServiceRequest,
    StaffUser,
)
from backend.domain import complaints as rules
from backend.domain.calendar import WorkingCalendar
from backend.domain.complaints import Action, DeclineGround, RelatedIssueRoute, Status
from backend.domain.deadlines import (
    StageDates,
    StageDeadlines,
    check_extension,
    rag_status,
    stage_deadlines,
    within,
    working_days_remaining,
)
from backend.domain.letters import decision_text, kind_for
from backend.domain.ombudsman import Moment, signposting
from backend.domain.representatives import AuthorityStatus, may_see_personal_details
from backend.domain.rules import RuleViolation, require_text
from backend.services import letters
from backend.services.context import CaseContext
from backend.services.records import next_reference, record_event
from backend.services.residents import add_representative, normalise_postcode, representative_out, resident_out, upsert_resident


class NotFound(LookupError):
    pass


# -- reading ----------------------------------------------------------------------------------


def load(session: Session, reference: str, *, for_update: bool = False) -> Complaint:
    stmt = select(Complaint).where(Complaint.reference == reference.strip().upper())
    if for_update:
        stmt = stmt.with_for_update()
    complaint = session.scalar(stmt)
    if complaint is None:
        raise NotFound(f"no complaint with reference {reference!r}")
    return complaint


def current_definition(complaint: Complaint) -> ComplaintDefinition | None:
    return complaint.definitions[-1] if complaint.definitions else None


def stage1_dates(c: Complaint) -> StageDates:
    return StageDates(c.received_on, c.stage1_acknowledged_on, c.stage1_extended_to, c.stage1_responded_on)


def stage2_dates(c: Complaint) -> StageDates | None:
    if c.stage2_requested_on is None:
        return None
    return StageDates(c.stage2_requested_on, c.stage2_acknowledged_on, c.stage2_extended_to, c.stage2_responded_on)


def deadlines(ctx: CaseContext, cal: WorkingCalendar, c: Complaint) -> tuple[StageDeadlines, StageDeadlines | None]:
    s1 = stage_deadlines(cal, ctx.profile.stage(1), stage1_dates(c))
    d2 = stage2_dates(c)
    s2 = stage_deadlines(cal, ctx.profile.stage(2), d2) if d2 else None
    return s1, s2


def _due(status: Status, s1: StageDeadlines, s2: StageDeadlines | None) -> dt.date | None:
    return (s2 or s1).current_due(status) if rules.stage_of(status) == 2 else s1.current_due(status)


def current_due(ctx: CaseContext, cal: WorkingCalendar, c: Complaint) -> dt.date | None:
    return _due(Status(c.status), *deadlines(ctx, cal, c))


def _refresh_due(ctx: CaseContext, cal: WorkingCalendar, c: Complaint) -> None:
    c.current_due = current_due(ctx, cal, c)
    c.updated_at = ctx.now()


def _definition_out(d: ComplaintDefinition) -> DefinitionOut:
    return DefinitionOut(
        stage=d.stage,
        version=d.version,
        points=list(d.points),
        outcomes=list(d.outcomes),
        officer_summary=d.officer_summary,
        landlord_responsible=d.landlord_responsible,
        not_landlord_responsible=d.not_landlord_responsible,
        confirmed_by_resident=d.confirmed_by_resident,
        created_by=d.created_by,
        created_at=d.created_at,
    )


def _exclusion_flags(c: Complaint) -> list[str]:
    return rules.exclusion_flags(c.received_on, c.happened_on, c.aware_on, c.legal_proceedings, c.previously_considered_ref)


def _stage_out(c: Complaint, stage: int, received_on: dt.date | None, dl: StageDeadlines) -> StageOut:
    """One stage's dates and frozen timeliness; the two stages keep the same facts under stage1_/stage2_ names."""

    def field(name: str) -> Any:
        return getattr(c, f"stage{stage}_{name}")

    return StageOut(
        stage=stage,
        received_on=received_on,
        acknowledge_by=dl.acknowledge_by,
        acknowledged_on=field("acknowledged_on"),
        respond_by_original=dl.respond_by_original,
        respond_by=dl.respond_by,
        extensions=field("extensions"),
        responded_on=field("responded_on"),
        handler_id=field("handler_id"),
        acknowledged_within_timescale=field("ack_within"),
        responded_within_original_timescale=field("response_within_original"),
        responded_within_timescale_including_extension=field("response_within_extended"),
    )


def view(
    session: Session,
    ctx: CaseContext,
    c: Complaint,
    cal: WorkingCalendar | None = None,
    *,
    redact: bool = False,
    as_representative: bool = False,
) -> ComplaintOut:
    """The complaint with every deadline derived now; personal details hidden from an unconfirmed representative."""
    cal = cal or ctx.calendar(session)
    today = ctx.today()
    status = Status(c.status)
    s1, s2 = deadlines(ctx, cal, c)
    due = _due(status, s1, s2)  # from the deadlines just derived, not derived again
    stages = [_stage_out(c, 1, c.received_on, s1)]
    if s2 is not None:
        stages.append(_stage_out(c, 2, c.stage2_requested_on, s2))
    rep = c.representative
    personal_ok = (rep is not None and may_see_personal_details(AuthorityStatus(rep.authority_status))) if as_representative else not redact
    definition = current_definition(c)
    related_ref = session.scalar(select(Complaint.reference).where(Complaint.id == c.related_to_id)) if c.related_to_id else None
    return ComplaintOut(
        reference=c.reference,
        status=c.status,
        # a case that ended after an escalation ended at stage 2
        stage=2 if status in rules.TERMINAL and c.stage2_requested_on is not None else rules.stage_of(status, declined_at_stage=c.declined_at_stage),
        channel=c.channel,
        category=c.category,
        received_at=c.received_at,
        current_due=due,
        working_days_remaining=working_days_remaining(cal, today, due),
        rag=rag_status(cal, today, due, ctx.profile.due_soon_within),
        stages=stages,
        definition=_definition_out(definition) if definition and personal_ok else None,
        definition_history=[_definition_out(d) for d in c.definitions] if personal_ok else [],
        resident=resident_out(c.resident, today) if personal_ok else None,
        representative=representative_out(rep) if rep else None,
        happened_on=c.happened_on,
        when_described=c.when_described,
        aware_on=c.aware_on,
        over_twelve_months_warning=rules.twelve_month_warning(c.received_on, c.happened_on, c.aware_on),
        exclusion_flags=_exclusion_flags(c),
        legal_proceedings=c.legal_proceedings,
        personal_injury=c.personal_injury,
        previously_considered_ref=c.previously_considered_ref,
        impact=c.impact if personal_ok else None,
        earlier_reports=c.earlier_reports if personal_ok else None,
        decline_ground=c.decline_ground,
        decline_reasons=c.decline_reasons,
        learning=c.learning,
        service_request_refs=[sr.reference for sr in c.service_requests],
        related_to=related_ref,
        ombudsman_signposting=signposting(Moment.GENERAL).text,
    )


# -- creating ---------------------------------------------------------------------------------


def _add_definition(session: Session, c: Complaint, stage: int, data: DefinitionIn, actor: str) -> ComplaintDefinition:
    version = 1 + sum(1 for d in c.definitions if d.stage == stage)
    d = ComplaintDefinition(
        complaint_id=c.id,
        stage=stage,
        version=version,
        points=list(data.points),
        outcomes=list(data.outcomes),
        officer_summary=data.officer_summary,
        landlord_responsible=data.landlord_responsible,
        not_landlord_responsible=data.not_landlord_responsible,
        confirmed_by_resident=data.confirmed_by_resident,
        created_by=actor,
    )
    session.add(d)
    c.definitions.append(d)
    session.flush()
    record_event(
        session,
        "definition_versioned",
        actor,
        complaint_id=c.id,
        stage=stage,
        version=version,
        points=d.points,
        outcomes=d.outcomes,
        confirmed_by_resident=d.confirmed_by_resident,
    )
    return d


def create(session: Session, ctx: CaseContext, data: ComplaintCreate, actor: str) -> Complaint:
    """A complaint received on any channel (Code 3.1): the resident, who acts for them, what and when."""
    now = ctx.now()
    received_at = data.received_at or now
    if received_at > now + dt.timedelta(minutes=5):
        raise RuleViolation("received_in_future", "6.2", "received_at is in the future: the clock starts when the complaint reaches us")
    ctx.calendar(session).add_working_days(ctx.local_date(received_at), 0)  # refuses dates outside the calendar
    resident = upsert_resident(session, data.resident, actor, ctx.today())
    rep = add_representative(session, resident, data.representative, actor) if data.representative else None
    srs = []
    for ref in data.service_request_refs:
        sr = session.scalar(select(ServiceRequest).where(ServiceRequest.reference == ref.upper()))
        if sr is None:
            raise RuleViolation("unknown_service_request", "1.5", f"no service request with reference {ref!r} to link")
        srs.append(sr)
    c = open_complaint(
        session,
        ctx,
        resident=resident,
        representative=rep,
        channel=data.channel,
        received_at=received_at,
        points=data.definition.points,
        outcomes=data.definition.outcomes,
        confirmed_by_resident=data.definition.confirmed_by_resident,
        actor=actor,
        service_requests=srs,
        postcode=data.resident.postcode,
    )
    c.category = data.category
    c.happened_on, c.aware_on, c.when_described = data.happened_on, data.aware_on, data.when_described
    c.legal_proceedings, c.personal_injury = data.legal_proceedings, data.personal_injury
    c.previously_considered_ref = data.previously_considered_ref
    c.impact, c.earlier_reports = data.impact, data.earlier_reports
    record_event(
        session,
        "exclusion_facts_captured",
        actor,
        complaint_id=c.id,
        category=c.category,
        happened_on=data.happened_on,
        aware_on=data.aware_on,
        legal_proceedings=data.legal_proceedings,
        personal_injury=data.personal_injury,
        previously_considered_ref=data.previously_considered_ref,
        over_twelve_months_warning=rules.twelve_month_warning(c.received_on, data.happened_on, data.aware_on),
    )
    return c


def open_complaint(
    session: Session,
    ctx: CaseContext,
    *,
    resident: Resident,
    representative: Representative | None,
    channel: str,
    received_at: dt.datetime,
    points: list[str],
    outcomes: list[str],
    actor: str,
    confirmed_by_resident: bool = False,
    service_requests: list[ServiceRequest] = [],  # noqa: B006 - read only
    related_to: Complaint | None = None,
    postcode: str | None = None,
) -> Complaint:
    """Open a stage 1 complaint for a known resident; the five-day clock starts at ``received_at``."""
    now = ctx.now()
    received_on = ctx.local_date(received_at)
    c = Complaint(
        reference=next_reference(session, "CMP", received_on.year),
        resident_id=resident.id,
        representative_id=representative.id if representative else None,
        channel=channel,
        postcode_norm=normalise_postcode(postcode) or resident.postcode_norm,
        received_at=received_at,
        received_on=received_on,
        status=Status.RECEIVED.value,
        legal_proceedings="unknown",
        related_to_id=related_to.id if related_to else None,
        policy_name=ctx.profile.name,
        region=ctx.profile.region,
        created_at=now,
        updated_at=now,
    )
    c.resident = resident
    c.representative = representative
    c.service_requests.extend(service_requests)
    session.add(c)
    session.flush()
    record_event(
        session,
        "complaint_received",
        actor,
        complaint_id=c.id,
        resident_id=resident.id,
        reference=c.reference,
        channel=channel,
        received_at=received_at.isoformat(),
        representative=bool(representative),
        service_requests=[sr.reference for sr in service_requests],
        related_to=related_to.reference if related_to else None,
    )
    if points or outcomes:
        _add_definition(
            session,
            c,
            1,
            DefinitionIn.model_construct(
                points=list(points),
                outcomes=list(outcomes),
                officer_summary=None,
                landlord_responsible=None,
                not_landlord_responsible=None,
                confirmed_by_resident=confirmed_by_resident,
            ),
            actor,
        )
    _refresh_due(ctx, ctx.calendar(session), c)
    return c


# -- notices ----------------------------------------------------------------------------------
# The letters themselves (items, required contents, text) are backend/services/letters.py and
# backend/domain/letters.py; each command below hands them what it decided.


def _handler(session: Session, handler_id: int) -> StaffUser:
    user = session.get(StaffUser, handler_id)
    if user is None or not user.active or user.role not in ("officer", "manager"):
        raise RuleViolation("handler_not_officer", "4", f"staff user {handler_id} is not an active complaints officer or manager")
    return user


# -- commands ---------------------------------------------------------------------------------


def acknowledge(session: Session, ctx: CaseContext, c: Complaint, data: AcknowledgeIn, actor: str, actor_id: int | None) -> Correspondence:
    """Code 6.2 / 6.11: acknowledge, define and log; the definition and outcome must exist (5.6)."""
    status = Status(c.status)
    new_status = rules.next_status(status, Action.ACKNOWLEDGE)
    stage = rules.stage_of(status)
    if stage == 2:
        check_not_stage1_person(c, actor_id)  # first: nothing else matters if this person may not act (6.13)
    cal = ctx.calendar(session)
    today = ctx.today()
    if data.definition is not None:
        _add_definition(session, c, stage, data.definition, actor)
    d = current_definition(c)
    if stage == 2 and (d is None or d.stage != 2):
        raise RuleViolation(
            "stage2_definition_required",
            "6.11",
            "stage 2 must be defined when it is acknowledged: set out the issues escalated and the outcomes sought (Code 6.11, 5.6)",
        )
    rules.check_definition(d.points if d else [], d.outcomes if d else [])
    s1, s2 = deadlines(ctx, cal, c)
    exclusion_note = rules.check_exclusions_considered(_exclusion_flags(c) if stage == 1 else [], data.exclusion_note)
    if stage == 1:
        handler_id = data.handler_id or c.stage1_handler_id or actor_id
        if handler_id is not None:
            _handler(session, handler_id)
        c.stage1_handler_id = handler_id
        c.stage1_acknowledged_on = today
        c.stage1_ack_within = within(today, s1.acknowledge_by)
    else:
        handler_id = data.handler_id or c.stage2_handler_id or actor_id
        rules.check_stage2_handler(_stage1_people(c), handler_id)
        assert handler_id is not None and s2 is not None
        _handler(session, handler_id)
        c.stage2_handler_id = handler_id
        c.stage2_acknowledged_on = today
        c.stage2_ack_within = within(today, s2.acknowledge_by)
    c.status = new_status.value
    _refresh_due(ctx, cal, c)
    record_event(
        session,
        "acknowledged",
        actor,
        complaint_id=c.id,
        stage=stage,
        handler_id=handler_id,
        respond_by=c.current_due,
        exclusion_note=exclusion_note,
        acknowledged_on=today,
    )
    # Code 6.2/6.11, 5.6: the letter states the definition, the outcomes and the response date
    return letters.prepare(session, ctx, c, kind_for("acknowledgement", stage), actor, data.letter, respond_by=c.current_due)


def decline(session: Session, ctx: CaseContext, c: Complaint, data: DeclineIn, actor: str, actor_id: int | None = None) -> Correspondence:
    """Code 2.1/2.4 (not accepted) and 5.11 (escalation refused): reasons, and the Ombudsman's details."""
    status = Status(c.status)
    new_status = rules.next_status(status, Action.DECLINE)
    stage = rules.stage_of(status)
    if stage == 2:
        check_not_stage1_person(c, actor_id)
    reasons = rules.check_decline(stage, data.ground, data.reasons)
    letter, values = letters.compose(session, ctx, c, kind_for("decline", stage), data.letter, reasons=reasons)  # Code 2.4 / 5.11
    c.status = new_status.value
    c.decline_ground = data.ground.value
    c.decline_reasons = reasons
    c.declined_at_stage = stage
    _refresh_due(ctx, ctx.calendar(session), c)
    record_event(session, "declined", actor, complaint_id=c.id, stage=stage, ground=data.ground.value, reasons=reasons, evidence=data.evidence)
    return letters.keep(session, ctx, c, letter, values, actor, data.letter)


def extend(session: Session, ctx: CaseContext, c: Complaint, data: ExtendIn, actor: str, actor_id: int | None = None) -> Correspondence:
    """Code 6.4/6.5 and 6.15/6.16: one extension within the limit unless a good reason is recorded."""
    status = Status(c.status)
    rules.next_status(status, Action.EXTEND)
    stage = rules.stage_of(status)
    if stage == 2:
        check_not_stage1_person(c, actor_id)
    cal = ctx.calendar(session)
    s1, s2 = deadlines(ctx, cal, c)
    dl = s1 if stage == 1 else s2
    assert dl is not None and dl.respond_by_original is not None and dl.respond_by is not None
    decision = check_extension(
        cal,
        ctx.profile.stage(stage),
        today=ctx.today(),
        original_due=dl.respond_by_original,
        current_due=dl.respond_by,
        new_due=data.new_due,
        reason=data.reason,
        good_reason=data.good_reason,
        previous_extensions=c.stage1_extensions if stage == 1 else c.stage2_extensions,
    )
    # Code 6.4-6.5 / 6.15-6.16: the new date, the reason and the Ombudsman's details
    letter, values = letters.compose(session, ctx, c, kind_for("extension", stage), data.letter, new_due=decision.new_due, reason=data.reason.strip())
    if stage == 1:
        c.stage1_extended_to = decision.new_due
        c.stage1_extensions += 1
    else:
        c.stage2_extended_to = decision.new_due
        c.stage2_extensions += 1
    _refresh_due(ctx, cal, c)
    record_event(
        session,
        "extended",
        actor,
        complaint_id=c.id,
        stage=stage,
        previous_due=dl.respond_by,
        new_due=decision.new_due,
        working_days_added=decision.working_days_added,
        reason=data.reason.strip(),
        good_reason=(data.good_reason or "").strip() or None,
    )
    return letters.keep(session, ctx, c, letter, values, actor, data.letter)


def _stage1_people(c: Complaint) -> set[int]:
    """Who considered stage 1: its handler and whoever signed its response (Code 6.13)."""
    return {p for p in (c.stage1_handler_id, c.stage1_responded_by) if p is not None}


def check_not_stage1_person(c: Complaint, actor_id: int | None) -> None:
    rules.check_not_stage1_person(_stage1_people(c), actor_id)


def respond(session: Session, ctx: CaseContext, c: Complaint, data: RespondIn, actor: str, actor_id: int | None = None) -> Correspondence:
    """Code 6.9 / 6.19: a response states every required item; whether it was in time is frozen now."""
    status = Status(c.status)
    new_status = rules.next_status(status, Action.RESPOND)
    stage = rules.stage_of(status)
    if stage == 2:
        check_not_stage1_person(c, actor_id)
    decision = data.decision.value.replace("_", " ") if data.decision else ""
    # Code 6.9 / 6.19: refused, naming each, while any item (a)-(g) of the letter is empty
    letter, values = letters.compose(
        session,
        ctx,
        c,
        kind_for("response", stage),
        data.letter,
        decision=decision_text(data.decision),
        reasons=data.reasons,
        remedy=data.remedy,
        outstanding_actions=data.outstanding_actions,
    )
    cal = ctx.calendar(session)
    s1, s2 = deadlines(ctx, cal, c)
    dl = s1 if stage == 1 else s2
    assert dl is not None
    today = ctx.today()
    original, extended = within(today, dl.respond_by_original), within(today, dl.respond_by)
    if stage == 1:
        c.stage1_responded_on = today
        c.stage1_responded_by = actor_id
        c.stage1_response_within_original, c.stage1_response_within_extended = original, extended
        c.stage1_decision = data.decision.value if data.decision else None
    else:
        c.stage2_responded_on = today
        c.stage2_response_within_original, c.stage2_response_within_extended = original, extended
        c.stage2_decision = data.decision.value if data.decision else None
    c.status = new_status.value
    _refresh_due(ctx, cal, c)
    record_event(
        session,
        "responded",
        actor,
        complaint_id=c.id,
        responded_on=today,
        stage=stage,
        decision=decision,
        within_original_timescale=original,
        within_timescale_including_extension=extended,
    )
    return letters.keep(session, ctx, c, letter, values, actor, data.letter)


def request_stage2(session: Session, ctx: CaseContext, c: Complaint, data: EscalateIn, actor: str) -> None:
    """Code 6.10-6.12: the resident asks, no reason needed; the 5-day clock starts at the request."""
    status = Status(c.status)
    if status is Status.CLOSED and c.stage2_requested_on is None and c.stage1_responded_on is not None:
        new_status = Status.STAGE2_REQUESTED  # a resident may escalate after a stage 1 case was closed
    else:
        new_status = rules.next_status(status, Action.REQUEST_STAGE2)
    now = ctx.now()
    requested_at = data.received_at or now
    if requested_at > now + dt.timedelta(minutes=5):
        raise RuleViolation("received_in_future", "6.11", "the escalation request cannot be received in the future")
    responded_on = c.stage1_responded_on
    if responded_on is not None and ctx.local_date(requested_at) < responded_on:
        raise RuleViolation(
            "escalation_before_response",
            "6.10",
            f"the escalation request cannot be dated before the stage 1 response ({responded_on.isoformat()})",
        )
    c.stage2_requested_at = requested_at
    c.stage2_requested_on = ctx.local_date(requested_at)
    c.status = new_status.value
    c.closed_on = None
    _refresh_due(ctx, ctx.calendar(session), c)
    record_event(session, "stage2_requested", actor, complaint_id=c.id, received_at=requested_at.isoformat(), reason=data.reason)


def assign_handler(session: Session, ctx: CaseContext, c: Complaint, stage: int, handler_id: int, actor: str) -> None:
    if Status(c.status) in rules.TERMINAL:
        raise RuleViolation("wrong_state", "state", f"the complaint is {c.status}: no handler can be assigned", kind="conflict")
    _handler(session, handler_id)
    if stage == 2:
        rules.check_stage2_handler(_stage1_people(c), handler_id)
        c.stage2_handler_id = handler_id
    else:
        if c.stage2_handler_id is not None:
            rules.check_stage2_handler({handler_id}, c.stage2_handler_id)
        if c.stage1_responded_on is not None:
            raise RuleViolation("stage1_finished", "state", "stage 1 has been responded to; its handler is part of the record", kind="conflict")
        c.stage1_handler_id = handler_id
    record_event(session, "handler_assigned", actor, complaint_id=c.id, stage=stage, handler_id=handler_id)


def revise_definition(session: Session, ctx: CaseContext, c: Complaint, data: DefinitionIn, actor: str) -> ComplaintDefinition:
    """Code 5.6: the definition can be corrected; each correction is a new version, the old ones stay."""
    status = Status(c.status)
    if status in rules.TERMINAL:
        raise RuleViolation("wrong_state", "state", f"the complaint is {c.status}: its definition is part of the record", kind="conflict")
    return _add_definition(session, c, rules.stage_of(status), data, actor)


def close(session: Session, ctx: CaseContext, c: Complaint, data: CloseIn, actor: str) -> None:
    """Closing records the learning (Code 9.1), once every action promised to the resident is done (6.6 / 6.17)."""
    from backend.domain.remedies import check_can_close
    from backend.services.remedies import open_actions  # here: services.remedies imports this module

    new_status = rules.next_status(Status(c.status), Action.CLOSE)
    check_can_close(open_actions(session, c), rules.stage_of(Status(c.status)))
    learning = require_text(data.learning, "learning_required", "9.1", "record what was learned from the complaint (or that nothing was) before closing")
    c.status = new_status.value
    c.learning = learning
    c.closed_on = ctx.today()
    _refresh_due(ctx, ctx.calendar(session), c)
    record_event(session, "closed", actor, complaint_id=c.id, learning=learning, closed_on=c.closed_on)


def withdraw(session: Session, ctx: CaseContext, c: Complaint, data: WithdrawIn, actor: str) -> None:
    new_status = rules.next_status(Status(c.status), Action.WITHDRAW)
    c.status = new_status.value
    c.closed_on = ctx.today()
    _refresh_due(ctx, ctx.calendar(session), c)
    record_event(session, "withdrawn", actor, complaint_id=c.id, note=data.note, withdrawn_on=c.closed_on)


def add_related_issue(session: Session, ctx: CaseContext, c: Complaint, data: RelatedIssueIn, actor: str) -> tuple[RelatedIssueRoute, Complaint]:
    """Code 6.8: related and before the stage 1 response → joins this complaint; otherwise a new one."""
    route = rules.related_issue_route(Status(c.status), data.related)
    if route is RelatedIssueRoute.JOIN_OPEN_COMPLAINT:
        d = current_definition(c)
        merged = DefinitionIn.model_construct(
            points=[*(d.points if d else []), *data.points],
            outcomes=list(dict.fromkeys([*(d.outcomes if d else []), *data.outcomes])),
            officer_summary=d.officer_summary if d else None,
            landlord_responsible=d.landlord_responsible if d else None,
            not_landlord_responsible=d.not_landlord_responsible if d else None,
            confirmed_by_resident=False,
        )
        _add_definition(session, c, 1, merged, actor)
        record_event(session, "related_issue_joined", actor, complaint_id=c.id, points=list(data.points))
        return route, c
    new = open_complaint(
        session,
        ctx,
        resident=c.resident,
        representative=c.representative,
        channel=c.channel,
        received_at=ctx.now(),
        points=list(data.points),
        outcomes=list(data.outcomes),
        actor=actor,
        related_to=c,
    )
    new.postcode_norm = c.postcode_norm
    record_event(session, "related_issue_new_complaint", actor, complaint_id=c.id, new_reference=new.reference, related=data.related)
    return route, new


# -- the officer queue ------------------------------------------------------------------------


def officer_queue(session: Session, ctx: CaseContext, limit: int = 50, offset: int = 0) -> QueueOut:
    """Everything overdue or due soon, oldest deadline first: one indexed range query."""
    cal = ctx.calendar(session)
    today = ctx.today()
    horizon = cal.add_working_days(today, ctx.profile.due_soon_within)
    overdue = session.scalar(select(func.count()).select_from(Complaint).where(Complaint.current_due < today)) or 0
    due_soon = session.scalar(select(func.count()).select_from(Complaint).where(Complaint.current_due >= today, Complaint.current_due <= horizon)) or 0
    rows = session.execute(
        select(Complaint.reference, Complaint.status, Complaint.current_due, Complaint.received_at, Complaint.declined_at_stage)
        .where(Complaint.current_due <= horizon)
        .order_by(Complaint.current_due, Complaint.id)
        .limit(limit)
        .offset(offset)
    ).all()
    items = [
        QueueItem(
            reference=r.reference,
            status=r.status,
            stage=rules.stage_of(Status(r.status), declined_at_stage=r.declined_at_stage),
            current_due=r.current_due,
            working_days_remaining=cal.working_days_between(today, r.current_due),
            rag=rag_status(cal, today, r.current_due, ctx.profile.due_soon_within),
            received_at=r.received_at,
        )
        for r in rows
    ]
    return QueueOut(today=today, overdue=overdue, due_soon=due_soon, items=items)


__all__ = ["DeclineGround", "NotFound"]
