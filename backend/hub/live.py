"""Live updates: open web chat sockets and agent consoles subscribe to a conversation or a topic and
receive events as they happen.

Only a nicety on top of the record: whatever a subscriber misses (not connected, slow, on a worker
Redis could not reach), it gets back from the database when it (re)connects, so nothing depends on
an event arriving.

One worker: ``Live`` fans events out in the process. Several workers: ``RedisLive`` publishes every
event on Redis, and each worker subscribes to the topics its own sockets watch, so a reply routed on
worker B reaches a browser connected to worker A. A publish answers how many *workers* with a
watcher took it, which is what "the resident's browser is connected somewhere" needs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("backend.live")
#: A subscriber that falls this far behind is dropped rather than slowing everyone else.
QUEUE_LIMIT = 500
Event = dict[str, Any]


class LiveUpdates(Protocol):
    def subscribe(self, topic: str) -> contextlib.AbstractAsyncContextManager[asyncio.Queue[Event]]: ...
    async def publish(self, topic: str, event: Event) -> int: ...
    async def publish_all(self, topics: Sequence[str], event: Event) -> list[int]: ...
    async def listeners(self, topic: str) -> int: ...
    async def close(self) -> None: ...


class Live:
    """In this process only."""

    def __init__(self) -> None:
        self._subs: dict[str, set[asyncio.Queue[Event]]] = defaultdict(set)

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Event]]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
        self._subs[topic].add(queue)
        try:
            yield queue
        finally:
            self._subs[topic].discard(queue)
            if not self._subs[topic]:
                del self._subs[topic]

    def fan_out(self, topic: str, event: Event) -> int:
        """Hand the event to every subscriber of the topic here; returns how many took it."""
        taken = 0
        for queue in list(self._subs.get(topic, ())):
            try:
                queue.put_nowait(event)
                taken += 1
            except asyncio.QueueFull:
                continue
        return taken

    async def publish(self, topic: str, event: Event) -> int:
        return self.fan_out(topic, event)

    async def publish_all(self, topics: Sequence[str], event: Event) -> list[int]:
        return [self.fan_out(topic, event) for topic in topics]

    async def listeners(self, topic: str) -> int:
        return len(self._subs.get(topic, ()))

    async def close(self) -> None:
        return None


class RedisLive:
    """Across workers, through Redis pub/sub (channel ``<prefix><topic>``)."""

    def __init__(self, url: str, prefix: str = "complaints:live:") -> None:
        self.local = Live()
        self.prefix = prefix
        self.redis = aioredis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self._watching: dict[str, int] = defaultdict(int)
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def subscribe(self, topic: str) -> AsyncIterator[asyncio.Queue[Event]]:
        async with self.local.subscribe(topic) as queue:
            await self._watch(topic, +1)
            try:
                yield queue
            finally:
                await self._watch(topic, -1)

    async def _watch(self, topic: str, change: int) -> None:
        async with self._lock:
            self._watching[topic] += change
            try:
                if change > 0 and self._watching[topic] == 1:
                    await self.pubsub.subscribe(self.prefix + topic)
                    if self._reader is None or self._reader.done():
                        self._reader = asyncio.get_running_loop().create_task(self._read())
                elif change < 0 and self._watching[topic] == 0:
                    del self._watching[topic]
                    await self.pubsub.unsubscribe(self.prefix + topic)
            except RedisError as exc:
                log.warning("live updates: redis unavailable", extra={"error": type(exc).__name__})

    async def _read(self) -> None:
        while self._watching:
            try:
                msg = await self.pubsub.get_message(timeout=1.0)
            except RedisError as exc:
                log.warning("live updates: redis read failed", extra={"error": type(exc).__name__})
                await asyncio.sleep(1)
                continue
            if msg is None or msg.get("type") != "message":
                continue
            channel = msg["channel"].decode() if isinstance(msg["channel"], bytes) else str(msg["channel"])
            self.local.fan_out(channel.removeprefix(self.prefix), json.loads(msg["data"]))

    async def publish(self, topic: str, event: Event) -> int:
        return (await self.publish_all((topic,), event))[0]

    async def publish_all(self, topics: Sequence[str], event: Event) -> list[int]:
        """One event on several topics in one round trip to Redis (every event of a turn goes to the
        staff's topic and the resident's)."""
        data = json.dumps(event, default=str)
        try:
            async with self.redis.pipeline(transaction=False) as pipe:
                for topic in topics:
                    pipe.publish(self.prefix + topic, data)
                return [int(n) for n in await pipe.execute()]
        except RedisError as exc:
            # the record has the event; a watcher catches up when it reconnects
            log.warning("live updates: publish failed", extra={"error": type(exc).__name__})
            return [0 for _ in topics]

    async def listeners(self, topic: str) -> int:
        try:
            counts = await self.redis.pubsub_numsub(self.prefix + topic)
        except RedisError:
            return await self.local.listeners(topic)
        return int(counts[0][1]) if counts else 0

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        with contextlib.suppress(RedisError):
            await self.pubsub.aclose()
            await self.redis.aclose()


def make_live(redis_url: str | None, namespace: str = "") -> Live | RedisLive:
    """Workers sharing a database share live updates: the namespace (the database's name) keeps two
    deployments, or two test runs, on one Redis apart (Redis pub/sub ignores its database numbers)."""
    return RedisLive(redis_url, prefix=f"complaints:live:{namespace}:") if redis_url else Live()


def conversation_topic(conv_id: int) -> str:
    """Staff watching a conversation (the agent console): every event, internal notes included."""
    return f"conversation:{conv_id}"


def resident_topic(conv_id: int) -> str:
    """The resident's own open web chat sockets: what they see, and what counts as delivered."""
    return f"resident:{conv_id}"
