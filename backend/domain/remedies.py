"""Putting things right (Code 7.1-7.3) and following through after the response (Code 6.6 / 6.17).

The response is sent when the answer is known, not when the work is finished (6.6): what is still
to do is tracked as actions, each with a kind, a due date and, when done, the update the resident
was given. A complaint cannot be closed while a promised action is open, because closing would
drop the promise from every work list.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from backend.domain.rules import RuleViolation, require_text

#: The largest financial remedy the record takes in one action (£1,000,000), far above any remedy
#: the Ombudsman's guidance contemplates; a bigger number is a typing mistake.
MAX_AMOUNT_PENCE = 100_000_000


class RemedyKind(StrEnum):
    """Code 7.1: the ways a landlord puts things right (an action on a delay is a ``repair`` or ``other``)."""

    APOLOGY = "apology"
    EXPLANATION = "explanation"
    REPAIR = "repair"
    FINANCIAL = "financial"
    RECONSIDER_DECISION = "reconsider_decision"
    AMEND_RECORDS = "amend_records"
    POLICY_CHANGE = "policy_change"
    OTHER = "other"


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"


@dataclass(frozen=True)
class NewAction:
    """An action as the domain accepts it: text trimmed, the amount only on a financial remedy."""

    kind: RemedyKind
    description: str
    amount_pence: int | None
    due_on: dt.date | None


def check_new_action(
    *,
    complaint_finished: bool,
    kind: RemedyKind,
    description: str | None,
    amount_pence: int | None,
    due_on: dt.date | None,
    today: dt.date,
) -> NewAction:
    """Code 5.13 (a remedy at any stage), 7.1 (the kinds), 7.3 (what will happen and by when).

    Refused on a closed, declined or withdrawn complaint: a closed case has no open work list to
    carry the promise, so it would never be followed up.
    """
    if complaint_finished:
        raise RuleViolation(
            "complaint_finished",
            "state",
            "the complaint is finished (closed, declined or withdrawn): remedies and actions are added while it is open",
            kind="conflict",
        )
    text = require_text(description, "action_description_required", "7.3", "say what will be done for the resident")
    if kind is RemedyKind.FINANCIAL:
        if amount_pence is None or amount_pence <= 0:
            raise RuleViolation("amount_required", "7.1", "a financial remedy needs the amount offered, in pence, above zero (Code 7.1)")
        if amount_pence > MAX_AMOUNT_PENCE:
            raise RuleViolation("amount_too_large", "7.1", f"{amount_pence} pence is more than £{MAX_AMOUNT_PENCE // 100:,}: check the amount")
    elif amount_pence is not None:
        raise RuleViolation(
            "amount_only_for_financial",
            "7.1",
            f"an amount belongs to a financial remedy, not to {kind.value.replace('_', ' ')}: add the payment as its own financial remedy",
        )
    if due_on is not None and due_on < today:
        raise RuleViolation("due_in_past", "7.3", f"the due date {due_on.isoformat()} has passed: give the date it will now be done by (Code 7.3)")
    return NewAction(kind=kind, description=text, amount_pence=amount_pence, due_on=due_on)


def is_overdue(status: str, due_on: dt.date | None, today: dt.date) -> bool:
    """An open action past its due date; 6.6 asks for actions to be done 'expeditiously'."""
    return status == ActionStatus.OPEN and due_on is not None and due_on < today


def check_done(status: str, resident_update: str | None) -> str:
    """Code 6.6 / 6.17: an action is marked done only with the update the resident will be given."""
    if status == ActionStatus.DONE:
        raise RuleViolation("action_already_done", "state", "this action is already done; its update to the resident is on the record", kind="conflict")
    return require_text(resident_update, "resident_update_required", "6.6", "say what the resident will be told now that this is done")


@dataclass(frozen=True)
class OpenAction:
    id: int
    description: str
    due_on: dt.date | None


def check_can_close(open_actions: Sequence[OpenAction], stage: int = 1) -> None:
    """A complaint is not closed while actions promised to the resident are open (Code 6.6 / 6.17).

    Mark each one done (with the update to the resident) first, so nothing promised is forgotten.
    """
    if not open_actions:
        return
    provision = "6.17" if stage == 2 else "6.6"
    listed = "; ".join(f"#{a.id} {a.description[:60]}" + (f" (due {a.due_on.isoformat()})" if a.due_on else "") for a in open_actions[:5])
    more = f" and {len(open_actions) - 5} more" if len(open_actions) > 5 else ""
    raise RuleViolation(
        "actions_outstanding",
        provision,
        f"{len(open_actions)} action(s) promised to the resident are still open: {listed}{more}. "
        f"Mark them done with an update to the resident before closing (Code {provision})",
        kind="conflict",
    )
