"""Work Rasa 3.6 repeats on every turn with the same answer each time, done once instead.

Rasa's CPU per turn is what limits how many residents two cores can answer (issue 7). Profiled with
py-spy over complaint intakes (``python -m benchmarks.profile_rasa``), three pure computations stood
out; each is replaced by the same computation remembered, so every answer is unchanged:

1. ``RemoteAction._validate_action_result`` calls ``jsonschema.validate``, which first checks the
   constant schema of an action-server reply against the JSON Schema meta-schema, then the reply.
   The meta-schema check alone cost more than half of Rasa's CPU per turn. Here the schema is
   checked once when the module loads and each reply is validated with one validator: the same
   replies pass, the same fail, with the same error and message.
2. ``GraphSchema.minimal_graph_schema`` walks the model graph's dependencies recursively, without
   memory, for every prediction. A loaded model's graph never changes, so the sub-graph for a set
   of targets is remembered on the schema.
3. ``Event.resolve_by_type`` lists every subclass of ``Event`` for every event read from the tracker
   store or an action reply. The class for a type name is remembered once found (event classes are
   all defined when Rasa is imported; an unknown name still goes the original way and raises).

``BOT_SPEEDUPS=false`` in Rasa's environment leaves Rasa as shipped (to compare, or to rule these
out). Imported by the modules Rasa loads itself (``bot.components`` with the model, ``bot.channels``
from credentials.yml), so the server, ``rasa shell`` and the tests all run with it.
"""

from __future__ import annotations

import os
from typing import Any

from jsonschema import validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphSchema
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import Event

_SCHEMA = RemoteAction.action_response_format_spec()
_VALIDATOR_CLASS = validators.validator_for(_SCHEMA)
_VALIDATOR_CLASS.check_schema(_SCHEMA)  # once, as jsonschema.validate would on every call
_VALIDATOR = _VALIDATOR_CLASS(_SCHEMA)


def validate_action_result(_self: RemoteAction, result: dict[str, Any]) -> bool:
    """What ``jsonschema.validate(result, schema)`` does, without re-checking the schema itself."""
    error = best_match(_VALIDATOR.iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


_original_minimal_graph_schema = GraphSchema.minimal_graph_schema


def minimal_graph_schema(self: GraphSchema, targets: list[str] | None = None) -> GraphSchema:
    """The original, remembered per schema and targets (the schema is not changed once loaded)."""
    memo: dict[tuple[str, ...] | None, GraphSchema] = self.__dict__.setdefault("_minimal_memo", {})
    key = tuple(targets) if targets else None
    found = memo.get(key)
    if found is None:
        found = memo[key] = _original_minimal_graph_schema(self, targets)
    return found


_original_resolve_by_type = Event.resolve_by_type
_event_classes: dict[str, type[Event]] = {}


def resolve_by_type(type_name: str, default: type[Event] | None = None) -> type[Event] | None:
    """The original, remembering the class found for each type name."""
    found = _event_classes.get(type_name)
    if found is not None:
        return found
    resolved = _original_resolve_by_type(type_name, default)
    if resolved is not None and resolved is not default:
        _event_classes[type_name] = resolved
    return resolved


def install() -> None:
    if os.environ.get("BOT_SPEEDUPS", "true").strip().lower() in ("false", "0", "no", "off"):
        return
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    GraphSchema.minimal_graph_schema = minimal_graph_schema  # type: ignore[method-assign]
    Event.resolve_by_type = staticmethod(resolve_by_type)  # type: ignore[method-assign,assignment]


__all__ = ["install", "minimal_graph_schema", "resolve_by_type", "validate_action_result"]
install()
