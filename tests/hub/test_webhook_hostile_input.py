"""Hostile requests to the channel webhooks, beyond the cases their own test files cover.

Already covered elsewhere: Twilio unsigned, forged and body-changed requests (test_twilio_channel.py),
a retried MessageSid, an unsigned delivery receipt, a 300 kB body with a Content-Length; Telegram
without or with a wrong secret, a replayed message update and a 300 kB body (test_telegram_channel.py).
Here: a signature replayed at the other Twilio address or made for another host, a tampered and a
replayed delivery receipt, a signed message over the text limit, the Telegram secret anywhere but
exactly in its header, a replayed button press, an overlong Telegram text, and an oversized body sent
without a Content-Length (chunked), which must be refused before it is read.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from twilio.request_validator import RequestValidator

from backend.channels.telegram import MAX_TEXT as TELEGRAM_MAX_TEXT
from backend.channels.twilio import MAX_BODY as TWILIO_MAX_BODY
from tests.fakes.telegram_api import update_button, update_message
from tests.hub.conftest import ACCOUNT_SID, PUBLIC_URL, RESIDENT, TELEGRAM_SECRET, TWILIO_TOKEN, HubApp

STATUS_URL = PUBLIC_URL + "/status"
CHAT = 5550002


def _sms_params(sid: str, body: str = "hello") -> dict[str, str]:
    return {"AccountSid": ACCOUNT_SID, "MessageSid": sid, "From": RESIDENT, "To": "+447700900000", "Body": body, "NumMedia": "0"}


def _signed(params: dict[str, str], url: str) -> dict[str, str]:
    return {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)}


def _receipt(hub_app: HubApp, sid: str, status: str, headers: dict[str, str] | None = None) -> int:
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
    return int(hub_app.client.post("/channels/twilio/status", data=params, headers=_signed(params, STATUS_URL) if headers is None else headers).status_code)


def _statuses(hub_app: HubApp, sid: str) -> list[str]:
    return [m.status for m in hub_app.messages() if m.provider_id == sid]


# -- Twilio ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("signed_for", "posted_to"),
    [
        (STATUS_URL, "/channels/twilio"),  # a receipt's signature replayed on the message address
        ("https://attacker.example/channels/twilio", "/channels/twilio"),  # signed with our token for another host
        ("http://landlord.example/channels/twilio", "/channels/twilio"),  # the same address over plain HTTP
    ],
)
def test_a_twilio_signature_made_for_another_address_is_refused(hub_app: HubApp, signed_for: str, posted_to: str) -> None:
    params = _sms_params("SMelsewhere")
    r = hub_app.client.post(posted_to, data=params, headers=_signed(params, signed_for))
    assert r.status_code == 403
    assert hub_app.messages() == [] and hub_app.fakes.twilio.sent == [] and hub_app.fakes.rasa.received == []


def test_a_message_signature_replayed_as_a_delivery_receipt_is_refused(hub_app: HubApp) -> None:
    hub_app.sms("hello", "SM1")
    sid = hub_app.fakes.twilio.sent[0]["sid"]
    params = {"MessageSid": sid, "MessageStatus": "failed", "AccountSid": ACCOUNT_SID}
    assert _receipt(hub_app, sid, "failed", headers=_signed(params, PUBLIC_URL)) == 403
    assert _statuses(hub_app, sid) == ["sent"]


def test_a_tampered_delivery_receipt_is_refused_and_changes_nothing(hub_app: HubApp) -> None:
    hub_app.sms("hello", "SM1")
    sid = hub_app.fakes.twilio.sent[0]["sid"]
    signed_as_delivered = _signed({"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}, STATUS_URL)
    assert _receipt(hub_app, sid, "failed", headers=signed_as_delivered) == 403
    assert _statuses(hub_app, sid) == ["sent"]


def test_a_replayed_delivery_receipt_does_not_move_a_message_back(hub_app: HubApp) -> None:
    hub_app.sms("hello", "SM1")
    sid = hub_app.fakes.twilio.sent[0]["sid"]
    assert _receipt(hub_app, sid, "sent") == 204
    assert _receipt(hub_app, sid, "delivered") == 204
    assert _receipt(hub_app, sid, "sent") == 204  # the earlier receipt, captured and sent again
    assert _statuses(hub_app, sid) == ["delivered"]


def test_a_signed_message_over_the_text_limit_is_refused_and_not_kept(hub_app: HubApp) -> None:
    params = _sms_params("SMhuge", "x" * (TWILIO_MAX_BODY + 1))
    r = hub_app.client.post("/channels/twilio", data=params, headers=_signed(params, PUBLIC_URL))
    assert r.status_code == 413
    assert hub_app.messages() == [] and hub_app.fakes.rasa.received == []


# -- Telegram -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("where", "given"),
    [
        ("query", TELEGRAM_SECRET),  # in the URL instead of the header
        ("header", TELEGRAM_SECRET + "x"),
        ("header", TELEGRAM_SECRET[:-1]),
        ("header", TELEGRAM_SECRET.upper()),
        ("header", " " + TELEGRAM_SECRET),
    ],
)
def test_the_telegram_secret_is_accepted_only_exactly_and_only_in_its_header(hub_app: HubApp, where: str, given: str) -> None:
    update = update_message(1, CHAT, "hello")
    if where == "query":
        r = hub_app.client.post("/channels/telegram", params={"secret_token": given}, json=update)
    else:
        r = hub_app.client.post("/channels/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": given})
    assert r.status_code == 403
    assert hub_app.messages() == [] and hub_app.fakes.rasa.received == []


def test_a_replayed_button_press_reaches_the_assistant_once(hub_app: HubApp) -> None:
    hub_app.telegram(update_message(1, CHAT, "choose"))
    keyboard = hub_app.fakes.telegram.sent_to(CHAT)[-1]["reply_markup"]["inline_keyboard"]
    press = update_button(2, CHAT, keyboard[0][0]["callback_data"])
    assert hub_app.telegram(press).status_code == 200
    assert hub_app.telegram(press).status_code == 200
    assert hub_app.fakes.rasa.messages() == ["choose", "/affirm"]
    assert [m.text for m in hub_app.messages("telegram") if m.direction == "in"] == ["choose", "Yes"]


def test_an_overlong_telegram_text_is_kept_cut_to_the_limit(hub_app: HubApp) -> None:
    assert hub_app.telegram(update_message(1, CHAT, "y" * (TELEGRAM_MAX_TEXT * 3))).status_code == 200
    kept = [m.text for m in hub_app.messages("telegram") if m.direction == "in"]
    assert kept == ["y" * TELEGRAM_MAX_TEXT]
    assert all(len(text) <= TELEGRAM_MAX_TEXT for text in hub_app.fakes.rasa.messages())


# -- both: a body without a Content-Length --------------------------------------------------------


def _chunks(total: int, size: int = 16 * 1024) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        piece = min(size, total - sent)
        sent += piece
        yield b" " * piece


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/channels/twilio", {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "c2lnbmF0dXJl"}),
        ("/channels/twilio/status", {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": "c2lnbmF0dXJl"}),
        ("/channels/telegram", {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}),
    ],
)
def test_an_oversized_body_without_a_content_length_is_refused_before_it_is_read(hub_app: HubApp, path: str, headers: dict[str, str]) -> None:
    """A chunked body declares no length, so a check on Content-Length alone would let any size through
    to be read into memory (and, for the API, before the login is checked)."""
    limit = hub_app.app.state.settings.max_body_bytes
    r = hub_app.client.post(path, content=_chunks(limit * 4), headers=headers)
    assert r.status_code in (411, 413), r.text[:200]
    assert hub_app.messages() == [] and hub_app.fakes.rasa.received == []
