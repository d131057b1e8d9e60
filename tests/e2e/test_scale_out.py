"""Two Rasa processes behind one backend, sharing their trackers in PostgreSQL (SQLTrackerStore) and
their conversation locks in Redis (bot/lock_store.py), as bot/endpoints.scaleout.yml and
docker-compose.yml set them up: a resident's messages taken alternately by each process make one
consistent conversation, and the complaint lands in the backend once with everything they said.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from backend.services.rasa_trackers import TrackerEraser
from tests.actions.conftest import create_officer, login
from tests.conftest import PG_ADMIN_URL, PG_AVAILABLE, REDIS_URL, redis_available
from tests.processes import BOT_PYTHON, MODEL, Stack, free_port, need, running, scaleout_rasa_env


@pytest.fixture(scope="module")
def two_rasas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, list[str], str]]:
    need(BOT_PYTHON.exists() and MODEL.exists(), "the Rasa environment and a trained model are needed (scripts/train.sh)", "the scale-out test")
    need(PG_AVAILABLE, f"PostgreSQL is not reachable at {PG_ADMIN_URL}", "the scale-out test")
    need(redis_available(), f"Redis is not reachable at {REDIS_URL}", "the scale-out test")
    name = f"rasa_trackers_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    pg = admin.url
    env = scaleout_rasa_env(pg, REDIS_URL, name)
    tmp: Path = tmp_path_factory.mktemp("scale")
    try:
        with running(tmp, actions=True, rasa=False) as stack:
            create_officer(f"sqlite:///{tmp / 'complaints.db'}")
            urls = [stack.start_rasa(f"rasa{i}", free_port(), "bot/endpoints.scaleout.yml", env) for i in (1, 2)]
            yield stack, urls, pg.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def say(url: str, sender: str, message: str) -> str:
    r = httpx.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message, "metadata": {"channel": "webchat"}}, timeout=120)
    assert r.status_code == 200, r.text
    replies: list[dict[str, Any]] = r.json()
    return "\n".join(str(m.get("text", "")) for m in replies)


def test_one_residents_messages_taken_alternately_by_two_rasa_processes_make_one_complaint(two_rasas: tuple[Stack, list[str], str]) -> None:
    stack, urls, _ = two_rasas
    me = f"resident-{uuid.uuid4().hex[:8]}"
    script = [
        ("hi", "housing assistant"),
        ("I've reported the damp in my mum's bedroom three times and nobody has come to fix it, it's disgusting", "make a complaint"),
        ("/affirm", "resident"),
        ("I'm acting for someone else", "connected"),
        ("daughter", "your name"),
        ("Sam Khan", "resident's full name"),
        ("Amira Khan", "contact"),
        ("sam.khan@example.org", "postcode"),
        ("LS6 2AB", "anything else"),
        ("the contractor was rude to my mum when he finally came", "anything else"),
        ("that's all", "When did this happen"),
        ("since March 2026", "reported this to us before"),
        ("no", "affected"),
        ("her asthma is worse and she sleeps on the sofa", "put things right"),
        ("fix the damp properly and an apology", "court claim"),
        ("No legal action", "make this easier"),
        ("large print letters please", "health"),
        ("she is partially sighted", "record this"),
        ("yes, record it", "three times"),
        ("/affirm", "Your reference is CMP-"),
    ]
    transcript: list[str] = []
    for i, (text_, expect) in enumerate(script):
        reply = say(urls[i % 2], me, text_)  # odd turns on one process, even turns on the other
        transcript += [f"[rasa{i % 2 + 1}] > {text_}", reply]
        assert expect in reply, "\n".join(transcript)
    reference = reply.split("Your reference is ")[1].split(".")[0]
    officer = {"Authorization": f"Bearer {login(stack)}"}
    case = httpx.get(f"{stack.backend_url}/api/v1/complaints/{reference}", headers=officer, timeout=10).json()
    assert case["definition"]["points"][0].startswith("I've reported the damp")
    assert "rude" in case["definition"]["points"][1]
    assert case["definition"]["outcomes"] == ["fix the damp properly and an apology"]
    assert case["representative"]["name"] == "Sam Khan"
    assert case["resident"]["name"] == "Amira Khan"
    assert [a["type"] for a in case["resident"]["adjustments"]] == ["large_print"]
    listed = httpx.get(f"{stack.backend_url}/api/v1/complaints?q=Amira", headers=officer, timeout=10).json()
    assert [c["reference"] for c in listed["items"]] == [reference]  # stored exactly once


def test_two_messages_of_one_conversation_arriving_at_both_processes_at_once_are_both_kept(two_rasas: tuple[Stack, list[str], str]) -> None:
    _, urls, tracker_db = two_rasas
    me = f"resident-{uuid.uuid4().hex[:8]}"
    say(urls[0], me, "hi")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda u: say(u, me, "my kitchen tap is leaking"), urls))
    engine = create_engine(tracker_db)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT data FROM events WHERE sender_id = :s AND type_name = 'user' ORDER BY id"), {"s": me}).scalars().all()
    engine.dispose()
    assert [json.loads(r)["text"] for r in rows] == ["hi", "my kitchen tap is leaking", "my kitchen tap is leaking"]


def test_erasing_a_conversation_removes_what_rasa_wrote_of_it_and_nothing_else(two_rasas: tuple[Stack, list[str], str]) -> None:
    """What the retention run does for an anonymised resident (backend/services/rasa_trackers.py),
    on rows the real SQLTrackerStore wrote."""
    _, urls, tracker_db = two_rasas
    gone, kept = f"resident-{uuid.uuid4().hex[:8]}", f"resident-{uuid.uuid4().hex[:8]}"
    for sender in (gone, kept):
        say(urls[0], sender, "hi")
        say(urls[1], sender, "my kitchen tap is leaking")
    eraser = TrackerEraser(tracker_db)
    engine = create_engine(tracker_db)

    def rows(sender: str) -> int:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar_one())

    try:
        before = rows(gone)
        assert before > 2 and eraser.erase([gone], dry_run=True) == before and rows(gone) == before
        assert eraser.erase([gone]) == before
        assert rows(gone) == 0 and rows(kept) > 2
    finally:
        engine.dispose()
