"""bot/vote.py: the linear model's second opinion is averaged with DIET's, by the configured weight.

Run on the Rasa environment's Python. The linear model is fitted on a toy problem (two features, two
intents) so each test knows what it says; DIET's ranking is the one already on the message.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.processes import BOT_PYTHON, MODEL, ROOT, need

VOTE = r"""
import json, sys
from scipy.sparse import csr_matrix
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from bot.vote import IntentVote

case = json.loads(sys.argv[1])

def message(feature, diet):
    m = Message(data={"text": "x", "intent": diet[0] if diet else None, "intent_ranking": diet})
    m.add_features(Features(csr_matrix([feature]), "sentence", "text", "toy"))
    return m

vote = IntentVote({"weight": case["weight"]}, "vote", None, None)
if case["train"]:
    # feature [1, 0] is "complaint", [0, 1] is "service_request"
    examples = [message([1, 0], []) for _ in range(20)] + [message([0, 1], []) for _ in range(20)]
    vote.clf.fit(vote._create_X(examples), ["complaint"] * 20 + ["service_request"] * 20)
m = message(case["feature"], case["diet"])
vote.process([m])
print(json.dumps({"intent": m.get("intent"), "ranking": m.get("intent_ranking"),
                  "linear": dict(zip(vote.clf.classes_, vote.clf.predict_proba(vote._create_X([m]))[0])) if case["train"] else {}}))
"""


@pytest.fixture(scope="module")
def vote() -> object:
    need(BOT_PYTHON.exists(), ".venv-bot is not installed (scripts/setup.sh installs it; SKIP_BOT=1?)", "the intent vote tests")

    def run(weight: float, feature: list[int], diet: list[dict[str, object]], train: bool = True) -> dict[str, object]:
        case = json.dumps({"weight": weight, "feature": feature, "diet": diet, "train": train})
        out = subprocess.run([str(BOT_PYTHON), "-c", VOTE, case], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert out.returncode == 0, out.stderr[-2000:]
        return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]

    return run


DIET_SAYS_SERVICE_REQUEST = [{"name": "service_request", "confidence": 0.6}, {"name": "complaint", "confidence": 0.3}, {"name": "enquiry", "confidence": 0.1}]


def test_a_confident_linear_model_outvotes_an_unsure_diet(vote) -> None:  # type: ignore[no-untyped-def]
    out = vote(0.4, [1, 0], DIET_SAYS_SERVICE_REQUEST)
    linear = out["linear"]
    assert linear["complaint"] > 0.8
    expected = 0.6 * 0.3 + 0.4 * linear["complaint"]
    assert out["intent"]["name"] == "complaint"
    assert out["intent"]["confidence"] == pytest.approx(expected)
    ranking = {r["name"]: r["confidence"] for r in out["ranking"]}
    # an intent only DIET knows keeps DIET's share of its confidence
    assert ranking["enquiry"] == pytest.approx(0.6 * 0.1)
    assert [r["confidence"] for r in out["ranking"]] == sorted(ranking.values(), reverse=True)


def test_when_both_agree_the_reading_stands(vote) -> None:  # type: ignore[no-untyped-def]
    out = vote(0.4, [0, 1], DIET_SAYS_SERVICE_REQUEST)
    assert out["intent"]["name"] == "service_request"
    assert out["intent"]["confidence"] == pytest.approx(0.6 * 0.6 + 0.4 * out["linear"]["service_request"])


def test_weight_zero_is_diet_alone_and_one_is_the_linear_model_alone(vote) -> None:  # type: ignore[no-untyped-def]
    diet_only = vote(0.0, [1, 0], DIET_SAYS_SERVICE_REQUEST)
    assert diet_only["intent"] == {"name": "service_request", "confidence": pytest.approx(0.6)}
    linear_only = vote(1.0, [0, 1], [{"name": "complaint", "confidence": 0.99}])
    assert linear_only["intent"]["name"] == "service_request"


def test_an_untrained_vote_leaves_diets_reading(vote) -> None:  # type: ignore[no-untyped-def]
    out = vote(0.4, [1, 0], DIET_SAYS_SERVICE_REQUEST, train=False)
    assert out["intent"] == DIET_SAYS_SERVICE_REQUEST[0]
    assert out["ranking"] == DIET_SAYS_SERVICE_REQUEST


def test_the_trained_assistant_asks_the_linear_model_after_diet_and_before_the_rule_layer() -> None:
    need(MODEL.exists(), "no trained model (scripts/train.sh)", "the intent vote tests")
    code = r"""
import json, sys, tempfile
from pathlib import Path
from rasa.engine.storage.local_model_storage import LocalModelStorage
with tempfile.TemporaryDirectory() as d:
    _, meta = LocalModelStorage.from_model_archive(Path(d), Path(sys.argv[1]))
    nodes = meta.predict_schema.nodes
    def chain(name):  # follow each node's message input back to the start
        out = []
        while name:
            node = nodes[name]
            out.append(node.uses.__name__)
            name = next((n for n in node.needs.values() if n in nodes and n.startswith("run_")), None)
        return list(reversed(out))
    last = next(n for n, node in nodes.items() if node.uses.__name__ == "FallbackClassifier")
    print(json.dumps(chain(last)))
"""
    out = subprocess.run([str(BOT_PYTHON), "-c", code, str(MODEL)], check=False, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    chain = json.loads(out.stdout.strip().splitlines()[-1])
    assert chain.index("DIETClassifier") < chain.index("IntentVote") < chain.index("ComplaintCues") < chain.index("FallbackClassifier")
