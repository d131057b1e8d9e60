"""Request dependencies: one transaction per request, and who is asking (staff role or the action server)."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from backend.db.models import StaffUser
from backend.db.session import session_scope
from backend.services import staff
from backend.services.context import CaseContext
from backend.settings import Settings

bearer = HTTPBearer(auto_error=False, description="A staff login token, or the action server's service token")


def get_settings_dep(request: Request) -> Settings:
    return request.app.state.settings


def get_session(request: Request) -> Iterator[Session]:
    yield from session_scope(request.app.state.sessionmaker)


def get_ctx(request: Request) -> CaseContext:
    return request.app.state.ctx


# scope="function": the transaction commits before the response is sent, so a caller never
# receives a reference for something that was not stored.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
CtxDep = Annotated[CaseContext, Depends(get_ctx)]


@dataclass(frozen=True)
class Principal:
    kind: str  # "staff" | "service"
    user: StaffUser | None = None

    @property
    def actor(self) -> str:
        """How the record names who acted: role and staff id, never a password or token."""
        if self.user is None:
            return "service:action-server"
        return f"{self.user.role}:{self.user.id}"

    @property
    def user_id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def role(self) -> str:
        return self.user.role if self.user else "service"


def _principal(request: Request, session: SessionDep, ctx: CtxDep, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal | None:
    if creds is None or creds.scheme.lower() != "bearer":
        return None
    token = creds.credentials
    service_token: str | None = request.app.state.settings.service_token
    if service_token and hmac.compare_digest(token.encode(), service_token.encode()):
        return Principal("service")
    user = staff.user_for_token(session, token, ctx.now())
    if user is None:
        raise HTTPException(401, "your login has expired or the token is not valid: log in again", headers={"WWW-Authenticate": "Bearer"})
    return Principal("staff", user)


OptionalPrincipal = Annotated[Principal | None, Depends(_principal)]


def _principal_brief(request: Request, ctx: CtxDep, creds: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Principal | None:
    """The same check in a transaction of its own, closed before the endpoint runs.

    For the asynchronous endpoints that do their database work through the hub: on SQLite a
    request-long transaction would hold the write lock their own transaction then waits for.
    """
    session = request.app.state.sessionmaker()
    try:
        found = _principal(request, session, ctx, creds)
        session.commit()
        return found
    finally:
        session.close()


BriefPrincipal = Annotated[Principal | None, Depends(_principal_brief)]


def _check(principal: Principal | None, roles: tuple[str, ...], service: bool) -> Principal:
    if principal is None:
        raise HTTPException(401, "log in first: this needs a staff login or the service token", headers={"WWW-Authenticate": "Bearer"})
    if principal.kind == "service":
        if service:
            return principal
        raise HTTPException(403, "the action server's token cannot do this: it needs a staff login")
    if principal.role not in roles:
        raise HTTPException(403, f"your role ({principal.role}) cannot do this: it needs {' or '.join(roles)}")
    return principal


#: Marks the dependencies that refuse a caller without credentials, so that the validation-error
#: handler can answer such a caller 401 too (FastAPI validates the body before dependencies run).
NEEDS_LOGIN = "_needs_login"


async def has_credentials(request: Request) -> bool:
    """Whether the request carries a bearer token, read as the login dependency reads it."""
    return await bearer(request) is not None


def route_needs_login(request: Request) -> bool:
    """Whether the matched route has a ``require``/``require_brief`` dependency anywhere in its tree."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return False
    pending = [dependant]
    while pending:
        current = pending.pop()
        if getattr(current.call, NEEDS_LOGIN, False):
            return True
        pending.extend(current.dependencies)
    return False


def require_brief(*roles: str, service: bool = False) -> Callable[..., Principal]:
    """Like ``require``, without holding a transaction open during the endpoint (see _principal_brief)."""

    def dep(principal: BriefPrincipal) -> Principal:
        return _check(principal, roles, service)

    setattr(dep, NEEDS_LOGIN, True)
    return dep


def require(*roles: str, service: bool = False) -> Callable[..., Principal]:
    """A dependency admitting the given staff roles, and the action server when ``service`` is true."""

    def dep(principal: OptionalPrincipal) -> Principal:
        return _check(principal, roles, service)

    setattr(dep, NEEDS_LOGIN, True)
    return dep


ANY_STAFF = ("agent", "officer", "manager")
CASEWORK = ("officer", "manager")

IntakeDep = Annotated[Principal, Depends(require(*ANY_STAFF, service=True))]
StaffDep = Annotated[Principal, Depends(require(*ANY_STAFF))]
OfficerDep = Annotated[Principal, Depends(require(*CASEWORK))]
ManagerDep = Annotated[Principal, Depends(require("manager"))]
# For asynchronous endpoints working through the hub (no request-long transaction).
BriefIntakeDep = Annotated[Principal, Depends(require_brief(*ANY_STAFF, service=True))]
BriefStaffDep = Annotated[Principal, Depends(require_brief(*ANY_STAFF))]
