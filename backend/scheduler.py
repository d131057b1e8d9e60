"""Work the backend does on a timer in every worker (deadline alerts), safe to run in several at once.

Each job is one transaction in a worker thread; a failure is logged and the next round tries again.
Whether several workers may run a job together is the job's own business (see services.alerts).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from sqlalchemy.orm import Session, sessionmaker

from backend.db.session import session_scope

log = logging.getLogger("backend.scheduler")


async def every(seconds: float, job: Callable[[Session], object], sessions: sessionmaker[Session], name: str) -> None:
    """Run ``job`` now and then every ``seconds`` until cancelled."""

    def once() -> object:
        for session in session_scope(sessions):
            return job(session)
        return None

    while True:
        try:
            await asyncio.to_thread(once)
        except Exception:
            log.exception("scheduled job failed", extra={"job": name})
        await asyncio.sleep(seconds)
