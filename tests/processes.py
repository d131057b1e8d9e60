"""Start the real processes (backend, action server, Rasa) on loopback for tests, and always stop them.

Each test run gets its own SQLite database and its own free ports, and every process is started
in its own process group and killed with it, so a run never collides with another or leaves a
server behind.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parent.parent
BOT_PYTHON = ROOT / ".venv-bot" / "bin" / "python"
BACKEND_PYTHON = ROOT / ".venv" / "bin" / "python"
MODEL = ROOT / "models" / "complaints.tar.gz"
SERVICE_TOKEN = "e2e-service-token-" + "x" * 32


def need(ok: bool, what: str, tests: str) -> None:
    """Skip when a prerequisite is missing; under CI=true fail instead, naming the tests it stops."""
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run {tests}, but {what}")
        pytest.skip(what)


def scaleout_rasa_env(pg: URL, redis_url: str, trackers: str) -> dict[str, str]:
    """What bot/endpoints.scaleout.yml reads: trackers in the database ``trackers`` on ``pg``'s server
    (``pg``'s own database is where Rasa logs in first), locks in Redis under this run's own prefix."""
    lock = redis.connection.parse_url(redis_url)
    return {
        "TRACKER_DB_HOST": pg.host or "127.0.0.1",
        "TRACKER_DB_PORT": str(pg.port or 5432),
        "TRACKER_DB_NAME": trackers,
        "TRACKER_DB_USER": pg.username or "postgres",
        "TRACKER_DB_PASSWORD": pg.password or "",
        "TRACKER_LOGIN_DB": pg.database or "postgres",
        "LOCK_STORE_HOST": str(lock.get("host", "127.0.0.1")),
        "LOCK_STORE_PORT": str(lock.get("port", 6379)),
        "LOCK_STORE_DB": str(lock.get("db", 0)),
        "LOCK_STORE_PREFIX": trackers.replace("_", ""),  # Rasa ignores a prefix that is not alphanumeric
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
                self.popen.wait(timeout=15)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(timeout=5)

    def tail(self, n: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:]) if self.log.exists() else ""


@dataclass
class Stack:
    tmp: Path
    backend_url: str = ""
    actions_url: str = ""
    rasa_url: str = ""
    procs: list[Proc] = field(default_factory=list)
    # Rasa's port is chosen up front: the backend (the conversation hub) must know where Rasa will listen.
    rasa_port: int = field(default_factory=free_port)
    backend_env: dict[str, str] = field(default_factory=dict)  # e.g. Twilio/Telegram settings for channel tests

    @property
    def db_path(self) -> Path:
        return self.tmp / "complaints.db"

    def start(self, name: str, cmd: list[str], env: dict[str, str], health: str, timeout: float = 180) -> None:
        log = self.tmp / f"{name}.log"
        fh = log.open("ab")  # a restarted process appends: both runs stay readable
        popen = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **env}, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        proc = Proc(name, popen, log)
        self.procs.append(proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if popen.poll() is not None:
                raise RuntimeError(f"{name} exited with {popen.returncode}:\n{proc.tail()}")
            try:
                if httpx.get(health, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{name} did not become healthy in {timeout} s:\n{proc.tail()}")

    def start_backend(self, port: int | None = None) -> None:
        port = port or free_port()
        self.backend_url = f"http://127.0.0.1:{port}"
        env = {
            "DATABASE_URL": f"sqlite:///{self.db_path}",
            "SERVICE_TOKEN": SERVICE_TOKEN,
            "APP_ENV": "test",
            "RASA_URL": f"http://127.0.0.1:{self.rasa_port}",
            **self.backend_env,
        }
        cmd = [str(BACKEND_PYTHON), "-m", "uvicorn", "backend.main:app", "--host", "127.0.0.1", "--port", str(port)]
        self.start("backend", cmd, env, f"{self.backend_url}/healthz", timeout=60)

    def stop_backend(self) -> None:
        self.stop("backend")

    def stop(self, name: str) -> None:
        for p in [p for p in self.procs if p.name == name]:
            p.stop()
            self.procs.remove(p)

    def start_actions(self) -> None:
        port = free_port()
        self.actions_url = f"http://127.0.0.1:{port}"
        env = {"BACKEND_URL": self.backend_url, "SERVICE_TOKEN": SERVICE_TOKEN, "SANIC_HOST": "127.0.0.1", "BACKEND_TIMEOUT_SECONDS": "3"}
        cmd = [str(BOT_PYTHON), "-m", "rasa_sdk", "--actions", "actions", "--port", str(port)]
        self.start("actions", cmd, env, f"{self.actions_url}/health", timeout=90)

    def start_rasa(self, name: str = "rasa", port: int | None = None, endpoints: str = "bot/endpoints.yml", env: dict[str, str] | None = None) -> str:
        """Start a Rasa server; a second one (scale-out) takes its own name, port and endpoints."""
        port = port or self.rasa_port
        url = f"http://127.0.0.1:{port}"
        if name == "rasa":
            self.rasa_url = url
        env = {
            "ACTION_ENDPOINT_URL": f"{self.actions_url}/webhook",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONPATH": str(ROOT),  # the pipeline's own component, bot.components
            **(env or {}),
        }
        cmd = [
            str(BOT_PYTHON),
            "-m",
            "rasa",
            "run",
            "--model",
            str(MODEL),
            "--endpoints",
            endpoints,
            "--credentials",
            "bot/credentials.yml",
            "-i",
            "127.0.0.1",
            "-p",
            str(port),
        ]
        self.start(name, cmd, env, f"{url}/", timeout=240)
        return url

    def stop_all(self) -> None:
        for p in reversed(self.procs):
            p.stop()
        self.procs.clear()


@contextmanager
def running(tmp: Path, *, actions: bool = True, rasa: bool = False, backend_env: dict[str, str] | None = None) -> Iterator[Stack]:
    stack = Stack(tmp, backend_env=dict(backend_env or {}))
    try:
        stack.start_backend()
        if actions or rasa:
            stack.start_actions()
        if rasa:
            stack.start_rasa()
        yield stack
    finally:
        stack.stop_all()
