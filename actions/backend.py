"""The one small async HTTP client for the case backend.

Errors are split the way the dialogue needs them: ``BackendUnavailable`` (down, timeout, 5xx:
keep what the resident said and try again later) and ``BackendRefused`` (a 4xx with the backend's
reason: tell the resident plainly).
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

import aiohttp

log = logging.getLogger(__name__)

RETRY_DELAYS = (0.3, 0.8, 1.5)


class BackendUnavailable(Exception):
    pass


class BackendRefused(Exception):
    def __init__(self, status: int, detail: str, body: dict[str, Any] | None = None) -> None:
        super().__init__(f"{status}: {detail}")
        self.status = status
        self.detail = detail
        self.body = body or {}


def _base_url() -> str:
    return os.environ.get("BACKEND_URL", "http://127.0.0.1:8000").rstrip("/")


def _token() -> str:
    token = os.environ.get("SERVICE_TOKEN")
    if not token:
        raise BackendUnavailable("SERVICE_TOKEN is not set for the action server")
    return token


async def call(
    method: str,
    path: str,
    *,
    json: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    retries: tuple[float, ...] = RETRY_DELAYS,
) -> dict[str, Any]:
    """Call the backend; transient failures are retried (safe: creates carry an Idempotency-Key)."""
    headers = {"Authorization": f"Bearer {_token()}"}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    timeout = aiohttp.ClientTimeout(total=float(os.environ.get("BACKEND_TIMEOUT_SECONDS", "5")))
    attempts = (0.0, *retries)
    last: Exception | None = None
    for delay in attempts:
        if delay:
            await asyncio.sleep(delay)
        try:
            async with aiohttp.ClientSession(timeout=timeout) as session, session.request(method, f"{_base_url()}{path}", json=json, headers=headers) as resp:
                if resp.status >= 500:
                    last = BackendUnavailable(f"backend answered {resp.status}")
                    continue
                body = await resp.json(content_type=None)
                if resp.status >= 400:
                    detail = body.get("detail") if isinstance(body, dict) else str(body)
                    raise BackendRefused(resp.status, str(detail), body if isinstance(body, dict) else None)
                return body if isinstance(body, dict) else {"items": body}
        # the action server runs on Python 3.10, where asyncio's timeout is not the builtin TimeoutError
        except (TimeoutError, asyncio.TimeoutError, aiohttp.ClientError) as exc:  # noqa: UP041
            last = exc
    log.warning("backend unavailable", extra={"path": path, "error": type(last).__name__ if last else None})
    raise BackendUnavailable(str(last))
