"""Channel adapters: each one turns its provider's webhook into ``Hub.receive`` and sends what the hub
gives it. Web chat (WebSocket), SMS and WhatsApp (Twilio), Telegram."""

from __future__ import annotations

from backend.hub.hub import ChannelSender
from backend.settings import Settings


def channel_senders(settings: Settings) -> dict[str, ChannelSender]:
    """The senders for the channels this landlord has configured (web chat needs none)."""
    from backend.channels.telegram import TelegramSender
    from backend.channels.twilio import TwilioSender

    senders: dict[str, ChannelSender] = {}
    if settings.twilio_account_sid and settings.twilio_auth_token:
        twilio = TwilioSender(settings)
        senders["sms"] = twilio
        senders["whatsapp"] = twilio
    if settings.telegram_bot_token:
        senders["telegram"] = TelegramSender(settings)
    return senders
