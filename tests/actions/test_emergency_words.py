"""The assistant only believes an "emergency" that carries a sign of danger: every emergency written in
the training data and the held-out sets has one, and ordinary answers about needs do not."""

from __future__ import annotations

import pytest

from actions.parsing import DANGER, EMERGENCY_WORDS
from tests.actions.written_examples import written


def test_every_written_emergency_has_a_sign_of_danger() -> None:
    texts = written("emergency", held_out=True)
    assert len(texts) > 150
    assert [t for t in texts if not EMERGENCY_WORDS.search(t)] == []


@pytest.mark.parametrize("answer", ["she is partially sighted", "I have anxiety and depression", "my son is autistic", "I use a wheelchair"])
def test_answers_about_needs_are_not_emergencies(answer: str) -> None:
    assert not EMERGENCY_WORDS.search(answer)


@pytest.mark.parametrize("text", ["smells like rotten eggs in my flat and im getting a headache", "the kitchen stinks of rotten eggs"])
def test_a_gas_smell_described_without_the_word_gas_gets_safety_instructions_first(text: str) -> None:
    """Mains gas is given its rotten-egg smell so people notice a leak; residents describe the smell."""
    assert DANGER.search(text) and EMERGENCY_WORDS.search(text)
