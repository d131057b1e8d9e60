"""People acting for a resident (Code 1.3, 3.6), and what they may see before their authority is confirmed."""

from __future__ import annotations

from enum import StrEnum


class Relationship(StrEnum):
    FAMILY = "family"
    FRIEND = "friend"
    ADVOCATE = "advocate"
    SUPPORT_WORKER = "support_worker"
    MP = "mp"
    COUNCILLOR = "councillor"
    SOLICITOR = "solicitor"
    OTHER = "other"


class AuthorityStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REFUSED = "refused"


def may_see_personal_details(status: AuthorityStatus) -> bool:
    """Only a representative whose authority is confirmed sees the resident's personal details."""
    return status is AuthorityStatus.CONFIRMED
