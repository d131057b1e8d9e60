"""Where Rasa's CPU goes on a turn: one resident at a time, straight at Rasa, CPU per turn per process.

Starts the backend, the action server and one Rasa server (real processes on loopback, a fresh SQLite
database, Rasa's in-memory tracker store), warms them up, then runs conversations one after another
for ``--seconds``: complaint intakes (17 turns each) or repair reports (5 turns). Prints the turns, the
latency p50/p95, and the CPU milliseconds each process spent per turn (benchmarks.hub's Cpu: each process
group from /proc, this client, and "other" for the rest of the machine).
Rasa's CPU per turn is what sets how many residents two cores can answer (see benchmarks/load.py).

With ``--spy`` and py-spy on PATH (``pip install py-spy``; not a project dependency), it also records
Rasa's stacks to var/profile-rasa.speedscope.json (open it at speedscope.app) and prints the functions
with the most samples. This is how the work bot/speedups.py removes was found.

Run: .venv/bin/python -m benchmarks.profile_rasa [--seconds 40] [--script complaint|repair] [--spy] [--without-speedups]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import httpx

from benchmarks.hub import Cpu, Env, Inbox, Recorder, Script, percentile, repair_script, run_script, stop_on_sigterm
from benchmarks.load import complaint_script
from tests.processes import BOT_PYTHON, MODEL, ROOT, Stack


async def converse(stack: Stack, seconds: float, kind: str) -> Recorder:
    """Conversations one after another until ``seconds`` pass; a wrong answer is a counted error."""
    rng = random.Random(7)
    rec = Recorder("raw")
    async with httpx.AsyncClient() as http:
        env = Env(stack.rasa_url, stack.backend_url, http, Inbox(asyncio.get_running_loop()))
        until = time.perf_counter() + seconds
        n = 0
        while time.perf_counter() < until:
            n += 1
            script: Script = complaint_script(rng, n) if kind == "complaint" else repair_script(rng)
            await run_script("raw", env, rng, rec, until=until, pause=None, script=script)
    return rec


def top_functions(path: Path, count: int = 25) -> list[tuple[float, str]]:
    """Share of samples in which each Rasa-side function was on the stack (inclusive)."""
    data = json.loads(path.read_text())
    frames = data["shared"]["frames"]
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0.0
    for profile in data["profiles"]:
        for stack, weight in zip(profile["samples"], profile["weights"], strict=True):
            total += weight
            names = {f"{frames[i]['name']} ({frames[i].get('file', '').split('site-packages/')[-1]})" for i in stack}
            for name in names:
                inclusive[name] += weight
    skip = ("runpy", "sanic/", "asyncio/", "__main__", "rasa/cli/", "rasa/api.py", "rasa/core/run.py", "uvloop")
    rows = [(100 * w / total, n) for n, w in inclusive.most_common() if not any(s in n for s in skip)]
    return rows[:count]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--seconds", type=float, default=40.0)
    p.add_argument("--script", choices=("complaint", "repair"), default="complaint")
    p.add_argument("--spy", action="store_true", help="record Rasa with py-spy (must be on PATH)")
    p.add_argument("--without-speedups", action="store_true", help="Rasa as shipped (BOT_SPEEDUPS=false), for comparison")
    args = p.parse_args()
    if not BOT_PYTHON.exists() or not MODEL.exists():
        raise SystemExit("needs .venv-bot and models/complaints.tar.gz (./scripts/setup.sh && ./scripts/train.sh)")
    spy_bin = shutil.which("py-spy")
    if args.spy and not spy_bin:
        raise SystemExit("--spy needs py-spy on PATH: pip install py-spy")
    stop_on_sigterm()
    stack = Stack(Path(tempfile.mkdtemp(prefix="profile-rasa-")))
    out = ROOT / "var" / "profile-rasa.speedscope.json"
    try:
        stack.start_backend()
        stack.start_actions()
        stack.start_rasa(env={"BOT_SPEEDUPS": "false"} if args.without_speedups else None)
        cpu = Cpu(stack)
        asyncio.run(converse(stack, 10, args.script))  # warm up: first turns load TensorFlow graphs
        before = cpu.sample()
        spy = None
        if args.spy and spy_bin:
            out.parent.mkdir(exist_ok=True)
            rasa_pid = str(cpu.groups["rasa"])
            cmd = [spy_bin, "record", "-p", rasa_pid, "-d", str(int(args.seconds)), "-r", "200", "-f", "speedscope", "-o", str(out), "--nonblocking"]
            spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        rec = asyncio.run(converse(stack, args.seconds, args.script))
        after = cpu.sample()
        if spy is not None:
            spy.wait(timeout=60)
    finally:
        stack.stop_all()
    turns, latencies = len(rec.latencies), rec.latencies
    which = "Rasa as shipped (BOT_SPEEDUPS=false)" if args.without_speedups else "with bot/speedups.py"
    print(f"{args.script} conversations, one resident at a time, {which}: {turns} turns in {args.seconds:.0f} s, {sum(rec.errors.values())} errors")
    for why, count in rec.errors.most_common(5):
        print(f"  {count} x {why}")
    print(f"  latency p50 {percentile(latencies, 0.5) or 0:.0f} ms, p95 {percentile(latencies, 0.95) or 0:.0f} ms")
    for name, ms in Cpu.per_turn(before, after, turns).items():
        if name != "machine_busy_cores":
            print(f"  {name:<8} {ms:6.1f} ms CPU per turn")
    if args.spy and out.exists():
        print(f"\nRasa's stacks: {out.relative_to(ROOT)}; most-sampled functions (inclusive):")
        for share, name in top_functions(out):
            print(f"  {share:5.1f}%  {name}")


if __name__ == "__main__":
    main()
