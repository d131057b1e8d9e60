"""Tenant Satisfaction Measures for complaints: CH01 (complaints per 1,000 homes) and CH02 (share
responded to within the Code's timescales), for a reporting year running 1 April to 31 March.

Counting rules, stated here because they decide the numbers:
- CH01 counts complaints *received* in the year at each stage: stage 1 by the date the complaint
  reached us, stage 2 by the date the escalation was requested. A complaint declined at a stage
  (Code 5.2 exclusions) is not a complaint at that stage and is not counted.
- CH02 counts complaints *responded to* in the year at each stage, by the response date, and the
  share of those within the timescale: both readings, "within the original timescale" and "within
  the timescale including permitted extensions" (frozen on the case when the response was sent).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class StageFacts:
    """One complaint at one stage, as the record shows it."""

    stage: int
    received_on: dt.date
    responded_on: dt.date | None = None
    within_original: bool | None = None
    within_extended: bool | None = None


@dataclass(frozen=True)
class Ch02:
    responded: int
    within_original: int
    within_extended: int

    @property
    def pct_original(self) -> float | None:
        return round(100 * self.within_original / self.responded, 1) if self.responded else None

    @property
    def pct_extended(self) -> float | None:
        return round(100 * self.within_extended / self.responded, 1) if self.responded else None


def reporting_year(start_year: int) -> tuple[dt.date, dt.date]:
    """The TSM year that starts on 1 April of ``start_year`` (2026 → 1 April 2026 to 31 March 2027)."""
    return dt.date(start_year, 4, 1), dt.date(start_year + 1, 3, 31)


def _in(day: dt.date | None, year: int) -> bool:
    first, last = reporting_year(year)
    return day is not None and first <= day <= last


def ch01(facts: Iterable[StageFacts], year: int, homes: int) -> dict[int, tuple[int, float]]:
    """Per stage: (complaints received in the year, per 1,000 homes to one decimal place)."""
    if homes <= 0:
        raise ValueError("the number of homes must be positive")
    counts = {1: 0, 2: 0}
    for f in facts:
        if _in(f.received_on, year):
            counts[f.stage] += 1
    return {stage: (n, round(1000 * n / homes, 1)) for stage, n in counts.items()}


def ch02(facts: Iterable[StageFacts], year: int) -> dict[int, Ch02]:
    """Per stage: responses sent in the year, and how many were within each reading of the timescale."""
    tally = {1: [0, 0, 0], 2: [0, 0, 0]}
    for f in facts:
        if _in(f.responded_on, year):
            t = tally[f.stage]
            t[0] += 1
            t[1] += bool(f.within_original)
            t[2] += bool(f.within_extended)
    return {stage: Ch02(*t) for stage, t in tally.items()}
