"""The action server and the case backend, both real, started for these tests; actions are called
through the action server's own HTTP webhook, exactly as Rasa calls them."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.processes import BACKEND_PYTHON, BOT_PYTHON, ROOT, Stack, need, running

OFFICER_PASSWORD = "officer password 123"


def load_domain() -> dict[str, Any]:
    """bot/domain/*.yml merged, as Rasa sends the domain to the action server."""
    merged: dict[str, Any] = {"slots": {}, "forms": {}, "responses": {}, "intents": [], "entities": [], "actions": []}
    for path in sorted((ROOT / "bot" / "domain").glob("*.yml")):
        part = yaml.safe_load(path.read_text())
        for key in ("slots", "forms", "responses"):
            merged[key].update(part.get(key) or {})
        for key in ("intents", "entities", "actions"):
            merged[key] += part.get(key) or []
    return merged


class Actions:
    """Call an action the way Rasa does, and read the case record as an officer would."""

    def __init__(self, stack: Stack, officer_token: str) -> None:
        self.stack = stack
        self.domain = load_domain()
        self.officer = {"Authorization": f"Bearer {officer_token}"}

    def run(
        self,
        action: str,
        *,
        slots: dict[str, Any] | None = None,
        text: str = "",
        intent: str = "inform",
        sender: str | None = None,
        events: list[dict[str, Any]] | None = None,
        active_loop: str | None = None,
        channel: str = "webchat",
    ) -> dict[str, Any]:
        all_slots = {name: None for name in self.domain["slots"]}
        all_slots.update(slots or {})
        latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [], "metadata": {"channel": channel}}
        user_event = {"event": "user", "text": text, "parse_data": latest, "metadata": {"channel": channel}}
        tracker = {
            "sender_id": sender or f"test-{uuid.uuid4().hex[:10]}",
            "slots": all_slots,
            "latest_message": latest,
            "events": events if events is not None else [user_event],
            "paused": False,
            "followup_action": None,
            "active_loop": {"name": active_loop} if active_loop else {},
            "latest_action_name": "action_listen",
            "latest_input_channel": "rest",
        }
        body = {"next_action": action, "sender_id": tracker["sender_id"], "tracker": tracker, "domain": self.domain, "version": "3.6.2"}
        r = httpx.post(f"{self.stack.actions_url}/webhook", json=body, timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    def validate(
        self,
        form: str,
        slot: str,
        value: Any,
        *,
        slots: dict[str, Any] | None = None,
        text: str | None = None,
        intent: str = "inform",
        sender: str | None = None,
    ) -> dict[str, Any]:
        """Run the form's validation for one answer, as Rasa does after extracting it from the message."""
        said = text if text is not None else str(value)
        parse = {"text": said, "intent": {"name": intent, "confidence": 1.0}, "entities": []}
        events = [{"event": "user", "text": said, "parse_data": parse}, {"event": "slot", "name": slot, "value": value}]
        return self.run(
            f"validate_{form}",
            slots={**(slots or {}), slot: value, "requested_slot": slot},
            text=said,
            intent=intent,
            events=events,
            active_loop=form,
            sender=sender,
        )

    def case(self, reference: str) -> dict[str, Any]:
        r = httpx.get(f"{self.stack.backend_url}/api/v1/complaints/{reference}", headers=self.officer, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def staff_get(self, path: str) -> Any:
        r = httpx.get(f"{self.stack.backend_url}{path}", headers=self.officer, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()

    def staff_post(self, path: str, body: dict[str, Any]) -> Any:
        r = httpx.post(f"{self.stack.backend_url}{path}", json=body, headers=self.officer, timeout=10)
        assert r.status_code in (200, 201), r.text
        return r.json()


def create_staff(database_url: str, email: str, *, role: str, name: str, password: str = OFFICER_PASSWORD) -> None:
    """A staff login made the way a landlord makes one: the CLI, with the password on standard input."""
    subprocess.run(
        [str(BACKEND_PYTHON), "-m", "backend.cli", "create-user", "--email", email, "--name", name, "--role", role, "--password-stdin"],
        input=password + "\n",
        text=True,
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": database_url},
        check=True,
        capture_output=True,
    )


def create_officer(database_url: str, email: str = "officer@landlord.example") -> None:
    create_staff(database_url, email, role="officer", name="Olu Officer")


def login(stack: Stack, email: str = "officer@landlord.example") -> str:
    r = httpx.post(f"{stack.backend_url}/api/v1/auth/login", json={"email": email, "password": OFFICER_PASSWORD}, timeout=10)
    assert r.status_code == 200, r.text
    return str(r.json()["token"])


@pytest.fixture(scope="module")
def actions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Actions]:
    need(BOT_PYTHON.exists(), ".venv-bot is not installed (scripts/setup.sh installs it)", "the action tests")
    tmp: Path = tmp_path_factory.mktemp("actions")
    # open all day on working days, so the open-hours answer is the one tested here (tests/e2e test closed hours)
    with running(tmp, actions=True, backend_env={"CONTACT_CENTRE_OPENS": "00:00", "CONTACT_CENTRE_CLOSES": "23:59"}) as stack:
        create_officer(f"sqlite:///{tmp / 'complaints.db'}")
        yield Actions(stack, login(stack))


_DOMAIN = load_domain()


def said(result: dict[str, Any]) -> list[str]:
    """What the resident reads: texts, and named responses rendered from the domain (first variant)."""
    out = []
    for r in result["responses"]:
        if r.get("text"):
            out.append(str(r["text"]))
        elif r.get("response"):
            out.append(str(_DOMAIN["responses"][r["response"]][-1]["text"]))
    return out


def texts(result: dict[str, Any]) -> str:
    return "\n".join(said(result))


def slot_events(result: dict[str, Any]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in result["events"] if e.get("event") == "slot"}
