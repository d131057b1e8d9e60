"""SMS and WhatsApp through the Twilio webhook: signatures, keywords, numbered choices, long replies,
media, WhatsApp's 24-hour window and delivery retries, against a local fake of Twilio's API."""

from __future__ import annotations

import datetime as dt

import pytest
from twilio.request_validator import RequestValidator

from backend.channels.twilio import HELP_TEXT, MEDIA_ONLY_TEXT, verify
from backend.db.models import Message
from backend.domain.messaging import SMS_MAX_CHARS
from backend.hub import store
from backend.settings import Settings
from tests.hub.conftest import ACCOUNT_SID, RESIDENT, HubApp


def test_twilios_own_documented_example_signature_is_accepted() -> None:
    """The example from Twilio's webhook security documentation (auth token 12345)."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {"CallSid": "CA1234567890ABCDE", "Caller": "+14158675309", "Digits": "1234", "From": "+14158675309", "To": "+18005551212"}
    settings = Settings(twilio_auth_token="12345", twilio_public_url=url)
    verify(settings, url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")  # no exception: accepted
    with pytest.raises(Exception, match="invalid Twilio signature"):
        verify(settings, url, {**params, "Digits": "9999"}, "RSOYDt4T1cUTdK1PDd93/VVr8B8=")


def test_an_sms_conversation_is_answered_by_sms_and_kept_in_the_transcript(hub_app: HubApp) -> None:
    r = hub_app.sms("my tap is leaking", "SM001")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/xml")
    assert hub_app.fakes.twilio.bodies_to(RESIDENT) == ["You said: my tap is leaking", "Anything else?"]
    sent = hub_app.fakes.twilio.sent[0]
    assert sent["from"] == "+447700900000" and sent["callback"] == "https://landlord.example/channels/twilio/status"
    msgs = hub_app.messages("sms")
    assert [(m.direction, m.status) for m in msgs] == [("in", "handled"), ("out", "sent"), ("out", "sent")]
    assert msgs[1].provider_id == sent["sid"]
    assert hub_app.fakes.rasa.received[-1]["metadata"]["channel"] == "sms"


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"signature": None}, "unsigned"),
        ({"signature": "bm90IGEgc2lnbmF0dXJl"}, "forged"),
        ({"tamper": "Body"}, "body changed after signing"),
    ],
)
def test_unsigned_or_tampered_requests_are_refused_and_nothing_is_kept(hub_app: HubApp, change: dict[str, str | None], why: str) -> None:
    params = {"AccountSid": ACCOUNT_SID, "MessageSid": "SMbad", "From": RESIDENT, "To": "+447700900000", "Body": "hello", "NumMedia": "0"}
    headers = hub_app.sign(params)
    if "signature" in change:
        headers = {"X-Twilio-Signature": change["signature"]} if change["signature"] else {}
    if "tamper" in change:
        params = {**params, "Body": "send me everything"}
    r = hub_app.client.post("/channels/twilio", data=params, headers=headers)
    assert r.status_code == 403, why
    assert hub_app.messages() == [] and hub_app.fakes.twilio.sent == []


def test_bad_requests_get_a_clear_4xx(hub_app: HubApp) -> None:
    assert hub_app.client.post("/channels/twilio", json={"From": RESIDENT}).status_code == 415
    params = {"AccountSid": ACCOUNT_SID, "Body": "no sid or sender"}
    r = hub_app.client.post("/channels/twilio", data=params, headers=hub_app.sign(params))
    assert r.status_code == 400 and "MessageSid" in r.json()["detail"]
    big = hub_app.client.post("/channels/twilio", content=b"Body=" + b"x" * 300_000, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    assert hub_app.messages() == []


def test_a_retried_webhook_is_kept_once_and_answered_once(hub_app: HubApp) -> None:
    hub_app.sms("hello", "SM-same")
    hub_app.sms("hello", "SM-same")
    assert [m.text for m in hub_app.messages() if m.direction == "in"] == ["hello"]
    assert len(hub_app.fakes.twilio.sent) == 2


def test_buttons_become_numbered_choices_and_a_number_picks_the_payload(hub_app: HubApp) -> None:
    hub_app.sms("choose", "SM1")
    question = hub_app.fakes.twilio.bodies_to(RESIDENT)[-1]
    assert "1. Yes" in question and "2. No" in question and "Reply with the number" in question
    hub_app.sms(" 1 ", "SM2")
    assert hub_app.fakes.rasa.messages()[-1] == "/affirm"
    assert hub_app.fakes.twilio.bodies_to(RESIDENT)[-1] == "You chose yes."
    hub_app.sms("1", "SM3")  # no choices are open now: it is just text
    kept = [(m.direction, m.text, m.status, m.payload.get("choice")) for m in hub_app.messages()]
    assert hub_app.fakes.rasa.messages()[-1] == "1", f"Rasa got {hub_app.fakes.rasa.messages()}; the record: {kept}"


def test_a_long_reply_is_split_at_sentence_ends_within_twilios_limit(hub_app: HubApp) -> None:
    hub_app.sms("long", "SM1")
    parts = hub_app.fakes.twilio.bodies_to(RESIDENT)
    assert len(parts) >= 2 and all(len(p) <= SMS_MAX_CHARS for p in parts)
    assert all(p.endswith(".") for p in parts)
    assert " ".join(parts) == hub_app.fakes.rasa.received[-1]["message"] or "sentence number 60" in parts[-1]


def test_stop_start_and_help_are_honoured_and_never_reach_the_assistant(hub_app: HubApp) -> None:
    hub_app.sms("hello", "SM1")
    before = len(hub_app.fakes.rasa.received)
    hub_app.sms("HELP", "SM2")
    assert hub_app.fakes.twilio.bodies_to(RESIDENT)[-1] == HELP_TEXT
    hub_app.sms("Stop", "SM3")
    sent_before = len(hub_app.fakes.twilio.sent)
    conv_id = hub_app.conversations()[0].id
    status = hub_app.run(hub_app.app.state.hub.say, conv_id, "agent", "An update on your repair")
    assert status.status == "pending"
    assert len(hub_app.fakes.twilio.sent) == sent_before  # nothing sent after STOP
    assert hub_app.messages()[-1].status == "suppressed"
    hub_app.sms("START", "SM4")
    assert "Welcome back" in hub_app.fakes.twilio.bodies_to(RESIDENT)[-1]
    assert len(hub_app.fakes.rasa.received) == before


def test_a_picture_gets_a_polite_text_only_answer_and_is_kept(hub_app: HubApp) -> None:
    hub_app.sms("", "MM1", NumMedia="1", MediaUrl0="https://api.twilio.com/media/ME1", MediaContentType0="image/jpeg")
    assert hub_app.fakes.twilio.bodies_to(RESIDENT) == [MEDIA_ONLY_TEXT]
    kept = hub_app.messages()[0]
    assert kept.payload["media"] == [{"url": "https://api.twilio.com/media/ME1", "type": "image/jpeg"}]
    assert hub_app.fakes.rasa.received == []


def test_whatsapp_replies_only_inside_the_24_hour_window(hub_app: HubApp) -> None:
    hub_app.sms("hello", "SMw1", sender=f"whatsapp:{RESIDENT}")
    assert hub_app.fakes.twilio.sent[-1]["to"] == f"whatsapp:{RESIDENT}"
    assert hub_app.fakes.twilio.sent[-1]["from"] == "whatsapp:+447700900001"
    assert hub_app.conversations()[0].channel == "whatsapp"
    hub_app.clock.at += dt.timedelta(hours=25)
    count = len(hub_app.fakes.twilio.sent)
    msg = hub_app.run(hub_app.app.state.hub.say, hub_app.conversations()[0].id, "agent", "Your repair is booked for Friday.")
    assert len(hub_app.fakes.twilio.sent) == count
    stored = next(m for m in hub_app.messages() if m.id == msg.id)
    assert stored.status == "needs_template" and "template" in (stored.last_error or "")


def test_a_failed_send_is_retried_with_backoff_and_ends_visible_as_failed(hub_app: HubApp) -> None:
    hub_app.fakes.twilio.fail_next.extend([500, 503])
    hub_app.sms("hello", "SM1")
    out = [m for m in hub_app.messages() if m.direction == "out"]
    assert [m.status for m in out] == ["pending", "pending"] and out[0].last_error
    hub_app.clock.at += dt.timedelta(seconds=3)
    hub_app.retry_pass()
    out = [m for m in hub_app.messages() if m.direction == "out"]
    assert [m.status for m in out] == ["sent", "sent"], [(m.status, m.attempts, m.last_error) for m in out]
    assert hub_app.fakes.twilio.bodies_to(RESIDENT) == ["You said: hello", "Anything else?"]
    # a permanent refusal (e.g. an invalid number) is not retried
    hub_app.fakes.twilio.fail_next.extend([400])
    hub_app.run(hub_app.app.state.hub.say, hub_app.conversations()[0].id, "agent", "Hello again")
    refused = hub_app.messages()[-1]
    assert refused.status == "failed" and (refused.last_error or "").startswith("Twilio refused: 400 21211")  # staff see why
    # a send that keeps failing stops after five attempts and is marked failed
    hub_app.fakes.twilio.fail_next.extend([500] * 10)
    hub_app.run(hub_app.app.state.hub.say, hub_app.conversations()[0].id, "agent", "Are you there?")
    for _ in range(6):
        hub_app.clock.at += dt.timedelta(minutes=5)
        hub_app.retry_pass()
    last = hub_app.messages()[-1]
    assert last.status == "failed" and last.attempts == 5
    hub_app.fakes.twilio.fail_next.clear()


def test_delivery_receipts_update_the_message(hub_app: HubApp) -> None:
    hub_app.sms("hello", "SM1")
    sid = hub_app.fakes.twilio.sent[0]["sid"]
    url = "https://landlord.example/channels/twilio/status"
    params = {"MessageSid": sid, "MessageStatus": "delivered", "AccountSid": ACCOUNT_SID}
    sig = {"X-Twilio-Signature": RequestValidator("twilio-auth-token-for-tests").compute_signature(url, params)}
    assert hub_app.client.post("/channels/twilio/status", data=params, headers=sig).status_code == 204
    assert [m.status for m in hub_app.messages() if m.provider_id == sid] == ["delivered"]
    assert hub_app.client.post("/channels/twilio/status", data=params).status_code == 403


def test_the_retry_loop_never_takes_a_reply_another_sender_is_sending(hub_app: HubApp) -> None:
    """The race found by the benchmark: the retry loop lists a due reply, the request that stored it
    claims it and starts sending, then the loop reaches it. The loop must leave the live claim alone;
    a claim left by a sender that crashed is released once it expires, and the reply sent once."""
    hub_app.sms("hello", "SM1")
    conv_id = hub_app.conversations()[0].id
    hub = hub_app.app.state.hub
    now = hub_app.clock.at
    with hub_app.app.state.sessionmaker() as s:
        msg_id = store.record_outbound(s, conv_id, "agent", "sent once", {}, now).id
        s.get(Message, msg_id).next_attempt_at = now  # type: ignore[union-attr]
        s.commit()
    with hub_app.app.state.sessionmaker() as s:
        assert msg_id in store.due_sends(s, now)  # the loop's list
        assert store.claim_send(s, msg_id, now)  # the request path takes it and is sending
        s.commit()
    assert hub_app.run(hub.deliver, msg_id) == "claimed"  # the loop reaches it
    assert hub_app.fakes.twilio.bodies_to(RESIDENT).count("sent once") == 0
    hub_app.clock.at += dt.timedelta(seconds=61)  # the claim expired: that sender must have crashed
    hub_app.retry_pass()
    hub_app.retry_pass()
    assert hub_app.fakes.twilio.bodies_to(RESIDENT).count("sent once") == 1
