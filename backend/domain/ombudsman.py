"""Housing Ombudsman signposting: one versioned template, used by every notice and reply.

Current facts (see ../shared/research/complaint-handling-code.md §2): phone 0300 111 3000, the
online form, post to PO Box 1484. From 13 January 2026 the Ombudsman no longer accepts new cases
by email, so no email address is given; and the "designated person" / eight-week wait was
abolished on 1 October 2022, so it is never mentioned.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

TEMPLATE_VERSION = "2026-01-13"

PHONE = "0300 111 3000"
ONLINE_FORM = "www.housing-ombudsman.org.uk/residents/make-a-complaint/"
POSTAL_ADDRESS = "Housing Ombudsman Service, PO Box 1484, Unit D, Preston, PR2 0ET"


class Moment(StrEnum):
    """When the resident is being signposted; the wording differs, the contact details never do."""

    GENERAL = "general"
    ACKNOWLEDGEMENT = "acknowledgement"
    EXTENSION = "extension"  # Code 6.5 / 6.16
    DECLINE = "decline"  # Code 2.4
    ESCALATION_REFUSED = "escalation_refused"  # Code 5.11
    STAGE1_RESPONSE = "stage1_response"
    FINAL_RESPONSE = "final_response"  # Code 6.19(g)


_LEADS: dict[Moment, str] = {
    Moment.GENERAL: ("You can contact the Housing Ombudsman Service at any time for free, independent and impartial advice about your complaint."),
    Moment.ACKNOWLEDGEMENT: (
        "You can contact the Housing Ombudsman Service at any time during your complaint for free, "
        "independent and impartial advice. If we do not respond within our timescales, the "
        "Ombudsman can help you get a response."
    ),
    Moment.EXTENSION: (
        "We are sorry this will take longer. You can contact the Housing Ombudsman Service at any "
        "time for free, independent and impartial advice, including about this extension."
    ),
    Moment.DECLINE: (
        "If you disagree with our decision not to accept your complaint, you have the right to ask "
        "the Housing Ombudsman Service to look at it. The Ombudsman can tell us to take your "
        "complaint on."
    ),
    Moment.ESCALATION_REFUSED: (
        "If you disagree with our decision not to escalate your complaint to stage 2, you have the right to ask the Housing Ombudsman Service to look at it."
    ),
    Moment.STAGE1_RESPONSE: (
        "If you are not satisfied with this response you can ask us to escalate your complaint to "
        "stage 2; you do not have to give a reason. You can also contact the Housing Ombudsman "
        "Service at any time for free, independent and impartial advice."
    ),
    Moment.FINAL_RESPONSE: (
        "This is our final (stage 2) response. If you remain dissatisfied, you can ask the Housing "
        "Ombudsman Service to investigate your complaint. You normally have 12 months from the "
        "date of this response to do so."
    ),
}


@dataclass(frozen=True)
class Signposting:
    version: str
    moment: Moment
    text: str


def contact_details() -> str:
    return f"Online: {ONLINE_FORM} · Phone: {PHONE} · Post: {POSTAL_ADDRESS}."


def signposting(moment: Moment = Moment.GENERAL) -> Signposting:
    """The resident-facing paragraph for a moment, with the Ombudsman's current contact details."""
    return Signposting(version=TEMPLATE_VERSION, moment=moment, text=f"{_LEADS[moment]} {contact_details()}")
