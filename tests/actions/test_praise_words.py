"""The assistant only believes a compliment that praises or thanks: a complaint taken for a compliment
would never be offered the complaints process (Code 1.2-1.5)."""

from __future__ import annotations

import pytest

from actions.parsing import PRAISE
from tests.actions.written_examples import written


def test_every_compliment_in_the_training_data_has_a_word_of_praise() -> None:
    texts = written("compliment", held_out=False)
    assert len(texts) > 150
    assert [t for t in texts if not PRAISE.search(t)] == []


@pytest.mark.parametrize(
    "complaint",
    [
        "whoever painted the hallway got paint all over my carpet and denies it. want it fixed",
        "fridge freezer ruined bc your electrician switched the supply off and didnt tell me. all my food gone. want compensation",
        "my arrears were cleared in march and your income team keep ringing and threatening court anyway. its harassment tbh",
        "been on hold 55 min today and the line cut off. 3rd day trying",
    ],
)
def test_dissatisfaction_about_staff_is_not_mistaken_for_praise(complaint: str) -> None:
    assert not PRAISE.search(complaint)


@pytest.mark.parametrize("praise", ["10/10 for the window fitters", "5* service", "hats off to the lads", "top marks to the roofer", "a godsend"])
def test_short_praise_is_recognised(praise: str) -> None:
    assert PRAISE.search(praise)
