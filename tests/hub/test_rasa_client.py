"""Several Rasa processes behind the hub: turns are spread between them, and one that is down is
passed over without losing or repeating the resident's message."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from backend.hub.rasa import RasaClient, RasaUnavailable
from tests.fakes.rasa import ScriptedRasa
from tests.fakes.servers import serve
from tests.processes import free_port


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    """On a thread of its own: other tests (Playwright's sync API) may leave a loop running here."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def test_turns_are_spread_across_the_rasa_processes_and_a_dead_one_is_skipped() -> None:
    one, two = ScriptedRasa(), ScriptedRasa()
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens here

    async def talk(urls: str, n: int) -> list[list[dict[str, object]]]:
        client = RasaClient(urls, timeout=5)
        try:
            return [await client.turn("resident-1", f"message {i}", {"channel": "webchat"}) for i in range(n)]
        finally:
            await client.close()

    with serve(one.app()) as a, serve(two.app()) as b:
        replies = run(talk(f"{a}, {b}", 4))
        assert len(one.received) == 2 and len(two.received) == 2
        assert all(r for r in replies)
        run(talk(f"{dead},{a}", 3))
        assert len(one.received) == 5  # every turn answered by the live one, each once
    with pytest.raises(RasaUnavailable):
        run(talk(dead, 1))
    with pytest.raises(ValueError, match="RASA_URL is empty"):
        RasaClient(" , ", timeout=1)
