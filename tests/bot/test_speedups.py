"""bot/speedups.py remembers work Rasa repeats every turn; every answer must stay what Rasa gives.

Run on the Rasa environment's Python (Rasa is not installed beside the backend): the same inputs go
to Rasa's original functions and to the remembered ones, and the answers are compared.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests.processes import BOT_PYTHON, MODEL, ROOT, need

CHECK = r"""
import json, tempfile
from pathlib import Path

import jsonschema
from rasa.core.actions.action import RemoteAction
from rasa.engine.graph import GraphSchema
from rasa.shared.core.events import Event
from rasa.shared.utils.common import all_subclasses

original_validate = RemoteAction._validate_action_result
original_minimal = GraphSchema.minimal_graph_schema
original_resolve = Event.resolve_by_type

import bot.channels  # what credentials.yml loads: it must install the speed-ups
from bot import speedups

out = {"installed": [
    RemoteAction._validate_action_result is speedups.validate_action_result,
    GraphSchema.minimal_graph_schema is speedups.minimal_graph_schema,
    Event.resolve_by_type is speedups.resolve_by_type,
]}

replies = [
    {},
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "complaint_summary", "value": "no heating"}], "responses": [{"text": "Thanks"}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "followup", "name": "utter_ask"}]},
    {"events": [{"event": "bot", "text": "hi", "data": {}}]},
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"events": [{"event": "slot"}]},
    {"events": [{"name": "x"}]},
    {"responses": [1, 2]},
    {"responses": "text"},
    [],
    "a string",
]
verdicts = []
for reply in replies:
    said = []
    for fn in (original_validate, speedups.validate_action_result):
        try:
            said.append(["ok", fn(RemoteAction("x", None), reply)])
        except jsonschema.ValidationError as e:
            said.append(["refused", e.message, list(e.path)])
    verdicts.append(said)
out["validate"] = verdicts

names = sorted({c.type_name for c in all_subclasses(Event)})
out["events"] = [[n, original_resolve(n) is speedups.resolve_by_type(n), speedups.resolve_by_type(n) is original_resolve(n)] for n in names]
out["topic"] = speedups.resolve_by_type("topic") is None
out["default"] = speedups.resolve_by_type("no_such_event", Event) is Event
try:
    speedups.resolve_by_type("no_such_event")
    out["unknown"] = "accepted"
except ValueError as e:
    out["unknown"] = str(e)

from rasa.engine.storage.local_model_storage import LocalModelStorage
with tempfile.TemporaryDirectory() as tmp:
    _, metadata = LocalModelStorage.from_model_archive(Path(tmp), Path(MODEL))
    graphs = []
    for schema in (metadata.predict_schema, metadata.train_schema):
        targets = [[n] for n in schema.nodes] + [None, list(schema.target_names)[:2]]
        for t in targets:
            first = speedups.minimal_graph_schema(schema, t)
            again = speedups.minimal_graph_schema(schema, t)
            want = original_minimal(schema, t)
            graphs.append([sorted(first.nodes) == sorted(want.nodes), first.nodes == want.nodes, first is again])
    out["graphs"] = graphs
print("RESULT " + json.dumps(out))
"""


def on_rasa(code: str, *, speedups: bool) -> subprocess.CompletedProcess[str]:
    """Run ``code`` on the Rasa environment's Python, with the speed-ups on or off."""
    need(BOT_PYTHON.exists() and MODEL.exists(), "no .venv-bot or no trained model (./scripts/setup.sh && ./scripts/train.sh)", "the speed-up tests")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false", "BOT_SPEEDUPS": str(speedups).lower()}
    return subprocess.run([str(BOT_PYTHON), "-c", code], check=False, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def checked() -> dict[str, object]:
    done = on_rasa(f"MODEL = {str(MODEL)!r}\n" + CHECK, speedups=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    result: dict[str, object] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


def test_the_channel_rasa_loads_installs_every_speed_up(checked: dict[str, object]) -> None:
    assert checked["installed"] == [True, True, True]


def test_an_action_server_reply_is_accepted_or_refused_exactly_as_rasa_would(checked: dict[str, object]) -> None:
    verdicts = checked["validate"]
    assert isinstance(verdicts, list) and len(verdicts) == 13
    for original, remembered in verdicts:
        assert remembered == original
    kinds = [original[0] for original, _ in verdicts]
    assert kinds.count("ok") >= 4 and kinds.count("refused") >= 5, "the sample must hold replies of both kinds"


def test_every_event_type_name_resolves_to_the_class_rasa_would_pick(checked: dict[str, object]) -> None:
    events = checked["events"]
    assert isinstance(events, list) and len(events) > 20
    assert all(same and again for _, same, again in events), [name for name, same, again in events if not (same and again)]
    assert checked["topic"] is True and checked["default"] is True
    assert "Unknown event name 'no_such_event'" in str(checked["unknown"])


def test_the_model_graph_needed_for_a_prediction_is_the_same_remembered(checked: dict[str, object]) -> None:
    graphs = checked["graphs"]
    assert isinstance(graphs, list) and len(graphs) > 10
    assert all(names and nodes and remembered for names, nodes, remembered in graphs)


def test_bot_speedups_false_leaves_rasa_as_shipped() -> None:
    code = (
        "from rasa.core.actions.action import RemoteAction\n"
        "before = RemoteAction._validate_action_result\n"
        "import bot.channels\n"
        "print('UNCHANGED' if RemoteAction._validate_action_result is before else 'PATCHED')"
    )
    done = on_rasa(code, speedups=False)
    assert done.stdout.strip().endswith("UNCHANGED"), done.stdout[-500:] + done.stderr[-2000:]
