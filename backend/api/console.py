"""The staff consoles' pages (static HTML and scripts; all data comes from the API after login)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, Response

router = APIRouter(include_in_schema=False)
WEB = Path(__file__).resolve().parent.parent / "web"
STATIC = {"agent.js": "text/javascript", "agent.css": "text/css"}
OFFICER_STATIC = {"officer.js": "text/javascript", "officer.css": "text/css"}
HEADERS = {
    # Staff pages are never framed (clickjacking) and load nothing from elsewhere.
    "Content-Security-Policy": (
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


@router.get("/agent")
def agent_console() -> Response:
    """The contact-centre agent console (login with an agent or manager account)."""
    return FileResponse(WEB / "agent.html", media_type="text/html", headers=HEADERS)


@router.get("/agent/static/{name}")
def agent_static(name: str) -> Response:
    if name not in STATIC:
        return Response(status_code=404)
    return FileResponse(WEB / name, media_type=STATIC[name], headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})


@router.get("/officer")
def officer_dashboard() -> Response:
    """The complaints officer's dashboard (login with an officer or manager account)."""
    return FileResponse(WEB / "officer.html", media_type="text/html", headers=HEADERS)


@router.get("/officer/static/{name}")
def officer_static(name: str) -> Response:
    if name not in OFFICER_STATIC:
        return Response(status_code=404)
    return FileResponse(WEB / name, media_type=OFFICER_STATIC[name], headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"})
