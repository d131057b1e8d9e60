"""A resident (through the bot or a web page) checks their own case with reference + postcode."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from backend.api.deps import CtxDep, OptionalPrincipal, SessionDep
from backend.api.schemas import LookupIn, LookupOut
from backend.services import lookup

router = APIRouter(prefix="/api/v1/lookup", tags=["resident lookup"])

NOT_FOUND = "we could not find a complaint with that reference and postcode; check both and try again"


@router.post("", response_model=LookupOut, responses={404: {"description": NOT_FOUND}, 429: {"description": "too many attempts"}})
def find_my_case(data: LookupIn, request: Request, session: SessionDep, ctx: CtxDep, who: OptionalPrincipal) -> LookupOut | JSONResponse:
    """The same answer for a wrong reference and a wrong postcode; failures are limited per reference and per client."""
    settings = request.app.state.settings
    client = data.client_id if who is not None and who.kind == "service" else None
    key_data = data.model_copy(update={"client_id": client or f"ip:{request.client.host if request.client else 'unknown'}"})
    window = dt.timedelta(minutes=settings.lookup_window_minutes)
    keys = lookup.check_allowed(session, ctx, key_data, settings.lookup_max_failures, window)
    found = lookup.find(session, ctx, data)
    if found is None:
        # answered, not raised, so the transaction commits and the failure is counted
        lookup.record_failure(session, ctx, keys, window)
        return JSONResponse({"detail": NOT_FOUND}, status_code=404)
    return found
