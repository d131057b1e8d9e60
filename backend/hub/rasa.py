"""Talking to Rasa's REST channel (``/webhooks/rest/webhook``), which answers a turn with its replies.

Several Rasa processes may stand behind the hub (``RASA_URL`` lists them, comma-separated): they
share their trackers (SQLTrackerStore) and conversation locks (RedisLockStore), so any of them can
take any turn, and turns are spread round-robin. A process that refuses the connection never saw
the message, so the next one is tried; one that timed out or failed may have acted on it, so the
turn is not sent again now: the hub's retry loop sends it later with the same message id, and Rasa
answers a message it has already handled with the replies it gave then (bot/channels.py).
"""

from __future__ import annotations

import itertools
from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer (down, timed out or erroring); the message stays unanswered and is retried."""


class RasaClient:
    def __init__(self, base_urls: str, timeout: float) -> None:
        self._urls = [u.strip().rstrip("/") + "/webhooks/rest/webhook" for u in base_urls.split(",") if u.strip()]
        if not self._urls:
            raise ValueError("RASA_URL is empty: give one Rasa server's address, or several separated by commas")
        self._next = itertools.count()
        self.timeout = timeout
        # Idle connections are dropped after 2 s, before Rasa's (Sanic's) own 5 s keep-alive ends: reusing a
        # connection the server is closing at that moment fails the turn, which then waits for the retry loop.
        limits = httpx.Limits(max_connections=200, max_keepalive_connections=50, keepalive_expiry=2.0)
        self._client = httpx.AsyncClient(timeout=timeout, limits=limits)

    async def turn(self, sender: str, message: str, metadata: dict[str, Any], message_id: str | None = None) -> list[dict[str, Any]]:
        """One turn. ``message_id`` (the hub's id for the resident's message) makes it safe to send the
        same message again: Rasa answers a message it already handled with that turn's replies
        instead of applying it twice (bot/channels.py)."""
        start = next(self._next)
        body: dict[str, Any] = {"sender": sender, "message": message, "metadata": metadata}
        if message_id is not None:
            body["message_id"] = message_id
        for i in range(len(self._urls)):
            url = self._urls[(start + i) % len(self._urls)]
            try:
                response = await self._client.post(url, json=body)
            except httpx.ConnectError as exc:
                if i + 1 < len(self._urls):
                    continue  # that process is down and never saw the message: the next one takes it
                raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
            except httpx.HTTPError as exc:
                raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
            if response.status_code != 200:
                raise RasaUnavailable(f"Rasa answered {response.status_code}")
            replies = response.json()
            if not isinstance(replies, list):
                raise RasaUnavailable("Rasa's answer was not a list of messages")
            return [m for m in replies if isinstance(m, dict)]
        raise RasaUnavailable("no Rasa server configured")  # unreachable: the loop returns or raises

    async def close(self) -> None:
        await self._client.aclose()
