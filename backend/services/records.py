"""Writing to the record: events, references and idempotent creation."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.db.models import Event, IdempotencyKey, ReferenceCounter


def record_event(
    session: Session,
    type_: str,
    actor: str,
    *,
    complaint_id: int | None = None,
    service_request_id: int | None = None,
    resident_id: int | None = None,
    **details: Any,
) -> Event:
    event = Event(
        type=type_,
        actor=actor,
        complaint_id=complaint_id,
        service_request_id=service_request_id,
        resident_id=resident_id,
        details=json.loads(json.dumps(details, default=str)),
    )
    session.add(event)
    return event


def next_reference(session: Session, prefix: str, year: int) -> str:
    """The next reference for a prefix and year, e.g. CMP-2026-000123, safe under concurrency."""
    stmt = (
        update(ReferenceCounter)
        .where(ReferenceCounter.prefix == prefix, ReferenceCounter.year == year)
        .values(value=ReferenceCounter.value + 1)
        .returning(ReferenceCounter.value)
    )
    value = session.execute(stmt).scalar_one_or_none()
    if value is None:
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(prefix=prefix, year=year, value=1))
            value = 1
        except IntegrityError:  # another transaction created the counter first
            value = session.execute(stmt).scalar_one()
    return f"{prefix}-{year}-{value:06d}"


def request_fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyConflict(Exception):
    """The key was used before with a different request."""


def find_idempotent(session: Session, scope: str, key: str, fingerprint: str) -> str | None:
    """The reference created by an earlier request with this key, or None if the key is new."""
    row = session.scalar(select(IdempotencyKey).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key))
    if row is None:
        return None
    if row.request_hash != fingerprint:
        raise IdempotencyConflict(f"Idempotency-Key {key!r} was already used for a different {scope} request; use a new key")
    return row.resource_ref


def remember_idempotent(session: Session, scope: str, key: str, fingerprint: str, ref: str) -> None:
    session.add(IdempotencyKey(scope=scope, key=key, request_hash=fingerprint, resource_ref=ref))
