"""Code section 1: complaints and service requests are different things, both recorded."""

from __future__ import annotations

from tests.backend.helpers import new_complaint, staff_view
from tests.conftest import Backend

REPAIR = {
    "channel": "sms",
    "service_code": "repairs_plumbing",
    "description": "Kitchen tap dripping constantly",
    "location": "Flat 3, 12 Hill Road",
    "postcode": "LS6 2AB",
    "problem_since": "last week",
    "resident": {"name": "Amira Khan", "postcode": "LS6 2AB", "identities": [{"channel": "sms", "address": "+447700900123"}]},
}


def test_1_4_a_service_request_is_recorded_apart_from_complaints(backend: Backend) -> None:
    r = backend.client.post("/api/v1/service-requests", json=REPAIR, headers=backend.as_("service"))
    assert r.status_code == 201, r.text
    sr = r.json()
    assert sr["service_request_id"].startswith("SR-2026-")
    assert sr["status"] == "open"
    register = backend.client.get("/api/v1/service-requests", headers=backend.as_("agent")).json()
    assert [s["service_request_id"] for s in register] == [sr["service_request_id"]]
    queue = backend.client.get("/api/v1/complaints/queue", headers=backend.as_("officer")).json()
    assert queue["items"] == []


def test_1_5_dissatisfaction_with_a_service_request_raises_a_complaint_and_the_request_carries_on(backend: Backend) -> None:
    sr = backend.client.post("/api/v1/service-requests", json=REPAIR, headers=backend.as_("service")).json()
    ref = sr["service_request_id"]
    r = backend.client.post(
        f"/api/v1/service-requests/{ref}/complaint",
        json={
            "channel": "sms",
            "definition": {"points": ["Nobody came to fix the tap after two weeks"], "outcomes": ["Fix it this week"]},
            "postcode": "LS6 2AB",
            "client_id": "sms-conversation",
        },
        headers=backend.as_("service"),
    )
    assert r.status_code == 201, r.text
    assert "resident" not in r.text or r.json()["resident"] is None  # the action server gets no personal details back
    complaint = staff_view(backend, r.json()["reference"])
    assert complaint["service_request_refs"] == [ref]
    assert complaint["resident"]["name"] == "Amira Khan"
    after = backend.client.get(f"/api/v1/service-requests/{ref}", headers=backend.as_("agent")).json()
    assert after["status"] == "open"
    assert after["complaint_refs"] == [complaint["reference"]]


def test_1_3_a_complaint_can_be_made_by_a_representative_whose_authority_is_then_confirmed(backend: Backend) -> None:
    c = new_complaint(backend, representative={"name": "Cllr Jo Bloggs", "relationship": "councillor", "organisation": "Leeds City Council"})
    rep = c["representative"]
    assert rep["authority_status"] == "pending"
    ref = c["reference"]
    hidden = backend.client.get(
        f"/api/v1/complaints/{ref}", params={"as_representative": True, "postcode": "LS6 2AB", "client_id": "rep-chat"}, headers=backend.as_("service")
    ).json()
    assert hidden["resident"] is None and hidden["definition"] is None and hidden["impact"] is None
    r = backend.client.post(
        f"/api/v1/representatives/{rep['id']}/authority",
        json={"status": "confirmed", "method": "Signed consent form from the resident, received by post"},
        headers=backend.as_("officer"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["authority_status"] == "confirmed"
    shown = backend.client.get(
        f"/api/v1/complaints/{ref}", params={"as_representative": True, "postcode": "LS6 2AB", "client_id": "rep-chat"}, headers=backend.as_("service")
    ).json()
    assert shown["resident"]["name"] == "Amira Khan"


def test_1_3_authority_is_decided_once(backend: Backend) -> None:
    c = new_complaint(backend, representative={"name": "Sam Khan", "relationship": "family"})
    rep_id = c["representative"]["id"]
    body = {"status": "refused", "method": "Resident told us by phone she does not want Sam to act for her"}
    assert backend.client.post(f"/api/v1/representatives/{rep_id}/authority", json=body, headers=backend.as_("officer")).status_code == 200
    again = backend.client.post(f"/api/v1/representatives/{rep_id}/authority", json=body, headers=backend.as_("officer"))
    assert again.status_code == 409
