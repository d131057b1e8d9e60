"""How many deadline computations per second the working-day calendar does (target: 200,000).

Run: .venv/bin/python -m benchmarks.deadlines
"""

from __future__ import annotations

import datetime as dt
import random
import time

from backend.domain.calendar import WorkingCalendar, calendar_for
from backend.domain.complaints import Status
from backend.domain.deadlines import StageDates, rag_status, stage_deadlines
from backend.domain.timescales import load_profile

N = 500_000


def main() -> None:
    rng = random.Random(7)
    t0 = time.perf_counter()
    cal: WorkingCalendar = calendar_for("england-and-wales")
    build = time.perf_counter() - t0
    starts = [dt.date(2020, 1, 1) + dt.timedelta(days=rng.randrange(0, 3650)) for _ in range(N)]
    days = [rng.choice((5, 10, 20)) for _ in range(N)]

    t0 = time.perf_counter()
    for s, d in zip(starts, days, strict=True):
        cal.add_working_days(s, d)
    add_rate = N / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    for s, e in zip(starts, reversed(starts), strict=True):
        cal.working_days_between(s, e)
    between_rate = N / (time.perf_counter() - t0)

    profile = load_profile()
    stage1 = profile.stage(1)
    today = dt.date(2026, 11, 23)
    m = N // 5
    t0 = time.perf_counter()
    for s in starts[:m]:
        dl = stage_deadlines(cal, stage1, StageDates(received_on=s, acknowledged_on=s + dt.timedelta(days=3)))
        rag_status(cal, today, dl.current_due(Status.STAGE1_ACKNOWLEDGED), profile.due_soon_within)
    case_rate = m / (time.perf_counter() - t0)

    print(f"calendar build (2000-2100, england-and-wales): {build * 1000:.0f} ms")
    print(f"add_working_days:        {add_rate:>12,.0f} /s  (target >= 200,000)")
    print(f"working_days_between:    {between_rate:>12,.0f} /s")
    print(f"complaint deadlines+RAG: {case_rate:>12,.0f} /s  (both stage 1 deadlines and the RAG status)")


if __name__ == "__main__":
    main()
