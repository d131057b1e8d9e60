"""Talking to Rasa's REST channel (``/webhooks/rest/webhook``), which answers a turn with its replies."""

from __future__ import annotations

from typing import Any

import httpx


class RasaUnavailable(Exception):
    """Rasa did not answer (down, timed out or erroring); the message stays unanswered and is retried."""


class RasaClient:
    def __init__(self, base_url: str, timeout: float) -> None:
        self._url = base_url.rstrip("/") + "/webhooks/rest/webhook"
        self._client = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=200, max_keepalive_connections=50))

    async def turn(self, sender: str, message: str, metadata: dict[str, Any]) -> list[dict[str, Any]]:
        try:
            response = await self._client.post(self._url, json={"sender": sender, "message": message, "metadata": metadata})
        except httpx.HTTPError as exc:
            raise RasaUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code != 200:
            raise RasaUnavailable(f"Rasa answered {response.status_code}")
        body = response.json()
        if not isinstance(body, list):
            raise RasaUnavailable("Rasa's answer was not a list of messages")
        return [m for m in body if isinstance(m, dict)]

    async def close(self) -> None:
        await self._client.aclose()
