"""Idempotent creation: a retried POST with the same Idempotency-Key returns the first record."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Header, Response
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from backend.services.records import find_idempotent, remember_idempotent, request_fingerprint

IdempotencyKeyHeader = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=8, max_length=200, description="Send the same key when retrying"),
]


def create_once(
    session: Session,
    response: Response,
    *,
    scope: str,
    key: str | None,
    payload: BaseModel,
    make: Callable[[], str],
    existing: Callable[[str], object],
) -> object:
    """Run ``make`` (returns the new reference) once per key; a replay answers 200 with the same record."""
    if key is None:
        return existing(make())
    fingerprint = request_fingerprint({"scope": scope, "payload": payload.model_dump(mode="json")})
    ref = find_idempotent(session, scope, key, fingerprint)
    if ref is not None:
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
        return existing(ref)
    try:
        with session.begin_nested():
            ref = make()
            remember_idempotent(session, scope, key, fingerprint, ref)
            session.flush()
    except IntegrityError:
        # a concurrent request with the same key won (the savepoint is rolled back): answer with its record
        ref = find_idempotent(session, scope, key, fingerprint)
        if ref is None:
            raise
        response.status_code = 200
        response.headers["Idempotent-Replayed"] = "true"
    return existing(ref)
