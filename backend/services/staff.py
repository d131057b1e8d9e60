"""Staff accounts, roles and login sessions (argon2 passwords, opaque revocable tokens)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from backend.db.models import LookupAttempt, StaffSession, StaffUser

_hasher = PasswordHasher()
#: Verified against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 12


class Role(StrEnum):
    AGENT = "agent"
    OFFICER = "officer"
    MANAGER = "manager"


class AuthError(Exception):
    pass


class TooManyLogins(Exception):
    pass


#: Failed logins per email address allowed in the window before further tries are refused.
MAX_LOGIN_FAILURES = 10
LOGIN_WINDOW = dt.timedelta(minutes=15)


def _login_key(email: str) -> str:
    return hashlib.sha256(f"login:{email.strip().lower()}".encode()).hexdigest()


def check_login_allowed(session: Session, email: str, now: dt.datetime) -> None:
    failures = session.scalar(
        select(func.count()).select_from(LookupAttempt).where(LookupAttempt.key == _login_key(email), LookupAttempt.at >= now - LOGIN_WINDOW)
    )
    if (failures or 0) >= MAX_LOGIN_FAILURES:
        raise TooManyLogins


def record_login_failure(session: Session, email: str, now: dt.datetime) -> None:
    session.add(LookupAttempt(key=_login_key(email), at=now))


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def create_user(session: Session, email: str, name: str, role: Role, password: str) -> StaffUser:
    email = email.strip().lower()
    if session.scalar(select(StaffUser).where(StaffUser.email == email)):
        raise ValueError(f"a staff user with email {email} already exists")
    user = StaffUser(email=email, name=name.strip(), role=role.value, password_hash=hash_password(password), active=True)
    session.add(user)
    session.flush()
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(session: Session, email: str, password: str, now: dt.datetime, hours: int) -> tuple[str, StaffSession]:
    user = session.scalar(select(StaffUser).where(StaffUser.email == email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except VerificationError:
        raise AuthError("wrong email or password") from None
    if user is None or not user.active:
        raise AuthError("wrong email or password")
    token = secrets.token_urlsafe(32)
    s = StaffSession(user_id=user.id, token_hash=_token_hash(token), created_at=now, expires_at=now + dt.timedelta(hours=hours))
    s.user = user
    session.add(s)
    session.flush()
    return token, s


def user_for_token(session: Session, token: str, now: dt.datetime) -> StaffUser | None:
    s = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if s is None or s.revoked_at is not None or s.expires_at <= now or not s.user.active:
        return None
    return s.user


def logout(session: Session, token: str, now: dt.datetime) -> None:
    s = session.scalar(select(StaffSession).where(StaffSession.token_hash == _token_hash(token)))
    if s is not None and s.revoked_at is None:
        s.revoked_at = now
