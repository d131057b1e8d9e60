"""PostgreSQL restarted under load: the backend keeps its promises while its database goes away.

A private PostgreSQL 15 cluster (its own temp dir and port, so the shared server and other runs are
never touched) stands behind a real backend process. Several threads keep creating service requests
and complaints with Idempotency-Keys, the way the action server does, and an officer keeps reading
the queue, while the test restarts PostgreSQL in the middle. What a caller must be able to rely on:

- during the outage every refusal is a clean 503 with Retry-After and a Problem body (never a 500,
  never a request hanging past the client's timeout), so the action server keeps the resident's
  submission and retries it;
- once PostgreSQL is back, requests succeed again on the same backend process with no one doing
  anything, and stay successful (stale pooled connections are checked before use, not handed out);
- every create that was answered 2xx is in the database exactly once, and retrying with the same key
  after a 503 (which may have come after the commit) never makes a second record.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.actions.conftest import create_officer, login
from tests.processes import BACKEND_PYTHON, ROOT, SERVICE_TOKEN, Stack, free_port, need

PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
#: The longest a caller waits for one answer: a request that gets none (a hang) fails the test.
CLIENT_TIMEOUT = 10.0
#: How long PostgreSQL stays down between stop and start.
OUTAGE_SECONDS = 3.0
#: How long the test waits for each kind of request to succeed (before the outage, and after it, on
#: its own, with no step taken by anyone) before it gives up: a bound on waiting, not a target.
PATIENCE_SECONDS = 120.0
KINDS = ("service_request", "complaint", "queue")


@dataclass
class Cluster:
    """A throwaway PostgreSQL cluster, run as the postgres user when the tests run as root."""

    root: Path
    port: int
    as_postgres: list[str]

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        subprocess.run([*self.as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args], check=True, capture_output=True, timeout=timeout)

    def start(self) -> None:
        opts = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} -c fsync=off -c max_connections=60"
        self.pg_ctl("-o", opts, "-l", str(self.root / "postgres.log"), "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("-m", mode, "-w", "-t", "60", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def kill(self) -> None:
        """Teardown's last resort: whatever happened, no postmaster is left behind."""
        pid_file = self.data / "postmaster.pid"
        if not pid_file.exists():
            return
        try:
            self.stop("immediate")
        except (subprocess.SubprocessError, OSError):
            try:
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGKILL)
            except (ProcessLookupError, ValueError, OSError):
                pass


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    binaries = (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()
    need(binaries, f"no PostgreSQL server binaries in {PG_BIN} (set PG_BIN)", "the PostgreSQL restart test")
    as_postgres: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:  # initdb refuses to run as root
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            owner = None
        need(owner is not None and shutil.which("runuser") is not None, "running as root needs a 'postgres' user and runuser", "the PostgreSQL restart test")
        as_postgres = ["runuser", "-u", "postgres", "--"]
    root = Path(tempfile.mkdtemp(prefix="pg-restart-"))  # under /tmp: pytest's own tmp dir is private to root
    c = Cluster(root, free_port(), as_postgres)
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        subprocess.run(
            [*as_postgres, str(PG_BIN / "initdb"), "-D", str(c.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"],
            check=True,
            capture_output=True,
            timeout=120,
        )
        c.start()
        admin = create_engine(c.url("postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE complaints"))
        admin.dispose()
        yield c
    finally:
        c.kill()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Attempt:
    kind: str
    key: str | None
    started: float
    ended: float
    status: int | None  # None: no HTTP answer (a transport error or timeout)
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    error: str | None = None


@dataclass
class Load:
    """Callers hammering the backend; every attempt is kept for the assertions."""

    url: str
    officer: dict[str, str]
    stop: threading.Event = field(default_factory=threading.Event)
    attempts: list[Attempt] = field(default_factory=list)
    #: key -> (kind, the reference its 2xx answer gave)
    created: dict[str, tuple[str, str]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, a: Attempt) -> None:
        with self.lock:
            self.attempts.append(a)

    def _call(self, client: httpx.Client, kind: str, method: str, path: str, key: str | None, **kw: Any) -> Attempt:
        t0 = time.monotonic()
        try:
            r = client.request(method, f"{self.url}{path}", timeout=CLIENT_TIMEOUT, **kw)
        except httpx.HTTPError as exc:
            a = Attempt(kind, key, t0, time.monotonic(), None, error=f"{type(exc).__name__}: {exc}")
        else:
            try:
                body: Any = r.json()
            except ValueError:
                body = r.text
            a = Attempt(kind, key, t0, time.monotonic(), r.status_code, dict(r.headers), body)
        self._record(a)
        return a

    def writer(self, kind: str) -> None:
        """Create records one after another; a refused create is retried with the same key until it lands.

        After the stop signal the current key is still seen through, so every key ends in a 2xx."""
        path = "/api/v1/service-requests" if kind == "service_request" else "/api/v1/complaints"
        ref_field = "service_request_id" if kind == "service_request" else "reference"
        with httpx.Client() as client:
            while not self.stop.is_set():
                key = f"load-{kind}-{uuid.uuid4().hex}"
                body = payload(kind, key)
                headers = {"Authorization": f"Bearer {SERVICE_TOKEN}", "Idempotency-Key": key}
                give_up = None
                while True:
                    a = self._call(client, kind, "POST", path, key, json=body, headers=headers)
                    if a.status is not None and 200 <= a.status < 300:
                        with self.lock:
                            self.created[key] = (kind, str(a.body[ref_field]))
                        break
                    if a.status is not None and a.status != 503:
                        break  # wrong, and reported by the assertions; retrying would only repeat it
                    if self.stop.is_set():
                        give_up = give_up or time.monotonic() + 20
                        if time.monotonic() > give_up:
                            break
                    time.sleep(0.2)  # sooner than Retry-After: the test wants to see the recovery promptly
                time.sleep(0.05)

    def wait_for_success(self, since: float) -> None:
        """Wait until every kind of request has succeeded once having started at ``since`` or later."""
        deadline, ok = time.monotonic() + PATIENCE_SECONDS, set[str]()
        while time.monotonic() < deadline:
            with self.lock:
                ok = {a.kind for a in self.attempts if a.started >= since and a.status is not None and 200 <= a.status < 300}
            if ok >= set(KINDS):
                return
            time.sleep(0.2)
        raise AssertionError(f"not every kind of request succeeded within {PATIENCE_SECONDS} s: {sorted(ok)}")

    def reader(self) -> None:
        with httpx.Client() as client:
            while not self.stop.is_set():
                self._call(client, "queue", "GET", "/api/v1/complaints/queue", None, headers=self.officer)
                time.sleep(0.1)


def payload(kind: str, key: str) -> dict[str, Any]:
    """A create carrying its own key in the text, so each stored row can be traced to its request."""
    if kind == "service_request":
        return {"channel": "sms", "service_code": "repairs_plumbing", "description": f"Kitchen tap dripping [{key}]", "postcode": "LS6 2AB"}
    return {
        "channel": "webchat",
        "resident": {"name": "Amira Khan", "postcode": "LS6 2AB"},
        "definition": {"points": [f"Damp in the back bedroom, reported three times [{key}]"], "outcomes": ["Fix the damp"]},
    }


def test_requests_fail_cleanly_while_postgres_restarts_and_nothing_is_lost_or_doubled(cluster: Cluster, tmp_path: Path) -> None:
    db_url = cluster.url("complaints")
    env = {**os.environ, "DATABASE_URL": db_url}
    subprocess.run([str(BACKEND_PYTHON), "-m", "backend.cli", "migrate"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    create_officer(db_url)
    stack = Stack(tmp_path, backend_env={"DATABASE_URL": db_url, "RUN_MIGRATIONS_ON_START": "false", "ALERT_SCAN_SECONDS": "0"})
    load: Load | None = None
    try:
        stack.start_backend()
        backend_pid = stack.procs[0].popen.pid
        load = Load(stack.backend_url, {"Authorization": f"Bearer {login(stack)}"})
        kinds = ["service_request", "service_request", "complaint", "complaint"]
        threads = [threading.Thread(target=load.writer, args=(k,), daemon=True) for k in kinds]
        threads.append(threading.Thread(target=load.reader, daemon=True))
        for t in threads:
            t.start()
        load.wait_for_success(0.0)  # a steady stream before the outage
        down_at = time.monotonic()
        cluster.stop("fast")  # in-flight transactions are cut off, pooled connections die
        time.sleep(OUTAGE_SECONDS)
        cluster.start()
        up_at = time.monotonic()
        load.wait_for_success(up_at)  # recovery, with nobody doing anything to the backend
        time.sleep(2)  # and a little traffic after it
        load.stop.set()
        for t in threads:
            t.join(timeout=40)
        assert not any(t.is_alive() for t in threads), "a caller is still waiting for an answer"
        assert stack.procs[0].popen.poll() is None and stack.procs[0].popen.pid == backend_pid, "the backend itself must ride out the outage"

        attempts = sorted(load.attempts, key=lambda a: a.started)
        log = stack.procs[0].tail(60)
        # no hang: every request got an HTTP answer before the client's timeout
        no_answer = [a for a in attempts if a.status is None]
        assert not no_answer, f"requests without an HTTP answer: {no_answer[:3]}\n{log}"
        # clean refusals only: 503 with Retry-After and a Problem body; never a 500 or anything else
        wrong = [a for a in attempts if not (200 <= (a.status or 0) < 300 or a.status == 503)]
        assert not wrong, f"unexpected answers: {[(a.kind, a.status, a.body) for a in wrong[:5]]}\n{log}"
        refused = [a for a in attempts if a.status == 503]
        assert refused, "the outage was never seen: no request was refused while PostgreSQL was down"
        for a in refused:
            assert a.headers.get("retry-after", "").isdigit(), a.headers
            assert a.headers.get("content-type", "").startswith("application/json"), a.headers
            assert isinstance(a.body, dict) and isinstance(a.body.get("detail"), str) and a.body["detail"], a.body
        assert all(a.ended > down_at for a in refused), "a refusal before PostgreSQL was stopped"
        # recovery on the same process, for writes and reads alike: once a kind of request has
        # succeeded after the restart, no later one is refused (no stale pooled connection is handed out)
        for kind in KINDS:
            before = [a for a in attempts if a.kind == kind and a.ended < down_at and a.status is not None and 200 <= a.status < 300]
            assert before, f"no {kind} succeeded before the outage"
            after = [a for a in attempts if a.kind == kind and a.started >= up_at and a.status is not None and 200 <= a.status < 300]
            assert after, f"no {kind} succeeded after PostgreSQL came back\n{log}"
            late = [a for a in attempts if a.kind == kind and a.started > after[0].ended and a.status == 503]
            assert not late, f"{kind} refused again after it had recovered: {[(a.body, a.started - up_at) for a in late[:3]]}\n{log}"

        # a restart while the backend is idle: its pooled connections are all dead, and the very first
        # request afterwards must still succeed (each connection is checked before it is handed out)
        cluster.stop("fast")
        cluster.start()
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            first = client.get(f"{stack.backend_url}/api/v1/complaints/queue", headers=load.officer)
            assert first.status_code == 200, f"the first request after an idle restart: {first.status_code} {first.text}"

        # a deliberate retry of an answered create gives the same record, marked as a replay
        some = list(load.created.items())[:4]
        with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
            for key, (kind, ref) in some:
                path = "/api/v1/service-requests" if kind == "service_request" else "/api/v1/complaints"
                r = client.post(
                    f"{stack.backend_url}{path}", json=payload(kind, key), headers={"Authorization": f"Bearer {SERVICE_TOKEN}", "Idempotency-Key": key}
                )
                assert r.status_code == 200 and r.headers.get("idempotent-replayed") == "true", r.text
                assert r.json()["service_request_id" if kind == "service_request" else "reference"] == ref
    finally:
        if load is not None:
            load.stop.set()  # a failed assertion must not leave callers running into the next test
        stack.stop_all()

    # the record: every answered create exactly once, under the reference it was answered with, and nothing else
    assert load is not None
    posted = {a.key for a in attempts if a.key is not None}
    assert posted == set(load.created), f"keys never answered 2xx: {posted - set(load.created)}"
    retried = {a.key for a in attempts if a.status == 503 and a.key is not None}
    assert retried, "no create was retried after a refusal"
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            srs = conn.execute(text("SELECT reference, description FROM service_requests")).all()
            cmps = conn.execute(
                text("SELECT c.reference, d.points FROM complaints c JOIN complaint_definitions d ON d.complaint_id = c.id WHERE d.version = 1")
            ).all()
            keys = conn.execute(text("SELECT scope, key, resource_ref FROM idempotency_keys")).all()
    finally:
        engine.dispose()
    stored: dict[str, list[str]] = {}
    for ref, description in srs:
        stored.setdefault(description.rsplit("[", 1)[1].rstrip("]"), []).append(ref)
    for ref, points in cmps:
        stored.setdefault(str(points[0]).rsplit("[", 1)[1].rstrip("]"), []).append(ref)
    assert {k: [ref] for k, (_, ref) in load.created.items()} == stored, "a create lost or doubled"
    assert sorted(k for _, k, _ in keys) == sorted(load.created), "one idempotency record per key"
    assert {k: ref for _, k, ref in keys} == {k: ref for k, (_, ref) in load.created.items()}
    print(
        f"\n[pg restart] {len(attempts)} requests, {len(refused)} refused with 503, {len(retried)} creates retried, "
        f"{len(load.created)} created ({len(srs)} service requests, {len(cmps)} complaints)"
    )
