"""A second opinion on the intent: a linear model on the same features as DIET, averaged with DIET.

Why: DIET trained for 30 epochs on a few thousand examples moves by 2-4 points of accuracy on unseen
messages from one retrain to the next (its random start and short training). A logistic regression on
the same word and character n-gram counts is deterministic, is wrong on different messages, and
trains in seconds. Averaging the two rankings keeps what each is sure of and lets one outvote the
other only when it is clearly more confident; on the seven older held-out sets the average was right
more often than either alone, and on the newest it made no difference (NOTES.md, "a second opinion").

It runs after DIET and before the rule layer (bot.components.ComplaintCues), which still has the
last word on the readings the Code cares most about.
"""

from __future__ import annotations

from typing import Any

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.nlu.classifiers.logistic_regression_classifier import LogisticRegressionClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from scipy.sparse import csr_matrix, vstack

#: How much the linear model's probabilities count against DIET's (0: DIET alone, 1: the linear model alone).
WEIGHT = "weight"


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class IntentVote(LogisticRegressionClassifier):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**LogisticRegressionClassifier.get_default_config(), "max_iter": 1000, "C": 1.0, WEIGHT: 0.4}

    def __init__(self, config: dict[str, Any], name: str, model_storage: Any, resource: Any) -> None:
        super().__init__(config, name, model_storage, resource)
        self.clf.set_params(C=float(self.config["C"]))

    def _create_X(self, messages: list[Message]) -> csr_matrix:
        """The sentence's sparse features, as Rasa's own classifier reads them, without its per-message
        stacking with an empty dense block (this pipeline has no dense featurizer)."""
        rows = []
        for message in messages:
            sentence = message.get_sparse_features(attribute=TEXT)[1]
            rows.append(csr_matrix(sentence.features) if sentence is not None else csr_matrix((1, 0)))
        return rows[0] if len(rows) == 1 else vstack(rows, format="csr")

    def process(self, messages: list[Message]) -> list[Message]:
        if not hasattr(self.clf, "classes_") or not messages:
            return messages  # not trained (no examples): DIET's reading stands
        weight = float(self.config[WEIGHT])
        probabilities = self.clf.predict_proba(self._create_X(messages))
        for message, row in zip(messages, probabilities, strict=True):
            linear = {str(name): float(p) for name, p in zip(self.clf.classes_, row, strict=True)}
            diet = {str(r["name"]): float(r["confidence"]) for r in message.get(INTENT_RANKING_KEY) or []}
            blended = {name: (1 - weight) * diet.get(name, 0.0) + weight * linear.get(name, 0.0) for name in linear.keys() | diet.keys()}
            ranking = [{"name": name, "confidence": conf} for name, conf in sorted(blended.items(), key=lambda kv: -kv[1])]
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT, dict(ranking[0]), add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
