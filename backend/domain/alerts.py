"""Deadline alerts: who is told when a case becomes due soon or overdue, and when they are told again.

A handler is told once when their case becomes due soon and once when it becomes overdue; the
managers are told too when it is overdue, because an overdue complaint is a breach of the Code's
timescales that someone with authority must see (Code 5.1, 6.3, 6.14). A case nobody handles yet
(a new complaint waiting for acknowledgement) goes to the managers, who assign it.

"Once" is per due date: extending a response date gives a new date, and alerts for it when it too
comes near. The database makes "once" hold across several workers (a unique key on the alert).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from backend.domain.deadlines import Rag


class AlertKind(StrEnum):
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Recipient:
    staff_id: int
    kind: AlertKind


def alert_kind(rag: Rag) -> AlertKind | None:
    """The alert a case's RAG calls for (nothing when on track or nothing is due)."""
    return {Rag.DUE_SOON: AlertKind.DUE_SOON, Rag.OVERDUE: AlertKind.OVERDUE}.get(rag)


def recipients(kind: AlertKind, handler_id: int | None, manager_ids: list[int]) -> list[Recipient]:
    """The handler, plus every manager when overdue; the managers when there is no handler."""
    people: list[int] = []
    if handler_id is not None:
        people.append(handler_id)
    if kind is AlertKind.OVERDUE or handler_id is None:
        people += [m for m in manager_ids if m != handler_id]
    return [Recipient(p, kind) for p in dict.fromkeys(people)]


def alert_text(reference: str, kind: AlertKind, due: dt.date, stage: int) -> str:
    if kind is AlertKind.OVERDUE:
        return f"{reference} (stage {stage}) is overdue: it was due on {due:%A %d %B %Y}."
    return f"{reference} (stage {stage}) is due on {due:%A %d %B %Y}."
