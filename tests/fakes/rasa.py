"""A scripted stand-in for Rasa's REST channel, for the hub's own tests (routing, retries, buttons).
The real assistant is exercised end to end in tests/e2e with the real Rasa server."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BUTTONS = [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
LONG = " ".join(f"This is sentence number {i} of a long answer about your repair." for i in range(1, 61))


@dataclass
class ScriptedRasa:
    down: bool = False
    received: list[dict[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/webhooks/rest/webhook", self.turn, methods=["POST"])])

    async def turn(self, request: Request) -> JSONResponse:
        if self.down:
            return JSONResponse({"error": "down"}, status_code=503)
        body = await request.json()
        with self._lock:
            self.received.append(body)
        sender, message = body["sender"], str(body["message"])
        if message == "choose":
            replies: list[dict[str, Any]] = [{"recipient_id": sender, "text": "Shall I go ahead?", "buttons": BUTTONS}]
        elif message == "/affirm":
            replies = [{"recipient_id": sender, "text": "You chose yes."}]
        elif message == "/agent_handed_back":
            summary = body.get("metadata", {}).get("handback", {}).get("summary", "")
            replies = [{"recipient_id": sender, "text": f"You're back with the assistant. {summary}".strip()}]
        elif message == "long":
            replies = [{"recipient_id": sender, "text": LONG}]
        elif message == "picture":
            replies = [{"recipient_id": sender, "text": "Here is a picture.", "image": "https://example.org/p.png"}]
        else:
            replies = [{"recipient_id": sender, "text": f"You said: {message}"}, {"recipient_id": sender, "text": "Anything else?"}]
        return JSONResponse(replies)

    def messages(self) -> list[str]:
        with self._lock:
            return [str(b["message"]) for b in self.received]
