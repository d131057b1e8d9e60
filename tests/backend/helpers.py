"""Small helpers the behaviour tests share: make a complaint, walk it through the stages."""

from __future__ import annotations

from typing import Any

from tests.conftest import Backend

DEFINITION = {
    "points": ["Damp and black mould in the back bedroom, reported three times since March", "The contractor missed two appointments without telling me"],
    "outcomes": ["Fix the cause of the damp", "An apology and compensation for the missed days off work"],
}


def new_complaint(b: Backend, *, as_: str = "service", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channel": "webchat",
        "resident": {"name": "Amira Khan", "postcode": "LS6 2AB", "identities": [{"channel": "webchat", "address": "chat-123"}]},
        "definition": DEFINITION,
    }
    body.update(overrides)
    r = b.client.post("/api/v1/complaints", json=body, headers=b.as_(as_))
    assert r.status_code == 201, r.text
    return staff_view(b, r.json()["reference"])


def staff_view(b: Backend, ref: str) -> dict[str, Any]:
    """The whole case as a complaints officer sees it (the action server gets a redacted view)."""
    r = b.client.get(f"/api/v1/complaints/{ref}", headers=b.as_("officer"))
    assert r.status_code == 200, r.text
    return r.json()


#: What the action server sends to act for a resident on an existing case: the verification detail.
PROOF = {"postcode": "LS6 2AB", "client_id": "conversation-1"}


def post(b: Backend, ref: str, action: str, body: dict[str, Any], as_: str = "officer") -> Any:
    return b.client.post(f"/api/v1/complaints/{ref}/{action}", json=body, headers=b.as_(as_))


def ok(b: Backend, ref: str, action: str, body: dict[str, Any], as_: str = "officer") -> dict[str, Any]:
    r = post(b, ref, action, body, as_)
    assert r.status_code == 200, r.text
    return r.json()


RESPONSE = {
    "decision": "partly_upheld",
    "reasons": "Our records show three reports of damp since March and no lasting repair.",
    "remedy": "A damp survey on 10 June, the repair by 30 June, and £150 for the missed appointments.",
    "outstanding_actions": "Damp survey (10 June) and repair (30 June); we will update you after each.",
}
