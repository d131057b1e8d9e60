"""Telegram: the webhook in (``python-telegram-bot`` parses the ``Update``), the Bot API out.

Telegram echoes the secret we gave it when setting the webhook in ``X-Telegram-Bot-Api-Secret-Token``;
anything without it is refused with 403. Update ids are kept, so a redelivered update is ignored.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError

from backend.channels.twilio import MEDIA_ONLY_TEXT
from backend.db.models import Message
from backend.hub.hub import Hub, SendFailed
from backend.hub.store import ConversationView, MessageView
from backend.settings import Settings

log = logging.getLogger("backend.telegram")
router = APIRouter(prefix="/channels/telegram", tags=["channels"])
MAX_TEXT = 5000
START_PAYLOAD = "/greet"


def make_bot(settings: Settings) -> Bot:
    assert settings.telegram_bot_token
    base = (settings.telegram_api_base or "https://api.telegram.org").rstrip("/")
    return Bot(settings.telegram_bot_token, base_url=f"{base}/bot")


def _verify(settings: Settings, given: str | None) -> None:
    if not settings.telegram_bot_token or not settings.telegram_secret_token:
        raise HTTPException(404, "the Telegram channel is not enabled on this server")
    if not given or not hmac.compare_digest(given.encode(), settings.telegram_secret_token.encode()):
        log.warning("telegram secret refused", extra={"has_secret": bool(given)})
        raise HTTPException(403, "invalid Telegram secret token")


@router.post("", summary="Inbound Telegram updates (webhook)")
async def inbound(request: Request, background: BackgroundTasks) -> Response:
    settings: Settings = request.app.state.settings
    _verify(settings, request.headers.get("x-telegram-bot-api-secret-token"))
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise HTTPException(415, "Telegram updates are application/json")
    try:
        data = json.loads(await request.body())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise HTTPException(400, "the body is not JSON") from exc
    if not isinstance(data, dict) or not isinstance(data.get("update_id"), int):
        raise HTTPException(400, "an update needs an integer update_id")
    hub: Hub = request.app.state.hub
    sender: TelegramSender | None = hub.senders.get("telegram")  # type: ignore[assignment]
    if sender is None:
        raise HTTPException(404, "the Telegram channel is not enabled on this server")
    try:
        update = Update.de_json(data, sender.bot)
    except (TypeError, ValueError, KeyError) as exc:
        raise HTTPException(400, f"not a Telegram update: {type(exc).__name__}") from exc
    external_id = f"u{update.update_id}"
    if update.callback_query is not None:
        await _button(hub, sender, update, external_id, background)
    elif update.message is not None:
        await _message(hub, update, external_id, background)
    return Response(status_code=200)  # anything else (edits, joins) is acknowledged and not kept


async def _message(hub: Hub, update: Update, external_id: str, background: BackgroundTasks) -> None:
    message = update.message
    assert message is not None
    chat = str(message.chat.id)
    text = (message.text or message.caption or "")[:MAX_TEXT]
    payload: dict[str, Any] = {}
    media = [kind for kind in ("photo", "voice", "audio", "video", "document", "sticker", "location", "contact") if getattr(message, kind, None)]
    if media:
        payload["media"] = [{"type": kind} for kind in media]
    if text.strip().lower().split("@")[0] in ("/start", "/start "):
        payload.update(choice=START_PAYLOAD, title="/start")
    status = "ignored" if media and not text.strip() else "received"
    got = await hub.receive("telegram", chat, text, payload=payload, external_id=external_id, status=status, answer_now=status == "received")
    if got.message is None:
        return  # a redelivered update
    if media:
        background.add_task(hub.say, got.conversation.id, "system", MEDIA_ONLY_TEXT)
    if status == "received":
        background.add_task(hub.route, got.conversation.id, got.claim)


async def _button(hub: Hub, sender: TelegramSender, update: Update, external_id: str, background: BackgroundTasks) -> None:
    query = update.callback_query
    assert query is not None
    background.add_task(sender.answer_callback, query.id)
    chat = query.message.chat.id if query.message is not None else (query.from_user.id if query.from_user else None)
    if chat is None:
        return
    choice = await hub.db(lambda s: _choice(s, str(query.data or ""), str(chat)))
    if choice is None:
        return  # a button from a message we did not send to this chat, or an out-of-date keyboard
    title, payload = choice
    got = await hub.receive("telegram", str(chat), title, payload={"choice": payload, "title": title}, external_id=external_id, answer_now=True)
    if got.message is not None:
        background.add_task(hub.route, got.conversation.id, got.claim)


def _choice(session: Session, data: str, chat: str) -> tuple[str, str] | None:
    """``b:<message id>:<index>`` → the button's title and payload, if that message went to this chat."""
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != "b" or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    msg = session.get(Message, int(parts[1]))
    if msg is None or msg.direction != "out" or msg.conversation.channel != "telegram" or msg.conversation.address != chat:
        return None
    buttons = msg.payload.get("buttons") or []
    index = int(parts[2])
    if index >= len(buttons):
        return None
    return str(buttons[index]["title"]), str(buttons[index]["payload"])


class TelegramSender:
    """Sends with python-telegram-bot's ``Bot``; buttons become an inline keyboard (callback data is
    the stored message and button index: Telegram allows only 64 bytes, Rasa payloads can be longer)."""

    def __init__(self, settings: Settings) -> None:
        self.bot = make_bot(settings)
        self._ready = False

    async def _init(self) -> None:
        if not self._ready:
            await self.bot.initialize()
            self._ready = True

    async def send(self, conv: ConversationView, msg: MessageView) -> str | None:
        buttons = msg.payload.get("buttons") or []
        markup = (
            InlineKeyboardMarkup([[InlineKeyboardButton(str(b["title"])[:64], callback_data=f"b:{msg.id}:{i}")] for i, b in enumerate(buttons)])
            if buttons
            else None
        )
        try:
            await self._init()
            image = msg.payload.get("image")
            if isinstance(image, str):
                sent = await self.bot.send_photo(int(conv.address), photo=image, caption=msg.text[:1024] or None, reply_markup=markup)
            else:
                sent = await self.bot.send_message(int(conv.address), msg.text or "…", reply_markup=markup)
        except RetryAfter as exc:
            raise SendFailed(f"Telegram asked us to wait {exc.retry_after}") from exc
        except (Forbidden, BadRequest, InvalidToken) as exc:  # blocked by the resident, a bad chat: no retry helps
            raise SendFailed(f"Telegram refused: {exc.message}", retryable=False) from exc
        except (NetworkError, TelegramError) as exc:
            raise SendFailed(f"Telegram unreachable: {type(exc).__name__}") from exc
        return str(sent.message_id)

    async def answer_callback(self, query_id: str) -> None:
        try:
            await self._init()
            await self.bot.answer_callback_query(query_id)
        except TelegramError:
            log.info("callback answer failed", extra={"query": query_id})

    async def close(self) -> None:
        if self._ready:
            await self.bot.shutdown()


async def set_webhook(settings: Settings, url: str) -> bool:
    """Tell Telegram where to deliver updates, with our secret token and only the updates we use."""
    bot = make_bot(settings)
    async with bot:
        return await bot.set_webhook(url, secret_token=settings.telegram_secret_token, allowed_updates=["message", "callback_query"])
