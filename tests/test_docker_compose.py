"""docker-compose.yml runs the whole stack with healthchecks and refuses to start without secrets."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.processes import need

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = {"POSTGRES_PASSWORD": "p" * 20, "SECRET_KEY": "k" * 40, "SERVICE_TOKEN": "t" * 40}


def _compose_cmd() -> list[str] | None:
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "compose", "version"], capture_output=True, check=False)
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_every_service_has_a_healthcheck_and_only_the_backend_is_published() -> None:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    assert set(services) == {"postgres", "redis", "backend", "rasa1", "rasa2", "actions"}
    assert all("healthcheck" in s for s in services.values())
    assert [name for name, s in services.items() if s.get("ports")] == ["backend"]


def test_rasa_and_the_action_server_are_only_on_the_internal_network() -> None:
    """They have no authentication of their own: no published port, no host network, no Rasa HTTP API."""
    spec = yaml.safe_load(COMPOSE.read_text())
    assert spec["networks"]["internal"].get("internal") is True
    for name in ("rasa1", "rasa2", "actions"):
        service = spec["services"][name]
        assert service.get("networks") == ["internal"], name
        assert not {"ports", "network_mode"} & set(service), name
        assert "--enable-api" not in service.get("command", []), name


def test_the_local_stack_listens_on_loopback_only() -> None:
    def code(script: str) -> str:
        return "\n".join(line for line in (ROOT / "scripts" / script).read_text().splitlines() if not line.lstrip().startswith("#"))

    stack = code("stack.sh")
    assert "0.0.0.0" not in stack and "--enable-api" not in stack
    assert re.search(r"uvicorn backend\.main:app --host 127\.0\.0\.1 ", stack)
    assert re.search(r"SANIC_HOST=127\.0\.0\.1[^&]*-m rasa_sdk ", stack)  # rasa_sdk listens on 0.0.0.0 unless told
    assert re.search(r"rasa run [^&]*-i 127\.0\.0\.1 ", stack)
    run = code("run.sh")
    assert "exec ./scripts/stack.sh" in run and not re.search(r"uvicorn|rasa run|rasa_sdk|0\.0\.0\.0", run)


def test_secrets_have_no_defaults() -> None:
    text = COMPOSE.read_text()
    for name in SECRETS:
        assert f"${{{name}:?" in text
        assert f"${{{name}:-" not in text


def test_compose_accepts_the_file_and_refuses_to_run_without_secrets() -> None:
    cmd = _compose_cmd()
    # scripts/test.sh installs Debian's docker-compose
    need(cmd is not None, "neither `docker compose` nor `docker-compose` is installed", "the compose check")
    assert cmd is not None
    env = {k: v for k, v in os.environ.items() if k not in SECRETS}
    ok = subprocess.run([*cmd, "-f", str(COMPOSE), "config", "-q"], env={**env, **SECRETS}, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    missing = subprocess.run([*cmd, "-f", str(COMPOSE), "config", "-q"], env=env, capture_output=True, text=True, check=False)
    assert missing.returncode != 0 and "POSTGRES_PASSWORD" in missing.stderr
