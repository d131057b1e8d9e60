"""Web chat over its WebSocket: a conversation is stored both ways, resumes on reconnect, and a
resident's message is never lost when the assistant is down."""

from __future__ import annotations

from typing import Any

from starlette.testclient import WebSocketTestSession

from tests.hub.conftest import HubApp


def until(ws: WebSocketTestSession, pred: Any, limit: int = 20) -> list[dict[str, Any]]:
    """Frames received until one matches ``pred`` (inclusive)."""
    got = []
    for _ in range(limit):
        frame = ws.receive_json()
        got.append(frame)
        if pred(frame):
            return got
    raise AssertionError(f"no matching frame in {got}")


def bot_said(text: str) -> Any:
    return lambda f: f.get("type") == "message" and f.get("sender") == "bot" and f.get("text") == text


def start(ws: WebSocketTestSession, token: str | None = None, after: int = 0) -> str:
    ws.send_json({"type": "hello", "token": token, "after": after})
    frame = ws.receive_json()
    assert frame["type"] == "session"
    return str(frame["token"])


def test_a_conversation_is_stored_in_both_directions_with_a_typing_indicator(hub_app: HubApp) -> None:
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        start(ws)
        ws.send_json({"type": "message", "text": "my tap is leaking", "client_id": "c1"})
        frames = until(ws, lambda f: f == {"type": "typing", "on": False})  # the end of the turn
    kinds = [(f["type"], f.get("sender")) for f in frames]
    assert kinds[0] == ("message", "resident") and frames[0]["client_id"] == "c1"
    assert ("typing", None) in kinds
    stored = hub_app.messages("webchat")
    assert [(m.direction, m.sender, m.text) for m in stored] == [
        ("in", "resident", "my tap is leaking"),
        ("out", "bot", "You said: my tap is leaking"),
        ("out", "bot", "Anything else?"),
    ]
    assert all(m.status in ("handled", "sent") for m in stored)
    assert hub_app.fakes.rasa.received[-1]["metadata"] == {"channel": "webchat", "hub": True}


def test_reconnecting_with_the_token_resumes_the_same_conversation_without_duplicates(hub_app: HubApp) -> None:
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        token = start(ws)
        ws.send_json({"type": "message", "text": "hello", "client_id": "a"})
        first = until(ws, bot_said("Anything else?"))
    seen = max(f["id"] for f in first if f["type"] == "message")
    resident_id = first[0]["id"]
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        assert start(ws, token, after=resident_id) == token
        replayed = [ws.receive_json() for _ in range(2)]
        assert [f["text"] for f in replayed] == ["You said: hello", "Anything else?"]
        # the browser resends a message it was unsure about: kept once
        ws.send_json({"type": "message", "text": "hello", "client_id": "a"})
        ws.send_json({"type": "message", "text": "and the sink", "client_id": "b"})
        until(ws, bot_said("You said: and the sink"))
    assert len(hub_app.conversations()) == 1
    ins = [m.text for m in hub_app.messages() if m.direction == "in"]
    assert ins == ["hello", "and the sink"]
    assert seen > resident_id


def test_a_button_press_sends_its_payload_to_the_assistant(hub_app: HubApp) -> None:
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        start(ws)
        ws.send_json({"type": "message", "text": "choose", "client_id": "1"})
        frames = until(ws, lambda f: f.get("buttons"))
        assert frames[-1]["buttons"] == [{"title": "Yes", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
        ws.send_json({"type": "choice", "payload": "/affirm", "title": "Yes", "client_id": "2"})
        until(ws, bot_said("You chose yes."))
    assert hub_app.fakes.rasa.messages()[-1] == "/affirm"
    assert hub_app.messages()[-2].text == "Yes"


def test_when_the_assistant_is_down_the_message_is_kept_the_resident_told_and_answered_later(hub_app: HubApp) -> None:
    hub_app.fakes.rasa.down = True
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        start(ws)
        ws.send_json({"type": "message", "text": "my boiler is broken", "client_id": "x"})
        notice = until(ws, lambda f: f.get("sender") == "system")[-1]
        assert "saved" in notice["text"] and "999" in notice["text"]
        assert [m.status for m in hub_app.messages() if m.direction == "in"] == ["received"]
        hub_app.retry_pass()  # still down: no second notice
        hub_app.fakes.rasa.down = False
        hub_app.clock.at = hub_app.clock.at.replace(minute=5)
        hub_app.retry_pass()
        until(ws, bot_said("You said: my boiler is broken"))
    msgs = hub_app.messages()
    assert [m.sender for m in msgs].count("system") == 1
    assert [m.status for m in msgs if m.direction == "in"] == ["handled"]


def test_bad_frames_get_a_plain_answer_and_the_socket_stays_open(hub_app: HubApp) -> None:
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        start(ws)
        for bad in ("not json", '{"type": "message", "text": ""}', '{"type": "dance"}', '{"type": "message", "text": "' + "x" * 6000 + '"}'):
            ws.send_text(bad)
            frame = ws.receive_json()
            assert frame["type"] == "error" and frame["detail"]
        ws.send_json({"type": "message", "text": "still there?", "client_id": "ok"})
        until(ws, bot_said("Anything else?"))
    assert [m.text for m in hub_app.messages() if m.direction == "in"] == ["still there?"]


def test_the_socket_must_start_with_hello(hub_app: HubApp) -> None:
    with hub_app.client.websocket_connect("/channels/webchat/ws") as ws:
        ws.send_json({"type": "message", "text": "hi"})
        assert ws.receive_json()["type"] == "error"
    assert hub_app.messages() == []


def test_the_chat_page_and_the_embed_script_are_served(hub_app: HubApp) -> None:
    page = hub_app.client.get("/chat")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert hub_app.client.get("/chat/widget.js").headers["content-type"].startswith("text/javascript")
    assert hub_app.client.get("/chat/static/../../settings.py").status_code == 404
