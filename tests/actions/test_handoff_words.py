"""The assistant only believes a request for a person that asks for one: every handoff request written
in the training data and the held-out sets has words for it, and names given in an intake do not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.parsing import HANDOFF_WORDS

ROOT = Path(__file__).resolve().parents[2]


def handoff_requests() -> list[str]:
    found = []
    for f in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(f.read_text()).get("nlu", []):
            if item.get("intent") == "human_handoff":
                found += [line.strip()[2:] for line in item["examples"].splitlines() if line.strip().startswith("- ")]
    for f in sorted((ROOT / "tests" / "bot").glob("*.tsv")):
        found += [line.split("\t", 1)[1].strip() for line in f.read_text().splitlines() if line.startswith("human_handoff\t")]
    return found


def test_every_written_request_for_a_person_has_words_for_it() -> None:
    texts = handoff_requests()
    assert len(texts) > 150
    assert [t for t in texts if not HANDOFF_WORDS.search(t)] == []


@pytest.mark.parametrize("answer", ["Amira Hughes", "Tom Hughes", "Megan Hughes", "Grace Okafor", "amira.hughes@example.org", "LS6 2AB"])
def test_names_and_details_given_in_an_intake_are_not_requests_for_a_person(answer: str) -> None:
    assert not HANDOFF_WORDS.search(answer)
