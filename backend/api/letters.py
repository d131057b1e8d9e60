"""Letters to the resident: drafts filled from the case, previews, the stored letter as HTML or PDF
(large print when the resident needs it), and sending it on their conversation or marking it for
the post room. Complaints officers and managers only.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse

from backend.api.deps import CASEWORK, CtxDep, OfficerDep, Principal, SessionDep, require_brief
from backend.api.letters_schemas import DraftIn, DraftOut, LetterOut, PreviewIn, PreviewOut, SendIn, SendOut
from backend.db.models import Complaint
from backend.documents import to_html, to_pdf
from backend.domain import letters as L
from backend.hub.hub import Hub
from backend.services import complaints as complaints_svc
from backend.services import letters as svc

router = APIRouter(prefix="/api/v1", tags=["letters"])
OfficerBriefDep = Annotated[Principal, Depends(require_brief(*CASEWORK))]
LargePrint = Annotated[bool | None, Query(description="Force large print on or off; by default the resident's adjustments decide")]

#: A letter's HTML is a standalone document: styles inline, nothing else may load or run.
HTML_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@router.post("/complaints/{reference}/letters/draft", response_model=DraftOut)
def draft(reference: str, data: DraftIn, session: SessionDep, ctx: CtxDep, _: OfficerDep, large_print: LargePrint = None) -> DraftOut:
    """A letter filled from the case, every item with whether it is required, editable, and the Code
    provision it satisfies. Nothing is stored: the command (acknowledge, extend…) sends the letter."""
    c = complaints_svc.load(session, reference)
    s, values = svc.draft(session, ctx, c, data.kind, None, new_due=data.new_due)
    lp = svc.wants_large_print(c.resident) if large_print is None else large_print
    return DraftOut(
        kind=s.kind.value,
        title=s.title,
        large_print=lp,
        items=svc.items_out(s, values),
        missing=L.missing(s, values),
        html=to_html(svc.document(s, values, lp)),
    )


@router.post("/complaints/{reference}/letters/preview", response_model=PreviewOut)
def preview(reference: str, data: PreviewIn, session: SessionDep, ctx: CtxDep, _: OfficerDep, large_print: LargePrint = None) -> PreviewOut:
    """The letter as it would read with the officer's edits, and every required item still empty."""
    c = complaints_svc.load(session, reference)
    s, values = svc.draft(session, ctx, c, data.kind, data.items, new_due=data.new_due)
    lp = svc.wants_large_print(c.resident) if large_print is None else large_print
    return PreviewOut(html=to_html(svc.document(s, values, lp)), missing=L.missing(s, values), large_print=lp)


@router.get("/letters/{letter_id}", response_model=LetterOut)
def get_letter(letter_id: int, session: SessionDep, _: OfficerDep, large_print: LargePrint = None) -> LetterOut:
    """A stored letter: its items, text, HTML and how it was delivered."""
    return svc.letter_out(session, svc.get(session, letter_id), large_print)


@router.get("/letters/{letter_id}/html", response_class=HTMLResponse)
def letter_html(letter_id: int, session: SessionDep, _: OfficerDep, large_print: LargePrint = None) -> HTMLResponse:
    n = svc.get(session, letter_id)
    doc = svc.stored_document(session, n, svc.large_print_for(session, n, large_print))
    return HTMLResponse(to_html(doc), headers=HTML_HEADERS)


@router.get("/letters/{letter_id}/pdf")
def letter_pdf(letter_id: int, session: SessionDep, _: OfficerDep, large_print: LargePrint = None) -> Response:
    """The letter as a PDF to print or attach; large print (18 pt) when the resident asked for it."""
    n = svc.get(session, letter_id)
    lp = svc.large_print_for(session, n, large_print)
    c = session.get(Complaint, n.complaint_id)
    ref = c.reference if c else "letter"
    name = re.sub(r"[^A-Za-z0-9_-]", "", f"{ref}-{n.kind}{'-large-print' if lp else ''}")
    return Response(
        to_pdf(svc.stored_document(session, n, lp)),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}.pdf"', "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"},
    )


@router.post("/letters/{letter_id}/send", response_model=SendOut)
async def send(letter_id: int, data: SendIn, request: Request, who: OfficerBriefDep) -> SendOut:
    """Send the letter once: on the resident's conversation through the hub (their preferred channel
    first; an SMS is split by the channel's rules), or mark it for the post room to post or email.
    409 when it was already sent or marked, or when there is no open conversation to send it on."""
    hub: Hub = request.app.state.hub
    now = hub.now()
    if data.route == "channel":
        sent = await hub.db(lambda s: svc.send_on_channel(s, letter_id, who.actor, now))
        statuses = [await hub.deliver(mid) for mid in sent.message_ids]
        out = await hub.db(lambda s: svc.letter_out(s, svc.get(s, letter_id)))
        return SendOut(**out.model_dump(), conversation_id=sent.conversation_id, message_statuses=statuses)
    out = await hub.db(lambda s: svc.letter_out(s, svc.mark_for(s, letter_id, data.route, who.actor, now)))
    return SendOut(**out.model_dump())
