"""SMS and WhatsApp through Twilio: the signed webhook in, the REST API out.

Every request's ``X-Twilio-Signature`` is checked with Twilio's own ``RequestValidator`` against the
public URL the landlord configured in Twilio (behind a proxy the URL we see differs, so it is
configured, never guessed). An unsigned or tampered request gets 403 and nothing else happens.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.async_http_client import AsyncTwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from backend.db.models import Conversation, Message
from backend.domain.messaging import Keyword, sms_keyword
from backend.hub import store
from backend.hub.hub import Hub, SendFailed
from backend.hub.store import ConversationView, MessageView
from backend.settings import Settings

log = logging.getLogger("backend.twilio")
router = APIRouter(prefix="/channels/twilio", tags=["channels"])

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
WHATSAPP_PREFIX = "whatsapp:"
MAX_BODY = 5000
MEDIA_ONLY_TEXT = (
    "Thanks. I can only read text here, so I can't see pictures, voice notes or files. Your message is kept on your record. "
    "Please describe it in words, and someone can ask for photos later if they're needed."
)
HELP_TEXT = (
    "This is your landlord's repairs and complaints service. Tell me what you need in a message. "
    "Reply STOP to stop messages, START to start them again. In an emergency call 999; for a gas smell call 0800 111 999."
)
STOPPED_TEXT = "You won't get any more messages from us here. Reply START to start again."
RESTARTED_TEXT = "Welcome back. You'll get messages from us here again. How can I help?"
#: Twilio's delivery statuses, as we record them.
STATUS_MAP = {"delivered": "delivered", "read": "delivered", "undelivered": "failed", "failed": "failed", "sent": "sent"}


def verify(settings: Settings, url: str | None, params: dict[str, str], signature: str | None) -> None:
    """403 unless Twilio signed exactly these parameters for this URL with our auth token."""
    if not settings.twilio_auth_token or not settings.twilio_public_url:
        raise HTTPException(404, "the Twilio channel is not enabled on this server")
    if not signature or not url or not RequestValidator(settings.twilio_auth_token).validate(url, params, signature):
        log.warning("twilio signature refused", extra={"has_signature": bool(signature), "from_suffix": str(params.get("From", ""))[-3:]})
        raise HTTPException(403, "invalid Twilio signature")


async def _signed_form(request: Request, url: str | None) -> dict[str, str]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise HTTPException(415, "Twilio webhooks are application/x-www-form-urlencoded")
    form = await request.form()
    params = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    verify(request.app.state.settings, url, params, request.headers.get("x-twilio-signature"))
    return params


def status_url(settings: Settings) -> str | None:
    """Where Twilio sends delivery receipts: given to Twilio with each message, and the URL its
    signature on the receipt is checked against, so both must be this one address."""
    return settings.twilio_public_url.rstrip("/") + "/status" if settings.twilio_public_url else None


def _twiml() -> Response:
    return Response(EMPTY_TWIML, media_type="text/xml")


@router.post("", summary="Inbound SMS and WhatsApp messages (Twilio webhook)")
async def inbound(request: Request, background: BackgroundTasks) -> Response:
    settings: Settings = request.app.state.settings
    params = await _signed_form(request, settings.twilio_public_url)
    if settings.twilio_account_sid and params.get("AccountSid") not in (None, settings.twilio_account_sid):
        raise HTTPException(403, "this message is for another Twilio account")
    sender, sid = params.get("From", "").strip(), params.get("MessageSid", "").strip()
    if not sender or not sid:
        raise HTTPException(400, "From and MessageSid are required")
    body = params.get("Body", "")
    if len(body) > MAX_BODY:
        raise HTTPException(413, f"message body over {MAX_BODY} characters")
    channel = "whatsapp" if sender.lower().startswith(WHATSAPP_PREFIX) else "sms"
    address = sender[len(WHATSAPP_PREFIX) :] if channel == "whatsapp" else sender
    media = _media(params)
    hub: Hub = request.app.state.hub
    payload: dict[str, Any] = {"media": media} if media else {}
    opted_out = await hub.db(lambda s: _opted_out(s, channel, address))
    keyword = sms_keyword(body, opted_out) if not media else None
    status = "ignored" if keyword or (media and not body.strip()) else "received"
    got = await hub.receive(channel, address, body, payload=payload, external_id=sid, status=status, answer_now=status == "received")
    if got.message is None:  # Twilio retried a message we already have
        return _twiml()
    conv_id = got.conversation.id
    if keyword is not None:
        background.add_task(_keyword, hub, conv_id, channel, keyword)
    else:
        if media:
            background.add_task(hub.say, conv_id, "system", MEDIA_ONLY_TEXT)
        if status == "received":
            background.add_task(hub.route, conv_id, got.claim)
    return _twiml()


def _media(params: dict[str, str]) -> list[dict[str, str]]:
    count = int(params.get("NumMedia", "0") or 0) if str(params.get("NumMedia", "0")).isdigit() else 0
    return [{"url": params.get(f"MediaUrl{i}", ""), "type": params.get(f"MediaContentType{i}", "")} for i in range(min(count, 10))]


def _opted_out(session: Session, channel: str, address: str) -> bool:
    conv = store.find_open(session, channel, address)
    return bool(conv and conv.opted_out)


async def _keyword(hub: Hub, conv_id: int, channel: str, keyword: Keyword) -> None:
    """STOP / START / HELP are answered here and never reach the bot (carriers expect them honoured)."""

    def set_opt_out(session: Session, value: bool) -> None:
        conv = session.get(Conversation, conv_id)
        if conv is not None:
            conv.opted_out = value

    if keyword == Keyword.STOP:
        await hub.db(lambda s: set_opt_out(s, True))
        if channel == "whatsapp":  # Twilio confirms STOP itself on SMS; WhatsApp needs ours, the last one sent
            await hub.say(conv_id, "system", STOPPED_TEXT, {"opt_out_confirmation": True})
    elif keyword == Keyword.START:
        await hub.db(lambda s: set_opt_out(s, False))
        await hub.say(conv_id, "system", RESTARTED_TEXT)
    else:
        await hub.say(conv_id, "system", HELP_TEXT)


@router.post("/status", summary="Delivery receipts for messages we sent (Twilio status callback)")
async def delivery_status(request: Request) -> Response:
    params = await _signed_form(request, status_url(request.app.state.settings))
    sid, status = params.get("MessageSid", ""), STATUS_MAP.get(params.get("MessageStatus", "").lower())
    if not sid:
        raise HTTPException(400, "MessageSid is required")
    if status is not None:
        hub: Hub = request.app.state.hub
        error = params.get("ErrorCode") or None

        def update(session: Session) -> None:
            msg = session.scalar(select(Message).where(Message.provider_id == sid))
            if msg is not None and not (msg.status == "delivered" and status == "sent"):
                msg.status = status
                msg.last_error = f"Twilio error {error}" if error else msg.last_error

        await hub.db(update)
    return Response(status_code=204)


class TwilioSender:
    """Sends through Twilio's REST API with the official client (asynchronous HTTP)."""

    def __init__(self, settings: Settings) -> None:
        assert settings.twilio_account_sid and settings.twilio_auth_token
        self.settings = settings
        self.http = AsyncTwilioHttpClient(timeout=15)
        self.client = Client(settings.twilio_account_sid, settings.twilio_auth_token, http_client=self.http)
        if settings.twilio_api_base:
            self.client.api.base_url = settings.twilio_api_base.rstrip("/")
        self.status_url = status_url(settings)

    async def send(self, conv: ConversationView, msg: MessageView) -> str | None:
        whatsapp = conv.channel == "whatsapp"
        sender = self.settings.twilio_whatsapp_from if whatsapp else self.settings.twilio_sms_from
        if not sender:
            raise SendFailed(f"no Twilio {'WhatsApp' if whatsapp else 'SMS'} sender number is configured", retryable=False)
        prefix = WHATSAPP_PREFIX if whatsapp else ""
        kwargs: dict[str, Any] = {"to": prefix + conv.address, "from_": prefix + sender.removeprefix(WHATSAPP_PREFIX), "body": msg.text}
        if whatsapp and isinstance(msg.payload.get("image"), str):
            kwargs["media_url"] = [msg.payload["image"]]
        if self.status_url:
            kwargs["status_callback"] = self.status_url
        try:
            sent = await self.client.messages.create_async(**kwargs)
        except TwilioRestException as exc:
            # 429 and 5xx may pass; other 4xx (opted out 21610, bad number 21211...) never will.
            # the error code and Twilio's own words go on the message record, for staff to see why
            reason = f"Twilio refused: {exc.status} {exc.code} {str(exc.msg)[:200]}".rstrip()
            raise SendFailed(reason, retryable=exc.status == 429 or exc.status >= 500) from exc
        except (TwilioException, OSError, TimeoutError) as exc:
            raise SendFailed(f"Twilio unreachable: {type(exc).__name__}") from exc
        return sent.sid

    async def close(self) -> None:
        await self.http.close()
