"""The messages written for an intent: the training data's examples, and the held-out sets' texts.

The word lists in actions/parsing.py veto an intent that lacks their words; each is checked against
everything written for its intent, so a veto never throws away a real example."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def written(intent: str, *, held_out: bool) -> list[str]:
    """Examples of ``intent`` in data/nlu, and with ``held_out`` those in tests/bot/*.tsv too."""
    found = []
    for f in sorted((ROOT / "data" / "nlu").glob("*.yml")):
        for item in yaml.safe_load(f.read_text()).get("nlu", []):
            if item.get("intent") == intent:
                found += [line.strip()[2:] for line in item["examples"].splitlines() if line.strip().startswith("- ")]
    if held_out:
        for f in sorted((ROOT / "tests" / "bot").glob("*.tsv")):
            found += [line.split("\t", 1)[1].strip() for line in f.read_text().splitlines() if line.startswith(f"{intent}\t")]
    return found
