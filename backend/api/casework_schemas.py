"""Shapes of the complaints officer's casework API: the work queue, the service request register,
the case timeline, remedies and actions, adjustments and contact restrictions."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from backend.api.schemas import StaffId, Strict
from backend.domain.remedies import RemedyKind

#: red = overdue; amber = due within the profile's due-soon window; green = open with a later due date;
#: none = nothing due now (responded, closed, declined, withdrawn).
QueueRag = Literal["red", "amber", "green", "none"]
TimelineKind = Literal["event", "letter", "message", "note"]


# -- the work queue ---------------------------------------------------------------------------


class WorkCounts(BaseModel):
    new: int  # received, waiting to be acknowledged or declined
    red: int
    amber: int
    open: int


class WorkItem(BaseModel):
    reference: str
    status: str
    stage: int
    current_due: dt.date | None
    working_days_remaining: int | None
    rag: QueueRag
    received_at: dt.datetime
    resident_name: str
    postcode: str | None
    category: str | None
    channel: str
    region: str
    handler_id: int | None  # the handler of the stage the complaint is at
    handler_name: str | None
    has_needs: bool  # disclosed needs or reasonable adjustments on the resident's record
    has_representative: bool
    is_new: bool


class WorkQueueOut(BaseModel):
    today: dt.date
    counts: WorkCounts  # over the filters given, except ``rag``, so each count is what choosing it would show
    total: int  # matching every filter given
    items: list[WorkItem]


# -- the service request register (Code 1.4) --------------------------------------------------


class RegisterItem(BaseModel):
    reference: str
    service_code: str
    description: str
    status: str
    requested_at: dt.datetime
    age_days: int
    complaint_refs: list[str]
    channel: str
    postcode: str | None


# -- the case timeline (Code 5.12) ------------------------------------------------------------


class TimelineEntry(BaseModel):
    at: dt.datetime
    kind: TimelineKind
    title: str
    actor: str
    text: str | None = None
    channel: str | None = None
    letter_id: int | None = None
    details: dict[str, object] = Field(default_factory=dict)


# -- remedies and outstanding actions (Code 6.6, 6.17, 7.1-7.3) -------------------------------


class ActionIn(Strict):
    kind: RemedyKind
    description: Annotated[str, StringConstraints(max_length=5000)]
    amount_pence: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = Field(default=None, description="A financial remedy's amount, in pence")
    due_on: dt.date | None = None
    owner_id: StaffId | None = None


class ActionDoneIn(Strict):
    resident_update: Annotated[str, StringConstraints(max_length=5000)] = Field(description="What the resident is told now that it is done (Code 6.6)")


class ActionOut(BaseModel):
    id: int
    stage: int
    kind: RemedyKind
    description: str
    amount_pence: int | None
    due_on: dt.date | None
    owner_id: int | None
    owner_name: str | None
    status: Literal["open", "done"]
    done_on: dt.date | None
    resident_update: str | None
    overdue: bool
    letter_id: int | None = None  # the prepared update to the resident (Correspondence kind action_update)
    created_by: str
    created_at: dt.datetime


# -- residents: adjustments and contact restrictions ------------------------------------------


class AdjustmentPatch(Strict):
    agreed: bool | None = None
    review_on: dt.date | None = None
    detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] | None = None


class RestrictionIn(Strict):
    restriction: Annotated[str, StringConstraints(max_length=2000)] = Field(description="What contact is restricted and how the resident can still reach us")
    reasons: Annotated[str, StringConstraints(max_length=5000)]
    equality_considerations: Annotated[str, StringConstraints(max_length=5000)] = Field(description="Regard paid to the Equality Act 2010 (Code 5.15)")
    review_on: dt.date = Field(description="No more than six months ahead (Code 5.15)")


class RestrictionEndIn(Strict):
    reason: Annotated[str, StringConstraints(max_length=2000)]
