"""Erasing residents' conversations from Rasa's own tracker store when their record is anonymised.

Rasa keeps every turn of a conversation (the resident's words included) in its tracker store. Run
as in docker-compose.yml and scripts/stack.sh's scale-out mode, that is a SQLTrackerStore: a table
``events`` keyed by ``sender_id`` in a database of its own. The hub talks to Rasa with the
conversation's ``public_id`` as the sender, so a resident's conversations there are exactly the rows
with those sender ids. Anonymising our record while Rasa still held the words would not be erasure,
so the retention run deletes those rows too (``RASA_TRACKER_DATABASE_URL``).

Rasa's in-memory tracker store (the default single-process run) keeps nothing on disk and forgets
on restart; there is nothing to reach there.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Column, MetaData, String, Table, create_engine, delete, func, inspect, select

#: Only the column we use of Rasa's table (rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent).
_events = Table("events", MetaData(), Column("sender_id", String(255)))
#: Sender ids deleted per statement (bound parameters stay well within every driver's limit).
CHUNK = 500


class TrackerEraser:
    """Deletes (or, in a dry run, counts) the tracker rows of the given Rasa sender ids."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url

    def erase(self, sender_ids: Collection[str], *, dry_run: bool = False) -> int:
        ids = sorted(set(sender_ids))
        if not ids:
            return 0
        engine = create_engine(self.database_url)
        try:
            if not inspect(engine).has_table("events"):
                return 0  # Rasa has not written a conversation yet
            total = 0
            with engine.begin() as conn:
                for start in range(0, len(ids), CHUNK):
                    chunk = ids[start : start + CHUNK]
                    if dry_run:
                        total += int(conn.scalar(select(func.count()).select_from(_events).where(_events.c.sender_id.in_(chunk))) or 0)
                    else:
                        total += int(conn.execute(delete(_events).where(_events.c.sender_id.in_(chunk))).rowcount or 0)  # type: ignore[attr-defined]
            return total
        finally:
            engine.dispose()
