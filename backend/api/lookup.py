"""A resident (through the bot or a web page) checks their own case with reference + postcode."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, HTTPException, Request

from backend.api.deps import CtxDep, OptionalPrincipal, Principal, SessionDep
from backend.api.schemas import LookupIn, LookupOut
from backend.services import lookup
from backend.services.context import CaseContext

router = APIRouter(prefix="/api/v1/lookup", tags=["resident lookup"])

NOT_FOUND = "we could not find a complaint with that reference and postcode; check both and try again"


def verify_resident(request: Request, ctx: CaseContext, who: Principal | None, reference: str, postcode: str | None, client_id: str | None) -> None:
    """Reference + postcode, limited per reference and per client (the conversation, or the IP address)."""
    if who is not None and who.kind == "staff":
        return  # staff see cases through their own login and role
    if who is not None and who.kind == "service":
        if not client_id:
            raise HTTPException(422, "client_id: the action server must say which conversation is asking")
        client = f"conversation:{client_id}"
    else:
        client = f"ip:{request.client.host if request.client else 'unknown'}"
    if not postcode:
        raise HTTPException(422, "postcode: needed to check the case belongs to the person asking")
    settings = request.app.state.settings
    try:
        lookup.verify(
            request.app.state.sessionmaker,
            ctx,
            reference=reference,
            postcode=postcode,
            client_id=client,
            max_failures=settings.lookup_max_failures,
            window=dt.timedelta(minutes=settings.lookup_window_minutes),
        )
    except lookup.NotVerified:
        raise HTTPException(404, NOT_FOUND) from None


@router.post("", response_model=LookupOut, responses={404: {"description": NOT_FOUND}, 429: {"description": "too many attempts"}})
def find_my_case(data: LookupIn, request: Request, session: SessionDep, ctx: CtxDep, who: OptionalPrincipal) -> LookupOut:
    """The same answer for a wrong reference and a wrong postcode; failures are limited per reference and per client."""
    verify_resident(request, ctx, who, data.reference, data.postcode, data.client_id)
    try:
        return lookup.status(session, ctx, data.reference)
    except lookup.NotVerified:
        raise HTTPException(404, NOT_FOUND) from None
