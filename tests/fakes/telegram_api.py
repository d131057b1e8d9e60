"""A fake of Telegram's Bot API: records every call (sendMessage, sendPhoto, answerCallbackQuery,
setWebhook) and answers in the Bot API's shapes so python-telegram-bot can parse them."""

from __future__ import annotations

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Landlord", "username": "landlord_test_bot"}


@dataclass
class FakeTelegram:
    token: str
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)
    _ids: Any = field(default_factory=lambda: itertools.count(100))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/bot{token}/{method}", self.call, methods=["POST", "GET"])])

    async def call(self, request: Request) -> JSONResponse:
        if request.path_params["token"] != self.token:
            return JSONResponse({"ok": False, "error_code": 401, "description": "Unauthorized"}, status_code=401)
        method = request.path_params["method"]
        params = await _params(request)
        with self._lock:
            self.calls.append((method, params))
            status = self.fail_next.pop(0) if self.fail_next and method.startswith("send") else None
        if status is not None:
            return JSONResponse({"ok": False, "error_code": status, "description": "fake failure"}, status_code=status)
        if method == "getMe":
            return JSONResponse({"ok": True, "result": BOT_USER})
        if method in ("sendMessage", "sendPhoto"):
            chat_id = int(params["chat_id"])
            message = {"message_id": next(self._ids), "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER}
            if "text" in params:
                message["text"] = params["text"]
            return JSONResponse({"ok": True, "result": message})
        return JSONResponse({"ok": True, "result": True})

    def sent_to(self, chat_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self.calls if m in ("sendMessage", "sendPhoto") and int(p.get("chat_id", 0)) == chat_id]


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return dict(await request.json())
    form = await request.form()
    out: dict[str, Any] = {}
    for key, value in form.multi_items():
        text = str(value)
        try:
            out[key] = json.loads(text) if key in ("reply_markup", "allowed_updates") else text
        except json.JSONDecodeError:
            out[key] = text
    return out


def update_message(update_id: int, chat_id: int, text: str, **extra: Any) -> dict[str, Any]:
    """An Update as Telegram delivers it to a webhook when a resident sends a text."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Resident"}
    message = {"message_id": update_id + 1000, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}, "from": user, "text": text, **extra}
    return {"update_id": update_id, "message": message}


def update_button(update_id: int, chat_id: int, data: str) -> dict[str, Any]:
    """An Update for a press on an inline keyboard button."""
    user = {"id": chat_id, "is_bot": False, "first_name": "Resident"}
    message = {"message_id": 1, "date": int(time.time()), "chat": {"id": chat_id, "type": "private"}, "from": BOT_USER, "text": "…"}
    return {"update_id": update_id, "callback_query": {"id": f"cb{update_id}", "from": user, "chat_instance": "ci", "data": data, "message": message}}
