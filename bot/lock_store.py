"""The conversation lock for several Rasa processes: one Redis key per conversation, taken atomically.

Rasa 3.6's ``RedisLockStore`` issues its "tickets" by reading the lock's JSON from Redis, adding a
ticket and writing it back: two processes taking the same conversation's message at the same moment
both read "nobody waiting", both get ticket 0 and both run the turn at once. Each then saves its
tracker, and ``SQLTrackerStore`` only appends the events beyond the count already stored, so one of
the two resident messages silently disappears from the conversation (CI saw exactly that).

Here the lock is a single ``SET key token NX PX lifetime``: Redis grants it to one caller only; the
others poll until it is released (by a compare-and-delete on the token, so a holder whose lock ran
out cannot release a newer holder's) or until it expires because its holder died. The order in which
waiting messages go is not guaranteed, but it never was across processes either: the hub sends a
conversation's messages one after another (backend/hub/hub.py), so only duplicates and races meet
here, and they must be serialised, not ordered. bot/endpoints.scaleout.yml selects this class.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

#: How often a waiting turn asks again; a turn takes tens of milliseconds.
POLL_SECONDS = 0.02
#: Deletes the key only while it still holds our token.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class AtomicRedisLockStore(RedisLockStore):
    """``RedisLockStore``'s settings (url, port, db, password, key_prefix...), with an atomic lock."""

    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)
        self._release = self.red.register_script(_RELEASE)

    def _mutex_key(self, conversation_id: str) -> str:
        return f"{self.key_prefix}mutex:{conversation_id}"

    @asynccontextmanager
    async def lock(
        self,
        conversation_id: str,
        lock_lifetime: float = LOCK_LIFETIME,
        wait_time_in_seconds: float = POLL_SECONDS,
    ) -> AsyncGenerator[TicketLock, None]:
        """Hold the conversation for at most ``lock_lifetime`` seconds, waiting as long for it.

        Rasa's callers pass a one-second ``wait_time_in_seconds`` meant for its ticket polling; a
        turn is far shorter than that, so this lock polls every ``POLL_SECONDS`` instead."""
        key, token = self._mutex_key(conversation_id), uuid.uuid4().hex
        give_up = time.monotonic() + lock_lifetime
        while not self.red.set(key, token, nx=True, px=max(1, int(lock_lifetime * 1000))):
            if time.monotonic() > give_up:
                raise LockError(f"Could not acquire lock for conversation_id '{conversation_id}' within {lock_lifetime:.0f} s.")
            await asyncio.sleep(min(wait_time_in_seconds, POLL_SECONDS))
        try:
            yield TicketLock(conversation_id)
        finally:
            self._release(keys=[key], args=[token])
