"""The Housing Ombudsman's details: one versioned template with the current facts."""

from __future__ import annotations

import pytest

from backend.domain.ombudsman import TEMPLATE_VERSION, Moment, signposting
from tests.conftest import Backend


@pytest.mark.parametrize("moment", list(Moment))
def test_every_moment_gives_phone_online_form_and_post(moment: Moment) -> None:
    text = signposting(moment).text
    assert "0300 111 3000" in text
    assert "www.housing-ombudsman.org.uk/residents/make-a-complaint/" in text
    assert "PO Box 1484, Unit D, Preston, PR2 0ET" in text


@pytest.mark.parametrize("moment", list(Moment))
def test_no_email_for_new_cases_and_no_designated_person(moment: Moment) -> None:
    text = signposting(moment).text.lower()
    assert "@" not in text and "email" not in text
    assert "designated person" not in text and "eight weeks" not in text and "8 weeks" not in text


def test_the_bot_and_staff_get_the_same_versioned_text(backend: Backend) -> None:
    r = backend.client.get("/api/v1/ombudsman", params={"moment": "final_response"})
    assert r.json() == {"version": TEMPLATE_VERSION, "moment": "final_response", "text": signposting(Moment.FINAL_RESPONSE).text}
