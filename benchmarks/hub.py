"""The conversation hub against raw Rasa: per-turn latency, messages per second and errors, in one run.

Simulated residents talk to the assistant three ways, against the same backend, action server and Rasa
(real processes on loopback, a fresh SQLite database in a temporary directory):

  raw      straight at Rasa's REST channel (``/webhooks/rest/webhook``), what the hub itself calls;
  webchat  the hub's web chat WebSocket (one socket, i.e. one new conversation, per script);
  twilio   the hub's signed Twilio webhook (SMS and WhatsApp alternately, a distinct From number per
           conversation); the replies go out to a fake of Twilio's Messages API served in this process.

A turn is timed from the resident's message to the last reply of that turn reaching the resident:
  raw      the HTTP round trip (Rasa answers a turn with all its replies);
  webchat  the message frame sent -> ``typing {on: false}`` received (the hub sends it after every reply
           of the turn was delivered);
  twilio   the webhook POST sent -> the fake Twilio API received the turn's last reply for that number
           (its own receive timestamp). How many replies a turn has is learned before measuring, by
           sending every script once straight to Rasa and rendering its replies as the hub does for SMS
           and WhatsApp (``render_reply``). A turn that gets more or fewer replies counts as an error.
Every turn's answer is also checked for a phrase the assistant must say; a wrong answer is an error.

The scripts are a mix (no handoffs): a repair report ending with an SR reference (5 turns), a complaint
status check that finds nothing (3 turns), and a greeting then the Ombudsman's contact details (2 turns);
addresses, postcodes, names and references vary per resident.

Modes:
  --pace (default)  50 residents, each sending its next message 3-8 s after the reply (a new conversation
                    after the same pause when a script ends). First one resident at a time on each path
                    (the turn's own cost, unloaded); then raw Rasa; then the hub (half web chat, half
                    Twilio, at the same time): sequential phases on the same processes, with the same
                    arrivals, scripts and pauses per resident. Targets: hub p95 <= 150 ms, zero errors.
  --saturate        no pause; 1, 2, 4, ... concurrent residents for a few seconds each. The paths are
                    interleaved per level (raw, webchat, twilio at 1, then at 2, ...). Reports each path's
                    highest messages/s with p95 <= 1 s and the ratio hub/raw. Target: >= 0.8x.

Also reported: CPU milliseconds per turn in each process (Rasa, actions, backend, this benchmark client and
"other", i.e. anything else on the machine; a large "other" means the numbers were disturbed).
Results are printed and written to var/bench-hub.json (one key per mode).

Run: .venv/bin/python -m benchmarks.hub [--pace] [--residents 50] [--duration 40]
     .venv/bin/python -m benchmarks.hub --saturate [--levels 1,2,4,8,16,32] [--step-seconds 10]
Needs .venv-bot and a trained model (./scripts/setup.sh, then ./scripts/train.sh).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from twilio.request_validator import RequestValidator
from websockets.asyncio.client import ClientConnection, connect

from backend.domain.messaging import Choice, render_reply
from tests.fakes.servers import serve
from tests.fakes.twilio_api import FakeTwilio
from tests.processes import BOT_PYTHON, MODEL, ROOT, Stack

ACCOUNT_SID = "AC" + "b" * 32
TWILIO_TOKEN = "bench-twilio-auth-token"
PUBLIC_URL = "https://landlord.example/channels/twilio"
SMS_FROM = "+447700900000"
WHATSAPP_FROM = "+447700900001"
RESULTS = ROOT / "var" / "bench-hub.json"
TURN_TIMEOUT = 30.0
PACE_P95_MS = 150.0
SATURATION_P95_MS = 1000.0
SATURATION_RATIO = 0.8
#: A path is not stepped further up once its p95 is this far past the saturation limit.
GIVE_UP_P95_MS = 3000.0


class TurnError(Exception):
    """The turn failed or the assistant said something other than expected."""


# -- what residents say -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Turn:
    text: str
    expect: str  # a phrase the assistant's answer to this turn must contain


@dataclass(frozen=True)
class Script:
    kind: str
    turns: tuple[Turn, ...]


STREETS = ("Hill Road", "Mill Lane", "Church Street", "Victoria Road", "Oak Close", "Station Road", "Park Avenue", "Queen Street")
POSTCODES = ("LS6 2AB", "LS7 3QF", "M14 5RT", "S10 2TN", "B12 9LP", "NE4 6UR", "L8 1XS", "BS5 7HY")
FIRST = ("Amira", "Sam", "Joe", "Priya", "Tom", "Grace", "Olu", "Megan", "Ravi", "Chloe")
LAST = ("Khan", "Smith", "Patel", "Jones", "Okafor", "Brown", "Evans", "Nowak", "Begum", "Walsh")
REPAIRS = (
    ("my kitchen tap is leaking under the sink", "kitchen"),
    ("the boiler is broken and there's no hot water", "kitchen"),
    ("the toilet won't flush", "bathroom"),
    ("my front door lock is broken", "front door"),
    ("the light in the hallway doesn't work", "hallway"),
)
SINCE = ("since yesterday", "since last week", "about two days", "since Monday", "since Friday")
ACCESS = ("no", "no", "I have a dog", "yes, weekday mornings")
STATUS_ASKS = ("where is my complaint up to?", "has my complaint been looked at yet")
GREETINGS = ("hi", "hello", "good morning")
OMBUDSMAN_ASKS = ("how do I contact the housing ombudsman", "how can I complain to the ombudsman")


def repair_script(rng: random.Random) -> Script:
    issue, room = rng.choice(REPAIRS)
    address = f"{rng.randint(1, 240)} {rng.choice(STREETS)}, {room}, {rng.choice(POSTCODES)}"
    return Script(
        "repair",
        (
            Turn(issue, "few details"),
            Turn(address, "Since when"),
            Turn(rng.choice(SINCE), "access"),
            Turn(rng.choice(ACCESS), "full name"),
            Turn(f"{rng.choice(FIRST)} {rng.choice(LAST)}", "Your reference is SR-"),
        ),
    )


def status_script(rng: random.Random) -> Script:
    # a distinct reference and postcode per resident: failed lookups are limited per reference, per client
    # and per postcode (5 in 15 minutes)
    reference = f"CMP-2026-{rng.randint(100_000, 999_999)}"
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    postcode = f"{rng.choice(('LS', 'M', 'S', 'B', 'NE', 'L', 'BS'))}{rng.randint(1, 29)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    return Script("status", (Turn(rng.choice(STATUS_ASKS), "reference"), Turn(reference, "postcode"), Turn(postcode, "couldn't find")))


def ombudsman_script(rng: random.Random) -> Script:
    return Script("ombudsman", (Turn(rng.choice(GREETINGS), "housing assistant"), Turn(rng.choice(OMBUDSMAN_ASKS), "0300 111 3000")))


MAKERS: dict[str, Callable[[random.Random], Script]] = {"repair": repair_script, "status": status_script, "ombudsman": ombudsman_script}
MIX = ("repair", "repair", "status", "ombudsman")  # half the conversations are repair reports


def any_script(rng: random.Random) -> Script:
    return MAKERS[rng.choice(MIX)](rng)


# -- the three ways in ----------------------------------------------------------------------------------
@dataclass
class Inbox:
    """Replies the fake Twilio API received, per resident number, for asyncio waiters (fed from its thread)."""

    loop: asyncio.AbstractEventLoop
    queues: dict[str, asyncio.Queue[tuple[float, str]]] = field(default_factory=dict)
    strays: int = 0

    def on_sent(self, record: dict[str, Any]) -> None:  # the fake's server thread
        number = str(record["to"]).removeprefix("whatsapp:")
        with contextlib.suppress(RuntimeError):  # the benchmark's loop has already closed (Ctrl+C, or the end)
            self.loop.call_soon_threadsafe(self._put, number, float(record["at"]), str(record["body"]))

    def _put(self, number: str, at: float, body: str) -> None:
        queue = self.queues.get(number)
        if queue is None:
            self.strays += 1  # a reply after its conversation was given up (counted, not timed)
        else:
            queue.put_nowait((at, body))


@dataclass
class Env:
    rasa_url: str
    backend_url: str
    http: httpx.AsyncClient
    inbox: Inbox
    #: (script kind, turn index, channel) -> how many messages the resident receives for that turn
    replies: dict[tuple[str, int, str], int] = field(default_factory=dict)
    numbers: Iterator[int] = field(default_factory=lambda: iter(range(100_000_000, 999_999_999)))
    #: every resident message id sent through the hub (web chat client_id, Twilio MessageSid), for checks afterwards
    sent_ids: list[str] = field(default_factory=list)


class Conversation:
    path = ""

    def __init__(self, env: Env, script: Script) -> None:
        self.env, self.script = env, script

    async def open(self) -> None:
        return None

    async def say(self, index: int) -> tuple[float, str]:
        """Send turn ``index``; returns (milliseconds until the turn's last reply arrived, the replies' text)."""
        raise NotImplementedError

    async def close(self) -> None:
        return None


class RawRasa(Conversation):
    path = "raw"

    def __init__(self, env: Env, script: Script) -> None:
        super().__init__(env, script)
        self.sender = f"bench-{uuid.uuid4().hex}"
        self.last: list[dict[str, Any]] = []

    async def say(self, index: int) -> tuple[float, str]:
        body = {"sender": self.sender, "message": self.script.turns[index].text, "metadata": {"channel": "webchat"}}
        t0 = time.perf_counter()
        r = await self.env.http.post(f"{self.env.rasa_url}/webhooks/rest/webhook", json=body, timeout=TURN_TIMEOUT)
        elapsed = (time.perf_counter() - t0) * 1000
        if r.status_code != 200:
            raise TurnError(f"Rasa answered HTTP {r.status_code}")
        self.last = [m for m in r.json() if isinstance(m, dict)]
        return elapsed, "\n".join(str(m.get("text") or "") for m in self.last)


class WebChat(Conversation):
    path = "webchat"
    ws: ClientConnection

    async def open(self) -> None:
        url = self.env.backend_url.replace("http://", "ws://") + "/channels/webchat/ws"
        self.ws = await connect(url, open_timeout=TURN_TIMEOUT, ping_interval=None, max_queue=None)
        await self.ws.send(json.dumps({"type": "hello", "token": None, "after": 0}))
        session = json.loads(await asyncio.wait_for(self.ws.recv(), TURN_TIMEOUT))
        if session.get("type") != "session":
            raise TurnError(f"expected a session frame, got {session.get('type')}")

    async def say(self, index: int) -> tuple[float, str]:
        client_id = uuid.uuid4().hex
        self.env.sent_ids.append(client_id)
        frame = json.dumps({"type": "message", "text": self.script.turns[index].text, "client_id": client_id})
        texts: list[str] = []
        t0 = time.perf_counter()
        await self.ws.send(frame)
        async with asyncio.timeout(TURN_TIMEOUT):
            while True:
                event = json.loads(await self.ws.recv())
                kind = event.get("type")
                if kind == "error":
                    raise TurnError(f"web chat error frame: {event.get('detail')}")
                if kind == "message" and event.get("sender") != "resident":
                    texts.append(str(event.get("text") or ""))
                elif kind == "typing" and not event.get("on"):
                    return (time.perf_counter() - t0) * 1000, "\n".join(texts)

    async def close(self) -> None:
        if hasattr(self, "ws"):
            await self.ws.close()


class Texting(Conversation):
    path = "twilio"

    def __init__(self, env: Env, script: Script) -> None:
        super().__init__(env, script)
        n = next(env.numbers)
        self.channel = "whatsapp" if n % 2 else "sms"  # alternately, without drawing from the resident's random numbers
        self.number = f"+447{n}"
        self.queue: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        env.inbox.queues[self.number] = self.queue
        self.validator = RequestValidator(TWILIO_TOKEN)

    async def say(self, index: int) -> tuple[float, str]:
        expected = self.env.replies[(self.script.kind, index, self.channel)]
        extra = self.queue.qsize()
        if extra:  # the previous turn had more replies than it should
            while not self.queue.empty():
                self.queue.get_nowait()
            raise TurnError(f"{extra} more replies than expected arrived for the previous turn")
        prefix = "whatsapp:" if self.channel == "whatsapp" else ""
        params = {
            "AccountSid": ACCOUNT_SID,
            "MessageSid": "SM" + uuid.uuid4().hex,
            "From": prefix + self.number,
            "To": prefix + (WHATSAPP_FROM if prefix else SMS_FROM),
            "Body": self.script.turns[index].text,
            "NumMedia": "0",
        }
        headers = {"X-Twilio-Signature": self.validator.compute_signature(PUBLIC_URL, params)}
        self.env.sent_ids.append(params["MessageSid"])
        t0 = time.perf_counter()
        r = await self.env.http.post(f"{self.env.backend_url}/channels/twilio", data=params, headers=headers, timeout=TURN_TIMEOUT)
        if r.status_code != 200:
            raise TurnError(f"webhook answered HTTP {r.status_code}")
        bodies: list[str] = []
        last = t0
        try:
            async with asyncio.timeout(TURN_TIMEOUT):
                for _ in range(expected):
                    last, body = await self.queue.get()
                    bodies.append(body)
        except TimeoutError:
            raise TurnError(f"{len(bodies)} of {expected} replies within {TURN_TIMEOUT:.0f} s") from None
        return (last - t0) * 1000, "\n".join(bodies)

    async def close(self) -> None:
        self.env.inbox.queues.pop(self.number, None)


def conversation(path: str, env: Env, script: Script) -> Conversation:
    if path == "raw":
        return RawRasa(env, script)
    if path == "webchat":
        return WebChat(env, script)
    if path == "twilio":
        return Texting(env, script)
    raise ValueError(path)


# -- measuring ------------------------------------------------------------------------------------------
@dataclass
class Recorder:
    """Turns of one path in one phase: latencies of the good ones, and the errors."""

    path: str
    latencies: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def ok(self, ms: float) -> None:
        self.latencies.append(ms)
        self.ends.append(time.perf_counter())

    def error(self, why: str) -> None:
        self.errors[why[:160]] += 1


async def run_script(
    path: str, env: Env, rng: random.Random, rec: Recorder, *, until: float, pause: tuple[float, float] | None, script: Script | None = None
) -> None:
    """One conversation: its turns one after another (stops early at ``until`` or on an error)."""
    script = script or any_script(rng)
    conv = conversation(path, env, script)
    try:
        try:
            await conv.open()
        except Exception as exc:  # every failure is a counted error, never a crash
            rec.error(f"open: {type(exc).__name__}: {exc}")
            return
        for index, turn in enumerate(script.turns):
            if time.perf_counter() >= until:
                return
            try:
                ms, text = await conv.say(index)
            except Exception as exc:
                rec.error(f"{script.kind}[{index}]: {type(exc).__name__}: {exc}")
                return
            if turn.expect not in text:
                rec.error(f"{script.kind}[{index}] {turn.text!r}: expected {turn.expect!r}, got {text[:80]!r}")
                return
            rec.ok(ms)
            if pause is not None:
                await asyncio.sleep(rng.uniform(*pause))
    finally:
        with contextlib.suppress(Exception):  # closing a broken socket
            await conv.close()


async def resident(path: str, env: Env, rng: random.Random, rec: Recorder, *, until: float, pause: tuple[float, float] | None, arrive: float) -> None:
    """One simulated resident: conversation after conversation until the phase ends."""
    await asyncio.sleep(arrive)
    while time.perf_counter() < until:
        await run_script(path, env, rng, rec, until=until, pause=pause)
        if pause is not None and time.perf_counter() < until:
            await asyncio.sleep(rng.uniform(*pause))


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class CpuSample:
    at: float
    procs: dict[str, float]
    machine_busy: float


class Cpu:
    """CPU seconds used by each process group of the stack, this process, and the whole machine."""

    def __init__(self, stack: Stack) -> None:
        self.groups = {p.name: p.popen.pid for p in stack.procs}
        self.tick = os.sysconf("SC_CLK_TCK")

    def _group_seconds(self) -> dict[str, float]:
        totals = dict.fromkeys(self.groups, 0.0)
        by_pgid = {pgid: name for name, pgid in self.groups.items()}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            name = by_pgid.get(int(fields[2]))  # after the command: state, ppid, pgrp, ...
            if name is not None:
                totals[name] += (int(fields[11]) + int(fields[12])) / self.tick  # utime, stime
        return totals

    def sample(self) -> CpuSample:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        procs = {**self._group_seconds(), "bench": usage.ru_utime + usage.ru_stime}
        cpu = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        busy = (sum(cpu[:8]) - cpu[3] - cpu[4]) / self.tick  # all but idle and iowait
        return CpuSample(time.perf_counter(), procs, busy)

    @staticmethod
    def per_turn(before: CpuSample, after: CpuSample, turns: int) -> dict[str, float]:
        if turns == 0:
            return {}
        used = {name: after.procs[name] - before.procs.get(name, 0.0) for name in after.procs}
        used["other"] = max(0.0, (after.machine_busy - before.machine_busy) - sum(used.values()))
        out = {name: round(seconds * 1000 / turns, 1) for name, seconds in used.items()}
        out["machine_busy_cores"] = round((after.machine_busy - before.machine_busy) / max(after.at - before.at, 1e-9), 2)
        return out


@dataclass
class PathResult:
    path: str
    residents: int
    turns: int
    errors: int
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    max_ms: float | None
    msgs_per_s: float
    seconds: float
    error_samples: dict[str, int] = field(default_factory=dict)
    cpu_ms_per_turn: dict[str, float] = field(default_factory=dict)


def summarise(rec: Recorder, residents: int, seconds: float, msgs_per_s: float, cpu: dict[str, float]) -> PathResult:
    r = [percentile(rec.latencies, q) for q in (0.5, 0.95, 0.99, 1.0)]
    rounded = [None if v is None else round(v, 1) for v in r]
    return PathResult(
        rec.path,
        residents,
        len(rec.latencies),
        sum(rec.errors.values()),
        *rounded,
        round(msgs_per_s, 2),
        round(seconds, 1),
        dict(rec.errors.most_common(5)),
        cpu,
    )


def merged(name: str, recs: list[Recorder]) -> Recorder:
    out = Recorder(name)
    for r in recs:
        out.latencies += r.latencies
        out.ends += r.ends
        out.errors.update(r.errors)
    return out


# -- the phases -----------------------------------------------------------------------------------------
async def calibrate(env: Env) -> None:
    """Send every kind of script once (twice for the repair) straight to Rasa: checks the bot answers as the
    scripts expect, warms Rasa up, and learns how many SMS/WhatsApp messages each turn becomes."""
    rng = random.Random(99)
    for kind in (*MAKERS, "repair"):
        script = MAKERS[kind](rng)
        conv = RawRasa(env, script)
        for index, turn in enumerate(script.turns):
            _, text = await conv.say(index)
            if turn.expect not in text:
                raise SystemExit(
                    f"the assistant did not answer {turn.text!r} as expected ({turn.expect!r}): {text!r}\nIs the model current? ./scripts/train.sh"
                )
            for channel in ("sms", "whatsapp"):
                count = 0
                for reply in conv.last:
                    choices = [Choice(str(b.get("title", "")), str(b.get("payload", ""))) for b in reply.get("buttons") or [] if isinstance(b, dict)]
                    image = reply.get("image") if isinstance(reply.get("image"), str) else None
                    count += len(render_reply(channel, str(reply.get("text") or ""), choices, image))
                known = env.replies.setdefault((kind, index, channel), count)
                if count == 0 or known != count:
                    raise SystemExit(
                        f"turn {index} of a {kind} script gives {count} (before: {known}) {channel} messages; the benchmark needs a fixed number > 0"
                    )


async def warm_up_hub(env: Env) -> None:
    rng = random.Random(98)
    for path in ("webchat", "twilio"):
        rec = Recorder(path)
        await run_script(path, env, rng, rec, until=math.inf, pause=None, script=ombudsman_script(rng))
        if rec.errors:
            raise SystemExit(f"the hub's {path} path does not work: {dict(rec.errors)}")


async def solo(env: Env, cpu: Cpu, turns: int) -> list[PathResult]:
    """One resident at a time, no pause: each turn's own cost on each path, without queueing behind others.

    Interleaved: every script is run on raw Rasa, then web chat, then Twilio, so drift hits all three alike.
    """
    paths = ("raw", "webchat", "twilio")
    recs = {path: Recorder(f"{path} (solo)") for path in paths}
    used = dict.fromkeys(paths, 0.0)
    cpu_used: dict[str, dict[str, float]] = {path: {} for path in paths}
    rng = random.Random("solo")
    while min(len(r.latencies) + sum(r.errors.values()) for r in recs.values()) < turns:
        script = any_script(rng)
        for path in paths:
            before, start = cpu.sample(), time.perf_counter()
            await run_script(path, env, rng, recs[path], until=math.inf, pause=None, script=script)
            used[path] += time.perf_counter() - start
            after = cpu.sample()
            for name, seconds in after.procs.items():
                cpu_used[path][name] = cpu_used[path].get(name, 0.0) + seconds - before.procs.get(name, 0.0)
            cpu_used[path]["_busy"] = cpu_used[path].get("_busy", 0.0) + after.machine_busy - before.machine_busy
    out = []
    for path, rec in recs.items():
        n = len(rec.latencies)
        busy = cpu_used[path].pop("_busy")
        per_turn = {name: round(sec * 1000 / n, 1) for name, sec in cpu_used[path].items()} if n else {}
        if n:
            per_turn["other"] = round(max(0.0, busy - sum(cpu_used[path].values())) * 1000 / n, 1)
            per_turn["machine_busy_cores"] = round(busy / used[path], 2)
        out.append(summarise(rec, 1, used[path], n / used[path], per_turn))
    return out


async def pace(env: Env, cpu: Cpu, args: argparse.Namespace) -> dict[str, Any]:
    pause = (args.pause_min, args.pause_max)
    results: list[PathResult] = []
    if args.solo_turns:
        print(f"  solo: one resident at a time, {args.solo_turns} turns on each path (interleaved) ...", flush=True)
        results += await solo(env, cpu, args.solo_turns)
    for phase in (("raw",), ("webchat", "twilio")):
        recs = {path: Recorder(path) for path in phase}
        n = args.residents
        plan = [phase[i % len(phase)] for i in range(n)]  # the hub phase: half web chat, half Twilio
        print(f"  pace: {n} residents on {' + '.join(phase)} for {args.duration:.0f} s ...", flush=True)
        before = cpu.sample()
        start = time.perf_counter()
        until = start + args.duration
        rng = random.Random("pace")  # both phases: the same arrivals, scripts and pauses per resident
        await asyncio.gather(
            *(resident(path, env, random.Random(rng.random()), recs[path], until=until, pause=pause, arrive=rng.uniform(0, args.pause_max)) for path in plan)
        )
        seconds = time.perf_counter() - start
        after = cpu.sample()
        everyone = merged("hub (both)", list(recs.values()))
        per_turn = Cpu.per_turn(before, after, len(everyone.latencies))
        for path, rec in recs.items():
            results.append(summarise(rec, plan.count(path), seconds, len(rec.latencies) / seconds, per_turn if len(recs) == 1 else {}))
        if len(recs) > 1:
            results.append(summarise(everyone, n, seconds, len(everyone.latencies) / seconds, per_turn))
    print_table(f"At a resident's pace (pause {pause[0]:.0f}-{pause[1]:.0f} s between messages)", results)
    by_path = {r.path: r for r in results}
    raw = by_path["raw"]
    verdicts = []
    for r in results:
        if r.path == "raw" or r.path.endswith("(solo)"):
            continue
        met = r.p95_ms is not None and r.p95_ms <= PACE_P95_MS and r.errors == 0
        verdicts.append({"path": r.path, "target": f"p95 <= {PACE_P95_MS:.0f} ms and zero errors", "p95_ms": r.p95_ms, "errors": r.errors, "met": met})
        print(f"  {r.path:<11} p95 {fmt(r.p95_ms)} ms, {r.errors} errors: {'MET' if met else 'MISSED'} (target p95 <= {PACE_P95_MS:.0f} ms, zero errors)")
    raw_met = raw.p95_ms is not None and raw.p95_ms <= PACE_P95_MS
    print(f"  {'raw Rasa':<11} p95 {fmt(raw.p95_ms)} ms at the same pace: {'within' if raw_met else 'itself over'} {PACE_P95_MS:.0f} ms")
    # what the hub adds to a turn with nobody else in the queue: the cleanest measure of its own cost
    added = {}
    if "raw (solo)" in by_path:
        base = by_path["raw (solo)"]
        for path in ("webchat", "twilio"):
            solo_r = by_path.get(f"{path} (solo)")
            if solo_r and solo_r.p50_ms is not None and base.p50_ms is not None and solo_r.p95_ms is not None and base.p95_ms is not None:
                added[path] = {"p50_ms": round(solo_r.p50_ms - base.p50_ms, 1), "p95_ms": round(solo_r.p95_ms - base.p95_ms, 1)}
                print(
                    f"  {path:<11} adds {added[path]['p50_ms']:+.1f} ms at p50, {added[path]['p95_ms']:+.1f} ms at p95 to an unloaded turn (solo, vs raw Rasa)"
                )
    return {"results": [asdict(r) for r in results], "verdicts": verdicts, "raw_p95_ms": raw.p95_ms, "hub_adds_solo": added}


async def saturate(env: Env, cpu: Cpu, args: argparse.Namespace) -> dict[str, Any]:
    paths = ["raw", "webchat", "twilio"]
    steps: list[dict[str, Any]] = []
    given_up: set[str] = set()
    for level in args.levels:
        for path in paths:
            if path in given_up:
                continue
            rec = Recorder(path)
            before = cpu.sample()
            start = time.perf_counter()
            until = start + args.step_seconds
            rng = random.Random(f"saturate-{level}")  # the same scripts on every path
            await asyncio.gather(*(resident(path, env, random.Random(rng.random()), rec, until=until, pause=None, arrive=0) for _ in range(level)))
            after = cpu.sample()
            done_in_window = sum(1 for t in rec.ends if t <= until)
            result = summarise(rec, level, args.step_seconds, done_in_window / args.step_seconds, Cpu.per_turn(before, after, len(rec.latencies)))
            steps.append(asdict(result))
            print(
                f"  saturate: {path:<8} x{level:<3} {result.msgs_per_s:6.1f} msgs/s  p50 {fmt(result.p50_ms)}  p95 {fmt(result.p95_ms)} ms  "
                f"errors {result.errors}",
                flush=True,
            )
            if result.p95_ms is None or result.p95_ms > GIVE_UP_P95_MS:
                given_up.add(path)
            await asyncio.sleep(1)  # let the stragglers' replies land before the next step
    best: dict[str, dict[str, Any]] = {}
    for path in paths:
        ok = [s for s in steps if s["path"] == path and s["p95_ms"] is not None and s["p95_ms"] <= SATURATION_P95_MS and s["errors"] == 0]
        if ok:
            best[path] = max(ok, key=lambda s: s["msgs_per_s"])
    rows = [PathResult(**{**best[p], "path": f"{p} (best)"}) for p in paths if p in best]
    print_table(f"At saturation: each path's best level with p95 <= {SATURATION_P95_MS:.0f} ms and no errors", rows)
    raw = best.get("raw", {}).get("msgs_per_s")
    verdicts = []
    for path in ("webchat", "twilio"):
        full = best.get(path, {}).get("msgs_per_s")
        ratio = round(full / raw, 2) if full and raw else None
        met = ratio is not None and ratio >= SATURATION_RATIO
        verdicts.append({"path": path, "target": f">= {SATURATION_RATIO}x raw Rasa", "msgs_per_s": full, "raw_msgs_per_s": raw, "ratio": ratio, "met": met})
        print(f"  {path:<8} {fmt(full)} msgs/s vs raw Rasa {fmt(raw)} msgs/s = {fmt(ratio, 2)}x: {'MET' if met else 'MISSED'} (target >= {SATURATION_RATIO}x)")
    return {"steps": steps, "best": best, "verdicts": verdicts}


def fmt(v: float | None, digits: int = 1) -> str:
    return "-" if v is None else f"{v:.{digits}f}"


def print_table(title: str, rows: list[PathResult]) -> None:
    print(f"\n{title}")
    head = f"{'path':<15} {'residents':>9} {'turns':>6} {'errors':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'msgs/s':>7}   CPU ms per turn"
    print(head)
    print("-" * len(head))
    for r in rows:
        cpu = ", ".join(f"{k} {v}" for k, v in r.cpu_ms_per_turn.items() if k != "machine_busy_cores")
        if "machine_busy_cores" in r.cpu_ms_per_turn:
            cpu += f" (machine busy {r.cpu_ms_per_turn['machine_busy_cores']} cores)"
        print(
            f"{r.path:<15} {r.residents:>9} {r.turns:>6} {r.errors:>6} {fmt(r.p50_ms):>8} {fmt(r.p95_ms):>8} {fmt(r.p99_ms):>8} {fmt(r.max_ms):>8} "
            f"{r.msgs_per_s:>7.1f}   {cpu}"
        )
        for why, count in r.error_samples.items():
            print(f"{'':<15} {count} x {why}")
    print()


async def bench(stack: Stack, fake: FakeTwilio, args: argparse.Namespace) -> dict[str, Any]:
    inbox = Inbox(asyncio.get_running_loop())
    fake.on_sent = inbox.on_sent
    limits = httpx.Limits(max_connections=500, max_keepalive_connections=200)
    try:
        async with httpx.AsyncClient(limits=limits) as http:
            env = Env(stack.rasa_url, stack.backend_url, http, inbox)
            await calibrate(env)
            await warm_up_hub(env)
            cpu = Cpu(stack)
            out = await (saturate(env, cpu, args) if args.saturate else pace(env, cpu, args))
        await asyncio.sleep(2)  # let late replies land
    finally:
        fake.on_sent = None
    out["checks"] = checks(stack, fake, inbox)
    print("  checks: " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in out["checks"].items()))
    return out


def checks(stack: Stack, fake: FakeTwilio, inbox: Inbox) -> dict[str, int]:
    """Things that should never happen, from the fake Twilio API and the hub's own record."""
    with fake._lock:
        pairs = Counter((str(m["to"]), str(m["body"])) for m in fake.sent)
    with sqlite3.connect(f"file:{stack.db_path}?mode=ro", uri=True) as db:
        claimed_twice = db.execute("SELECT count(*) FROM messages WHERE direction = 'out' AND attempts > 1").fetchone()[0]
        unanswered = db.execute("SELECT count(*) FROM messages WHERE direction = 'in' AND status IN ('received', 'routing')").fetchone()[0]
    return {
        # the same text to the same number twice: no script makes the assistant repeat itself, so a duplicate send
        "twilio_duplicate_replies": sum(n - 1 for n in pairs.values() if n > 1),
        # outbound messages the hub claimed for sending more than once (the fake never fails, so never a retry)
        "outbound_claimed_more_than_once": int(claimed_twice),
        "inbound_left_unanswered": int(unanswered),
        "twilio_replies_after_conversation_ended": inbox.strays,
    }


def machine() -> dict[str, Any]:
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()], "python": sys.version.split()[0]}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--pace", action="store_true", help="residents at a human pace (the default)")
    mode.add_argument("--saturate", action="store_true", help="no pause; step concurrency up to find the most messages/s with p95 <= 1 s")
    p.add_argument("--residents", type=int, default=50, help="pace: concurrent residents per phase (default 50)")
    p.add_argument("--duration", type=float, default=40.0, help="pace: seconds per phase (default 40; raw Rasa, then the hub)")
    p.add_argument("--pause-min", type=float, default=3.0, help="pace: shortest pause after a reply, seconds (default 3)")
    p.add_argument("--pause-max", type=float, default=8.0, help="pace: longest pause after a reply, seconds (default 8)")
    p.add_argument("--solo-turns", type=int, default=40, help="pace: turns on each path by a single resident first, unloaded (default 40; 0: skip)")
    p.add_argument("--levels", type=lambda s: [int(x) for x in s.split(",")], default=[1, 2, 4, 8, 16, 32], help="saturate: concurrency levels")
    p.add_argument("--step-seconds", type=float, default=10.0, help="saturate: seconds per path and level (default 10)")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (process logs, SQLite database) and print where")
    return p.parse_args(argv)


def _interrupted(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """SIGTERM stops a benchmark as Ctrl+C does, so every process it started is stopped too."""
    signal.signal(signal.SIGTERM, _interrupted)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if not BOT_PYTHON.exists() or not MODEL.exists():
        missing = ".venv-bot (run ./scripts/setup.sh)" if not BOT_PYTHON.exists() else f"{MODEL.relative_to(ROOT)} (run ./scripts/train.sh)"
        raise SystemExit(f"needs {missing}")
    stop_on_sigterm()
    mode = "saturate" if args.saturate else "pace"
    tmp = Path(tempfile.mkdtemp(prefix="bench-hub-"))
    fake = FakeTwilio(ACCOUNT_SID, TWILIO_TOKEN)
    started = time.time()
    load_before = machine()
    try:
        with serve(fake.app()) as twilio_url:
            env = {
                "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                "TWILIO_SMS_FROM": SMS_FROM,
                "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
                "TWILIO_PUBLIC_URL": PUBLIC_URL,
                "TWILIO_API_BASE": twilio_url,
            }
            stack = Stack(tmp, backend_env=env)
            try:
                print(f"starting backend, action server and Rasa ({MODEL.relative_to(ROOT)}) in {tmp} ...", flush=True)
                stack.start_backend()
                stack.start_actions()
                stack.start_rasa()
                out = asyncio.run(bench(stack, fake, args))
            finally:
                stack.stop_all()
    except KeyboardInterrupt:
        print("\ninterrupted: all processes stopped", file=sys.stderr)
        raise SystemExit(130) from None
    finally:
        if args.keep:
            print(f"kept {tmp} (backend.log, actions.log, rasa.log, complaints.db)")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    out = {"mode": mode, "at": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)), "args": vars(args), "machine_before": load_before, **out}
    out["machine_after"] = machine()
    RESULTS.parent.mkdir(exist_ok=True)
    saved: dict[str, Any] = {}
    if RESULTS.exists():
        try:
            saved = json.loads(RESULTS.read_text())
        except json.JSONDecodeError:
            saved = {}
    saved[mode] = out
    RESULTS.write_text(json.dumps(saved, indent=2) + "\n")
    print(f"load average before {load_before['load_average']}, after {out['machine_after']['load_average']} ({os.cpu_count()} CPUs)")
    print(f"written to {RESULTS.relative_to(ROOT) if RESULTS.is_relative_to(ROOT) else RESULTS} [{mode}]")


if __name__ == "__main__":
    main()
