"""Code section 3: residents can complain in any way, and can have someone act for them."""

from __future__ import annotations

from tests.backend.helpers import new_complaint
from tests.conftest import Backend


def test_3_1_complaints_arrive_on_every_channel(backend: Backend) -> None:
    for channel in ("webchat", "sms", "whatsapp", "telegram", "phone", "letter"):
        c = new_complaint(backend, channel=channel)
        assert c["channel"] == channel


def test_3_6_a_representative_is_recorded_with_the_complaint_and_authority_pending(backend: Backend) -> None:
    c = new_complaint(backend, representative={"name": "Dana Lee", "relationship": "advocate", "organisation": "Citizens Advice"})
    assert c["representative"]["relationship"] == "advocate"
    assert c["representative"]["authority_status"] == "pending"
    assert c["resident"]["representatives"][0]["name"] == "Dana Lee"
