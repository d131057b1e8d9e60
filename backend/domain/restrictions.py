"""Restricting contact for unacceptable behaviour (Code 5.14 / 5.15), proportionately and under review.

A restriction limits *how* the resident contacts the landlord (one named officer, email only, set
times); it never stops the resident complaining, and it never stops a complaint moving through the
stages or being escalated to the Ombudsman. The record therefore keeps the reasons, the regard
paid to the Equality Act 2010 (5.15), and a review date no more than six months ahead, so no
restriction runs on unexamined. A restriction is ended with a reason, never deleted.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

from backend.domain.rules import RuleViolation, require_text

#: The longest a restriction may run before it is reviewed.
MAX_REVIEW_MONTHS = 6

#: What the record and the case page say beside every restriction.
COMPLAINTS_UNAFFECTED = (
    "This restriction limits how the resident contacts us. It does not stop them complaining, "
    "escalating a complaint, or going to the Housing Ombudsman, and their complaints continue to be handled."
)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, or the month's last day when it is shorter (31 Aug + 6 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def latest_review_date(today: dt.date) -> dt.date:
    return add_months(today, MAX_REVIEW_MONTHS)


@dataclass(frozen=True)
class NewRestriction:
    restriction: str
    reasons: str
    equality_considerations: str
    review_on: dt.date


def check_restriction(
    restriction: str | None,
    reasons: str | None,
    equality_considerations: str | None,
    review_on: dt.date,
    today: dt.date,
) -> NewRestriction:
    """Code 5.14 / 5.15: what is restricted, why, the Equality Act regard, and a review within six months.

    Nothing here can forbid a complaint: the restriction describes a way of making contact, and
    the complaint process carries on whatever it says (see the module docstring).
    """
    what = require_text(restriction, "restriction_required", "5.14", "say what contact is restricted and how the resident can still reach us")
    why = require_text(reasons, "restriction_reasons_required", "5.14", "give the reasons for restricting contact: the behaviour and why less would not do")
    equality = require_text(
        equality_considerations,
        "equality_considerations_required",
        "5.15",
        "record the regard paid to the Equality Act 2010: the resident's disclosed needs and adjustments and whether the behaviour relates to them",
    )
    latest = latest_review_date(today)
    if review_on <= today:
        raise RuleViolation("review_date_not_future", "5.15", f"the review date {review_on.isoformat()} must be after today ({today.isoformat()})")
    if review_on > latest:
        raise RuleViolation(
            "review_too_far",
            "5.15",
            f"review the restriction within {MAX_REVIEW_MONTHS} months, by {latest.isoformat()} at the latest: "
            f"{review_on.isoformat()} is too far ahead for a proportionate restriction (Code 5.15)",
        )
    return NewRestriction(restriction=what, reasons=why, equality_considerations=equality, review_on=review_on)


def check_end(already_ended: bool, reason: str | None) -> str:
    """Ending a restriction keeps it on the record, with why it ended (reviewed, behaviour changed...)."""
    if already_ended:
        raise RuleViolation("restriction_already_ended", "state", "this restriction has already ended", kind="conflict")
    return require_text(reason, "end_reason_required", "5.15", "say why the restriction is ending (e.g. reviewed and no longer needed)")


def due_for_review(review_on: dt.date, today: dt.date, active: bool) -> bool:
    return active and review_on <= today
