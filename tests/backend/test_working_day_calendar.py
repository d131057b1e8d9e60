"""The working-day calendar every Code timescale is counted in."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.domain.calendar import CalendarError, WorkingCalendar, calendar_for

ENG = calendar_for("england-and-wales")
SCT = calendar_for("scotland")
NIR = calendar_for("northern-ireland")

dates = st.dates(min_value=dt.date(2001, 1, 1), max_value=dt.date(2095, 12, 31))
counts = st.integers(min_value=0, max_value=200)
calendars = st.sampled_from([ENG, SCT, NIR])


class TestWithinNWorkingDaysOfD:
    def test_a_complaint_received_on_christmas_eve_is_acknowledged_by_5_january(self) -> None:
        # Fri 25, Mon 28 Dec and Fri 1 Jan are bank holidays in 2026-27
        assert ENG.add_working_days(dt.date(2026, 12, 24), 5) == dt.date(2027, 1, 5)

    def test_easter_is_skipped_in_england(self) -> None:
        assert ENG.add_working_days(dt.date(2026, 4, 2), 10) == dt.date(2026, 4, 20)

    def test_scotland_works_on_easter_monday(self) -> None:
        assert SCT.add_working_days(dt.date(2026, 4, 2), 10) == dt.date(2026, 4, 17)

    def test_stage_2_response_skips_spring_bank_holiday(self) -> None:
        assert ENG.add_working_days(dt.date(2027, 5, 21), 20) == dt.date(2027, 6, 21)

    def test_received_on_a_monday_is_acknowledged_by_the_next_monday(self) -> None:
        assert ENG.add_working_days(dt.date(2026, 6, 1), 5) == dt.date(2026, 6, 8)

    def test_a_message_on_a_saturday_counts_from_the_next_working_day(self) -> None:
        # the day received never counts, and neither do the weekend days
        assert ENG.add_working_days(dt.date(2026, 6, 6), 1) == dt.date(2026, 6, 8)
        assert ENG.add_working_days(dt.date(2026, 6, 6), 5) == ENG.add_working_days(dt.date(2026, 6, 5), 5)

    def test_northern_ireland_has_st_patricks_day_and_the_twelfth(self) -> None:
        assert not NIR.is_working_day(dt.date(2026, 3, 17))
        assert not NIR.is_working_day(dt.date(2026, 7, 13))
        assert ENG.is_working_day(dt.date(2026, 3, 17))

    def test_scotland_has_st_andrews_day_and_2_january(self) -> None:
        assert not SCT.is_working_day(dt.date(2026, 11, 30))
        assert not SCT.is_working_day(dt.date(2026, 1, 2))
        assert ENG.is_working_day(dt.date(2026, 1, 2))

    def test_landlord_closure_days_are_not_working_days(self) -> None:
        closed = WorkingCalendar("england-and-wales", [dt.date(2026, 12, 24), dt.date(2026, 12, 29)])
        assert closed.why_not_working(dt.date(2026, 12, 24)) == "landlord closure day"
        assert closed.add_working_days(dt.date(2026, 12, 23), 1) == dt.date(2026, 12, 30)

    def test_subdivision_codes_are_accepted(self) -> None:
        assert calendar_for("WLS").region == "england-and-wales"
        assert calendar_for("SCT").region == "scotland"


class TestCountingWorkingDays:
    def test_days_remaining_and_days_late(self) -> None:
        monday, next_monday = dt.date(2026, 6, 1), dt.date(2026, 6, 8)
        assert ENG.working_days_between(monday, next_monday) == 5
        assert ENG.working_days_between(next_monday, monday) == -5

    def test_bank_holidays_do_not_count(self) -> None:
        assert ENG.working_days_between(dt.date(2026, 12, 24), dt.date(2027, 1, 5)) == 5


class TestBadInput:
    def test_negative_days_are_refused_with_a_reason(self) -> None:
        with pytest.raises(CalendarError, match="zero or more"):
            ENG.add_working_days(dt.date(2026, 1, 1), -1)

    def test_an_unknown_region_is_refused_with_the_known_ones(self) -> None:
        with pytest.raises(CalendarError, match="england-and-wales"):
            calendar_for("atlantis")

    def test_dates_outside_the_calendar_are_refused(self) -> None:
        with pytest.raises(CalendarError, match="outside"):
            ENG.add_working_days(dt.date(1999, 12, 31), 1)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=dates, a=counts, b=counts)
def test_adding_a_then_b_equals_adding_a_plus_b(cal: WorkingCalendar, start: dt.date, a: int, b: int) -> None:
    assert cal.add_working_days(cal.add_working_days(start, a), b) == cal.add_working_days(start, a + b)


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=dates, n=st.integers(min_value=1, max_value=200))
def test_a_deadline_is_a_working_day_after_the_start(cal: WorkingCalendar, start: dt.date, n: int) -> None:
    due = cal.add_working_days(start, n)
    assert due > start
    assert cal.is_working_day(due)
    assert cal.working_days_between(start, due) == n


@settings(max_examples=300, deadline=None)
@given(cal=calendars, start=dates, n=st.integers(min_value=1, max_value=60))
def test_the_deadline_matches_counting_day_by_day(cal: WorkingCalendar, start: dt.date, n: int) -> None:
    day, seen = start, 0
    while seen < n:
        day += dt.timedelta(days=1)
        if day.weekday() < 5 and day not in cal.bank_holidays and day not in cal.closure_days:
            seen += 1
    assert cal.add_working_days(start, n) == day


@settings(max_examples=200, deadline=None)
@given(cal=calendars, start=dates, n=counts)
def test_a_later_start_never_gives_an_earlier_deadline(cal: WorkingCalendar, start: dt.date, n: int) -> None:
    assert cal.add_working_days(start + dt.timedelta(days=1), n) >= cal.add_working_days(start, n)


@settings(max_examples=200, deadline=None)
@given(cal=calendars, a=dates, b=dates)
def test_counting_between_is_antisymmetric(cal: WorkingCalendar, a: dt.date, b: dt.date) -> None:
    assert cal.working_days_between(a, b) == -cal.working_days_between(b, a)


class TestOverHttp:
    def test_add_working_days_returns_the_date(self, backend) -> None:  # type: ignore[no-untyped-def]
        r = backend.client.get("/api/v1/calendar/add-working-days", params={"start": "2026-12-24", "days": 5, "region": "england-and-wales"})
        assert r.status_code == 200
        assert r.json()["date"] == "2027-01-05"

    @pytest.mark.parametrize(
        ("params", "reason"),
        [
            ({"start": "2026-02-30", "days": 5}, "start"),
            ({"start": "yesterday", "days": 5}, "start"),
            ({"start": "2026-06-01", "days": -1}, "days"),
            ({"start": "2026-06-01", "days": 5, "region": "narnia"}, "unknown region"),
        ],
    )
    def test_bad_input_is_a_422_with_a_reason(self, backend, params, reason) -> None:  # type: ignore[no-untyped-def]
        r = backend.client.get("/api/v1/calendar/add-working-days", params=params)
        assert r.status_code == 422
        assert reason in r.json()["detail"]

    def test_working_days_between_for_days_remaining(self, backend) -> None:  # type: ignore[no-untyped-def]
        r = backend.client.get("/api/v1/calendar/working-days-between", params={"start": "2026-06-08", "end": "2026-06-01"})
        assert r.json()["working_days"] == -5

    def test_a_manager_adds_a_closure_day_and_open_deadlines_move(self, backend) -> None:  # type: ignore[no-untyped-def]
        from tests.backend.helpers import new_complaint, staff_view

        c = new_complaint(backend)
        assert c["current_due"] == "2026-06-08"
        r = backend.client.post("/api/v1/calendar/closure-days", json={"day": "2026-06-03", "reason": "Staff training day"}, headers=backend.as_("manager"))
        assert r.status_code == 201, r.text
        again = staff_view(backend, c["reference"])
        assert again["current_due"] == "2026-06-09"
        r = backend.client.get("/api/v1/calendar/add-working-days", params={"start": "2026-06-02", "days": 1})
        assert r.json()["date"] == "2026-06-04"

    def test_only_a_manager_changes_closure_days(self, backend) -> None:  # type: ignore[no-untyped-def]
        r = backend.client.post("/api/v1/calendar/closure-days", json={"day": "2026-12-24", "reason": "Christmas Eve"}, headers=backend.as_("officer"))
        assert r.status_code == 403


def test_a_past_closure_day_cannot_be_removed(backend) -> None:  # type: ignore[no-untyped-def]
    h = backend.as_("manager")
    assert backend.client.post("/api/v1/calendar/closure-days", json={"day": "2026-06-03", "reason": "Training"}, headers=h).status_code == 201
    backend.travel_to(dt.date(2026, 6, 5))
    r = backend.client.delete("/api/v1/calendar/closure-days/2026-06-03", headers=h)
    assert r.status_code == 422
