"""Database work per resident message in the hub: statements and transactions per turn, by channel.

The load benchmark (benchmarks/load.py) measures what the hub's backend workers and PostgreSQL cost in
CPU per turn; this counts their database work exactly, which timing on a shared machine cannot: the
backend app on a fresh PostgreSQL database (or SQLite), a scripted
stand-in for Rasa that answers every message with two replies (tests/fakes/rasa.py) and a fake of
Twilio's API, then ``--turns`` messages on web chat (one socket, browser connected) and on SMS (the
signed webhook). Every statement the backend's engine sends is counted, by kind, and every commit.

Run: .venv/bin/python -m benchmarks.hub_queries [--turns 20] [--sqlite]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import tempfile
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from twilio.request_validator import RequestValidator

from backend.main import create_app
from backend.services.context import FixedClock
from backend.settings import Settings
from tests.conftest import fresh_pg_database
from tests.fakes.rasa import ScriptedRasa
from tests.fakes.servers import serve
from tests.fakes.twilio_api import FakeTwilio

ACCOUNT_SID = "AC" + "2" * 32
TWILIO_TOKEN = "hub-queries-twilio-token"
PUBLIC_URL = "https://landlord.example/channels/twilio"
SMS_FROM = "+447700900000"


@contextlib.contextmanager
def database(sqlite: bool) -> Iterator[str]:
    if sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/hub.db"
        return
    with fresh_pg_database(prefix="hubq") as url:  # the tests' own: created, and dropped afterwards
        yield url


class Counts:
    """Statements by their first word (SELECT, INSERT, ...) and commits, on one engine."""

    def __init__(self, engine: Any) -> None:
        self.statements: Counter[str] = Counter()
        self.commits = 0
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", self._commit)

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements[statement.split(maxsplit=1)[0].upper() if statement.strip() else ""] += 1

    def _commit(self, conn: Any) -> None:
        self.commits += 1

    def reset(self) -> None:
        self.statements.clear()
        self.commits = 0


def webchat(client: TestClient, turns: int) -> None:
    with client.websocket_connect("/channels/webchat/ws") as ws:
        ws.send_json({"type": "hello", "token": None, "after": 0})
        assert ws.receive_json()["type"] == "session"
        for i in range(turns):
            ws.send_json({"type": "message", "text": f"message {i}", "client_id": uuid.uuid4().hex})
            while True:
                frame = ws.receive_json()
                if frame["type"] == "error":
                    raise SystemExit(f"web chat refused a message: {frame.get('detail')}")
                if frame["type"] == "typing" and not frame["on"]:
                    break


def sms(client: TestClient, twilio: FakeTwilio, turns: int) -> None:
    for i in range(turns):
        sid = "SM" + uuid.uuid4().hex
        params = {"AccountSid": ACCOUNT_SID, "MessageSid": sid, "From": "+447700900321", "To": SMS_FROM, "Body": f"message {i}", "NumMedia": "0"}
        before = len(twilio.sent)
        got = client.post("/channels/twilio", data=params, headers={"X-Twilio-Signature": RequestValidator(TWILIO_TOKEN).compute_signature(PUBLIC_URL, params)})
        assert got.status_code == 200, got.text
        assert len(twilio.sent) == before + 2, "each SMS turn is answered with two replies"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--turns", type=int, default=20, help="per channel (web chat allows 30 messages a minute per socket)")
    p.add_argument("--sqlite", action="store_true", help="SQLite instead of PostgreSQL")
    args = p.parse_args(argv)
    logging.disable(logging.INFO)  # the backend logs every request: here only the counts matter
    rasa, twilio = ScriptedRasa(), FakeTwilio(ACCOUNT_SID, TWILIO_TOKEN)
    with serve(rasa.app()) as rasa_url, serve(twilio.app()) as twilio_url, database(args.sqlite) as url:
        settings = Settings(
            database_url=url,
            service_token="hub-queries-service-token-" + "q" * 32,
            app_env="test",
            rasa_url=rasa_url,
            hub_poll_seconds=3600,  # the retry loop's own queries are left out: they run once a second, not per turn
            twilio_account_sid=ACCOUNT_SID,
            twilio_auth_token=TWILIO_TOKEN,
            twilio_sms_from=SMS_FROM,
            twilio_public_url=PUBLIC_URL,
            twilio_api_base=twilio_url,
        )
        app = create_app(settings, clock=FixedClock(dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.UTC)))
        counts = Counts(app.state.engine)
        print(f"hub database work per resident message ({app.state.engine.dialect.name}, {args.turns} turns each, two replies per turn)")
        with TestClient(app) as client:
            for name, run in (("web chat", lambda n: webchat(client, n)), ("sms", lambda n: sms(client, twilio, n))):
                run(1)  # the conversation's first message opens it: not a typical turn
                counts.reset()
                run(args.turns)
                kinds = ", ".join(f"{k} {v / args.turns:.1f}" for k, v in counts.statements.most_common())
                total = sum(counts.statements.values()) / args.turns
                print(f"  {name:<9} statements {total:5.1f}  commits {counts.commits / args.turns:4.1f}   ({kinds})")


if __name__ == "__main__":
    main()
