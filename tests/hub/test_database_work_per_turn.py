"""The hub's database work per resident message: the cost that limits how many residents two cores serve
(benchmarks/load.py). A turn keeps the message and takes it for answering in one transaction, and
stores the replies with their sending decided in another; SMS adds one to record how each send went.
Counted as the hub's own transactions (Hub.db: one call, one transaction), so the app's scheduled jobs
(the deadline-alert scan runs once as the app starts) cannot blur the count; benchmarks/hub_queries.py
prints the statements by kind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from backend.db.models import Conversation
from tests.hub.conftest import HubApp
from tests.hub.test_webchat_socket import start, until


@contextmanager
def commits(hub_app: HubApp) -> Iterator[list[int]]:
    hub = hub_app.app.state.hub
    counted = [0]
    original = hub.db

    async def counting(fn: Any) -> Any:
        counted[0] += 1
        return await original(fn)

    hub.db = counting
    try:
        yield counted
    finally:
        hub.db = original


def turn_end(frame: dict[str, Any]) -> bool:
    return frame == {"type": "typing", "on": False}


def test_a_web_chat_turn_is_two_transactions(hub_app: HubApp) -> None:
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        start(ws)
        ws.send_json({"type": "message", "text": "first", "client_id": "w0"})
        until(ws, turn_end)
        with commits(hub_app) as counted:
            for i in range(3):
                ws.send_json({"type": "message", "text": f"message {i}", "client_id": f"w{i + 1}"})
                until(ws, turn_end)
    assert counted[0] == 3 * 2
    assert [m.status for m in hub_app.messages("webchat") if m.direction == "in"] == ["handled"] * 4


def test_an_sms_turn_with_two_replies_is_four_transactions(hub_app: HubApp) -> None:
    assert hub_app.sms("first", "SMw0").status_code == 200
    with commits(hub_app) as counted:
        for i in range(3):
            assert hub_app.sms(f"message {i}", f"SMw{i + 1}").status_code == 200
    # the STOP check, keeping and taking the message, storing and taking the two replies, their sends' results
    assert counted[0] == 3 * 4
    sent = [m for m in hub_app.messages("sms") if m.direction == "out"]
    assert [(m.status, m.attempts) for m in sent] == [("sent", 1)] * 8
    assert [c["body"] for c in hub_app.fakes.twilio.sent[-2:]] == ["You said: message 2", "Anything else?"]


def test_a_message_arriving_while_another_is_unanswered_waits_its_turn(hub_app: HubApp) -> None:
    """Taken at once only when nothing earlier is unanswered, so answers keep the order messages came in."""
    hub = hub_app.app.state.hub
    first = hub_app.run(lambda: hub.receive("webchat", "resident-a", "first", answer_now=True))
    second = hub_app.run(lambda: hub.receive("webchat", "resident-a", "second", answer_now=True))
    assert first.claim is not None and first.message.status == "routing"
    assert second.claim is None and second.message.status == "received"
    hub_app.run(lambda: hub.route(first.conversation.id, first.claim))  # answers the first, then finds the second
    assert hub_app.fakes.rasa.messages()[-2:] == ["first", "second"]
    assert [m.status for m in hub_app.messages("webchat") if m.direction == "in"] == ["handled", "handled"]


def test_a_message_to_a_conversation_an_agent_owns_is_not_taken_for_the_bot(hub_app: HubApp) -> None:
    hub = hub_app.app.state.hub
    got = hub_app.run(lambda: hub.receive("webchat", "resident-b", "hello", answer_now=True))
    hub_app.run(lambda: hub.route(got.conversation.id, got.claim))
    with hub_app.app.state.sessionmaker() as s, s.begin():
        s.get(Conversation, got.conversation.id).owner = "agent"  # type: ignore[union-attr]
    later = hub_app.run(lambda: hub.receive("webchat", "resident-b", "are you there?", answer_now=True))
    assert later.claim is None and later.message.status == "for_agent"
