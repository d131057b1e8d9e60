"""Reports for managers: the Tenant Satisfaction Measures CH01 and CH02."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from backend.api.deps import ManagerDep, SessionDep
from backend.api.schemas import TsmOut
from backend.services import reports

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


@router.get("/tsm", response_model=TsmOut)
def tenant_satisfaction_measures(
    session: SessionDep,
    _: ManagerDep,
    year: Annotated[int, Query(ge=2024, le=2100, description="The reporting year's first year: 2026 is April 2026 to March 2027")],
    homes: Annotated[int, Query(ge=1, le=10_000_000, description="Homes owned in that year (the CH01 denominator)")],
) -> TsmOut:
    """CH01 (stage 1 and stage 2 complaints per 1,000 homes) and CH02 (% responded to within the Code's
    timescales, in both readings), computed from the record each time."""
    return reports.tsm(session, year, homes)
