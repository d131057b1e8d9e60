"""Staff login and accounts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, StringConstraints
from sqlalchemy import select

from backend.api.deps import CtxDep, ManagerDep, OfficerDep, SessionDep, StaffDep, bearer
from backend.api.schemas import LoginIn, LoginOut, StaffOut
from backend.db.models import StaffUser
from backend.services import staff
from backend.services.records import record_event

router = APIRouter(prefix="/api/v1", tags=["staff"])


@router.post("/auth/login", response_model=LoginOut, responses={401: {"description": "wrong email or password"}, 429: {"description": "too many failures"}})
def login(data: LoginIn, request: Request, session: SessionDep, ctx: CtxDep) -> LoginOut | JSONResponse:
    """Ten failed tries for one email in 15 minutes and further tries are refused for a while."""
    settings_hours = request.app.state.settings.staff_session_hours
    try:
        staff.check_login_allowed(session, data.email, ctx.now())
        token, s = staff.login(session, data.email, data.password, ctx.now(), settings_hours)
    except staff.TooManyLogins:
        return JSONResponse({"detail": "too many failed logins for this account: wait 15 minutes"}, status_code=429, headers={"Retry-After": "900"})
    except staff.AuthError:
        # answered, not raised, so the failure is committed and counted
        staff.record_login_failure(session, data.email, ctx.now())
        return JSONResponse({"detail": "wrong email or password"}, status_code=401)
    record_event(session, "staff_login", f"{s.user.role}:{s.user.id}")
    return LoginOut(token=token, expires_at=s.expires_at, role=s.user.role, name=s.user.name)


@router.post("/auth/logout", status_code=204)
def logout(session: SessionDep, ctx: CtxDep, _: StaffDep, creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> None:
    if creds is not None:
        staff.logout(session, creds.credentials, ctx.now())


@router.get("/auth/me", response_model=StaffOut)
def me(who: StaffDep) -> StaffOut:
    assert who.user is not None
    u = who.user
    return StaffOut(id=u.id, email=u.email, name=u.name, role=u.role)


class StaffCreate(BaseModel):
    email: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=254, pattern=r"^[^@\s]+@[^@\s]+$")]
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    role: staff.Role
    password: Annotated[str, StringConstraints(min_length=staff.MIN_PASSWORD_LENGTH, max_length=500)]


@router.post("/staff", response_model=StaffOut, status_code=201)
def create_staff(data: StaffCreate, session: SessionDep, who: ManagerDep) -> StaffOut:
    try:
        u = staff.create_user(session, data.email, data.name, data.role, data.password)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from None
    record_event(session, "staff_created", who.actor, staff_id=u.id, role=u.role)
    return StaffOut(id=u.id, email=u.email, name=u.name, role=u.role)


@router.get("/staff", response_model=list[StaffOut])
def list_staff(session: SessionDep, _: OfficerDep) -> list[StaffOut]:
    rows = session.scalars(select(StaffUser).where(StaffUser.active.is_(True)).order_by(StaffUser.name))
    return [StaffOut(id=u.id, email=u.email, name=u.name, role=u.role) for u in rows]
