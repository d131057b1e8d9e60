"""A year of complaints worked through the API day by day, then the managers' reports checked three
ways: against answers this test works out from its own log of what it did (its own working-day
count, its own bank-holiday list), against the same reports rebuilt from the events alone, and
complaint by complaint between the record and the events."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from backend.api.reports import _summary_out
from backend.services import reports, reports_rebuild
from tests.backend.helpers import PROOF, RESPONSE, new_complaint, ok
from tests.conftest import Backend

D = dt.date
YEAR_START, YEAR_END = D(2026, 4, 1), D(2027, 3, 31)
FIRST_DAY, TODAY = D(2026, 3, 2), D(2027, 4, 16)
# England's bank holidays from March 2026 to April 2027, and the landlord's own closure day.
CLOSED_DAYS = {D(2026, 4, 3), D(2026, 4, 6), D(2026, 5, 4), D(2026, 5, 25), D(2026, 8, 31), D(2026, 12, 24), D(2026, 12, 25), D(2026, 12, 28)}
CLOSED_DAYS |= {D(2027, 1, 1), D(2027, 3, 26), D(2027, 3, 29)}
STAGE2_DEFINITION = {"points": ["The stage 1 promise of a repair was not kept"], "outcomes": ["The repair, and compensation"]}


def working(day: dt.date) -> bool:
    return day.weekday() < 5 and day not in CLOSED_DAYS


def add_wd(start: dt.date, n: int) -> dt.date:
    day = start
    while n:
        day += dt.timedelta(days=1)
        n -= working(day)
    return day


def wd_between(start: dt.date, end: dt.date) -> int:
    return sum(working(start + dt.timedelta(days=i)) for i in range(1, (end - start).days + 1))


def in_year(day: dt.date | None) -> bool:
    return day is not None and YEAR_START <= day <= YEAR_END


# -- the plan: what happens to each complaint, and when -------------------------------------------

CATEGORIES = ["Repairs", "Damp and mould", "Anti-social behaviour", "Staff conduct", None]
CHANNELS = ["webchat", "sms", "phone", "whatsapp", "email"]
DECISIONS = ["upheld", "partly_upheld", "not_upheld"]
KINDS = [
    "on_time_closed",
    "late_both",
    "extended_within",
    "extended_late",
    "declined",
    "stage2_closed",
    "stage2_late_extended",
    "stage2_declined",
    "withdrawn_after_ack",
    "withdrawn_before_ack",
    "never_acknowledged",
    "acknowledged_never_answered",
    "stage2_waiting",
    "closed_then_escalated",
]


def plan(i: int, received: dt.date) -> list[tuple[dt.date, str, dict[str, Any]]]:
    """The steps for complaint ``i`` as (day, action, body); days chosen with this test's own calendar."""
    kind = KINDS[i % len(KINDS)]
    decision = DECISIONS[i % 3]
    respond = {**RESPONSE, "decision": decision}
    steps: list[tuple[dt.date, str, dict[str, Any]]] = []
    learning = f"Learning {i}: book the damp survey on the first report" if i % 4 else f'=HYPERLINK("x") learning {i}'
    ack1 = add_wd(received, 7 if kind == "late_both" else 2)
    if kind == "declined":
        ground = ["over_twelve_months", "legal_proceedings", "previously_considered", "other"][i % 4]
        return [(add_wd(received, 2), "decline", {"ground": ground, "reasons": f"Reason {i}"})]
    if kind == "withdrawn_before_ack":
        return [(add_wd(received, 1), "withdraw", {"note": "Resident withdrew", **PROOF})]
    if kind == "never_acknowledged":
        return []
    steps.append((ack1, "acknowledge", {}))
    original1 = add_wd(ack1, 10)
    if kind == "withdrawn_after_ack":
        return [*steps, (add_wd(ack1, 3), "withdraw", {"note": "Resident withdrew", **PROOF})]
    if kind == "acknowledged_never_answered":
        return steps
    if kind == "late_both":
        resp1 = add_wd(ack1, 12)
    elif kind in ("extended_within", "extended_late"):
        new_due = add_wd(original1, 5)
        steps.append((add_wd(ack1, 4), "extend", {"new_due": new_due.isoformat(), "reason": "A survey is needed"}))
        resp1 = add_wd(original1, 3) if kind == "extended_within" else add_wd(new_due, 2)
    else:
        resp1 = add_wd(ack1, 6)
    steps.append((resp1, "respond", respond))
    if kind in ("on_time_closed", "late_both", "extended_within"):
        steps.append((add_wd(resp1, 1), "close", {"learning": learning}))
    if kind not in ("stage2_closed", "stage2_late_extended", "stage2_declined", "stage2_waiting", "closed_then_escalated"):
        return steps
    if kind == "closed_then_escalated":
        steps.append((add_wd(resp1, 1), "close", {"learning": f"First learning {i}"}))
    esc = resp1 + dt.timedelta(days=5)  # the resident may ask on any day, weekends too
    steps.append((esc, "escalate", {**PROOF}))
    if kind == "stage2_waiting":
        return steps
    if kind == "stage2_declined":
        return [*steps, (add_wd(esc, 2), "decline", {"ground": "previously_considered", "reasons": "Already answered at stage 1"})]
    ack2 = add_wd(esc, 6 if kind == "stage2_late_extended" else 3)
    steps.append((ack2, "acknowledge", {"definition": STAGE2_DEFINITION}))
    original2 = add_wd(ack2, 20)
    if kind == "stage2_late_extended":
        new_due2 = add_wd(original2, 10)
        steps.append((add_wd(ack2, 5), "extend", {"new_due": new_due2.isoformat(), "reason": "An independent surveyor is needed"}))
        resp2 = add_wd(original2, 4)
    else:
        resp2 = add_wd(ack2, 15)
    steps.append((resp2, "respond", {**RESPONSE, "decision": DECISIONS[(i + 1) % 3]}))
    steps.append((add_wd(resp2, 2), "close", {"learning": learning}))
    return steps


# -- the log: what the test did -------------------------------------------------------------------


@dataclass
class Done:
    ref: str
    category: str | None
    channel: str
    start: dict[int, dt.date]
    status: str = "received"
    ack: dict[int, dt.date] = field(default_factory=dict)
    extended: dict[int, dt.date] = field(default_factory=dict)
    responded: dict[int, tuple[dt.date, str]] = field(default_factory=dict)
    declined: tuple[int, str] | None = None
    withdrawn: dt.date | None = None
    closed: dt.date | None = None
    learning: str | None = None

    @property
    def stage(self) -> int:
        return 2 if 2 in self.start else 1


def work_the_year(b: Backend) -> list[Done]:
    r = b.client.post("/api/v1/calendar/closure-days", json={"day": "2026-12-24", "reason": "Christmas Eve"}, headers=b.as_("manager"))
    assert r.status_code == 201, r.text
    agenda: dict[dt.date, list[tuple[int, str, dict[str, Any]]]] = defaultdict(list)
    received = [FIRST_DAY + dt.timedelta(days=11 * i) for i in range(37)]  # 2 March 2026 to 26 March 2027
    for i, day in enumerate(received):
        agenda[day].append((i, "receive", {}))
        for when, action, body in plan(i, day):
            agenda[when].append((i, action, body))
    log: dict[int, Done] = {}
    day = FIRST_DAY
    while day <= TODAY:
        b.travel_to(day)
        for i, action, body in agenda.get(day, []):
            if action == "receive":
                category, channel = CATEGORIES[i % 5], CHANNELS[i % 4 if i % 7 else 4]
                extra = {"category": category} if category else {}
                ref = new_complaint(b, channel=channel, **extra)["reference"]
                log[i] = Done(ref, category, channel, {1: day})
                continue
            done = log[i]
            stage = done.stage
            as_ = "service" if action in ("escalate", "withdraw") else ("officer2" if stage == 2 else "officer")
            ok(b, done.ref, action, body, as_=as_)
            if action == "acknowledge":
                done.ack[stage], done.status = day, f"stage{stage}_acknowledged"
            elif action == "extend":
                done.extended[stage] = D.fromisoformat(body["new_due"])
            elif action == "respond":
                done.responded[stage], done.status = (day, body["decision"]), f"stage{stage}_responded"
            elif action == "decline":
                done.declined, done.status = (stage, body["ground"]), "declined"
            elif action == "withdraw":
                done.withdrawn, done.status = day, "withdrawn"
            elif action == "escalate":
                done.start[2], done.status, done.closed = day, "stage2_requested", None
            elif action == "close":
                done.closed, done.learning, done.status = day, body["learning"], "closed"
        day += dt.timedelta(days=1)
    return list(log.values())


# -- the right answers, from the log ---------------------------------------------------------------


def expected_summary(log: list[Done]) -> dict[str, Any]:
    stages = {}
    category: dict[str | None, Counter[int]] = defaultdict(Counter)
    channel: dict[str, Counter[int]] = defaultdict(Counter)
    outcome: dict[str, Counter[int]] = defaultdict(Counter)
    grounds: dict[str, Counter[int]] = defaultdict(Counter)
    for s in (1, 2):
        received = [d for d in log if in_year(d.start.get(s))]
        declined = [d for d in received if d.declined and d.declined[0] == s]
        for d in received:
            if d in declined:
                grounds[d.declined[1]][s] += 1  # type: ignore[index]
            else:
                category[d.category][s] += 1
                channel[d.channel][s] += 1
        responded = [d for d in log if s in d.responded and in_year(d.responded[s][0])]
        for d in responded:
            outcome[d.responded[s][1]][s] += 1
        withdrawn = [d for d in log if in_year(d.withdrawn) and d.stage == s]
        outcome["withdrawn"][s] += len(withdrawn)
        stages[s] = {
            "stage": s,
            "received": len(received),
            "declined": len(declined),
            "counted": len(received) - len(declined),
            "responded": len(responded),
            "withdrawn": len(withdrawn),
        }
    timeliness = {}
    for s, (ack_limit, resp_limit) in {1: (5, 10), 2: (5, 20)}.items():
        acked = [d for d in log if in_year(d.ack.get(s))]
        days = [wd_between(d.start[s], d.ack[s]) for d in acked]
        within = sum(d.ack[s] <= add_wd(d.start[s], ack_limit) for d in acked)
        timeliness[(s, "acknowledge")] = (len(acked), statistics.median(days), round(statistics.mean(days), 1), within, None)
        answered = [d for d in log if s in d.responded and in_year(d.responded[s][0])]
        days = [wd_between(d.ack[s], d.responded[s][0]) for d in answered]
        original = sum(d.responded[s][0] <= add_wd(d.ack[s], resp_limit) for d in answered)
        extended = sum(d.responded[s][0] <= d.extended.get(s, add_wd(d.ack[s], resp_limit)) for d in answered)
        timeliness[(s, "respond")] = (len(answered), statistics.median(days), round(statistics.mean(days), 1), original, extended)
    overdue: dict[int, Counter[str]] = {1: Counter(), 2: Counter()}
    for d in log:
        s = d.stage
        if d.status in ("received", "stage2_requested"):
            due, step = add_wd(d.start[s], 5), "acknowledge"
        elif d.status.endswith("acknowledged"):
            due, step = d.extended.get(s, add_wd(d.ack[s], 10 if s == 1 else 20)), "respond"
        else:
            continue
        overdue[s][step] += due < TODAY
    learned = sorted(((d.closed, d.ref, d.learning) for d in log if d.status == "closed" and in_year(d.closed)), reverse=True)
    return {
        "stages": [stages[1], stages[2]],
        "by_category": {k: (v[1], v[2]) for k, v in category.items()},
        "by_channel": {k: (v[1], v[2]) for k, v in channel.items()},
        "by_outcome": {k: (v[1], v[2]) for k, v in outcome.items()},
        "declined": {k: (grounds[k][1], grounds[k][2]) for k in ("over_twelve_months", "legal_proceedings", "previously_considered", "other")},
        "timeliness": timeliness,
        "overdue": [(s, overdue[s]["acknowledge"], overdue[s]["respond"]) for s in (1, 2)],
        "learning": [(ref, closed.isoformat(), text) for closed, ref, text in learned],
    }


def pct(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def check_summary(got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["stages"] == want["stages"]
    assert {r["key"]: (r["stage1"], r["stage2"]) for r in got["by_category"]} == want["by_category"]
    totals = [r["stage1"] + r["stage2"] for r in got["by_category"]]
    assert totals == sorted(totals, reverse=True)  # largest first
    assert {r["key"]: (r["stage1"], r["stage2"]) for r in got["by_channel"]} == want["by_channel"]
    outcome = {r["key"]: (r["stage1"], r["stage2"]) for r in got["by_outcome"] if r["stage1"] or r["stage2"]}
    assert outcome == {k: v for k, v in want["by_outcome"].items() if v != (0, 0)}
    assert {r["key"]: (r["stage1"], r["stage2"]) for r in got["declined"]} == want["declined"]
    for row in got["timeliness"]:
        count, median, mean, within, extended = want["timeliness"][(row["stage"], row["step"])]
        assert (row["count"], row["median_working_days"], row["mean_working_days"], row["within"]) == (count, median, mean, within), row
        assert row["pct_within"] == pct(within, count)
        assert (row["within_extended"], row["pct_within_extended"]) == (extended, None if extended is None else pct(extended, count))
    assert [(o["stage"], o["acknowledge"], o["respond"]) for o in got["overdue"]] == want["overdue"]
    assert got["learning_total"] == len(want["learning"])
    assert [(e["reference"], e["closed_on"], e["learning"]) for e in got["learning"]] == want["learning"]


@pytest.fixture
def year(backend: Backend) -> list[Done]:
    return work_the_year(backend)


def test_a_year_of_complaints_gives_the_figures_worked_out_by_hand_and_the_same_from_events(backend: Backend, year: list[Done]) -> None:
    want = expected_summary(year)
    # the year really is varied: every path of the plan is in it
    assert want["stages"][0]["declined"] and want["stages"][1]["declined"] and want["stages"][1]["responded"]
    assert want["by_outcome"]["withdrawn"] != (0, 0) and any(t[3] < t[0] for t in want["timeliness"].values())
    assert any(a or r for _, a, r in want["overdue"])

    r = backend.client.get("/api/v1/reports/summary?year=2026&learning_limit=1000", headers=backend.as_("manager"))
    assert r.status_code == 200, r.text
    got = r.json()
    assert (got["year"], got["period_start"], got["period_end"], got["today"]) == ("2026/27", "2026-04-01", "2027-03-31", TODAY.isoformat())
    check_summary(got, want)

    # The same numbers rebuilt from the events alone, complaint by complaint and in total.
    app = backend.client.app.state  # type: ignore[attr-defined]
    with Session(backend.engine) as session:  # type: ignore[attr-defined]
        assert reports_rebuild.case_facts(session, app.ctx) == reports.case_facts(session)
        rebuilt = _summary_out(reports_rebuild.summary(session, app.ctx, 2026, learning_limit=1000))
    assert rebuilt.model_dump(mode="json") == got
    check = backend.client.get("/api/v1/reports/reconcile?year=2026", headers=backend.as_("manager")).json()
    assert (check["matches"], check["differences"], check["complaints"]) == (True, [], len(year))

    # TSM: the homes stored for the year, CH01 and CH02 from the same log.
    assert backend.client.put("/api/v1/reports/years/2026", json={"homes": 2500}, headers=backend.as_("manager")).status_code == 200
    tsm = backend.client.get("/api/v1/reports/tsm?year=2026", headers=backend.as_("manager")).json()
    assert tsm["homes"] == 2500
    for stage, row in zip((1, 2), tsm["stages"], strict=True):
        count, _, _, original, extended = want["timeliness"][(stage, "respond")]
        counted = want["stages"][stage - 1]["counted"]
        assert (row["received"], row["per_1000_homes"]) == (counted, round(1000 * counted / 2500, 1))
        assert (row["responded"], row["within_original"], row["within_extended"]) == (count, original, extended)
        assert (row["pct_within_original"], row["pct_within_extended"]) == (pct(original, count), pct(extended, count))
    with Session(backend.engine) as session:  # type: ignore[attr-defined]
        assert reports.tsm_from_facts(reports_rebuild.tsm_facts(session, app.ctx, 2026), 2026, 2500).model_dump(mode="json") == tsm


def test_a_record_changed_behind_the_events_back_is_caught_by_the_check(backend: Backend) -> None:
    ref = new_complaint(backend, category="Repairs")["reference"]
    ok(backend, ref, "acknowledge", {})
    backend.travel_to(D(2026, 6, 5))
    ok(backend, ref, "respond", RESPONSE)
    check = backend.client.get("/api/v1/reports/reconcile?year=2026", headers=backend.as_("manager")).json()
    assert (check["matches"], check["complaints"]) == (True, 1)
    earlier = "stage1_responded_on - 1" if backend.dialect == "postgresql" else "date(stage1_responded_on, '-1 day')"
    with backend.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.execute(text(f"UPDATE complaints SET stage1_responded_on = {earlier}, category = 'Damp' WHERE reference = :ref"), {"ref": ref})
    check = backend.client.get("/api/v1/reports/reconcile?year=2026", headers=backend.as_("manager")).json()
    assert check["matches"] is False
    assert any(line.startswith(f"{ref}: stages") and "2026, 6, 4" in line for line in check["differences"]), check["differences"]
    assert any(line.startswith(f"{ref}: category is 'Damp' in the record, 'Repairs' from events") for line in check["differences"]), check["differences"]


def test_a_complaint_raised_from_a_repair_request_keeps_its_category_in_the_rebuild(backend: Backend) -> None:
    repair = {
        "service_code": "repairs",
        "description": "Kitchen tap leaking",
        "channel": "sms",
        "resident": {"name": "Amira Khan", "postcode": "LS6 2AB", "identities": [{"channel": "sms", "address": "+447700900123"}]},
    }
    sr = backend.client.post("/api/v1/service-requests", json=repair, headers=backend.as_("service")).json()["service_request_id"]
    r = backend.client.post(
        f"/api/v1/service-requests/{sr}/complaint",
        json={"channel": "sms", "definition": {"points": ["Nobody came"], "outcomes": ["Fix it"]}, "postcode": "LS6 2AB", "client_id": "sms-1"},
        headers=backend.as_("service"),
    )
    assert r.status_code == 201, r.text
    summary = backend.client.get("/api/v1/reports/summary?year=2026", headers=backend.as_("manager")).json()
    assert [(c["key"], c["stage1"]) for c in summary["by_category"]] == [("repairs", 1)]
    check = backend.client.get("/api/v1/reports/reconcile?year=2026", headers=backend.as_("manager")).json()
    assert (check["matches"], check["differences"]) == (True, [])
