"""The casework rules on their own: remedies and actions (6.6, 6.17, 7.1-7.3), contact restrictions
(5.14 / 5.15) and adjustment reviews (5.10); plain Python, no database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.domain.adjustments import check_review_date
from backend.domain.remedies import MAX_AMOUNT_PENCE, OpenAction, RemedyKind, check_can_close, check_done, check_new_action, is_overdue
from backend.domain.restrictions import MAX_REVIEW_MONTHS, add_months, check_end, check_restriction, due_for_review, latest_review_date
from backend.domain.rules import RuleViolation

TODAY = dt.date(2026, 6, 1)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2099, 12, 31))


class TestActions:
    @given(kind=st.sampled_from(RemedyKind), amount=st.one_of(st.none(), st.integers(min_value=-10, max_value=MAX_AMOUNT_PENCE + 10)))
    def test_only_a_financial_remedy_carries_an_amount_and_it_must_carry_one(self, kind: RemedyKind, amount: int | None) -> None:
        valid = (
            (0 < amount <= MAX_AMOUNT_PENCE) if (kind is RemedyKind.FINANCIAL and amount is not None) else (kind is not RemedyKind.FINANCIAL and amount is None)
        )
        try:
            new = check_new_action(complaint_finished=False, kind=kind, description=" Do it ", amount_pence=amount, due_on=None, today=TODAY)
        except RuleViolation as exc:
            assert not valid and exc.provision == "7.1"
        else:
            assert valid and new.amount_pence == amount and new.description == "Do it"

    @given(due=st.one_of(st.none(), days), today=days)
    def test_an_action_is_never_promised_for_a_date_already_gone(self, due: dt.date | None, today: dt.date) -> None:
        try:
            check_new_action(complaint_finished=False, kind=RemedyKind.REPAIR, description="Fix it", amount_pence=None, due_on=due, today=today)
        except RuleViolation as exc:
            assert due is not None and due < today and exc.code == "due_in_past"
        else:
            assert due is None or due >= today

    def test_a_finished_complaint_takes_no_new_actions(self) -> None:
        with pytest.raises(RuleViolation) as exc:
            check_new_action(complaint_finished=True, kind=RemedyKind.APOLOGY, description="Sorry", amount_pence=None, due_on=None, today=TODAY)
        assert exc.value.kind == "conflict"

    @given(status=st.sampled_from(["open", "done"]), due=st.one_of(st.none(), days), today=days)
    def test_overdue_means_open_and_past_its_date(self, status: str, due: dt.date | None, today: dt.date) -> None:
        assert is_overdue(status, due, today) == (status == "open" and due is not None and due < today)

    def test_done_needs_the_update_to_the_resident_and_happens_once(self) -> None:
        assert check_done("open", "  Fixed on Tuesday. ") == "Fixed on Tuesday."
        with pytest.raises(RuleViolation, match=r"6\.6"):
            check_done("open", "")
        with pytest.raises(RuleViolation) as exc:
            check_done("done", "again")
        assert exc.value.kind == "conflict"

    @given(n=st.integers(min_value=0, max_value=12), stage=st.sampled_from([1, 2]))
    def test_close_waits_for_every_open_action(self, n: int, stage: int) -> None:
        open_ = [OpenAction(id=i, description=f"Action {i}", due_on=None) for i in range(1, n + 1)]
        if n == 0:
            check_can_close(open_, stage)
            return
        with pytest.raises(RuleViolation) as exc:
            check_can_close(open_, stage)
        assert exc.value.code == "actions_outstanding" and exc.value.provision == ("6.17" if stage == 2 else "6.6")
        assert f"{n} action(s)" in exc.value.message and "#1 Action 1" in exc.value.message


class TestRestrictions:
    @given(today=days, review=days)
    def test_the_review_is_after_today_and_no_more_than_six_months_ahead(self, today: dt.date, review: dt.date) -> None:
        try:
            check_restriction("Email only", "Abusive calls", "No disclosed needs", review, today)
        except RuleViolation as exc:
            assert not (today < review <= add_months(today, MAX_REVIEW_MONTHS)) and exc.provision == "5.15"
        else:
            assert today < review <= add_months(today, MAX_REVIEW_MONTHS)

    @pytest.mark.parametrize(
        ("what", "why", "equality", "provision"),
        [("", "r", "e", "5.14"), ("w", " ", "e", "5.14"), ("w", "r", "", "5.15")],
    )
    def test_what_why_and_the_equality_act_regard_are_all_required(self, what: str, why: str, equality: str, provision: str) -> None:
        with pytest.raises(RuleViolation) as exc:
            check_restriction(what, why, equality, TODAY + dt.timedelta(days=30), TODAY)
        assert exc.value.provision == provision

    @given(day=days, months=st.integers(min_value=0, max_value=24))
    def test_adding_months_keeps_the_day_or_uses_the_months_last_day(self, day: dt.date, months: int) -> None:
        later = add_months(day, months)
        assert (later.year * 12 + later.month) - (day.year * 12 + day.month) == months
        assert later.day == day.day or (later.day < day.day and (later + dt.timedelta(days=1)).day == 1)

    def test_six_months_from_the_end_of_august_is_the_end_of_february(self) -> None:
        assert latest_review_date(dt.date(2026, 8, 31)) == dt.date(2027, 2, 28)

    def test_ending_needs_a_reason_and_happens_once(self) -> None:
        assert check_end(False, " reviewed ") == "reviewed"
        with pytest.raises(RuleViolation):
            check_end(False, "")
        with pytest.raises(RuleViolation):
            check_end(True, "again")

    def test_only_an_active_restriction_falls_due_for_review(self) -> None:
        assert due_for_review(TODAY, TODAY, active=True) and not due_for_review(TODAY, TODAY, active=False)


class TestAdjustmentReview:
    @given(today=days, review=days)
    def test_the_next_review_is_after_today_and_within_twelve_months(self, today: dt.date, review: dt.date) -> None:
        try:
            check_review_date(review, today)
        except RuleViolation as exc:
            assert not (today < review <= add_months(today, 12)) and exc.provision == "5.10"
        else:
            assert today < review <= add_months(today, 12)
