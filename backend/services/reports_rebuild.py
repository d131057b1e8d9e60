"""The reports rebuilt from the append-only events alone (Code 5.12: the record is the events).

Each complaint's report facts are replayed from what its events say happened, in the order they
were recorded, without reading the complaints table. The same counting rules then give the
reports, which must equal the reports read from the record: if they ever differ, the record and
its history disagree, and the difference says where.

What each event contributes (``backend.services.complaints`` records them):

- ``complaint_received``: reference, channel, and when it reached us (stage 1 starts);
- ``exclusion_facts_captured`` and ``service_request_complaint_raised``: the category;
- ``acknowledged``: the day (``acknowledged_on``) and stage;
- ``extended``: the new response date;
- ``declined``: the stage and ground;
- ``responded``: the day (``responded_on``), the decision, and whether it was within the original
  timescale and within it including extensions (frozen when it was sent);
- ``stage2_requested``: when the escalation request reached us (stage 2 starts; a closed case reopens);
- ``closed``: the day and the learning; ``withdrawn``: the day.

The current deadline of an open complaint is derived from those dates with the landlord's working
calendar and timescales, as the record's ``current_due`` is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Event
from backend.domain import reports as rules
from backend.domain.calendar import WorkingCalendar
from backend.domain.complaints import OPEN_STATUSES, Status
from backend.domain.deadlines import StageDates, stage_deadlines
from backend.domain.reports import CaseFacts, StageRecord, Summary
from backend.domain.timescales import PolicyProfile
from backend.services.context import CaseContext

EVENT_TYPES = (
    "complaint_received",
    "exclusion_facts_captured",
    "service_request_complaint_raised",
    "acknowledged",
    "extended",
    "declined",
    "responded",
    "stage2_requested",
    "closed",
    "withdrawn",
)


@dataclass
class _Case:
    reference: str
    channel: str
    status: str = Status.RECEIVED.value
    category: str | None = None
    stages: list[StageRecord] = field(default_factory=list)
    closed_on: dt.date | None = None
    learning: str | None = None


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


class Replay:
    """Folds events into per-complaint facts."""

    def __init__(self, ctx: CaseContext, cal: WorkingCalendar, profile: PolicyProfile | None = None) -> None:
        self.ctx, self.cal, self.profile = ctx, cal, profile or ctx.profile
        self.cases: dict[int, _Case] = {}
        self.by_reference: dict[str, _Case] = {}

    def _local_day(self, iso: str) -> dt.date:
        return self.ctx.local_date(dt.datetime.fromisoformat(iso))

    def _stage(self, case: _Case, stage: int, **changes: Any) -> None:
        i = next(i for i, s in enumerate(case.stages) if s.stage == stage)
        case.stages[i] = replace(case.stages[i], **changes)

    def apply(self, complaint_id: int | None, kind: str, d: dict[str, Any], at: dt.datetime | None = None) -> None:
        """One event. ``at`` (when it was recorded) stands in for the day of an event written before
        the events carried their day."""
        recorded = self.ctx.local_date(at) if at is not None else None
        if kind == "service_request_complaint_raised":
            case = self.by_reference.get(d.get("complaint_reference") or "")
            if case is not None and d.get("category"):
                case.category = d["category"]
        elif kind == "complaint_received" and complaint_id is not None:
            case = _Case(reference=d.get("reference") or f"#{complaint_id}", channel=d["channel"])
            case.stages.append(StageRecord(1, self._local_day(d["received_at"])))
            self.cases[complaint_id] = case
            self.by_reference[case.reference] = case
        elif complaint_id in self.cases and (handler := self._HANDLERS.get(kind)) is not None:
            handler(self, self.cases[complaint_id], int(d.get("stage") or 1), d, recorded)

    def _categorised(self, case: _Case, stage: int, d: dict[str, Any], recorded: dt.date | None) -> None:
        case.category = d.get("category")

    def _acknowledged(self, case: _Case, stage: int, d: dict[str, Any], recorded: dt.date | None) -> None:
        on = _day(d.get("acknowledged_on")) or recorded
        record = next(s for s in case.stages if s.stage == stage)
        due = stage_deadlines(self.cal, self.profile.stage(stage), StageDates(record.received_on)).acknowledge_by
        self._stage(case, stage, acknowledged_on=on, ack_within=rules.within_or(d.get("within_timescale"), on, due))
        case.status = f"stage{stage}_acknowledged"

    def _extended(self, case: _Case, stage: int, d: dict[str, Any], recorded: dt.date | None) -> None:
        self._stage(case, stage, extended_to=_day(d.get("new_due")))

    def _declined(self, case: _Case, stage: int, d: dict[str, Any], recorded: dt.date | None) -> None:
        self._stage(case, stage, declined_ground=d.get("ground"))
        case.status = Status.DECLINED.value

    def _responded(self, case: _Case, stage: int, d: dict[str, Any], recorded: dt.date | None) -> None:
        self._stage(
            case,
            stage,
            responded_on=_day(d.get("responded_on")) or recorded,
            within_original=d.get("within_original_timescale"),
            within_extended=d.get("within_timescale_including_extension"),
            outcome=rules.outcome_of(d.get("decision")),
        )
        case.status = f"stage{stage}_responded"

    def _escalated(self, case: _Case, stage: int, d: dict[str, Any], recorded: dt.date | None) -> None:
        case.stages.append(StageRecord(2, self._local_day(d["received_at"])))
        case.status = Status.STAGE2_REQUESTED.value
        case.closed_on = None

    def _closed(self, case: _Case, stage: int, d: dict[str, Any], recorded: dt.date | None) -> None:
        case.status = Status.CLOSED.value
        case.closed_on = _day(d.get("closed_on")) or recorded
        case.learning = d.get("learning")

    def _withdrawn(self, case: _Case, stage: int, d: dict[str, Any], recorded: dt.date | None) -> None:
        case.status = Status.WITHDRAWN.value
        case.closed_on = _day(d.get("withdrawn_on")) or recorded

    _HANDLERS: ClassVar[dict[str, Callable[[Replay, _Case, int, dict[str, Any], dt.date | None], None]]] = {
        "exclusion_facts_captured": _categorised,
        "acknowledged": _acknowledged,
        "extended": _extended,
        "declined": _declined,
        "responded": _responded,
        "stage2_requested": _escalated,
        "closed": _closed,
        "withdrawn": _withdrawn,
    }

    def _current_due(self, case: _Case) -> dt.date | None:
        status = Status(case.status)
        if status not in OPEN_STATUSES:
            return None
        s = case.stages[-1]
        dl = stage_deadlines(self.cal, self.profile.stage(s.stage), StageDates(s.received_on, s.acknowledged_on, s.extended_to, s.responded_on))
        return dl.current_due(status)

    def facts(self) -> list[CaseFacts]:
        out = [
            CaseFacts(c.reference, c.channel, c.category, c.status, tuple(c.stages), c.closed_on, c.learning, self._current_due(c)) for c in self.cases.values()
        ]
        return sorted(out, key=lambda c: c.reference)


def case_facts(session: Session, ctx: CaseContext, cal: WorkingCalendar | None = None) -> list[CaseFacts]:
    """Every complaint's report facts, from its events only, in reference order."""
    replay = Replay(ctx, cal or ctx.calendar(session))
    stmt = select(Event.complaint_id, Event.type, Event.details, Event.at).where(Event.type.in_(EVENT_TYPES)).order_by(Event.id)
    for complaint_id, kind, details, at in session.execute(stmt).yield_per(5000):
        replay.apply(complaint_id, kind, details or {}, at)
    return replay.facts()


def summary(session: Session, ctx: CaseContext, year: int, learning_limit: int | None = 50) -> Summary:
    cal = ctx.calendar(session)
    facts = rules.case_measures(case_facts(session, ctx, cal), year)
    return rules.summarise(facts, year, ctx.today(), cal, ctx.profile, learning_limit=learning_limit)


def tsm_facts(session: Session, ctx: CaseContext, year: int) -> rules.Facts:
    return rules.case_measures(case_facts(session, ctx), year)
