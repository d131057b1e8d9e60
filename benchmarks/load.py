"""Load: many residents at once on the scaled-out stack, against raw Rasa in the same run, then checks the record.

The stack is the production shape on loopback: PostgreSQL (127.0.0.1:5432, a database of this run's own)
and Redis; two backend workers (``--backends``); two Rasa processes (``--rasa``) sharing their trackers
in PostgreSQL and their conversation locks in Redis (bot/endpoints.scaleout.yml); one action server.
Replies to SMS and WhatsApp go to a fake of Twilio's Messages API served in this process.

Residents follow four scripts: a repair report ending with an SR reference (5 turns), a whole complaint
intake as the resident ending with a CMP reference (19 turns), a status check on a real complaint
(3 turns) and a stage 2 escalation of a real stage-1-answered complaint (4 turns). The complaints the
status checks and escalations use are made first through the backend's API (an officer acknowledges and
answers them). Every turn's answer must hold a phrase the assistant has to say, or it is an error.

Phases, one after another on the same processes:
  pace N     for each N in --residents (default 50 and 200): N residents straight at Rasa's REST channel
             ("raw", the hub's own cost left out), then N through the hub (half web chat, half the signed
             Twilio webhook, split over the backend workers), each sending the next message 3-8 s after
             the reply, for --duration seconds (default 300). Targets: 0 errors; hub p95 <= 150 ms at 50
             and <= 500 ms at 200.
  saturate   no pause, 1, 2, 4, ... residents for --step-seconds each, raw Rasa and the hub (web chat)
             interleaved per level: the most messages/s each sustains with p95 <= 1 s. Target: hub >= 0.8x raw.
  scale      the same stepping on raw Rasa with all turns on one Rasa process, then alternating over
             both: target two >= 1.5x one.
Afterwards, from the database: every resident message sent through the hub is stored exactly once;
every intake a resident completed (a reference shown) is exactly one case; nothing is left unanswered.

Run: .venv/bin/python -m benchmarks.load                         (everything: about 30 minutes)
     .venv/bin/python -m benchmarks.load --residents 50 --duration 60 --no-saturate --no-scale
Prints a table per phase and MET/MISSED per target; writes var/bench-load.json.
Needs .venv-bot and a trained model (./scripts/setup.sh, ./scripts/train.sh), PostgreSQL and Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url

from backend.domain.messaging import Choice, render_reply
from benchmarks.hub import (
    ACCOUNT_SID,
    PUBLIC_URL,
    SMS_FROM,
    TURN_TIMEOUT,
    TWILIO_TOKEN,
    WHATSAPP_FROM,
    Conversation,
    Cpu,
    Env,
    Inbox,
    PathResult,
    RawRasa,
    Recorder,
    Script,
    Texting,
    Turn,
    WebChat,
    fmt,
    machine,
    merged,
    print_table,
    repair_script,
    stop_on_sigterm,
    summarise,
)
from tests.fakes.servers import serve
from tests.fakes.twilio_api import FakeTwilio
from tests.processes import BACKEND_PYTHON, BOT_PYTHON, MODEL, ROOT, SERVICE_TOKEN, Stack, free_port, scaleout_rasa_env

PG_ADMIN_URL = os.environ.get("PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
RESULTS = ROOT / "var" / "bench-load.json"
OFFICER = ("load-officer@landlord.example", "load-officer-password-1")
PACE_TARGET_MS = {50: 150.0, 200: 500.0}
SATURATION_P95_MS = 1000.0
GIVE_UP_P95_MS = 3000.0
REFERENCE = re.compile(r"Your reference is ((?:CMP|SR)-[0-9-]+\d)")

FIRST = ("Amira", "Sam", "Joe", "Priya", "Tom", "Grace", "Olu", "Megan", "Ravi", "Chloe", "Dylan", "Nia")
LAST = ("Khan", "Smith", "Patel", "Jones", "Okafor", "Brown", "Evans", "Nowak", "Begum", "Walsh", "Hughes", "Ali")
POSTCODES = ("LS6 2AB", "LS7 3QF", "M14 5RT", "S10 2TN", "B12 9LP", "NE4 6UR", "L8 1XS", "BS5 7HY")
GRIEVANCES = (
    "I've reported the damp in my bedroom three times and nobody has come to fix it",
    "the contractor missed two appointments and nobody told me, I took days off work for nothing",
    "my boiler has been broken for three weeks and every time I ring I'm told someone will call back and they never do",
    "the repairs man was rude to me and left a mess all over the kitchen",
)
SECOND_POINTS = ("the contractor was rude when he finally came", "nobody replied to my emails", "I was charged for a repair that was never done")
OUTCOMES = ("fix it properly and an apology", "compensation for my time off work and the repair done", "a proper repair and a written apology")


# -- the scripts -----------------------------------------------------------------------------------------
@dataclass
class Seeds:
    """Real complaints for the status checks (acknowledged) and the escalations (stage 1 answered, each used once)."""

    status: list[tuple[str, str]] = field(default_factory=list)
    escalate: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Marked(Script):
    """A script and what identifies its case in the record afterwards (the complaint's email, the escalated reference)."""

    marker: str = ""


def complaint_script(rng: random.Random, n: int) -> Marked:
    email = f"load-{n}-{uuid.uuid4().hex[:8]}@example.org"
    name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
    turns = (
        Turn("hi", "housing assistant"),
        Turn(rng.choice(GRIEVANCES), "make a complaint"),
        Turn("yes", "resident"),
        Turn("I'm the resident", "your full name"),
        Turn(name, "contact"),
        Turn(email, "postcode"),
        Turn(rng.choice(POSTCODES), "anything else"),
        Turn(rng.choice(SECOND_POINTS), "anything else"),
        Turn("that's all", "When did this happen"),
        Turn("since March 2026", "reported this to us before"),
        Turn("no", "affected"),
        Turn("I can't sleep in my bedroom and my asthma is worse", "put things right"),
        Turn(rng.choice(OUTCOMES), "court claim"),
        Turn("No legal action", "make this easier"),
        Turn("large print letters please", "health"),
        Turn("no", "Here is your complaint"),
        Turn("yes", "Your reference is CMP-"),
    )
    return Marked("complaint", turns, email)


def status_script(rng: random.Random, seeds: Seeds) -> Script:
    ref, postcode = rng.choice(seeds.status)
    return Marked("status", (Turn("where is my complaint up to?", "reference"), Turn(ref, "postcode"), Turn(postcode, "stage")), ref)


def escalate_script(rng: random.Random, seeds: Seeds) -> Script:
    if not seeds.escalate:  # every seeded complaint is escalated: check a status instead
        return status_script(rng, seeds)
    ref, postcode = seeds.escalate.pop()
    turns = (
        Turn("I'm not happy with the response to my complaint and I want it escalated", "reference"),
        Turn(ref, "postcode"),
        Turn(postcode, "tell us why"),
        Turn("skip", "to escalate complaint"),
    )
    return Marked("escalate", turns, ref)


class Scripts:
    """Deals out the mix (by conversations: 3 repairs, 2 complaints, 2 status checks, 1 escalation in 8)."""

    MIX = ("repair", "repair", "repair", "complaint", "complaint", "status", "status", "escalate")

    def __init__(self, seeds: Seeds) -> None:
        self.seeds = seeds
        self.counter = itertools.count()

    def make(self, kind: str, rng: random.Random) -> Script:
        if kind == "repair":
            return repair_script(rng)
        if kind == "complaint":
            return complaint_script(rng, next(self.counter))
        if kind == "status":
            return status_script(rng, self.seeds)
        return escalate_script(rng, self.seeds)

    def any(self, rng: random.Random) -> Script:
        return self.make(rng.choice(self.MIX), rng)


# -- where the turns go ------------------------------------------------------------------------------------
class RawAlternating(RawRasa):
    """Straight at Rasa; with several processes, a conversation's turns alternate over them (as the hub does)."""

    urls: tuple[str, ...] = ()

    async def say(self, index: int) -> tuple[float, str]:
        self.env.rasa_url = self.urls[index % len(self.urls)] if self.urls else self.env.rasa_url
        return await super().say(index)


@dataclass
class Outcomes:
    """What residents saw: references shown at the end of completed intakes, and scripts cut short by an error."""

    complaints: dict[str, str] = field(default_factory=dict)  # email -> CMP reference shown
    repairs: list[str] = field(default_factory=list)  # SR references shown
    escalated: list[str] = field(default_factory=list)
    failed_at_submit: Counter[str] = field(default_factory=Counter)  # the last turn failed: a case may exist unseen


@dataclass
class Ways:
    """The envs residents use: one per backend worker (and per Rasa list for raw)."""

    hub: list[Env]
    raw: Env
    rasa_urls: tuple[str, ...]
    raw_urls: tuple[str, ...] = ()


def open_conversation(path: str, ways: Ways, script: Script, n: int) -> Conversation:
    env = ways.hub[n % len(ways.hub)]
    if path == "raw":
        conv = RawAlternating(ways.raw, script)
        conv.urls = ways.raw_urls or ways.rasa_urls
        return conv
    if path == "webchat":
        return WebChat(env, script)
    return Texting(env, script)


async def run_script(
    path: str, ways: Ways, scripts: Scripts, rng: random.Random, rec: Recorder, out: Outcomes, *, until: float, pause: tuple[float, float] | None
) -> None:
    script = scripts.any(rng)
    conv = open_conversation(path, ways, script, rng.randrange(1 << 30))
    try:
        try:
            await conv.open()
        except Exception as exc:
            rec.error(f"open: {type(exc).__name__}: {exc}")
            return
        for index, turn in enumerate(script.turns):
            if time.perf_counter() >= until:
                return
            last = index == len(script.turns) - 1
            try:
                ms, said = await conv.say(index)
            except Exception as exc:
                rec.error(f"{script.kind}[{index}]: {type(exc).__name__}: {exc}")
                if last:
                    out.failed_at_submit[script.kind] += 1
                return
            if turn.expect not in said:
                rec.error(f"{script.kind}[{index}] {turn.text!r}: expected {turn.expect!r}, got {said[:100]!r}")
                if last:
                    out.failed_at_submit[script.kind] += 1
                return
            rec.ok(ms)
            if last:
                remember(script, said, out)
            if pause is not None:
                await asyncio.sleep(rng.uniform(*pause))
    finally:
        with contextlib.suppress(Exception):
            await conv.close()


def remember(script: Script, said: str, out: Outcomes) -> None:
    marker = script.marker if isinstance(script, Marked) else ""
    found = REFERENCE.search(said)
    if script.kind == "complaint" and found:
        out.complaints[marker] = found.group(1)
    elif script.kind == "repair" and found:
        out.repairs.append(found.group(1))
    elif script.kind == "escalate":
        out.escalated.append(marker)


async def resident(
    path: str, ways: Ways, scripts: Scripts, rng: random.Random, rec: Recorder, out: Outcomes, *, until: float, pause: tuple[float, float] | None, arrive: float
) -> None:
    await asyncio.sleep(arrive)
    while time.perf_counter() < until:
        await run_script(path, ways, scripts, rng, rec, out, until=until, pause=pause)
        if pause is not None and time.perf_counter() < until:
            await asyncio.sleep(rng.uniform(*pause))


# -- the phases --------------------------------------------------------------------------------------------
async def pace(ways: Ways, scripts: Scripts, cpu: Cpu, out: Outcomes, args: argparse.Namespace) -> dict[str, Any]:
    pause = (args.pause_min, args.pause_max)
    results: list[PathResult] = []
    verdicts: list[dict[str, Any]] = []
    for n in args.residents:
        for phase in (("raw",), ("webchat", "twilio")):
            recs = {path: Recorder(f"{path} x{n}") for path in phase}
            plan = [phase[i % len(phase)] for i in range(n)]
            print(f"  pace: {n} residents on {' + '.join(phase)} for {args.duration:.0f} s ...", flush=True)
            before, start = cpu.sample(), time.perf_counter()
            until = start + args.duration
            rng = random.Random(f"pace-{n}")  # raw and hub: the same arrivals, scripts and pauses per resident
            await asyncio.gather(
                *(
                    resident(path, ways, scripts, random.Random(rng.random()), recs[path], out, until=until, pause=pause, arrive=rng.uniform(0, args.pause_max))
                    for path in plan
                )
            )
            seconds = time.perf_counter() - start
            everyone = merged(f"{'hub' if len(phase) > 1 else 'raw'} x{n}", list(recs.values()))
            per_turn = Cpu.per_turn(before, cpu.sample(), len(everyone.latencies))
            if len(phase) > 1:
                for path, rec in recs.items():
                    results.append(summarise(rec, plan.count(path), seconds, len(rec.latencies) / seconds, {}))
            results.append(summarise(everyone, n, seconds, len(everyone.latencies) / seconds, per_turn))
            if len(phase) > 1:
                hub = results[-1]
                target = PACE_TARGET_MS.get(n, PACE_TARGET_MS[200])
                met = hub.p95_ms is not None and hub.p95_ms <= target and hub.errors == 0
                verdicts.append({"residents": n, "target": f"p95 <= {target:.0f} ms, 0 errors", "p95_ms": hub.p95_ms, "errors": hub.errors, "met": met})
    print_table(f"At a resident's pace (the next message {pause[0]:.0f}-{pause[1]:.0f} s after the reply)", results)
    for v in verdicts:
        print(f"  hub at {v['residents']} residents: p95 {fmt(v['p95_ms'])} ms, {v['errors']} errors: {'MET' if v['met'] else 'MISSED'} ({v['target']})")
    return {"results": [asdict(r) for r in results], "verdicts": verdicts}


async def step_up(label: str, path: str, ways: Ways, scripts: Scripts, cpu: Cpu, out: Outcomes, args: argparse.Namespace) -> list[dict[str, Any]]:
    """One path with no pause at rising concurrency; stops once p95 is far past the limit."""
    steps = []
    for level in args.levels:
        rec = Recorder(label)
        before, start = cpu.sample(), time.perf_counter()
        until = start + args.step_seconds
        rng = random.Random(f"saturate-{level}")
        await asyncio.gather(*(resident(path, ways, scripts, random.Random(rng.random()), rec, out, until=until, pause=None, arrive=0) for _ in range(level)))
        done = sum(1 for t in rec.ends if t <= until)
        result = summarise(rec, level, args.step_seconds, done / args.step_seconds, Cpu.per_turn(before, cpu.sample(), len(rec.latencies)))
        steps.append(asdict(result))
        print(
            f"  {label:<14} x{level:<3} {result.msgs_per_s:6.1f} msgs/s  p50 {fmt(result.p50_ms)}  p95 {fmt(result.p95_ms)} ms  errors {result.errors}",
            flush=True,
        )
        await asyncio.sleep(1)
        if result.p95_ms is None or result.p95_ms > GIVE_UP_P95_MS:
            break
    return steps


def best(steps: list[dict[str, Any]]) -> dict[str, Any] | None:
    ok = [s for s in steps if s["p95_ms"] is not None and s["p95_ms"] <= SATURATION_P95_MS and s["errors"] == 0]
    return max(ok, key=lambda s: s["msgs_per_s"]) if ok else None


def ratio_verdict(name: str, top: dict[str, Any] | None, base: dict[str, Any] | None, target: float) -> dict[str, Any]:
    a, b = (top or {}).get("msgs_per_s"), (base or {}).get("msgs_per_s")
    r = round(a / b, 2) if a and b else None
    met = r is not None and r >= target
    print(f"  {name}: {fmt(a)} vs {fmt(b)} msgs/s = {fmt(r, 2)}x: {'MET' if met else 'MISSED'} (target >= {target}x)")
    return {"what": name, "msgs_per_s": a, "base_msgs_per_s": b, "ratio": r, "target": target, "met": met}


async def saturate(ways: Ways, scripts: Scripts, cpu: Cpu, out: Outcomes, args: argparse.Namespace) -> dict[str, Any]:
    print(f"  saturate: raw Rasa ({len(ways.rasa_urls)} processes) and the hub's web chat, no pause ...", flush=True)
    raw = await step_up("raw", "raw", ways, scripts, cpu, out, args)
    hub = await step_up("hub webchat", "webchat", ways, scripts, cpu, out, args)
    rows = [PathResult(**{**s, "path": f"{name} (best)"}) for name, s in (("raw", best(raw)), ("hub webchat", best(hub))) if s]
    print_table(f"At saturation: the most messages/s with p95 <= {SATURATION_P95_MS:.0f} ms and no errors", rows)
    return {"raw": raw, "hub": hub, "verdict": ratio_verdict("hub / raw Rasa at saturation", best(hub), best(raw), 0.8)}


async def scale(ways: Ways, scripts: Scripts, cpu: Cpu, out: Outcomes, args: argparse.Namespace) -> dict[str, Any]:
    if len(ways.rasa_urls) < 2:
        return {"skipped": "one Rasa process (--rasa 1)"}
    print("  scale: raw Rasa, every turn on one process, then alternating over both ...", flush=True)
    one = await step_up("raw, 1 Rasa", "raw", Ways(ways.hub, ways.raw, ways.rasa_urls, ways.rasa_urls[:1]), scripts, cpu, out, args)
    two = await step_up("raw, 2 Rasa", "raw", ways, scripts, cpu, out, args)
    rows = [PathResult(**{**s, "path": name}) for name, s in (("1 Rasa (best)", best(one)), ("2 Rasa (best)", best(two))) if s]
    print_table("Two Rasa processes against one (raw REST channel, no pause)", rows)
    return {"one": one, "two": two, "verdict": ratio_verdict("two Rasa processes / one", best(two), best(one), 1.5)}


# -- setting up: databases, processes, seeded complaints ---------------------------------------------------
@dataclass
class Databases:
    app: str
    trackers: str
    admin: Any

    @classmethod
    def create(cls) -> Databases:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        tag = f"{os.getpid()}_{uuid.uuid4().hex[:6]}"
        out = cls(f"load_{tag}", f"load_trackers_{tag}", admin)
        with admin.connect() as conn:
            for name in (out.app, out.trackers):
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        return out

    def url(self, name: str) -> URL:
        return make_url(PG_ADMIN_URL).set(database=name)

    def drop(self) -> None:
        with self.admin.connect() as conn:
            for name in (self.app, self.trackers):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


def start_stack(stack: Stack, dbs: Databases, twilio_url: str, args: argparse.Namespace) -> tuple[list[str], tuple[str, ...]]:
    rasa_ports = [free_port() for _ in range(args.rasa)]
    rasa_urls = tuple(f"http://127.0.0.1:{p}" for p in rasa_ports)
    app_url = dbs.url(dbs.app).render_as_string(hide_password=False)
    backend_env = {
        "DATABASE_URL": app_url,
        "REDIS_URL": REDIS_URL,
        "SERVICE_TOKEN": SERVICE_TOKEN,
        "APP_ENV": "test",
        "RASA_URL": ",".join(rasa_urls),
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_SMS_FROM": SMS_FROM,
        "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
        "TWILIO_PUBLIC_URL": PUBLIC_URL,
        "TWILIO_API_BASE": twilio_url,
    }
    backends = []
    for i in range(args.backends):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [str(BACKEND_PYTHON), "-m", "uvicorn", "backend.main:app", "--host", "127.0.0.1", "--port", str(port)]
        stack.start(f"backend{i + 1}", cmd, backend_env, f"{url}/healthz", timeout=90)
        backends.append(url)
    stack.backend_url = backends[0]
    stack.start_actions()
    rasa_env = scaleout_rasa_env(make_url(PG_ADMIN_URL), REDIS_URL, dbs.trackers)
    for i, port in enumerate(rasa_ports):
        stack.start_rasa(f"rasa{i + 1}", port, "bot/endpoints.scaleout.yml", rasa_env)
    return backends, rasa_urls


def create_officer(database_url: str) -> None:
    """The officer who acknowledges and answers the seeded complaints, made with the landlord's own CLI."""
    cmd = [str(BACKEND_PYTHON), "-m", "backend.cli", "create-user", "--email", OFFICER[0], "--name", "Load Officer", "--role", "officer", "--password-stdin"]
    subprocess.run(cmd, input=OFFICER[1] + "\n", text=True, cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url}, check=True, capture_output=True)


async def seed(http: httpx.AsyncClient, backend: str, seeds: Seeds, count: int) -> None:
    """Complaints made through the API, acknowledged and (for escalation) answered by an officer."""
    login = await http.post(f"{backend}/api/v1/auth/login", json={"email": OFFICER[0], "password": OFFICER[1]})
    login.raise_for_status()
    officer = {"Authorization": f"Bearer {login.json()['token']}"}
    service = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    rng = random.Random("seed")
    limit = asyncio.Semaphore(6)

    async def one(i: int) -> None:
        postcode = rng.choice(POSTCODES)
        body = {
            "channel": "webchat",
            "resident": {"name": f"{rng.choice(FIRST)} {rng.choice(LAST)}", "postcode": postcode},
            "definition": {"points": [rng.choice(GRIEVANCES)], "outcomes": [rng.choice(OUTCOMES)]},
        }
        async with limit:
            r = await http.post(f"{backend}/api/v1/complaints", json=body, headers={**service, "Idempotency-Key": f"seed-{i}-{uuid.uuid4().hex}"})
            r.raise_for_status()
            ref = r.json()["reference"]
            (await http.post(f"{backend}/api/v1/complaints/{ref}/acknowledge", json={}, headers=officer)).raise_for_status()
            if i % 4 == 0:
                seeds.status.append((ref, postcode))
                return
            response = {
                "decision": "partly_upheld",
                "reasons": "Our records show three reports and no lasting repair.",
                "remedy": "A repair by the end of the month and an apology.",
                "outstanding_actions": "The repair; we will update you when it is done.",
            }
            r = await http.post(f"{backend}/api/v1/complaints/{ref}/respond", json=response, headers=officer)
            if r.status_code != 200:
                raise SystemExit(f"seeding: the stage 1 response was refused: {r.status_code} {r.text[:300]}")
            seeds.escalate.append((ref, postcode))

    await asyncio.gather(*(one(i) for i in range(count)))


# -- the record afterwards ---------------------------------------------------------------------------------
def check_record(database_url: str, sent_ids: list[str], out: Outcomes) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            stored = Counter(
                str(x) for x in conn.execute(text("SELECT external_id FROM messages WHERE direction = 'in' AND external_id IS NOT NULL")).scalars()
            )
            unanswered = conn.scalar(text("SELECT count(*) FROM messages WHERE direction = 'in' AND status IN ('received', 'routing')"))
            per_email = {
                str(e): int(n)
                for e, n in conn.execute(
                    text("SELECT r.email, count(*) FROM complaints c JOIN residents r ON r.id = c.resident_id WHERE r.email LIKE 'load-%' GROUP BY r.email")
                )
            }
            cmp_refs = set(conn.execute(text("SELECT reference FROM complaints")).scalars())
            sr_refs = set(conn.execute(text("SELECT reference FROM service_requests")).scalars())
            stage2 = set(conn.execute(text("SELECT reference FROM complaints WHERE stage2_requested_on IS NOT NULL")).scalars())
    finally:
        engine.dispose()
    sent = Counter(sent_ids)
    checks = {
        "resident_messages_sent_through_the_hub": len(sent),
        "missing_from_the_record": sum(1 for i in sent if stored[i] == 0),
        "stored_more_than_once": sum(1 for i in sent if stored[i] > 1),
        "left_unanswered": int(unanswered or 0),
        "complaint_intakes_completed": len(out.complaints),
        "completed_complaints_not_exactly_one_case": sum(1 for email, ref in out.complaints.items() if per_email.get(email) != 1 or ref not in cmp_refs),
        "complaint_cases_without_a_completed_intake": sum(n for email, n in per_email.items() if email not in out.complaints),
        "repair_intakes_completed": len(out.repairs),
        "repair_references_not_in_the_record": sum(1 for r in out.repairs if r not in sr_refs),
        "escalations_completed": len(out.escalated),
        "escalations_not_recorded": sum(1 for r in out.escalated if r not in stage2),
        "intakes_whose_last_turn_failed": dict(out.failed_at_submit),
    }
    return checks


# -- running it all ----------------------------------------------------------------------------------------
async def bench(backends: list[str], rasa_urls: tuple[str, ...], fake: FakeTwilio, stack: Stack, database_url: str, args: argparse.Namespace) -> dict[str, Any]:
    inbox = Inbox(asyncio.get_running_loop())
    fake.on_sent = inbox.on_sent
    limits = httpx.Limits(max_connections=1000, max_keepalive_connections=400, keepalive_expiry=2.0)
    report: dict[str, Any] = {}
    try:
        async with httpx.AsyncClient(limits=limits, timeout=TURN_TIMEOUT) as http:
            seeds = Seeds()
            print(f"  seeding {args.seed} complaints through the API ...", flush=True)
            await seed(http, backends[0], seeds, args.seed)
            numbers = iter(range(100_000_000, 999_999_999))
            envs = [Env(rasa_urls[0], url, http, inbox, numbers=numbers) for url in backends]
            sent_ids = envs[0].sent_ids
            for env in envs[1:]:
                env.sent_ids = sent_ids
            raw_env = Env(rasa_urls[0], backends[0], http, inbox)
            ways = Ways(envs, raw_env, rasa_urls)
            scripts = Scripts(seeds)
            out = Outcomes()
            await calibrate(envs, scripts, out)
            cpu = Cpu(stack)
            if args.residents:
                report["pace"] = await pace(ways, scripts, cpu, out, args)
            if args.saturate:
                report["saturate"] = await saturate(ways, scripts, cpu, out, args)
            if args.scale:
                report["scale"] = await scale(ways, scripts, cpu, out, args)
            await asyncio.sleep(5)  # late replies land before the record is read
    finally:
        fake.on_sent = None
    report["record"] = check_record(database_url, sent_ids, out)
    report["twilio_replies_after_a_conversation_ended"] = inbox.strays
    print("  the record: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in report["record"].items()))
    return report


async def calibrate(envs: list[Env], scripts: Scripts, out: Outcomes) -> None:
    """Each script once straight at Rasa (does the assistant answer as the scripts expect?), and how many
    SMS/WhatsApp messages each of its turns becomes, which the Twilio residents wait for. Its intakes are
    real ones, so they are remembered for the record checks like every other."""
    rng = random.Random("calibrate")
    for kind in ("repair", "complaint", "status", "escalate", "repair", "complaint"):
        script = scripts.make(kind, rng)
        conv = RawRasa(envs[0], script)
        for index, turn in enumerate(script.turns):
            _, said = await conv.say(index)
            if turn.expect not in said:
                raise SystemExit(f"the assistant did not answer {turn.text!r} ({kind} turn {index}) with {turn.expect!r}: {said!r}")
            if index == len(script.turns) - 1:
                remember(script, said, out)
            for channel in ("sms", "whatsapp"):
                count = 0
                for reply in conv.last:
                    choices = [Choice(str(b.get("title", "")), str(b.get("payload", ""))) for b in reply.get("buttons") or [] if isinstance(b, dict)]
                    image = reply.get("image") if isinstance(reply.get("image"), str) else None
                    count += len(render_reply(channel, str(reply.get("text") or ""), choices, image))
                known = envs[0].replies.setdefault((kind, index, channel), count)
                if count == 0 or known != count:
                    raise SystemExit(f"turn {index} of a {kind} script gives {count} (before: {known}) {channel} messages; the benchmark needs a fixed number")
    for env in envs[1:]:
        env.replies = envs[0].replies


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ints = lambda s: [int(x) for x in s.split(",") if x]  # noqa: E731
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--residents", type=ints, default=[50, 200], help="pace: concurrent residents, comma-separated (default 50,200; empty: skip)")
    p.add_argument("--duration", type=float, default=300.0, help="pace: seconds per phase (default 300)")
    p.add_argument("--pause-min", type=float, default=3.0)
    p.add_argument("--pause-max", type=float, default=8.0)
    p.add_argument("--no-saturate", dest="saturate", action="store_false", help="skip the saturation phase")
    p.add_argument("--no-scale", dest="scale", action="store_false", help="skip one Rasa against two")
    p.add_argument("--levels", type=ints, default=[1, 2, 4, 8, 16, 32], help="saturate/scale: concurrency levels")
    p.add_argument("--step-seconds", type=float, default=15.0)
    p.add_argument("--backends", type=int, default=2, help="backend worker processes (default 2)")
    p.add_argument("--rasa", type=int, default=2, help="Rasa processes (default 2)")
    p.add_argument("--seed", type=int, default=400, help="complaints made first for status checks and escalations (default 400)")
    p.add_argument("--keep", action="store_true", help="keep the process logs and print where")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not BOT_PYTHON.exists() or not MODEL.exists():
        raise SystemExit("needs .venv-bot and a trained model: ./scripts/setup.sh && ./scripts/train.sh")
    stop_on_sigterm()
    tmp = Path(tempfile.mkdtemp(prefix="bench-load-"))
    started, load_before = time.time(), machine()
    dbs = Databases.create()
    database_url = dbs.url(dbs.app).render_as_string(hide_password=False)
    fake = FakeTwilio(ACCOUNT_SID, TWILIO_TOKEN)
    try:
        with serve(fake.app()) as twilio_url:
            stack = Stack(tmp)
            try:
                print(f"starting {args.backends} backend workers, the action server and {args.rasa} Rasa processes on PostgreSQL and Redis ...", flush=True)
                backends, rasa_urls = start_stack(stack, dbs, twilio_url, args)
                create_officer(database_url)
                report = asyncio.run(bench(backends, rasa_urls, fake, stack, database_url, args))
            finally:
                stack.stop_all()
    except KeyboardInterrupt:
        print("\ninterrupted: all processes stopped", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        dbs.drop()
        if args.keep:
            print(f"kept {tmp} (process logs)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "args": vars(args),
        "machine_before": load_before,
        **report,
        "machine_after": machine(),
    }
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"load average before {load_before['load_average']}, after {report['machine_after']['load_average']} ({os.cpu_count()} CPUs)")
    print(f"written to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
