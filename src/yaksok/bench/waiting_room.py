"""``yaksok bench waiting-room``: the status document's polls against the bare ASGI ceiling (both
loaded by ``wrk`` on 127.0.0.1, one after the other), then the cost of opening a pre-queue of
many visitors and of admitting them, measured through the services."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from yaksok.bench.clients import wait_until_serving
from yaksok.bench.processes import BenchError, child, free_port, machine, run_async
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, ConfigureWaitingRoom, CreateLaunch, RevisePromise
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.policy import Policy
from yaksok.domain.promise import Precision
from yaksok.domain.waiting_room import Entry
from yaksok.services import admission, databases, launches, waiting_room
from yaksok.services.runtime import Runtime

GET_LUA = """
request = function() return wrk.format("GET", "%(path)s") end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,' ..
    '"errors":%%d,"non2xx":%%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class RoomBenchOptions:
    duration: int = 10
    connections: int = 64
    visitors: int = 100_000
    rate: float = 1000.0


def run_waiting_room(options: RoomBenchOptions, progress: Callable[[str], None]) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed: run scripts/install-wrk (or apt-get install -y wrk)")
    with tempfile.TemporaryDirectory(prefix="yaksok-bench-") as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        slug = "bench-room"
        progress(f"bench waiting-room: {options.visitors} visitors in the pre-queue")
        opening = _room(url, slug, options)
        opened = _open(url, slug, opening)
        results = {}
        for mode in ("bare", "queue"):
            progress(f"bench waiting-room: {mode}, {options.duration} s, {options.connections} connections")
            results[mode] = _measure(wrk, mode, slug, url, options, Path(tmp))
    ceiling, polls = results["bare"], results["queue"]
    per_second = opened["admissions_per_s"]
    return {
        "ceiling_rps": ceiling["rps"],
        "status_rps": polls["rps"],
        "status_to_ceiling": polls["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0,
        "status_p50_ms": polls["p50_ms"],
        "status_p99_ms": polls["p99_ms"],
        "ceiling_p99_ms": ceiling["p99_ms"],
        "errors": int(ceiling["errors"] + polls["errors"]),
        "visitors": options.visitors,
        "admit_per_second": options.rate,
        "open_s": opened["open_s"],
        "admissions_per_s": per_second,
        # Numbers are admitted by the clock: the last one at visitors / rate; issuing their tokens
        # takes visitors / admissions_per_s of one process's time, spread over that schedule.
        "admit_all_scheduled_s": options.visitors / options.rate,
        "admit_all_issue_cpu_s": options.visitors / per_second if per_second else 0.0,
        "connections": options.connections,
        "duration_s": options.duration,
        "machine": machine(),
    }


def _room(url: str, slug: str, options: RoomBenchOptions) -> datetime:
    """A launch opening now behind a waiting room, its pre-queue holding ``visitors`` confirmed
    entries (written straight to the store: mailing 100,000 codes is not what is measured)."""
    opening = datetime.now(UTC)
    with databases.opened(url) as real:
        clock = SimulatedClock(opening - timedelta(hours=2))
        rt = Runtime(store=real.store, clock=clock)
        launches.create_launch(
            rt,
            CreateLaunch(
                slug=slug, titles={"en": "Bench"}, zone="Asia/Seoul", policy=Policy(min_lead=timedelta(0))
            ),
        )
        milestone = launches.add_milestone(
            rt, AddMilestone(launch_slug=slug, key="p", kind=MilestoneKind.PREORDER_OPENS, titles={"en": "P"})
        )
        launches.revise_promise(
            rt, RevisePromise(milestone.id, time=opening.isoformat(), precision=Precision.EXACT)
        )
        waiting_room.configure(
            rt,
            ConfigureWaitingRoom(
                launch_slug=slug,
                enabled=True,
                prequeue_opens=clock.now() + timedelta(minutes=1),
                admit_per_second=options.rate,
                token_minutes=10,
            ),
        )
        joined = clock.now() + timedelta(minutes=2)
        with real.store.write() as tx:
            for i in range(options.visitors):
                at = joined + timedelta(microseconds=i)
                entry = Entry(
                    id=f"w_{i:07d}",
                    launch_slug=slug,
                    contact=f"v{i}@example.com",
                    code_hash="",
                    joined_at=at,
                    confirmed_at=at,
                )
                tx.waiting_rooms.add_entry(entry)
    return opening


def _open(url: str, slug: str, opening: datetime) -> dict[str, float]:
    """Seconds to close, reveal, shuffle and number the pre-queue; then admission tokens issued per
    second for every number, as a web process issues them (from the room and key it keeps)."""
    with databases.opened(url) as real:
        rt = Runtime(store=real.store, clock=SimulatedClock(opening))
        started = time.perf_counter()
        waiting_room.open_due(rt)
        open_s = time.perf_counter() - started
        key = waiting_room.room_key(rt)
        room = waiting_room.settings_of(rt, slug)
        with real.store.read() as tx:
            tickets = [
                admission.ticket(key, slug, e.id, e.number or 0) for e in tx.waiting_rooms.entries(slug)
            ]
    later = opening + timedelta(days=1)  # every number admitted by then
    started = time.perf_counter()
    for ticket in tickets:
        waiting_room.issue(room, key, ticket, later)
    elapsed = time.perf_counter() - started
    return {"open_s": open_s, "admissions_per_s": len(tickets) / elapsed if elapsed else 0.0}


def _measure(
    wrk: str, mode: str, slug: str, url: str, options: RoomBenchOptions, tmp: Path
) -> dict[str, float]:
    port = free_port()
    script = tmp / f"{mode}.lua"
    script.write_text(GET_LUA % {"path": f"/launches/{slug}/queue/status"})
    args = [sys.executable, "-m", "yaksok.cli.bench_servers", mode, str(port), url, "0"]
    with child(f"{mode} server", args, tmp / f"{mode}.log") as server:
        try:
            run_async(wait_until_serving("127.0.0.1", port, "/", server.alive, 30.0))
        except BenchError as exc:
            raise BenchError(f"{mode} server did not start: {server.log_tail()}") from exc
        command = [wrk, "-t1", f"-c{options.connections}", f"-d{options.duration}s", "-s", str(script)]
        done = subprocess.run(
            [*command, f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=False
        )
    line = next((out for out in done.stdout.splitlines() if out.startswith("RESULT ")), None)
    if line is None:
        raise BenchError(f"wrk gave no result for {mode}: {done.stdout[-300:]} {done.stderr[-300:]}")
    raw = json.loads(line.removeprefix("RESULT "))
    if raw["non2xx"]:
        raise BenchError(f"{mode}: {raw['non2xx']} answers were not 2xx")
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["errors"],
    }
