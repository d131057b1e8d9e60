"""The complaint's life: two stages only, and one guard per Code rule.

received → stage 1 acknowledged → stage 1 responded → [stage 2 requested → stage 2 acknowledged →
stage 2 responded] → closed; or declined (with reasons) or withdrawn. There is no "stage 0",
"informal complaint" or third stage (Code 5.2, 5.3).

Every guard here is plain Python, shared by the API and the officer UI, so neither can do what
the Code forbids.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from enum import StrEnum

from backend.domain.rules import RuleViolation, require_text


class Status(StrEnum):
    RECEIVED = "received"
    STAGE1_ACKNOWLEDGED = "stage1_acknowledged"
    STAGE1_RESPONDED = "stage1_responded"
    STAGE2_REQUESTED = "stage2_requested"
    STAGE2_ACKNOWLEDGED = "stage2_acknowledged"
    STAGE2_RESPONDED = "stage2_responded"
    CLOSED = "closed"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    DECLINE = "decline"
    EXTEND = "extend"
    RESPOND = "respond"
    REQUEST_STAGE2 = "request_stage2"
    CLOSE = "close"
    WITHDRAW = "withdraw"


TERMINAL = frozenset({Status.CLOSED, Status.DECLINED, Status.WITHDRAWN})
OPEN_STATUSES = frozenset(Status) - TERMINAL

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (Status.RECEIVED, Action.ACKNOWLEDGE): Status.STAGE1_ACKNOWLEDGED,
    (Status.RECEIVED, Action.DECLINE): Status.DECLINED,
    (Status.STAGE1_ACKNOWLEDGED, Action.EXTEND): Status.STAGE1_ACKNOWLEDGED,
    (Status.STAGE1_ACKNOWLEDGED, Action.RESPOND): Status.STAGE1_RESPONDED,
    (Status.STAGE1_RESPONDED, Action.REQUEST_STAGE2): Status.STAGE2_REQUESTED,
    (Status.STAGE1_RESPONDED, Action.CLOSE): Status.CLOSED,
    (Status.STAGE2_REQUESTED, Action.ACKNOWLEDGE): Status.STAGE2_ACKNOWLEDGED,
    (Status.STAGE2_REQUESTED, Action.DECLINE): Status.DECLINED,
    (Status.STAGE2_ACKNOWLEDGED, Action.EXTEND): Status.STAGE2_ACKNOWLEDGED,
    (Status.STAGE2_ACKNOWLEDGED, Action.RESPOND): Status.STAGE2_RESPONDED,
    (Status.STAGE2_RESPONDED, Action.CLOSE): Status.CLOSED,
}
for _status in OPEN_STATUSES:
    TRANSITIONS[(_status, Action.WITHDRAW)] = Status.WITHDRAWN


def stage_of(status: Status, *, declined_at_stage: int | None = None) -> int:
    """The stage a complaint is at (a declined escalation stays at the stage it was refused)."""
    if status in (Status.STAGE2_REQUESTED, Status.STAGE2_ACKNOWLEDGED, Status.STAGE2_RESPONDED):
        return 2
    if declined_at_stage:
        return declined_at_stage
    return 1


def next_status(status: Status, action: Action) -> Status:
    """Where ``action`` takes a complaint in ``status``, or a 409 naming what is allowed instead."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        allowed = sorted(a.value for (s, a) in TRANSITIONS if s == status)
        hint = f"; allowed now: {', '.join(allowed)}" if allowed else "; the complaint is finished"
        raise RuleViolation(
            "wrong_state",
            "state",
            f"cannot {action.value.replace('_', ' ')} a complaint that is {status.value.replace('_', ' ')}{hint}",
            kind="conflict",
        ) from None


# -- guards, one per rule --------------------------------------------------------------------


def check_definition(points: Sequence[str], outcomes: Sequence[str]) -> None:
    """Code 5.6: no acknowledgement until the complaint is defined (what, and the outcome wanted)."""
    if not [p for p in points if p.strip()]:
        raise RuleViolation(
            "definition_required",
            "5.6",
            "the complaint cannot be acknowledged until it is defined: record at least one point the resident raised (Code 5.6)",
        )
    if not [o for o in outcomes if o.strip()]:
        raise RuleViolation(
            "outcome_required",
            "5.6",
            "the complaint cannot be acknowledged until the outcome the resident wants is recorded (Code 5.6)",
        )


class DeclineGround(StrEnum):
    """Why a complaint is not accepted, or not escalated. The first three are Code 2.2's."""

    OVER_TWELVE_MONTHS = "over_twelve_months"
    LEGAL_PROCEEDINGS = "legal_proceedings"
    PREVIOUSLY_CONSIDERED = "previously_considered"
    OTHER = "other"


SECTION_2_GROUNDS = frozenset({DeclineGround.OVER_TWELVE_MONTHS, DeclineGround.LEGAL_PROCEEDINGS, DeclineGround.PREVIOUSLY_CONSIDERED})


def check_decline(stage: int, ground: DeclineGround, reasons: str | None) -> str:
    """Code 2.1/2.4: a decline is evidenced with reasons; 5.11: a stage 2 refusal needs a section 2 ground."""
    text = require_text(
        reasons,
        "decline_reasons_required",
        "2.1" if stage == 1 else "5.11",
        "declining a complaint needs the reasons, which the resident will be told",
    )
    if stage == 2 and ground not in SECTION_2_GROUNDS:
        raise RuleViolation(
            "stage2_refusal_ground",
            "5.11",
            "escalation to stage 2 can only be refused on a section 2 ground (over twelve months, "
            "legal proceedings filed, previously considered), clearly set out (Code 5.11)",
        )
    return text


def check_stage2_handler(stage1_people: Collection[int | None], stage2_handler_id: int | None) -> None:
    """Code 6.13: the person considering stage 2 is not anyone who considered stage 1 (its handler,
    or whoever signed its response)."""
    if stage2_handler_id is None:
        raise RuleViolation(
            "stage2_handler_required",
            "6.13",
            "assign a stage 2 handler before acknowledging stage 2: it must be someone other than the stage 1 handler (Code 6.13)",
        )
    if stage2_handler_id in stage1_people:
        raise RuleViolation(
            "same_handler",
            "6.13",
            "the stage 2 handler must not be the person who considered the complaint at stage 1 (Code 6.13)",
        )


def check_not_stage1_person(stage1_people: Collection[int | None], actor_id: int | None) -> None:
    """Code 6.13 for every stage 2 step: whoever considered stage 1 takes no part in stage 2."""
    if actor_id is not None and actor_id in stage1_people:
        raise RuleViolation(
            "same_handler",
            "6.13",
            "you considered this complaint at stage 1, so you cannot act on it at stage 2 (Code 6.13)",
        )


def twelve_month_warning(received_on: dt.date, happened_on: dt.date | None, aware_on: dt.date | None) -> bool:
    """Code 2.3: true when both the issue and the resident's awareness are over 12 months before receipt.

    A warning for the officer, never a refusal: the clock runs from either date and discretion
    must be considered.
    """
    latest = max((d for d in (happened_on, aware_on) if d is not None), default=None)
    if latest is None:
        return False
    try:
        cutoff = received_on.replace(year=received_on.year - 1)
    except ValueError:  # 29 February
        cutoff = received_on.replace(year=received_on.year - 1, day=28)
    return latest < cutoff


def exclusion_flags(
    received_on: dt.date, happened_on: dt.date | None, aware_on: dt.date | None, legal_proceedings: str, previously_considered_ref: str | None
) -> list[str]:
    """The Code 2.2 exclusion facts present on a complaint, for the officer to weigh (never to auto-refuse)."""
    flags = []
    if twelve_month_warning(received_on, happened_on, aware_on):
        flags.append("over_twelve_months")
    if legal_proceedings == "filed":
        flags.append("legal_proceedings_filed")
    if previously_considered_ref:
        flags.append("previously_considered")
    return flags


def check_exclusions_considered(flags: Sequence[str], note: str | None) -> str | None:
    """Code 2.1/2.3: accepting a complaint that carries an exclusion fact records why (discretion considered)."""
    if not flags:
        return (note or "").strip() or None
    return require_text(
        note,
        "exclusion_not_considered",
        "2.3",
        f"this complaint carries exclusion facts ({', '.join(flags)}): record why it is accepted (discretion considered) before acknowledging",
    )


class RelatedIssueRoute(StrEnum):
    JOIN_OPEN_COMPLAINT = "joined"
    NEW_COMPLAINT = "new_complaint"


def related_issue_route(status: Status, related: bool) -> RelatedIssueRoute:
    """Code 6.8: a related issue raised before the stage 1 response joins it; otherwise it is new."""
    if related and status in (Status.RECEIVED, Status.STAGE1_ACKNOWLEDGED):
        return RelatedIssueRoute.JOIN_OPEN_COMPLAINT
    return RelatedIssueRoute.NEW_COMPLAINT
