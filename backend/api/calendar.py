"""Working-day arithmetic over HTTP, and the landlord's closure days."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel

from backend.api.deps import CtxDep, ManagerDep, SessionDep, StaffDep
from backend.api.schemas import ClosureDayIn, ClosureDayOut
from backend.domain.calendar import calendar_for, normalise_region
from backend.services import closures

router = APIRouter(prefix="/api/v1/calendar", tags=["calendar"])


class AddWorkingDaysOut(BaseModel):
    start: dt.date
    days: int
    region: str
    date: dt.date


class BetweenOut(BaseModel):
    start: dt.date
    end: dt.date
    region: str
    working_days: int


RegionQ = Annotated[str, Query(max_length=40, description="england-and-wales, scotland or northern-ireland (or ENG/WLS/SCT/NIR)")]


def _calendar(session: SessionDep, ctx: CtxDep, region: str):  # noqa: ANN202
    region = normalise_region(region)
    closures_set = frozenset(d.day for d in closures.list_days(session))
    return calendar_for(region, closures_set)


@router.get("/add-working-days", response_model=AddWorkingDaysOut)
def add_working_days(
    session: SessionDep,
    ctx: CtxDep,
    start: Annotated[dt.date, Query(description="YYYY-MM-DD; this day never counts")],
    days: Annotated[int, Query(ge=0, le=5000, description="working days to add (0 or more)")],
    region: RegionQ = "england-and-wales",
) -> AddWorkingDaysOut:
    """The ``days``-th working day after ``start`` — "within N working days of D"."""
    cal = _calendar(session, ctx, region)
    return AddWorkingDaysOut(start=start, days=days, region=cal.region, date=cal.add_working_days(start, days))


@router.get("/working-days-between", response_model=BetweenOut)
def working_days_between(
    session: SessionDep,
    ctx: CtxDep,
    start: dt.date,
    end: dt.date,
    region: RegionQ = "england-and-wales",
) -> BetweenOut:
    """Working days after ``start`` up to and including ``end``: days remaining, or (negative) days late."""
    cal = _calendar(session, ctx, region)
    return BetweenOut(start=start, end=end, region=cal.region, working_days=cal.working_days_between(start, end))


@router.get("/closure-days", response_model=list[ClosureDayOut])
def list_closure_days(session: SessionDep, _: StaffDep) -> list[ClosureDayOut]:
    return [ClosureDayOut(day=d.day, reason=d.reason) for d in closures.list_days(session)]


@router.post("/closure-days", response_model=ClosureDayOut, status_code=201)
def add_closure_day(data: ClosureDayIn, session: SessionDep, ctx: CtxDep, who: ManagerDep) -> ClosureDayOut:
    row = closures.add(session, ctx, data.day, data.reason, who.actor)
    return ClosureDayOut(day=row.day, reason=row.reason)


@router.delete("/closure-days/{day}", status_code=204)
def remove_closure_day(day: dt.date, session: SessionDep, ctx: CtxDep, who: ManagerDep) -> None:
    closures.remove(session, ctx, day, who.actor)
