"""Telegram through its webhook: the secret token, /start, inline keyboards mapped back to payloads,
replayed updates, and bad input, against a local fake of the Bot API."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from backend.channels.telegram import set_webhook
from backend.channels.twilio import MEDIA_ONLY_TEXT
from backend.main import create_app
from backend.settings import Settings
from tests.fakes.telegram_api import update_button, update_message
from tests.hub.conftest import TELEGRAM_SECRET, HubApp

CHAT = 5550001


def texts(hub_app: HubApp) -> list[str]:
    return [str(p.get("text", p.get("caption", ""))) for p in hub_app.fakes.telegram.sent_to(CHAT)]


def test_start_greets_and_a_conversation_is_answered_on_telegram(hub_app: HubApp) -> None:
    assert hub_app.telegram(update_message(1, CHAT, "/start")).status_code == 200
    assert hub_app.fakes.rasa.messages() == ["/greet"]
    hub_app.telegram(update_message(2, CHAT, "my window won't close"))
    assert texts(hub_app)[-2:] == ["You said: my window won't close", "Anything else?"]
    msgs = hub_app.messages("telegram")
    assert [(m.direction, m.status) for m in msgs][:2] == [("in", "handled"), ("out", "sent")]
    assert hub_app.conversations()[0].address == str(CHAT)


def test_buttons_are_an_inline_keyboard_and_a_press_sends_the_payload(hub_app: HubApp) -> None:
    hub_app.telegram(update_message(1, CHAT, "choose"))
    sent = hub_app.fakes.telegram.sent_to(CHAT)[-1]
    keyboard: list[list[dict[str, Any]]] = sent["reply_markup"]["inline_keyboard"]
    assert [row[0]["text"] for row in keyboard] == ["Yes", "No"]
    hub_app.telegram(update_button(2, CHAT, keyboard[0][0]["callback_data"]))
    assert hub_app.fakes.rasa.messages()[-1] == "/affirm"
    assert texts(hub_app)[-1] == "You chose yes."
    assert any(m == "answerCallbackQuery" for m, _ in hub_app.fakes.telegram.calls)
    # a forged or stale button is ignored, not sent to the assistant
    hub_app.telegram(update_button(3, CHAT, "b:999999:0"))
    hub_app.telegram(update_button(4, CHAT + 1, keyboard[0][0]["callback_data"]))
    assert hub_app.fakes.rasa.messages()[-1] == "/affirm" and len(hub_app.fakes.rasa.messages()) == 2


def test_a_replayed_update_is_ignored(hub_app: HubApp) -> None:
    hub_app.telegram(update_message(7, CHAT, "hello"))
    hub_app.telegram(update_message(7, CHAT, "hello"))
    assert [m.text for m in hub_app.messages() if m.direction == "in"] == ["hello"]
    assert hub_app.fakes.rasa.messages() == ["hello"]


def test_without_the_secret_token_nothing_happens(hub_app: HubApp) -> None:
    upd = update_message(1, CHAT, "hello")
    assert hub_app.client.post("/channels/telegram", json=upd).status_code == 403
    assert hub_app.client.post("/channels/telegram", json=upd, headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}).status_code == 403
    assert hub_app.messages() == []


def test_bad_updates_get_a_clear_4xx(hub_app: HubApp) -> None:
    h = {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}
    assert hub_app.client.post("/channels/telegram", content=b"update_id=1", headers={**h, "Content-Type": "text/plain"}).status_code == 415
    assert hub_app.client.post("/channels/telegram", content=b"{not json", headers={**h, "Content-Type": "application/json"}).status_code == 400
    assert hub_app.client.post("/channels/telegram", json={"message": {}}, headers=h).status_code == 400
    assert hub_app.client.post("/channels/telegram", json=["update_id", 1], headers=h).status_code == 400
    assert hub_app.client.post("/channels/telegram", json={"update_id": 5, "message": {"text": "no chat"}}, headers=h).status_code == 400
    big = hub_app.client.post("/channels/telegram", content=b"{" + b" " * 300_000 + b"}", headers={**h, "Content-Type": "application/json"})
    assert big.status_code == 413
    assert hub_app.client.post("/channels/telegram", json={"update_id": 6, "edited_message": None}, headers=h).status_code == 200
    assert hub_app.messages() == []


def test_a_photo_gets_the_text_only_answer_and_is_kept(hub_app: HubApp) -> None:
    photo = [{"file_id": "F1", "file_unique_id": "U1", "width": 10, "height": 10}]
    upd = update_message(1, CHAT, "", photo=photo)
    del upd["message"]["text"]
    hub_app.telegram(upd)
    assert texts(hub_app) == [MEDIA_ONLY_TEXT]
    assert hub_app.messages()[0].payload["media"] == [{"type": "photo"}]
    assert hub_app.fakes.rasa.received == []


def test_the_set_webhook_command_gives_telegram_our_url_and_secret(hub_app: HubApp) -> None:
    assert hub_app.run(set_webhook, hub_app.app.state.settings, "https://landlord.example/channels/telegram")
    method, params = hub_app.fakes.telegram.calls[-1]
    assert method == "setWebhook"
    assert params["url"] == "https://landlord.example/channels/telegram"
    assert params["secret_token"] == TELEGRAM_SECRET
    assert params["allowed_updates"] == ["message", "callback_query"]


def test_a_channel_the_landlord_has_not_enabled_is_not_there(tmp_path: Path) -> None:
    """Without its secrets a channel answers 404 (not a 5xx, which Telegram and Twilio would retry)."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'off.db'}", app_env="test", service_token="s" * 40)
    with TestClient(create_app(settings)) as client:
        assert client.post("/channels/telegram", json=update_message(1, CHAT, "hi")).status_code == 404
        assert client.post("/channels/twilio", data={"From": "+447700900123"}).status_code == 404
