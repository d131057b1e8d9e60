"""Two Rasa processes never handle one conversation at the same moment (bot/lock_store.py).

Real processes on the Rasa environment's Python against the real Redis: each takes the same
conversation's lock many times at once and writes "in"/"out" to a Redis list while holding it; the
list must then strictly alternate. Rasa's own RedisLockStore let two turns in together (CI lost a
resident's message that way)."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import redis

from tests.conftest import REDIS_URL, redis_available
from tests.processes import BOT_PYTHON, ROOT, need

WORKER = """
import asyncio, os, sys, time
from bot.lock_store import AtomicRedisLockStore

prefix, key, start, turns, mode = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
conn = dict(host=os.environ["R_HOST"], port=int(os.environ["R_PORT"]), db=int(os.environ["R_DB"]), key_prefix=prefix)
store = AtomicRedisLockStore(**conn)
log = store.red

async def turn(i):
    async with store.lock("conversation-1", lock_lifetime=float(os.environ.get("LIFETIME", "30"))):
        log.rpush(key, f"in {os.getpid()} {i}")
        if mode == "die":
            os._exit(3)  # killed mid-turn: the lock is never released
        await asyncio.sleep(0.005)
        log.rpush(key, f"out {os.getpid()} {i}")

async def main():
    time.sleep(max(0.0, start - time.time()))  # both processes start together
    await asyncio.gather(*(turn(i) for i in range(turns)))

asyncio.run(main())
"""


@pytest.fixture
def redis_conn() -> dict[str, str]:
    need(BOT_PYTHON.exists(), ".venv-bot is not installed (scripts/setup.sh installs it)", "the lock store tests")
    need(redis_available(), f"Redis not reachable at {REDIS_URL}", "the lock store tests")
    parsed = redis.connection.parse_url(REDIS_URL)
    return {"R_HOST": str(parsed.get("host", "127.0.0.1")), "R_PORT": str(parsed.get("port", 6379)), "R_DB": str(parsed.get("db", 0))}


def _start(tmp: Path, env: dict[str, str], prefix: str, key: str, start: float, turns: int, mode: str = "normal") -> subprocess.Popen[bytes]:
    script = tmp / "worker.py"
    script.write_text(WORKER)
    full = {**os.environ, **env, "PYTHONPATH": str(ROOT), "RASA_TELEMETRY_ENABLED": "false"}
    return subprocess.Popen([str(BOT_PYTHON), str(script), prefix, key, str(start), str(turns), mode], env=full, cwd=ROOT, stderr=subprocess.PIPE)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    """Every worker ends with the test, whatever happened (a hung one would outlive the run)."""
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait(timeout=10)


def test_two_processes_taking_one_conversation_at_once_take_turns(redis_conn: dict[str, str], tmp_path: Path) -> None:
    prefix, key = f"locktest{uuid.uuid4().hex[:8]}", f"locktest:{uuid.uuid4().hex}"
    start = time.time() + 4  # both are importing Rasa by then
    procs = [_start(tmp_path, redis_conn, prefix, key, start, turns=15) for _ in range(2)]
    try:
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err.decode()[-2000:]
    finally:
        _stop(procs)
    r = redis.Redis.from_url(REDIS_URL)
    try:
        log = [x.decode() for x in r.lrange(key, 0, -1)]
        assert len(log) == 60
        for enter, leave in zip(log[::2], log[1::2], strict=True):
            assert enter.startswith("in ") and leave == "out " + enter[3:], f"two turns overlapped:\n{log}"
        assert r.keys(f"{prefix}:*") == []  # every lock released
    finally:
        r.delete(key)


def test_a_process_killed_holding_the_lock_delays_the_conversation_only_until_the_lock_runs_out(redis_conn: dict[str, str], tmp_path: Path) -> None:
    prefix, key = f"locktest{uuid.uuid4().hex[:8]}", f"locktest:{uuid.uuid4().hex}"
    env = {**redis_conn, "LIFETIME": "2"}
    dying = _start(tmp_path, env, prefix, key, time.time(), turns=1, mode="die")
    try:
        dying.communicate(timeout=120)
    finally:
        _stop([dying])
    assert dying.returncode == 3
    began = time.monotonic()
    survivor = _start(tmp_path, env, prefix, key, time.time(), turns=1)
    try:
        _, err = survivor.communicate(timeout=120)
    finally:
        _stop([survivor])
    assert survivor.returncode == 0, err.decode()[-2000:]
    r = redis.Redis.from_url(REDIS_URL)
    try:
        assert [x.decode().split()[0] for x in r.lrange(key, 0, -1)] == ["in", "in", "out"]
        assert time.monotonic() - began < 30
    finally:
        r.delete(key)
