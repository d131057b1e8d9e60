"""Request and response shapes of the managers' reports (TsmOut stays in ``schemas``)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from backend.api.schemas import Strict


class HomesIn(Strict):
    homes: int = Field(ge=1, le=10_000_000, description="Homes owned in the reporting year (the CH01 denominator)")


class ReportingYearOut(BaseModel):
    year: int  # the first year: 2026 is April 2026 to March 2027
    label: str  # "2026/27"
    period_start: dt.date
    period_end: dt.date
    homes: int
    updated_by: str
    updated_at: dt.datetime


class YearsOut(BaseModel):
    today: dt.date
    current_year: int  # the reporting year today falls in
    years: list[ReportingYearOut]  # the years with a homes count stored, newest first


class _FromDomain(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class SplitOut(_FromDomain):
    key: str | None
    label: str
    stage1: int
    stage2: int


class StageVolumeOut(_FromDomain):
    stage: int
    received: int
    declined: int
    counted: int
    responded: int
    withdrawn: int


class TimelinessOut(_FromDomain):
    stage: int
    step: str  # acknowledge | respond
    timescale_working_days: int
    count: int
    median_working_days: float | None
    mean_working_days: float | None
    within: int
    pct_within: float | None
    within_extended: int | None
    pct_within_extended: float | None


class OverdueOut(_FromDomain):
    stage: int
    acknowledge: int
    respond: int
    total: int


class LearningOut(_FromDomain):
    reference: str
    stage: int
    closed_on: dt.date
    category: str | None
    learning: str


class SummaryOut(BaseModel):
    year: str
    period_start: dt.date
    period_end: dt.date
    today: dt.date
    stages: list[StageVolumeOut]
    by_category: list[SplitOut]
    by_channel: list[SplitOut]
    by_outcome: list[SplitOut]
    declined: list[SplitOut]
    timeliness: list[TimelinessOut]
    overdue: list[OverdueOut]
    learning_total: int
    learning: list[LearningOut]


class ReconcileOut(BaseModel):
    year: str
    complaints: int  # complaints replayed from their events
    matches: bool
    differences: list[str]  # what differs, by complaint reference or by report figure
