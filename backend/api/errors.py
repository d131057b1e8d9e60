"""Every refusal is a 4xx with a reason a person can act on; database outages are a 503 to retry."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.api.deps import has_credentials, route_needs_login
from backend.domain.calendar import CalendarError
from backend.domain.rules import RuleViolation
from backend.services.complaints import NotFound
from backend.services.lookup import TooManyAttempts
from backend.services.records import IdempotencyConflict

log = logging.getLogger("backend.errors")


def _where(loc: tuple[object, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "request")


#: What every refusal looks like. FastAPI documents its own validation error shape for 422; ours
#: is this one (a sentence a person can act on, then the details), so the OpenAPI says so.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {"type": "string", "description": "What was wrong, in words a person can act on"},
        "code": {"type": "string", "description": "A stable code for the rule that refused the request"},
        "rule": {"type": "string", "description": "The Complaint Handling Code provision behind the refusal"},
        "errors": {"type": "array", "items": {"type": "object"}, "description": "Each invalid field (validation errors only)"},
    },
}


#: The refusals any operation may give, documented on every one of them.
REFUSALS = {
    "400": "The request is malformed",
    "401": "Not logged in, or the login has expired",
    "403": "This role, token or signature may not do this",
    "404": "Nothing with that reference or id",
    "409": "Not allowed in the case's current state",
    "411": "The request body was sent without a Content-Length (chunked bodies are refused)",
    "413": "The request body is too large",
    "415": "The content type is not accepted",
    "422": "The request breaks a rule of the Code or a field is invalid",
    "429": "Too many attempts: wait and retry (see Retry-After)",
    "503": "The case database is unavailable: nothing was saved, retry (see Retry-After)",
}


def _document_problems(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema.setdefault("components", {}).setdefault("schemas", {})["HTTPValidationError"] = PROBLEM_SCHEMA
            problem = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}}
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    responses = operation.setdefault("responses", {})
                    idempotent = any(p.get("name", "").lower() == "idempotency-key" for p in operation.get("parameters", []))
                    if idempotent and "201" in responses:
                        responses.setdefault("200", {**responses["201"], "description": "A retry with the same Idempotency-Key: the record first created"})
                    for code, why in REFUSALS.items():
                        responses.setdefault(code, {"description": why, **problem})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


async def _anonymous_on_staff_route(request: Request) -> bool:
    """FastAPI reads and validates the body before the login dependency runs; without this an
    anonymous caller would be told what is wrong with a body it may not send at all (422), not
    to log in (401)."""
    return route_needs_login(request) and not await has_credentials(request)


def _log_in_first() -> JSONResponse:
    return JSONResponse(
        {"detail": "log in first: this needs a staff login or the service token"},
        status_code=401,
        headers={"WWW-Authenticate": "Bearer"},
    )


def install(app: FastAPI) -> None:
    _document_problems(app)

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
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        if await _anonymous_on_staff_route(request):
            return _log_in_first()
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
            if await _anonymous_on_staff_route(request):
                return _log_in_first()
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
