"""Deadline alerts: a handler hears once when their case is due soon and once when it is overdue;
managers hear about every overdue case and about new cases nobody handles yet; several workers
scanning at once still tell each person once."""

from __future__ import annotations

import datetime as dt
import threading

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from backend.domain.alerts import AlertKind, recipients
from backend.services import alerts
from tests.backend.helpers import new_complaint, ok
from tests.conftest import Backend

MON_1_JUNE = dt.date(2026, 6, 1)


def run_scan(b: Backend) -> alerts.ScanResult:
    """What each worker's timer does."""
    state = b.client.app.state  # type: ignore[attr-defined]
    with Session(state.engine) as session:
        result = alerts.scan(session, state.ctx)
        session.commit()
    return result


def my_alerts(b: Backend, who: str) -> list[dict[str, object]]:
    r = b.client.get("/api/v1/alerts", headers=b.as_(who))
    assert r.status_code == 200, r.text
    return r.json()


def acknowledged_case(b: Backend) -> str:
    """Received Mon 1 June and acknowledged by the officer: respond by Mon 15 June."""
    ref = new_complaint(b)["reference"]
    ok(b, ref, "acknowledge", {})
    return ref


def test_the_handler_is_told_once_when_the_case_is_due_soon(backend: Backend) -> None:
    ref = acknowledged_case(backend)
    backend.travel_to(dt.date(2026, 6, 5))
    run_scan(backend)
    assert my_alerts(backend, "officer") == []  # 6 working days left: on track
    backend.travel_to(dt.date(2026, 6, 11))  # Thursday: 2 working days to Monday 15th
    run_scan(backend)
    run_scan(backend)
    got = my_alerts(backend, "officer")
    assert [(a["reference"], a["kind"], a["due_on"]) for a in got] == [(ref, "due_soon", "2026-06-15")]
    assert "due on Monday 15 June 2026" in str(got[0]["text"])
    assert my_alerts(backend, "manager") == []  # due soon is the handler's business
    assert my_alerts(backend, "officer2") == []


def test_overdue_tells_the_handler_and_the_managers_once(backend: Backend) -> None:
    ref = acknowledged_case(backend)
    backend.travel_to(dt.date(2026, 6, 16))
    run_scan(backend)
    run_scan(backend)
    assert [(a["reference"], a["kind"]) for a in my_alerts(backend, "officer")] == [(ref, "overdue")]
    assert [(a["reference"], a["kind"]) for a in my_alerts(backend, "manager")] == [(ref, "overdue")]
    assert "is overdue" in str(my_alerts(backend, "manager")[0]["text"])


def test_a_new_case_nobody_handles_goes_to_the_managers(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]  # acknowledge by Mon 8 June
    backend.travel_to(dt.date(2026, 6, 4))
    run_scan(backend)
    assert [(a["reference"], a["kind"], a["due_on"]) for a in my_alerts(backend, "manager")] == [(ref, "due_soon", "2026-06-08")]
    assert my_alerts(backend, "officer") == []


def test_an_extension_gives_a_new_date_that_is_alerted_again_when_it_comes_near(backend: Backend) -> None:
    ref = acknowledged_case(backend)
    backend.travel_to(dt.date(2026, 6, 11))
    run_scan(backend)
    ok(backend, ref, "extend", {"new_due": "2026-06-26", "reason": "Waiting for the surveyor's report on the damp"})
    run_scan(backend)
    assert [a["due_on"] for a in my_alerts(backend, "officer")] == ["2026-06-15"]
    backend.travel_to(dt.date(2026, 6, 24))
    run_scan(backend)
    assert sorted(a["due_on"] for a in my_alerts(backend, "officer")) == ["2026-06-15", "2026-06-26"]


def test_finished_cases_raise_no_alerts(backend: Backend) -> None:
    ref = new_complaint(backend)["reference"]
    ok(backend, ref, "withdraw", {"postcode": "LS6 2AB", "client_id": "x", "note": "sorted"}, as_="service")
    backend.travel_to(dt.date(2026, 7, 1))
    assert run_scan(backend).created == 0


def test_several_workers_scanning_at_once_tell_each_person_once(backend: Backend) -> None:
    refs = [acknowledged_case(backend) for _ in range(5)]
    backend.travel_to(dt.date(2026, 6, 16))
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            run_scan(backend)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    run_scan(backend)
    assert not errors
    assert sorted(a["reference"] for a in my_alerts(backend, "officer")) == sorted(refs)
    assert sorted(a["reference"] for a in my_alerts(backend, "manager")) == sorted(refs)
    events = backend.client.get(f"/api/v1/complaints/{refs[0]}/events", headers=backend.as_("officer")).json()
    assert sum(e["type"] == "deadline_alert" for e in events) == 2  # the handler and the manager, once each


def test_an_alert_is_marked_read_only_by_the_person_it_was_for(backend: Backend) -> None:
    acknowledged_case(backend)
    backend.travel_to(dt.date(2026, 6, 16))
    run_scan(backend)
    alert_id = my_alerts(backend, "officer")[0]["id"]
    assert backend.client.post(f"/api/v1/alerts/{alert_id}/read", headers=backend.as_("officer2")).status_code == 404
    assert backend.client.post(f"/api/v1/alerts/{alert_id}/read", headers=backend.as_("officer")).status_code == 204
    assert backend.client.get("/api/v1/alerts?unread=true", headers=backend.as_("officer")).json() == []
    assert backend.client.get("/api/v1/alerts", headers=backend.as_("agent")).status_code == 403
    assert backend.client.get("/api/v1/alerts").status_code == 401


@given(handler=st.none() | st.integers(1, 9), managers=st.lists(st.integers(1, 9), unique=True, max_size=4), kind=st.sampled_from(AlertKind))
def test_recipients_are_the_handler_plus_managers_when_overdue_or_unhandled(handler: int | None, managers: list[int], kind: AlertKind) -> None:
    people = [r.staff_id for r in recipients(kind, handler, managers)]
    assert len(people) == len(set(people))
    if handler is not None:
        assert people[0] == handler
    expect_managers = kind is AlertKind.OVERDUE or handler is None
    assert set(people) == ({handler} - {None}) | (set(managers) if expect_managers else set())
