"""Live updates inside one backend process: open web chat sockets (and later agent consoles) subscribe
to a conversation or a topic and receive events as they happen.

Only a nicety on top of the record: whatever a subscriber misses (not connected, slow), it gets back
from the database when it (re)connects, so nothing depends on an event arriving.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

#: A subscriber that falls this far behind is dropped rather than slowing everyone else.
QUEUE_LIMIT = 500


class Live:
    def __init__(self) -> None:
        self._subs: dict[str, set[asyncio.Queue[dict[str, Any]]]] = defaultdict(set)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[dict[str, Any]]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE_LIMIT)
        self._subs[topic].add(queue)
        try:
            yield queue
        finally:
            self._subs[topic].discard(queue)
            if not self._subs[topic]:
                del self._subs[topic]

    def publish(self, topic: str, event: dict[str, Any]) -> int:
        """Hand the event to every subscriber of the topic; returns how many took it."""
        taken = 0
        for queue in list(self._subs.get(topic, ())):
            try:
                queue.put_nowait(event)
                taken += 1
            except asyncio.QueueFull:
                continue
        return taken

    def listeners(self, topic: str) -> int:
        return len(self._subs.get(topic, ()))


def conversation_topic(conv_id: int) -> str:
    """Staff watching a conversation (the agent console): every event, internal notes included."""
    return f"conversation:{conv_id}"


def resident_topic(conv_id: int) -> str:
    """The resident's own open web chat sockets: what they see, and what counts as delivered."""
    return f"resident:{conv_id}"
