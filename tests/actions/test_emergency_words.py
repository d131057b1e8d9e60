"""The assistant only believes an "emergency" that carries a sign of danger: every emergency written in
the training data and the held-out sets has one, and ordinary answers about needs do not."""

from __future__ import annotations

import pytest

from actions.parsing import DANGER, EMERGENCY_WORDS, sounds_dangerous
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


@pytest.mark.parametrize(
    "text",
    [
        "water pouring through my light fitting from the flat above",
        "hallway ceiling light filling up with water and dripping",
        "Sockets in kitchen are hot to touch and one has gone brown/black round the edges",
        "toilet overflowing with sewage into the hall, it wont stop",
        "the main entrance door to our block has been smashed and the front door wont lock, anyone can walk in",
        "the balcony is coming away from the wall, there's a big gap",
        "my toddler locked herself in the bathroom and I can't get the door open",
        "think i can smell gas in the kitchen?",
        "the kitchen ceiling has just come down",
        "my 90 year old dad has no heating and it's freezing tonight",
        "mum's oxygen concentrator keeps cutting out, the power keeps tripping",
    ],
)
def test_repairs_attended_as_emergencies_sound_dangerous_without_alarming_words(text: str) -> None:
    assert sounds_dangerous(text) and EMERGENCY_WORDS.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "bedroom window wont shut properly, the hinge is broken",
        "bedroom door wont shut, swollen i think. not urgent",
        "kitchen light switch buzzing a bit when I turn it on. not sparking or anything, no smell",
        "smoke alarm in the hallway keeps chirping every minute, think it needs a new battery",
        "the bulb in the lift is out so its dark inside",
        "no heating in the back bedroom, the radiator stays cold",
        "my baby's room has black mould on the ceiling",
    ],
)
def test_ordinary_repairs_do_not(text: str) -> None:
    assert not sounds_dangerous(text)
