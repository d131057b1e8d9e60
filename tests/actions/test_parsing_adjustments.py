"""The adjustments a resident names in their own words become recorded types (plain parsing, no server)."""

from __future__ import annotations

import pytest

from actions.parsing import adjustments


@pytest.mark.parametrize(
    ("said", "kinds"),
    [
        ("large print letters please", ["large_print"]),
        ("I'd rather talk to a real person, not a bot", ["needs_person"]),
        ("please can I speak to someone next time", ["needs_person"]),
        ("texts only, I'm deaf", ["text_only"]),
        ("my cat", ["other"]),
        ("no", []),
    ],
)
def test_adjustments_in_the_residents_words(said: str, kinds: list[str]) -> None:
    assert [a["type"] for a in adjustments(said)] == kinds
