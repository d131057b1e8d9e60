"""The reports' counting rules, directly: what counts in a year, medians and shares, overdue, the
learning log, and that reading complaints in groups gives the same figures as one at a time."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from backend.domain.calendar import calendar_for
from backend.domain.reports import (
    Acknowledged,
    Due,
    Facts,
    Learned,
    Outcome,
    Received,
    Responded,
    Withdrawn,
    learning_log,
    outcome_of,
    overdue,
    summarise,
    timeliness,
    volumes,
    year_of,
)
from backend.domain.timescales import load_profile
from backend.services.reports_export import csv_cell

D = dt.date
CAL = calendar_for("england-and-wales")
PROFILE = load_profile()


def test_a_day_belongs_to_the_reporting_year_that_started_the_april_before() -> None:
    assert (year_of(D(2027, 3, 31)), year_of(D(2027, 4, 1)), year_of(D(2026, 12, 31))) == (2026, 2027, 2026)


def test_a_response_decision_is_recognised_however_it_was_written() -> None:
    assert [outcome_of(x) for x in ("partly upheld", "partly_upheld", "Not upheld", "upheld", "", None, "We have upheld your complaint.")] == [
        "partly_upheld",
        "partly_upheld",
        "not_upheld",
        "upheld",
        None,
        None,
        None,
    ]


def test_declined_complaints_are_counted_by_ground_and_not_as_complaints() -> None:
    per_stage, by_category, by_channel, declined = volumes(
        [
            Received(1, "Repairs", "sms"),
            Received(1, "Repairs", "phone", count=2),
            Received(1, "Repairs", "sms", declined_ground="over_twelve_months"),
            Received(2, "Repairs", "sms", declined_ground="previously_considered"),
            Received(1, None, "sms"),
        ]
    )
    assert per_stage == {1: (5, 1), 2: (1, 1)}
    assert [(r.label, r.stage1, r.stage2) for r in by_category] == [("Repairs", 3, 0), ("Not categorised", 1, 0)]
    assert [(r.key, r.label, r.stage1) for r in by_channel] == [("phone", "Phone", 2), ("sms", "SMS", 2)]  # a tie: by name
    assert [(r.key, r.stage1, r.stage2) for r in declined] == [
        ("over_twelve_months", 1, 0),
        ("legal_proceedings", 0, 0),  # every ground is shown, zeros too (Code 8.1)
        ("previously_considered", 0, 1),
        ("other", 0, 0),
    ]


def test_time_to_acknowledge_and_respond_is_in_working_days_with_median_mean_and_share() -> None:
    acknowledged = [
        Acknowledged(1, D(2026, 6, 1), D(2026, 6, 2), True),  # 1 working day
        Acknowledged(1, D(2026, 6, 5), D(2026, 6, 8), True),  # Friday to Monday: 1 working day
        Acknowledged(1, D(2026, 5, 22), D(2026, 6, 3), False),  # over the Spring bank holiday: 7 working days
        Acknowledged(1, D(2026, 6, 1), D(2026, 6, 4), True, count=1),  # 3
    ]
    responded = [
        Responded(1, D(2026, 6, 2), D(2026, 6, 16), True, True),  # 10 working days
        Responded(1, D(2026, 6, 2), D(2026, 6, 23), False, True),  # 15, within its extension
    ]
    ack1, resp1, ack2, resp2 = timeliness(acknowledged, responded, CAL, PROFILE)
    assert (ack1.count, ack1.median_working_days, ack1.mean_working_days, ack1.within, ack1.pct_within) == (4, 2.0, 3.0, 3, 75.0)
    assert (ack1.timescale_working_days, ack1.within_extended) == (5, None)
    assert (resp1.count, resp1.median_working_days, resp1.mean_working_days) == (2, 12.5, 12.5)
    assert (resp1.pct_within, resp1.pct_within_extended, resp1.timescale_working_days) == (50.0, 100.0, 10)
    assert (ack2.count, ack2.median_working_days, ack2.mean_working_days, ack2.pct_within) == (0, None, None, None)  # nothing: no figure, not 0
    assert resp2.timescale_working_days == 20


def test_overdue_means_the_deadline_was_before_today() -> None:
    today = D(2026, 6, 10)
    due = [
        Due(1, "acknowledge", D(2026, 6, 9)),
        Due(1, "respond", D(2026, 6, 10)),
        Due(1, "respond", D(2026, 6, 1), count=3),
        Due(2, "acknowledge", D(2026, 6, 11)),
    ]
    assert [(o.stage, o.acknowledge, o.respond, o.total) for o in overdue(due, today)] == [(1, 1, 3, 4), (2, 0, 0, 0)]


def test_the_learning_log_is_the_years_closures_newest_first() -> None:
    entries = [
        Learned("CMP-2026-000001", 1, D(2026, 5, 1), "Repairs", "a"),
        Learned("CMP-2026-000003", 2, D(2026, 7, 1), None, "c"),
        Learned("CMP-2026-000002", 1, D(2026, 7, 1), "Repairs", "b"),
    ]
    total, shown = learning_log(entries, limit=2)
    assert total == 3 and [e.learning for e in shown] == ["c", "b"]


def test_a_spreadsheet_cell_that_could_run_as_a_formula_is_quoted() -> None:
    assert [csv_cell(v) for v in ("=1+1", "+44 7700 900123", "-5", "@SUM(A1)", "\tx", "Repairs", "", None, 5, -2, 3.5)] == [
        "'=1+1",
        "'+44 7700 900123",
        "'-5",
        "'@SUM(A1)",
        "'\tx",
        "Repairs",
        "",
        "",
        5,
        -2,  # numbers are numbers, not text a spreadsheet could run
        3.5,
    ]


days = st.dates(min_value=D(2026, 1, 1), max_value=D(2027, 6, 30))
flags = st.sampled_from([True, False, None])
received = st.builds(
    Received,
    stage=st.sampled_from([1, 2]),
    category=st.sampled_from(["Repairs", "Damp", None]),
    channel=st.sampled_from(["sms", "phone"]),
    declined_ground=st.sampled_from([None, None, "other", "legal_proceedings"]),
)
acknowledged = st.builds(lambda s, r, n, w: Acknowledged(s, r, r + dt.timedelta(days=n), w), st.sampled_from([1, 2]), days, st.integers(0, 20), flags)
responded = st.builds(lambda s, a, n, o, e: Responded(s, a, a + dt.timedelta(days=n), o, e), st.sampled_from([1, 2]), days, st.integers(0, 40), flags, flags)
decided = st.builds(Outcome, stage=st.sampled_from([1, 2]), outcome=st.sampled_from(["upheld", "not_upheld", None]))
withdrawn = st.builds(Withdrawn, stage=st.sampled_from([1, 2]))
learned = st.builds(
    Learned, reference=st.sampled_from(["CMP-2026-000001", "CMP-2026-000002"]), stage=st.just(1), closed_on=days, category=st.none(), learning=st.just("x")
)
due = st.builds(Due, stage=st.sampled_from([1, 2]), step=st.sampled_from(["acknowledge", "respond"]), due=days)


def _grouped(items: list[Any]) -> list[Any]:
    """The same facts as the grouped queries give them: identical facts merged, with a count."""
    return [dataclasses.replace(fact, count=n) for fact, n in Counter(items).items()]


@settings(max_examples=150, deadline=None)
@given(st.lists(received), st.lists(acknowledged), st.lists(responded), st.lists(decided), st.lists(withdrawn), st.lists(due), st.lists(learned))
def test_facts_read_in_groups_give_the_same_figures_as_one_at_a_time(
    r: list[Any], a: list[Any], p: list[Any], o: list[Any], w: list[Any], d: list[Any], learned: list[Any]
) -> None:
    one_by_one = Facts(received=r, acknowledged=a, responded=p, outcomes=o, withdrawn=w, due=d, learned=learned)
    grouped = Facts(received=_grouped(r), acknowledged=_grouped(a), responded=_grouped(p), outcomes=_grouped(o), withdrawn=_grouped(w), due=_grouped(d))
    today = D(2026, 11, 2)
    log = learning_log(learned, 1)
    assert summarise(grouped, 2026, today, CAL, PROFILE, learning=log) == summarise(one_by_one, 2026, today, CAL, PROFILE, learning_limit=1)
