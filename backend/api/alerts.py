"""A complaints officer's or manager's deadline alerts (the scan that makes them runs on a timer)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel

from backend.api.deps import CtxDep, OfficerDep, SessionDep
from backend.services import alerts

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


class AlertOut(BaseModel):
    id: int
    reference: str
    kind: alerts.AlertKind
    due_on: dt.date
    text: str
    created_at: dt.datetime
    read_at: dt.datetime | None


@router.get("", response_model=list[AlertOut])
def my_alerts(
    session: SessionDep,
    who: OfficerDep,
    unread: bool = False,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[AlertOut]:
    """Your alerts: cases you handle that are due soon or overdue (managers: every overdue case)."""
    assert who.user_id is not None
    return [
        AlertOut(id=a.id, reference=ref, kind=alerts.AlertKind(a.kind), due_on=a.due_on, text=a.text, created_at=a.created_at, read_at=a.read_at)
        for a, ref in alerts.for_staff(session, who.user_id, unread_only=unread, limit=limit)
    ]


@router.post("/{alert_id}/read", status_code=204)
def mark_read(alert_id: int, session: SessionDep, ctx: CtxDep, who: OfficerDep) -> None:
    assert who.user_id is not None
    if not alerts.mark_read(session, who.user_id, alert_id, ctx.now()):
        raise HTTPException(404, f"you have no alert {alert_id}")
