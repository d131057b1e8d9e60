"""Every refusal is a 4xx with a reason a person can act on; database outages are a 503 to retry."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.domain.calendar import CalendarError
from backend.domain.rules import RuleViolation
from backend.services.complaints import NotFound
from backend.services.lookup import TooManyAttempts
from backend.services.records import IdempotencyConflict

log = logging.getLogger("backend.errors")


def _where(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


def install(app: FastAPI) -> None:
    @app.exception_handler(RuleViolation)
    async def _rule(_: Request, exc: RuleViolation) -> JSONResponse:
        return JSONResponse(exc.as_dict(), status_code=409 if exc.kind == "conflict" else 422)

    @app.exception_handler(OverflowError)
    @app.exception_handler(DataError)
    async def _out_of_range(request: Request, exc: Exception) -> JSONResponse:
        # an id or number too big for the database (SQLite raises OverflowError, PostgreSQL a DataError)
        log.warning("value out of range", extra={"path": request.url.path, "error": type(exc).__name__})
        return JSONResponse({"detail": "a number or value in the request is out of range"}, status_code=422)

    @app.exception_handler(NotFound)
    async def _not_found(_: Request, exc: NotFound) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(CalendarError)
    async def _calendar(_: Request, exc: CalendarError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(IdempotencyConflict)
    async def _idem(_: Request, exc: IdempotencyConflict) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(TooManyAttempts)
    async def _too_many(_: Request, exc: TooManyAttempts) -> JSONResponse:
        return JSONResponse(
            {"detail": "too many attempts: please wait before trying again, or contact us another way"},
            status_code=429,
            headers={"Retry-After": str(exc.retry_after_seconds)},
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        reasons = []
        for err in errors:
            msg = str(err.get("msg", "invalid"))
            if err.get("type") == "json_invalid":
                msg = "the request body is not valid JSON (it must be UTF-8 encoded JSON)"
            reasons.append(f"{_where(tuple(err.get('loc', ())))}: {msg}")
        safe = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
        return JSONResponse({"detail": "; ".join(reasons), "errors": jsonable_encoder(safe)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == "There was an error parsing the body":
            # FastAPI's words for a body that is not UTF-8 JSON; say what the sender can fix
            return JSONResponse({"detail": "the request body could not be read: send UTF-8 encoded JSON"}, status_code=422)
        return await http_exception_handler(request, exc)  # type: ignore[return-value]

    @app.exception_handler(OperationalError)
    async def _db_down(_: Request, exc: OperationalError) -> JSONResponse:
        log.error("database unavailable", extra={"error": type(exc.orig).__name__ if exc.orig else "OperationalError"})
        return JSONResponse(
            {"detail": "the case database is unavailable just now; nothing was saved, please retry"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
