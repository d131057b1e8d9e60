"""Web chat: a WebSocket per browser tab, the full-page chat at ``/chat`` and the one-line embed script.

Protocol (JSON frames):
  browser → ``{"type": "hello", "token": <saved token or null>, "after": <last message id seen>}`` first;
            then ``{"type": "message", "text": "...", "client_id": "<uuid>"}`` or
            ``{"type": "choice", "payload": "/affirm", "title": "Yes", "client_id": "<uuid>"}``.
  server  → ``{"type": "session", "token": "..."}`` (keep it: it resumes this conversation),
            ``{"type": "message", "id", "sender", "text", "buttons"?, "image"?, "client_id"?, "at"}``,
            ``{"type": "typing", "on": bool}`` and ``{"type": "error", "detail": "..."}``.
The token is the only credential a browser holds; the database keeps its SHA-256, never the token.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import secrets
from pathlib import Path
from typing import Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse, HTMLResponse, Response
from sqlalchemy.orm import Session

from backend.hub import store
from backend.hub.hub import Hub
from backend.hub.live import resident_topic
from backend.hub.store import MessageView

log = logging.getLogger("backend.webchat")
router = APIRouter(tags=["web chat"])
WEB = Path(__file__).resolve().parent.parent / "web"
MAX_TEXT = 5000
MAX_FRAME = 16 * 1024
#: Messages a browser may send per minute before it is asked to slow down.
RATE_PER_MINUTE = 30


def token_address(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@router.get("/chat", response_class=HTMLResponse, include_in_schema=False)
def chat_page() -> Response:
    """The full-page chat (also what the embedded widget shows in its frame)."""
    return FileResponse(WEB / "chat.html", media_type="text/html", headers=_page_headers())


@router.get("/chat/widget.js", include_in_schema=False)
def widget_script() -> Response:
    """``<script src="https://<backend>/chat/widget.js" async></script>`` puts the chat on any page."""
    return FileResponse(WEB / "widget.js", media_type="text/javascript", headers={"Cache-Control": "public, max-age=300"})


@router.get("/chat/static/{name}", include_in_schema=False)
def chat_static(name: str) -> Response:
    allowed = {"chat.js": "text/javascript", "chat.css": "text/css"}
    if name not in allowed:
        return Response(status_code=404)
    return FileResponse(WEB / name, media_type=allowed[name], headers={"Cache-Control": "public, max-age=300"})


def _page_headers() -> dict[str, str]:
    # The page may be framed by the landlord's own sites (the widget); scripts only from here.
    return {
        "Content-Security-Policy": "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' https: data:; style-src 'self'; script-src 'self'",
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
    }


@router.websocket("/channels/webchat/ws")
async def webchat_socket(ws: WebSocket) -> None:
    hub: Hub = ws.app.state.hub
    allowed = [o.strip() for o in ws.app.state.settings.webchat_allowed_origins.split(",") if o.strip()]
    origin = ws.headers.get("origin")
    if allowed and origin not in allowed:
        await ws.close(code=1008, reason="origin not allowed")
        return
    await ws.accept()
    try:
        hello = await _frame(ws)
    except (WebSocketDisconnect, ValueError):
        await ws.close(code=1008)
        return
    if hello.get("type") != "hello":
        await _error(ws, "start with a hello frame")
        await ws.close(code=1008)
        return
    token = hello.get("token")
    conv_id = None
    if isinstance(token, str) and 20 <= len(token) <= 100:
        conv_id = await hub.db(lambda s: _open_id(s, token_address(token)))
    else:
        token = secrets.token_urlsafe(32)
    await ws.send_json({"type": "session", "token": token})
    chat = _Chat(ws, hub, token, conv_id)
    await chat.run(int(hello.get("after") or 0) if str(hello.get("after") or "0").isdigit() else 0)


def _open_id(session: Session, address: str) -> int | None:
    conv = store.find_open(session, "webchat", address)
    return conv.id if conv else None


async def _frame(ws: WebSocket) -> dict[str, Any]:
    raw = await ws.receive_text()
    if len(raw) > MAX_FRAME:
        raise ValueError("frame too large")
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("frame is not an object")
    return data


async def _error(ws: WebSocket, detail: str) -> None:
    await ws.send_json({"type": "error", "detail": detail})


class _Chat:
    """One open socket: forwards the conversation's live events and takes the resident's messages."""

    def __init__(self, ws: WebSocket, hub: Hub, token: str, conv_id: int | None) -> None:
        self.ws, self.hub, self.token, self.conv_id = ws, hub, token, conv_id
        self.sent_ids: set[int] = set()
        self.recent: list[float] = []
        self.subscribed = asyncio.Event()
        self.pump_task: asyncio.Task[None] | None = None
        self.send_lock = asyncio.Lock()  # the pump and the reader both write to the socket

    async def send(self, event: dict[str, Any]) -> None:
        async with self.send_lock:
            await self.ws.send_json(event)

    async def run(self, after: int) -> None:
        try:
            if self.conv_id is not None:
                self._start_pump()
                await self.subscribed.wait()
                await self._replay(after)
            while True:
                try:
                    frame = await _frame(self.ws)
                except (ValueError, json.JSONDecodeError):
                    await self.send_error("That message could not be read. Please try again.")
                    continue
                await self._handle(frame)
        except WebSocketDisconnect:
            pass
        finally:
            if self.pump_task is not None:
                self.pump_task.cancel()

    def _start_pump(self) -> None:
        self.pump_task = asyncio.get_running_loop().create_task(self._pump())

    async def _pump(self) -> None:
        assert self.conv_id is not None
        async with self.hub.live.subscribe(resident_topic(self.conv_id)) as queue:
            self.subscribed.set()
            while True:
                event = await queue.get()
                if event.get("type") == "message":
                    if event["id"] in self.sent_ids:
                        continue
                    self.sent_ids.add(event["id"])
                await self.send(event)

    async def _replay(self, after: int) -> None:
        """Everything since the last message this browser saw, from the record (reconnect = resume)."""
        assert self.conv_id is not None
        conv_id = self.conv_id
        now = self.hub.now()

        def load(session: Session) -> list[MessageView]:
            msgs = store.transcript(session, conv_id, after)
            for m in msgs:
                if m.direction == "out" and m.status == "pending":
                    store.finish_send(session, m.id, now, status="sent")
            return [MessageView.of(m) for m in msgs if m.status not in ("suppressed",)]

        for msg in await self.hub.db(load):
            if msg.id not in self.sent_ids:
                self.sent_ids.add(msg.id)
                await self.send(msg.as_event())
        await self.send({"type": "replayed"})  # the browser may announce new messages again from here

    async def send_error(self, detail: str, client_id: str | None = None) -> None:
        await self.send({"type": "error", "detail": detail, **({"client_id": client_id} if client_id else {})})

    def _too_fast(self) -> bool:
        now = asyncio.get_running_loop().time()
        self.recent = [t for t in self.recent if now - t < 60]
        self.recent.append(now)
        return len(self.recent) > RATE_PER_MINUTE

    async def _handle(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type")
        client_id = str(frame.get("client_id") or "")[:64] or None
        if kind == "message":
            text = frame.get("text")
            if not isinstance(text, str) or not text.strip():
                await self.send_error("Please type a message before sending.", client_id)
                return
            if len(text) > MAX_TEXT:
                await self.send_error(f"That message is too long. Please keep it under {MAX_TEXT} characters, or send it in parts.", client_id)
                return
            payload: dict[str, Any] = {}
        elif kind == "choice":
            choice, title = frame.get("payload"), frame.get("title")
            if not isinstance(choice, str) or not choice or len(choice) > 500:
                await self.send_error("That button could not be read. Please type your answer instead.", client_id)
                return
            text = str(title or choice)[:200]
            payload = {"choice": choice, "title": text}
        else:
            await self.send_error("Unknown message type.")
            return
        if self._too_fast():
            await self.send_error("You're sending messages very quickly. Please wait a moment and try again.", client_id)
            return
        if client_id:
            payload["client_id"] = client_id
        got = await self.hub.receive("webchat", token_address(self.token), text.strip(), payload=payload, external_id=client_id, answer_now=True)
        if self.conv_id != got.conversation.id:  # the first message, or the first after an agent closed the chat
            if self.pump_task is not None:
                self.pump_task.cancel()
                self.subscribed = asyncio.Event()
            self.conv_id = got.conversation.id
            self._start_pump()
            await self.subscribed.wait()
            if got.message is not None and got.message.id not in self.sent_ids:
                self.sent_ids.add(got.message.id)
                await self.send(got.message.as_event())
        if got.message is not None:
            await self.hub.route(got.conversation.id, got.claim)
