"""Reports built from the record: the facts each report needs are read from complaints here, and
the counting rules live in ``backend.domain.reports``."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from backend.api.schemas import TsmOut, TsmStage
from backend.db.models import Complaint
from backend.domain.reports import StageFacts, ch01, ch02, reporting_year


def stage_facts(c: Complaint) -> list[StageFacts]:
    facts = []
    if c.declined_at_stage != 1:
        facts.append(StageFacts(1, c.received_on, c.stage1_responded_on, c.stage1_response_within_original, c.stage1_response_within_extended))
    if c.stage2_requested_on is not None and c.declined_at_stage != 2:
        facts.append(StageFacts(2, c.stage2_requested_on, c.stage2_responded_on, c.stage2_response_within_original, c.stage2_response_within_extended))
    return facts


def tsm(session: Session, year: int, homes: int) -> TsmOut:
    first, last = reporting_year(year)
    in_year = [
        Complaint.received_on.between(first, last),
        Complaint.stage2_requested_on.between(first, last),
        Complaint.stage1_responded_on.between(first, last),
        Complaint.stage2_responded_on.between(first, last),
    ]
    facts = [f for c in session.scalars(select(Complaint).where(or_(*in_year))) for f in stage_facts(c)]
    received, responded = ch01(facts, year, homes), ch02(facts, year)
    stages = [
        TsmStage(
            stage=s,
            received=received[s][0],
            per_1000_homes=received[s][1],
            responded=responded[s].responded,
            within_original=responded[s].within_original,
            within_extended=responded[s].within_extended,
            pct_within_original=responded[s].pct_original,
            pct_within_extended=responded[s].pct_extended,
        )
        for s in (1, 2)
    ]
    return TsmOut(year=f"{year}/{(year + 1) % 100:02d}", period_start=first, period_end=last, homes=homes, stages=stages)
