"""Reasonable adjustments and disclosed needs (Code 5.10, Equality Act 2010), kept under review."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from backend.domain.restrictions import add_months
from backend.domain.rules import RuleViolation

#: How long an agreed adjustment runs before it is reviewed, unless a date is agreed.
DEFAULT_REVIEW_MONTHS = 12


class AdjustmentType(StrEnum):
    LARGE_PRINT = "large_print"
    AUDIO = "audio"
    BRAILLE = "braille"
    BSL = "bsl"
    INTERPRETER = "interpreter"
    EASY_READ = "easy_read"
    TEXT_ONLY = "text_only"
    CONTACT_TIMES = "contact_times"
    EXTRA_TIME = "extra_time"
    ADVOCATE = "advocate"
    PERSON = "needs_person"  # talk to a person, not the automated assistant: the hub hands over at once
    OTHER = "other"


def default_review_date(agreed_on: dt.date) -> dt.date:
    """Twelve months on, so no adjustment is left unreviewed (5.10 'kept under active review')."""
    year, month = agreed_on.year + DEFAULT_REVIEW_MONTHS // 12, agreed_on.month
    try:
        return agreed_on.replace(year=year, month=month)
    except ValueError:
        return agreed_on.replace(year=year, month=month, day=28)


def due_for_review(review_on: dt.date | None, today: dt.date) -> bool:
    return review_on is not None and review_on <= today


def check_review_date(review_on: dt.date, today: dt.date) -> dt.date:
    """Code 5.10 'kept under active review': the next review is after today and within twelve months."""
    latest = add_months(today, DEFAULT_REVIEW_MONTHS)
    if review_on <= today:
        raise RuleViolation("review_date_not_future", "5.10", f"the next review date {review_on.isoformat()} must be after today ({today.isoformat()})")
    if review_on > latest:
        raise RuleViolation(
            "review_too_far",
            "5.10",
            f"review an adjustment at least every {DEFAULT_REVIEW_MONTHS} months, by {latest.isoformat()} at the latest (Code 5.10: kept under active review)",
        )
    return review_on
