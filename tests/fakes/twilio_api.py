"""A fake of Twilio's Messages API that records what was sent (checks the account's basic auth)."""

from __future__ import annotations

import base64
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class FakeTwilio:
    account_sid: str
    auth_token: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # HTTP statuses to answer with, one per request
    #: Called on the fake's server thread with each message it accepted (a benchmark wakes its asyncio waiters with it).
    on_sent: Callable[[dict[str, Any]], None] | None = None
    _ids: Any = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/2010-04-01/Accounts/{sid}/Messages.json", self.create, methods=["POST"])])

    async def create(self, request: Request) -> JSONResponse:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != expected or request.path_params["sid"] != self.account_sid:
            return JSONResponse({"code": 20003, "message": "Authenticate", "status": 401}, status_code=401)
        form = await request.form()  # read the whole request first, as a real server does, whatever the answer
        with self._lock:
            status = self.fail_next.pop(0) if self.fail_next else None
        if status is not None:
            return JSONResponse({"code": 20500 if status >= 500 else 21211, "message": "fake failure", "status": status}, status_code=status)
        record: dict[str, Any] = {"to": form.get("To"), "from": form.get("From"), "body": form.get("Body")}
        record.update(media=form.getlist("MediaUrl"), callback=form.get("StatusCallback"))
        sid = f"SM{next(self._ids):032x}"
        record["sid"] = sid
        record["at"] = time.perf_counter()  # when the message reached "Twilio" (benchmarks time turns with it)
        with self._lock:
            self.sent.append(record)
        if self.on_sent is not None:
            self.on_sent(record)
        body = {"sid": sid, "account_sid": self.account_sid, "to": record["to"], "from": record["from"], "body": record["body"], "status": "queued"}
        return JSONResponse(body, status_code=201)

    def bodies_to(self, number: str) -> list[str]:
        with self._lock:
            return [str(m["body"]) for m in self.sent if str(m["to"]).removeprefix("whatsapp:") == number]
