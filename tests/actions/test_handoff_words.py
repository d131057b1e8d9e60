"""The assistant only believes a request for a person that asks for one: every handoff request written
in the training data and the held-out sets has words for it, and names given in an intake do not."""

from __future__ import annotations

import pytest

from actions.parsing import HANDOFF_WORDS
from tests.actions.written_examples import written


def test_every_written_request_for_a_person_has_words_for_it() -> None:
    texts = written("human_handoff", held_out=True)
    assert len(texts) > 150
    assert [t for t in texts if not HANDOFF_WORDS.search(t)] == []


@pytest.mark.parametrize("answer", ["Amira Hughes", "Tom Hughes", "Megan Hughes", "Grace Okafor", "amira.hughes@example.org", "LS6 2AB"])
def test_names_and_details_given_in_an_intake_are_not_requests_for_a_person(answer: str) -> None:
    assert not HANDOFF_WORDS.search(answer)
