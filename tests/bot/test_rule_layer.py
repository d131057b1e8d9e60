"""bot/components.py, the rule layer after the classifiers, as the resident meets it: each case runs
ComplaintCues and then Rasa's own FallbackClassifier with the thresholds in bot/config.yml, so a
switch the rule layer makes cannot be undone by the fallback's "too close to call" rule.

Run on the Rasa environment's Python; the classifier's ranking is given, so each case knows its input.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.processes import BOT_PYTHON, ROOT, need

LAYER = r"""
import json, sys, yaml
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.training_data.message import Message
from bot.components import ComplaintCues

config = yaml.safe_load(open("bot/config.yml"))
fallback_config = next(c for c in config["pipeline"] if c["name"] == "FallbackClassifier")
fallback = FallbackClassifier({**FallbackClassifier.get_default_config(), **{k: v for k, v in fallback_config.items() if k != "name"}})
out = []
for text, ranking in json.loads(sys.argv[1]):
    ranking = [{"name": n, "confidence": c} for n, c in ranking]
    m = Message(data={"text": text, "intent": ranking[0], "intent_ranking": ranking})
    ComplaintCues().process([m])
    fallback.process([m])
    out.append(m.get("intent")["name"])
print(json.dumps(out))
"""

CONFIDENT_ASB = [("report_asb", 0.995), ("complaint", 0.004), ("service_request", 0.001)]
CONFIDENT_REPAIR = [("service_request", 0.99), ("complaint", 0.006), ("emergency", 0.004)]
CONFIDENT_COMPLIMENT = [("compliment", 0.99), ("complaint", 0.01)]


@pytest.fixture(scope="module")
def layer() -> object:
    need(BOT_PYTHON.exists(), ".venv-bot is not installed (scripts/setup.sh installs it; SKIP_BOT=1?)", "the rule layer tests")

    def run(*cases: tuple[str, list[tuple[str, float]]]) -> list[str]:
        out = subprocess.run([str(BOT_PYTHON), "-c", LAYER, json.dumps(cases)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    return run


def test_a_switch_to_complaint_is_not_undone_as_too_close_to_call(layer) -> None:  # type: ignore[no-untyped-def]
    """The classifier was sure it was a repair (0.99); the words say it was reported three times and
    nobody came. The resident must be offered the complaints process, not "I didn't understand"."""
    assert (
        layer(
            ("I've reported the leak 3 times and nobody has come out", CONFIDENT_REPAIR),
            ("our housing officer was rude to me on the phone", [("enquiry", 0.98), ("complaint", 0.02)]),
            ("just to let you know the man who came about the damp", CONFIDENT_COMPLIMENT),  # no word of praise
            ("your caretaker shouts at the kids in the car park", CONFIDENT_ASB),  # the landlord's own staff
        )
        == ["complaint"] * 4
    )


def test_how_often_a_neighbour_did_something_is_not_a_complaint_about_us(layer) -> None:  # type: ignore[no-untyped-def]
    assert layer(
        ("someone set fire to the bins behind our block, third time this month", CONFIDENT_ASB),
        ("the lads on the corner have scratched my car 3 times now", CONFIDENT_ASB),
        ("reported the drug dealing 3 times and nothing has been done", CONFIDENT_ASB),  # counting their reports
    ) == ["report_asb", "report_asb", "complaint"]


def test_repairs_attended_as_emergencies_get_the_emergency_reading(layer) -> None:  # type: ignore[no-untyped-def]
    assert layer(
        ("water pouring through my light fitting from the flat above", CONFIDENT_REPAIR),
        ("toilet overflowing with sewage into the hall, it wont stop", CONFIDENT_REPAIR),
        ("kitchen light switch buzzing a bit, not sparking or anything, no burning smell", CONFIDENT_REPAIR),
        ("bedroom window wont shut properly, the hinge is broken", CONFIDENT_REPAIR),
    ) == ["emergency", "emergency", "service_request", "service_request"]


def test_praise_in_other_words_stays_a_compliment(layer) -> None:  # type: ignore[no-untyped-def]
    assert layer(
        ("I would like to commend your caretaker, who keeps the block spotless", CONFIDENT_COMPLIMENT),
        ("whoever cleans our stairs deserves a medal", CONFIDENT_COMPLIMENT),
    ) == ["compliment", "compliment"]


def test_a_question_about_where_a_complaint_is_is_not_a_request_to_escalate_it(layer) -> None:  # type: ignore[no-untyped-def]
    """Read as an escalation, a status question would start a stage 2 nobody asked for."""
    says_escalate = [("escalate_complaint", 0.7), ("complaint_status", 0.25), ("complaint", 0.05)]
    assert layer(
        ("you were meant to post my complaint response, has it gone out yet?", says_escalate),
        ("any news on my stage 2? the panel was meant to meet last week", says_escalate),
        ("got the stage 1 reply, it doesn't address the damage at all. any update on taking it further?", says_escalate),
        ("I want my complaint looked at again by someone more senior", says_escalate),
    ) == ["complaint_status", "complaint_status", "escalate_complaint", "escalate_complaint"]
