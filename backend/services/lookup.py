"""A resident checks their own case: reference plus postcode, with guessing limited.

A wrong reference and a wrong postcode get the same answer, so the lookup cannot be used to
discover which references exist; failures are counted per reference and per client.
"""

from __future__ import annotations

import datetime as dt
import hmac

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from backend.api.schemas import LookupIn, LookupOut
from backend.db.models import Complaint, LookupAttempt
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


def _failures(session: Session, key: str, since: dt.datetime) -> int:
    return session.scalar(select(func.count()).select_from(LookupAttempt).where(LookupAttempt.key == key, LookupAttempt.at >= since)) or 0


def check_allowed(session: Session, ctx: CaseContext, data: LookupIn, max_failures: int, window: dt.timedelta) -> list[str]:
    """The rate-limit keys for this attempt; raises TooManyAttempts if any is exhausted."""
    keys = [f"ref:{data.reference}"] + ([f"client:{data.client_id}"] if data.client_id else [])
    since = ctx.now() - window
    if any(_failures(session, key, since) >= max_failures for key in keys):
        raise TooManyAttempts(int(window.total_seconds()))
    return keys


def record_failure(session: Session, ctx: CaseContext, keys: list[str], window: dt.timedelta) -> None:
    now = ctx.now()
    session.execute(delete(LookupAttempt).where(LookupAttempt.at < now - 4 * window))
    session.add_all(LookupAttempt(key=key, at=now) for key in keys)


def find(session: Session, ctx: CaseContext, data: LookupIn) -> LookupOut | None:
    complaint = session.scalar(select(Complaint).where(Complaint.reference == data.reference))
    given = normalise_postcode(data.postcode) or ""
    expected = (complaint.postcode_norm if complaint else None) or ""
    # compare in constant time, and even when the reference is unknown
    if complaint is None or not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return None
    status = Status(complaint.status)
    due = current_due(ctx, ctx.calendar(session), complaint)
    return LookupOut(
        reference=complaint.reference,
        status=status.value,
        stage=rules.stage_of(status, declined_at_stage=complaint.declined_at_stage),
        received_on=complaint.received_on,
        next_step=NEXT_STEPS[status],
        due_by=due,
        ombudsman_signposting=signposting(Moment.GENERAL).text,
    )
