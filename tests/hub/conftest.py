"""The backend with its hub wired to local fakes of Twilio, Telegram and a scripted Rasa, on loopback.

Each test gets its own app on a fresh SQLite database, and again on PostgreSQL (when reachable); the
fakes live for the module.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from twilio.request_validator import RequestValidator

from backend.db.models import Base, Conversation, Message
from backend.main import create_app
from backend.services.context import FixedClock
from backend.settings import Settings
from tests.conftest import KEEP_TABLES
from tests.fakes.rasa import ScriptedRasa
from tests.fakes.servers import serve
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "1" * 32
TWILIO_TOKEN = "twilio-auth-token-for-tests"
PUBLIC_URL = "https://landlord.example/channels/twilio"
TELEGRAM_TOKEN = "123456:TEST-token"
TELEGRAM_SECRET = "telegram-secret-" + "t" * 32
SMS_FROM = "+447700900000"
RESIDENT = "+447700900123"


@dataclass
class Fakes:
    rasa: ScriptedRasa
    twilio: FakeTwilio
    telegram: FakeTelegram
    rasa_url: str
    twilio_url: str
    telegram_url: str


@pytest.fixture(scope="module")
def fakes() -> Iterator[Fakes]:
    rasa, twilio, telegram = ScriptedRasa(), FakeTwilio(ACCOUNT_SID, TWILIO_TOKEN), FakeTelegram(TELEGRAM_TOKEN)
    with serve(rasa.app()) as r, serve(twilio.app()) as t, serve(telegram.app()) as g:
        yield Fakes(rasa, twilio, telegram, r, t, g)


@dataclass
class HubApp:
    client: TestClient
    clock: FixedClock
    fakes: Fakes
    app: Any

    def sign(self, params: dict[str, str], url: str = PUBLIC_URL) -> dict[str, str]:
        return {"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(url, params)}

    def sms(self, body: str, sid: str, sender: str = RESIDENT, **extra: str) -> Any:
        params = {"AccountSid": ACCOUNT_SID, "MessageSid": sid, "From": sender, "To": SMS_FROM, "Body": body, "NumMedia": "0", **extra}
        return self.client.post("/channels/twilio", data=params, headers=self.sign(params))

    def telegram(self, update: dict[str, Any]) -> Any:
        return self.client.post("/channels/telegram", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})

    def messages(self, channel: str | None = None) -> list[Message]:
        with self.app.state.sessionmaker() as s:
            q = select(Message).join(Conversation).order_by(Message.id)
            if channel:
                q = q.where(Conversation.channel == channel)
            return list(s.scalars(q))

    def conversations(self) -> list[Conversation]:
        with self.app.state.sessionmaker() as s:
            return list(s.scalars(select(Conversation).order_by(Conversation.id)))

    def run(self, fn: Any, *args: Any) -> Any:
        """Call one of the hub's coroutines on the app's own event loop."""
        return self.client.portal.call(fn, *args)  # type: ignore[union-attr]

    def retry_pass(self) -> None:
        self.run(self.app.state.hub.retry_once)


@pytest.fixture(params=["sqlite", "postgresql"])
def hub_app(request: pytest.FixtureRequest, fakes: Fakes, tmp_path: Path) -> Iterator[HubApp]:
    fakes.rasa.down = False
    fakes.rasa.received.clear()
    fakes.twilio.sent.clear()
    fakes.twilio.fail_next.clear()
    fakes.telegram.calls.clear()
    clock = FixedClock(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC))
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'hub.db'}" if request.param == "sqlite" else request.getfixturevalue("pg_database_url"),
        service_token="hub-service-token-" + "h" * 32,
        app_env="test",
        rasa_url=fakes.rasa_url,
        rasa_timeout_seconds=5,
        hub_poll_seconds=3600,  # the tests run retry passes themselves
        twilio_account_sid=ACCOUNT_SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_sms_from=SMS_FROM,
        twilio_whatsapp_from="+447700900001",
        twilio_public_url=PUBLIC_URL,
        twilio_api_base=fakes.twilio_url,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_secret_token=TELEGRAM_SECRET,
        telegram_api_base=fakes.telegram_url,
    )
    app = create_app(settings, clock=clock)
    try:
        with TestClient(app) as client:
            yield HubApp(client, clock, fakes, app)
    finally:
        if request.param == "postgresql":  # the database is shared with the other PostgreSQL tests
            tables = [t.name for t in reversed(Base.metadata.sorted_tables) if t.name not in KEEP_TABLES]
            engine = create_engine(settings.database_url)
            with engine.begin() as conn:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
            engine.dispose()
