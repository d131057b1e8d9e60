"""The assistant only believes an "emergency" that carries a sign of danger: every emergency written in
the training data and the held-out sets has one, and ordinary answers about needs do not."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from actions.parsing import EMERGENCY_WORDS

ROOT = Path(__file__).resolve().parents[2]


def emergencies() -> list[str]:
    found = []
    for f in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(f.read_text()).get("nlu", []):
            if item.get("intent") == "emergency":
                found += [line.strip()[2:] for line in item["examples"].splitlines() if line.strip().startswith("- ")]
    for f in sorted((ROOT / "tests" / "bot").glob("*.tsv")):
        found += [line.split("\t", 1)[1].strip() for line in f.read_text().splitlines() if line.startswith("emergency\t")]
    return found


def test_every_written_emergency_has_a_sign_of_danger() -> None:
    texts = emergencies()
    assert len(texts) > 150
    assert [t for t in texts if not EMERGENCY_WORDS.search(t)] == []


@pytest.mark.parametrize("answer", ["she is partially sighted", "I have anxiety and depression", "my son is autistic", "I use a wheelchair"])
def test_answers_about_needs_are_not_emergencies(answer: str) -> None:
    assert not EMERGENCY_WORDS.search(answer)
