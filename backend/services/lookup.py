"""A resident checks their own case: reference plus postcode, with guessing limited.

A wrong reference and a wrong postcode get the same answer, so the lookup cannot be used to
discover which references exist; failures are counted per reference, per client and per postcode.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from backend.api.schemas import LookupOut
from backend.db.models import Complaint, LookupAttempt, ServiceRequest
from backend.db.session import session_scope
from backend.domain import complaints as rules
from backend.domain.complaints import Status
from backend.domain.ombudsman import Moment, signposting
from backend.services.complaints import current_due
from backend.services.context import CaseContext
from backend.services.residents import normalise_postcode

NEXT_STEPS: dict[Status, str] = {
    Status.RECEIVED: "We have received your complaint and will acknowledge it by the date shown.",
    Status.STAGE1_ACKNOWLEDGED: "Your stage 1 complaint is being looked into; we will respond by the date shown.",
    Status.STAGE1_RESPONDED: "We have sent our stage 1 response. If you are not satisfied you can ask to escalate to stage 2.",
    Status.STAGE2_REQUESTED: "We have your request to escalate to stage 2 and will acknowledge it by the date shown.",
    Status.STAGE2_ACKNOWLEDGED: "Your stage 2 complaint is being reviewed by someone new; we will respond by the date shown.",
    Status.STAGE2_RESPONDED: "We have sent our final stage 2 response. You can ask the Housing Ombudsman to investigate.",
    Status.CLOSED: "Your complaint is closed.",
    Status.DECLINED: "We decided not to take this complaint forward and wrote to you with our reasons.",
    Status.WITHDRAWN: "This complaint was withdrawn.",
}


class TooManyAttempts(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__("too many attempts")
        self.retry_after_seconds = retry_after_seconds


class NotVerified(Exception):
    """Wrong reference or wrong postcode: deliberately the same answer for both."""


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def _keys(reference: str, client_id: str, postcode: str) -> list[str]:
    """Failures count per reference, per client and per postcode: references are sequential and a new
    conversation is a new client, so without the postcode one could walk the references for a household."""
    place = normalise_postcode(postcode) or postcode.strip().upper().replace(" ", "")
    return sorted({_key("ref", reference.strip().upper()), _key("client", client_id), _key("postcode", place)})


def _lock(session: Session, keys: list[str]) -> None:
    """On PostgreSQL, serialise attempts on the same reference or client until this transaction ends,
    so parallel guesses cannot all pass the count before any failure is written."""
    if session.get_bind().dialect.name == "postgresql":
        for key in keys:
            session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": int(key[:15], 16)})


def _failures(session: Session, key: str, since: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(LookupAttempt).where(LookupAttempt.key == key, LookupAttempt.at >= since)) or 0


def _expected_postcode(session: Session, reference: str) -> str:
    """The postcode on record for a complaint (CMP-...) or service request (SR-...), or '' if none."""
    ref = reference.strip().upper()
    if ref.startswith("SR-"):
        sr = session.scalar(select(ServiceRequest).where(ServiceRequest.reference == ref))
        if sr is None:
            return ""
        return normalise_postcode(sr.postcode) or (sr.resident.postcode_norm if sr.resident else None) or ""
    return session.scalar(select(Complaint.postcode_norm).where(Complaint.reference == ref)) or ""


def _matches(session: Session, reference: str, postcode: str) -> bool:
    given = normalise_postcode(postcode) or ""
    expected = _expected_postcode(session, reference)
    # compare in constant time, and even when the reference is unknown
    same = hmac.compare_digest(given.encode(), expected.encode())
    return bool(expected) and same


def verify(
    factory: sessionmaker[Session],
    ctx: CaseContext,
    *,
    reference: str,
    postcode: str,
    client_id: str,
    max_failures: int,
    window: dt.timedelta,
) -> None:
    """Check reference + postcode in a transaction of its own, so a failure is counted even though
    the caller's request is refused. Raises TooManyAttempts or NotVerified."""
    for session in session_scope(factory):
        keys = _keys(reference, client_id, postcode)
        _lock(session, keys)
        now = ctx.now()
        if any(_failures(session, key, now - window) >= max_failures for key in keys):
            raise TooManyAttempts(int(window.total_seconds()))
        if _matches(session, reference, postcode):
            return
        session.execute(delete(LookupAttempt).where(LookupAttempt.at < now - 4 * window))
        session.add_all(LookupAttempt(key=key, at=now) for key in keys)
    raise NotVerified


def _handler_name(c: Complaint) -> str | None:
    """The current stage's handler, by first name only: enough for the resident to ask for them."""
    handler = c.stage2_handler if c.stage2_handler_id else c.stage1_handler
    return handler.name.split()[0] if handler else None


def status(session: Session, ctx: CaseContext, reference: str) -> LookupOut:
    """What a verified resident may see: stage, status, next step, dates and who is handling it."""
    complaint = session.scalar(select(Complaint).where(Complaint.reference == reference.strip().upper()))
    if complaint is None:  # staff skip the postcode check, so an unknown reference can reach here
        raise NotVerified
    st = Status(complaint.status)
    due = current_due(ctx, ctx.calendar(session), complaint)
    return LookupOut(
        reference=complaint.reference,
        status=st.value,
        stage=rules.stage_of(st, declined_at_stage=complaint.declined_at_stage),
        received_on=complaint.received_on,
        next_step=NEXT_STEPS[st],
        due_by=due,
        handled_by=_handler_name(complaint),
        ombudsman_signposting=signposting(Moment.GENERAL).text,
    )
