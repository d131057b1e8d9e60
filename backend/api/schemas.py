"""Request and response shapes at the HTTP edge: every field bounded, every enum closed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from backend.api.letters_schemas import LetterEdits
from backend.domain.adjustments import AdjustmentType
from backend.domain.complaints import DeclineGround, RelatedIssueRoute
from backend.domain.deadlines import Rag
from backend.domain.representatives import AuthorityStatus, Relationship
from backend.domain.responses import Decision

Channel = Literal["webchat", "sms", "whatsapp", "telegram", "phone", "email", "letter", "in_person"]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Paragraph = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20000)]
Postcode = Annotated[
    str,
    StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$"),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- residents --------------------------------------------------------------------------------


class ContactIdentityIn(Strict):
    channel: Channel
    address: ShortText


class AdjustmentIn(Strict):
    type: AdjustmentType
    detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""
    agreed: bool = False
    review_on: dt.date | None = None


class ResidentIn(Strict):
    name: ShortText
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    postcode: Postcode | None = None
    tenancy_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40, pattern=r"^\+?[0-9 ()-]{6,40}$")] | None = None
    preferred_contact_method: Channel | None = None
    contact_times: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    disclosed_needs: list[Paragraph] = Field(default_factory=list, max_length=20)
    consent_to_record_needs: bool = False
    adjustments: list[AdjustmentIn] = Field(default_factory=list, max_length=20)
    identities: list[ContactIdentityIn] = Field(default_factory=list, max_length=10)


class AdjustmentOut(BaseModel):
    id: int
    type: str
    detail: str
    agreed: bool
    review_on: dt.date | None
    due_for_review: bool


class RepresentativeIn(Strict):
    name: ShortText
    relationship: Relationship
    organisation: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None


class RepresentativeOut(BaseModel):
    id: int
    name: str
    relationship: str
    organisation: str | None
    contact: str | None
    authority_status: AuthorityStatus
    authority_method: str | None
    authority_decided_at: dt.datetime | None


class AuthorityDecisionIn(Strict):
    status: Literal["confirmed", "refused"]
    method: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="How authority was confirmed or why it was refused (e.g. signed consent form received)"
    )


class ContactRestrictionOut(BaseModel):
    """Code 5.14/5.15: how contact is restricted, why, and when it is reviewed; it never stops a complaint."""

    id: int
    restriction: str
    reasons: str
    equality_considerations: str
    review_on: dt.date
    due_for_review: bool
    active: bool
    decided_by: str
    decided_at: dt.datetime
    ended_at: dt.datetime | None
    ended_by: str | None
    end_reason: str | None


class ResidentOut(BaseModel):
    id: int
    name: str
    address: str | None
    postcode: str | None
    tenancy_ref: str | None
    email: str | None
    phone: str | None
    preferred_contact_method: str | None
    contact_times: str | None
    disclosed_needs: list[str]
    adjustments: list[AdjustmentOut]
    representatives: list[RepresentativeOut]
    contact_restrictions: list[ContactRestrictionOut] = []  # active ones first


# -- complaints -------------------------------------------------------------------------------


class DefinitionIn(Strict):
    points: list[Paragraph] = Field(min_length=1, max_length=30, description="What went wrong, in the resident's words")
    outcomes: list[Paragraph] = Field(min_length=1, max_length=20, description="The outcomes the resident wants")
    officer_summary: LongText | None = None
    landlord_responsible: LongText | None = None
    not_landlord_responsible: LongText | None = None
    confirmed_by_resident: bool = False


class DraftDefinitionIn(Strict):
    """At intake the definition may be incomplete; acknowledgement will insist on it (5.6)."""

    points: list[Paragraph] = Field(default_factory=list, max_length=30)
    outcomes: list[Paragraph] = Field(default_factory=list, max_length=20)
    confirmed_by_resident: bool = False


class ComplaintCreate(Strict):
    channel: Channel
    received_at: dt.datetime | None = Field(default=None, description="When the complaint reached us; defaults to now")
    resident: ResidentIn
    representative: RepresentativeIn | None = None
    definition: DraftDefinitionIn = Field(default_factory=DraftDefinitionIn)
    category: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = None
    happened_on: dt.date | None = None
    when_described: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = Field(
        default=None, description="When it happened or they became aware, in the resident's words"
    )
    aware_on: dt.date | None = None
    legal_proceedings: Literal["none", "pre_action", "filed", "unknown"] = "unknown"
    personal_injury: bool = False
    previously_considered_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    impact: LongText | None = None
    earlier_reports: LongText | None = None
    service_request_refs: list[Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]] = Field(default_factory=list, max_length=20)

    @field_validator("received_at")
    @classmethod
    def _aware(cls, value: dt.datetime | None) -> dt.datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("received_at needs a timezone, e.g. 2026-11-23T10:15:00Z")
        return value


class DefinitionOut(BaseModel):
    stage: int
    version: int
    points: list[str]
    outcomes: list[str]
    officer_summary: str | None
    landlord_responsible: str | None
    not_landlord_responsible: str | None
    confirmed_by_resident: bool
    created_by: str
    created_at: dt.datetime


class StageOut(BaseModel):
    stage: int
    received_on: dt.date | None
    acknowledge_by: dt.date | None
    acknowledged_on: dt.date | None
    respond_by_original: dt.date | None
    respond_by: dt.date | None
    extensions: int
    responded_on: dt.date | None
    handler_id: int | None
    acknowledged_within_timescale: bool | None
    responded_within_original_timescale: bool | None
    responded_within_timescale_including_extension: bool | None


class ComplaintOut(BaseModel):
    reference: str
    status: str
    stage: int
    channel: str
    category: str | None
    received_at: dt.datetime
    current_due: dt.date | None
    working_days_remaining: int | None
    rag: Rag
    stages: list[StageOut]
    definition: DefinitionOut | None
    definition_history: list[DefinitionOut]
    resident: ResidentOut | None
    representative: RepresentativeOut | None
    happened_on: dt.date | None
    when_described: str | None
    aware_on: dt.date | None
    over_twelve_months_warning: bool
    exclusion_flags: list[str]
    legal_proceedings: str
    personal_injury: bool
    previously_considered_ref: str | None
    impact: str | None
    earlier_reports: str | None
    decline_ground: str | None
    decline_reasons: str | None
    learning: str | None
    service_request_refs: list[str]
    related_to: str | None
    ombudsman_signposting: str


class AcknowledgeIn(Strict):
    definition: DefinitionIn | None = Field(default=None, description="A new definition version; omit to use the current one")
    handler_id: Annotated[int, Field(ge=1, le=2**31 - 1)] | None = None
    exclusion_note: Annotated[str, StringConstraints(max_length=5000)] | None = Field(
        default=None, description="Why a complaint with exclusion facts (over 12 months, court claim filed, considered before) is accepted"
    )
    letter: LetterEdits | None = None


class DeclineIn(Strict):
    ground: DeclineGround
    reasons: Annotated[str, StringConstraints(max_length=20000)]
    evidence: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    letter: LetterEdits | None = None


class ExtendIn(Strict):
    new_due: dt.date
    reason: Annotated[str, StringConstraints(max_length=5000)]
    good_reason: Annotated[str, StringConstraints(max_length=5000)] | None = None
    letter: LetterEdits | None = None


class RespondIn(Strict):
    decision: Decision | None = None
    reasons: Annotated[str, StringConstraints(max_length=20000)] = ""
    remedy: Annotated[str, StringConstraints(max_length=5000)] = Field(
        default="", description="What we will do to put things right, or why no remedy is offered"
    )
    outstanding_actions: Annotated[str, StringConstraints(max_length=5000)] = Field(default="", description="Actions still to do with dates, or 'None'")
    letter: LetterEdits | None = None


class AssignHandlerIn(Strict):
    stage: Literal[1, 2]
    handler_id: Annotated[int, Field(ge=1, le=2**31 - 1)]


class ResidentProof(Strict):
    """When the action server acts for a resident on an existing case, the resident's verification detail.

    Staff do not need it; the action server must send it (checked like a lookup, with the same
    limits), so a reference alone never lets anyone act on someone else's case.
    """

    postcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)] | None = None
    client_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


def _require_timezone(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        raise ValueError("needs a timezone, e.g. 2026-11-23T10:15:00Z")
    return value


StaffId = Annotated[int, Field(ge=1, le=2**31 - 1)]


class EscalateIn(ResidentProof):
    received_at: dt.datetime | None = None
    _tz = field_validator("received_at")(_require_timezone)
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = Field(
        default=None, description="Optional: the resident never has to give a reason (Code 6.12)"
    )


class CloseIn(Strict):
    learning: Annotated[str, StringConstraints(max_length=5000)] = Field(description="What the landlord learned (Code 9.1), or why there is nothing to learn")


class WithdrawIn(ResidentProof):
    note: Paragraph


class RelatedIssueIn(ResidentProof):
    points: list[Paragraph] = Field(min_length=1, max_length=10)
    outcomes: list[Paragraph] = Field(default_factory=list, max_length=10)
    related: bool


class RelatedIssueOut(BaseModel):
    route: RelatedIssueRoute
    complaint: ComplaintOut


class NoticeOut(BaseModel):
    kind: str
    body: str
    signposting_version: str | None
    created_at: dt.datetime
    id: int | None = None  # the letter's id, for /api/v1/letters/{id}
    title: str | None = None
    delivery: str | None = None
    delivery_status: str | None = None


class CommandResult(BaseModel):
    complaint: ComplaintOut
    notice: NoticeOut | None = None


class EventOut(BaseModel):
    type: str
    actor: str
    at: dt.datetime
    details: dict[str, object]


class QueueItem(BaseModel):
    reference: str
    status: str
    stage: int
    current_due: dt.date
    working_days_remaining: int
    rag: Rag
    received_at: dt.datetime


class QueueOut(BaseModel):
    today: dt.date
    overdue: int
    due_soon: int
    items: list[QueueItem]


# -- service requests -------------------------------------------------------------------------


class ServiceRequestCreate(Strict):
    channel: Channel
    service_code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    description: LongText
    location: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None
    postcode: Postcode | None = None
    access_notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None
    problem_since: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    resident: ResidentIn | None = None


class ServiceRequestUpdate(Strict):
    status: Literal["open", "in_progress", "closed"]
    status_notes: Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)] | None = None
    expected_at: dt.datetime | None = None
    _tz = field_validator("expected_at")(_require_timezone)


class ServiceRequestOut(BaseModel):
    """Open311-shaped."""

    service_request_id: str
    service_code: str
    description: str
    address: str | None
    postcode: str | None
    status: str
    status_notes: str | None
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    complaint_refs: list[str]
    channel: str  # where the resident reported it (webchat, sms, whatsapp, telegram, phone...)


class ServiceRequestComplaintIn(ResidentProof):
    """Code 1.5: dissatisfaction with how a request is handled becomes a complaint; the request stays open."""

    channel: Channel
    resident: ResidentIn | None = None
    definition: DraftDefinitionIn = Field(default_factory=DraftDefinitionIn)
    impact: LongText | None = None


# -- resident lookup --------------------------------------------------------------------------


class LookupIn(Strict):
    reference: Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, max_length=20)]
    postcode: Annotated[str, StringConstraints(strip_whitespace=True, max_length=10)]
    client_id: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = Field(
        default=None, description="The conversation asking (the action server passes the sender id)"
    )


class LookupOut(BaseModel):
    reference: str
    status: str
    stage: int
    received_on: dt.date
    next_step: str
    due_by: dt.date | None
    handled_by: str | None
    ombudsman_signposting: str


# -- calendar, staff --------------------------------------------------------------------------


class ClosureDayIn(Strict):
    day: dt.date
    reason: ShortText


class ClosureDayOut(BaseModel):
    day: dt.date
    reason: str


class LoginIn(Strict):
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254)]
    password: Annotated[str, StringConstraints(max_length=500)]


class LoginOut(BaseModel):
    token: str
    expires_at: dt.datetime
    role: str
    name: str


class StaffOut(BaseModel):
    id: int
    email: str
    name: str
    role: str


# -- conversations: complaint offers and handoff requests (from the bot) ------------------------

ConversationId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ComplaintOfferIn(Strict):
    conversation_id: ConversationId
    channel: Channel
    context: LongText
    accepted: bool | None = None
    service_request_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None


class ComplaintOfferAnswer(Strict):
    accepted: bool
    complaint_ref: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None


class ComplaintOfferOut(BaseModel):
    id: int
    conversation_id: str
    accepted: bool | None
    offered_at: dt.datetime
    answered_at: dt.datetime | None


DraftValue = Annotated[str, StringConstraints(max_length=5000)] | list[Annotated[str, StringConstraints(max_length=5000)]] | bool | None


class HandoffIn(Strict):
    conversation_id: ConversationId
    channel: Channel
    reason: Literal["safeguarding", "emergency", "asked", "needs_person", "misunderstood", "keyword"]
    last_message: Annotated[str, StringConstraints(max_length=5000)] | None = None
    # What the bot had captured so far (slot name → value), so the agent need not ask again.
    draft: dict[Annotated[str, StringConstraints(max_length=40)], DraftValue] = Field(default_factory=dict, max_length=40)


class HandoffOut(BaseModel):
    id: int
    reason: str
    priority: int
    position: int
    open_now: bool
    next_opening: dt.datetime
    estimated_wait_minutes: int | None = None  # None out of hours


class QueueFlags(BaseModel):
    safeguarding: bool
    adjustments: bool
    representative: bool


class HandoffQueueItem(BaseModel):
    id: int
    conversation_id: int | None
    channel: str
    reason: str
    priority: int
    status: str
    requested_at: dt.datetime
    waiting_seconds: int
    claimed_by: int | None
    claimed_by_name: str | None
    last_message: str | None
    flags: QueueFlags


class CaseBrief(BaseModel):
    reference: str
    kind: Literal["complaint", "service_request"]
    status: str
    summary: str


class AgentConversation(BaseModel):
    handoff: HandoffQueueItem
    conversation: ConversationOut | None
    draft: dict[str, DraftValue]
    resident: ResidentOut | None
    open_cases: list[CaseBrief]


class AgentText(Strict):
    text: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class HandBackIn(Strict):
    summary: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = None


class HandoffCloseIn(Strict):
    outcome: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class TransferIn(Strict):
    agent_id: int


class KeywordIn(Strict):
    phrase: Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=100)]


class KeywordOut(BaseModel):
    id: int
    phrase: str


class TranscriptMessage(BaseModel):
    id: int
    direction: str
    sender: str
    text: str
    status: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    buttons: list[dict[str, str]] = []
    media: list[dict[str, str]] = []
    error: str | None = None
    agent_id: int | None = None  # who sent it, for an agent's message or note
    agent_name: str | None = None


class ConversationSummary(BaseModel):
    id: int
    channel: str
    address: str | None  # the phone number or Telegram chat; None for web chat (a browser session)
    owner: str
    status: str
    resident_id: int | None
    created_at: dt.datetime
    last_inbound_at: dt.datetime | None


class ConversationOut(ConversationSummary):
    messages: list[TranscriptMessage]


class ConversationLink(BaseModel):
    resident_id: int


class TsmStage(BaseModel):
    stage: int
    received: int  # CH01 numerator
    per_1000_homes: float  # CH01
    responded: int  # CH02 denominator
    within_original: int
    within_extended: int
    pct_within_original: float | None  # CH02, within the original timescale
    pct_within_extended: float | None  # CH02, within the timescale including permitted extensions


class TsmOut(BaseModel):
    year: str
    period_start: dt.date
    period_end: dt.date
    homes: int
    stages: list[TsmStage]
