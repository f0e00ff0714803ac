"""``yaksok bench reservations``: the durable reservation endpoint against a bare ASGI ceiling and a
one-commit-per-request baseline, each loaded by ``wrk`` (one thread, unique Idempotency-Key and
contact per request) on 127.0.0.1, one after the other in one run; and, to show what the serving
process's own path costs, the same route answered at once without the writer (``route``)."""

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
from yaksok.bench.processes import (
    WRK_MISSING,
    BenchError,
    child,
    child_pids,
    free_port,
    idle_cpu_seconds,
    machine,
    process_cpu_seconds,
    run_async,
)
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise
from yaksok.domain.launch import MilestoneKind, Sku
from yaksok.domain.policy import Policy
from yaksok.domain.promise import Precision
from yaksok.services import databases, launches
from yaksok.services.runtime import Runtime

BODY_LUA = """
local n = 0
local prefix = "%(prefix)s"
-- "sequential" numbers the requests' keys and contacts; "random" makes them UUID-like, as a
-- crowd's clients do (docs/benchmarks.md).
local random_keys = "%(keys)s" == "random"
local r = math.random
request = function()
  n = n + 1
  local key = prefix .. n
  if random_keys then
    key = string.format("%%08x-%%04x-4%%03x-%%04x-%%08x%%04x", r(0, 0x7fffffff), r(0, 0xffff),
      r(0, 0xfff), r(0, 0xffff), r(0, 0x7fffffff), n %% 0x10000)
  end
  local body = '{"sku":"wifi-16","quantity":1,"contact":"' .. key .. '@example.com"}'
  return wrk.format("POST", "%(path)s", {["Content-Type"] = "application/json",
    ["Idempotency-Key"] = key}, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p99_us":%%d,' ..
    '"errors":%%d,"non2xx":%%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


@dataclass(frozen=True)
class BenchOptions:
    database_url: str = ""
    commit_delay_ms: float = 0.0
    duration: int = 10
    connections: int = 64
    keys: str = "sequential"  # or "random": UUID-like keys and contacts (BODY_LUA)


def run_reservations(options: BenchOptions, progress: Callable[[str], None]) -> dict[str, Any]:
    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError(WRK_MISSING)
    with (
        tempfile.TemporaryDirectory(prefix="yaksok-bench-") as tmp,
        databases.scratch_schema(options.database_url or f"sqlite:///{tmp}/bench.db", "yaksok_bench") as url,
    ):
        results: dict[str, dict[str, float]] = {}
        for mode in ("bare", "route", "reserve", "baseline"):
            slug = f"bench-{mode}-{int(time.time())}"
            if mode != "bare":
                open_preorder(url, slug)
            progress(f"bench reservations: {mode}, {options.duration} s, {options.connections} connections")
            results[mode] = _measure(wrk, mode, slug, url, options, Path(tmp))
    ceiling, route = results["bare"], results["route"]
    reserve, baseline = results["reserve"], results["baseline"]
    return {
        "ceiling_rps": ceiling["rps"],
        "reserve_rps": reserve["rps"],
        "baseline_rps": baseline["rps"],
        # The route answered at once, committing nothing: the most the serving process allows.
        "route_rps": route["rps"],
        "route_p99_ms": route["p99_ms"],
        "route_server_cpu_us": route["server_cpu_us"],
        "route_to_ceiling": route["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0,
        "ceiling_p50_ms": ceiling["p50_ms"],
        "ceiling_p99_ms": ceiling["p99_ms"],
        "reserve_p50_ms": reserve["p50_ms"],
        "reserve_p99_ms": reserve["p99_ms"],
        "baseline_p50_ms": baseline["p50_ms"],
        "baseline_p99_ms": baseline["p99_ms"],
        # Where the CPU went while wrk ran: per request, the serving process and the processes it
        # started (the reservation writer), and the cores left idle (of all the machine's).
        "ceiling_server_cpu_us": ceiling["server_cpu_us"],
        "reserve_server_cpu_us": reserve["server_cpu_us"],
        "reserve_writer_cpu_us": reserve["writer_cpu_us"],
        "baseline_server_cpu_us": baseline["server_cpu_us"],
        "ceiling_idle_cores": ceiling["idle_cores"],
        "reserve_idle_cores": reserve["idle_cores"],
        "reserve_to_ceiling": reserve["rps"] / ceiling["rps"] if ceiling["rps"] else 0.0,
        "reserve_to_baseline": reserve["rps"] / baseline["rps"] if baseline["rps"] else 0.0,
        "errors": int(sum(r["errors"] for r in results.values())),
        "database": "postgresql" if "postgres" in url else "sqlite",
        "commit_delay_ms": options.commit_delay_ms,
        "connections": options.connections,
        "keys": options.keys,
        "duration_s": options.duration,
        "machine": machine(),
    }


def open_preorder(url: str, slug: str) -> None:
    """A launch whose pre-order opened a minute ago (set up on a clock an hour back)."""
    opening = datetime.now(UTC) - timedelta(minutes=1)
    with databases.opened(url) as real:
        rt = Runtime(store=real.store, clock=SimulatedClock(opening - timedelta(hours=1)))
        launches.create_launch(
            rt,
            CreateLaunch(
                slug=slug,
                titles={"en": "Bench"},
                zone="Asia/Seoul",
                skus=(Sku("wifi-16", {"en": "Wi-Fi"}),),
                policy=Policy(min_lead=timedelta(0)),
            ),
        )
        milestone = launches.add_milestone(
            rt,
            AddMilestone(
                launch_slug=slug,
                key="preorder",
                kind=MilestoneKind.PREORDER_OPENS,
                titles={"en": "Pre-order"},
            ),
        )
        launches.revise_promise(
            rt, RevisePromise(milestone.id, time=opening.isoformat(), precision=Precision.EXACT)
        )


def _measure(wrk: str, mode: str, slug: str, url: str, options: BenchOptions, tmp: Path) -> dict[str, float]:
    port = free_port()
    script = tmp / f"{mode}.lua"
    script.write_text(
        BODY_LUA
        % {"prefix": f"{mode}-{port}-", "path": f"/launches/{slug}/reservations", "keys": options.keys}
    )
    args = [
        sys.executable,
        "-m",
        "yaksok.cli.bench_servers",
        mode,
        str(port),
        url,
        str(options.commit_delay_ms),
        slug,
    ]
    with child(f"{mode} server", args, tmp / f"{mode}.log") as server:
        try:
            run_async(wait_until_serving("127.0.0.1", port, "/", server.alive, 30.0))
        except BenchError as exc:
            raise BenchError(f"{mode} server did not start: {server.log_tail()}") from exc
        command = [wrk, "-t1", f"-c{options.connections}", f"-d{options.duration}s", "-s", str(script)]
        helpers = child_pids(server.process.pid)
        before = (server.cpu_seconds(), _cpu(helpers), idle_cpu_seconds(), time.monotonic())
        done = subprocess.run(
            [*command, f"http://127.0.0.1:{port}/"], capture_output=True, text=True, check=False
        )
        after = (server.cpu_seconds(), _cpu(helpers), idle_cpu_seconds(), time.monotonic())
    line = next((out for out in done.stdout.splitlines() if out.startswith("RESULT ")), None)
    if line is None:
        raise BenchError(f"wrk gave no result for {mode}: {done.stdout[-300:]} {done.stderr[-300:]}")
    raw = json.loads(line.removeprefix("RESULT "))
    requests = raw["requests"] or 1
    return {
        "rps": raw["requests"] / (raw["duration_us"] / 1e6),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "errors": raw["errors"] + raw["non2xx"],
        "server_cpu_us": (after[0] - before[0]) * 1e6 / requests,
        "writer_cpu_us": (after[1] - before[1]) * 1e6 / requests,
        "idle_cores": (after[2] - before[2]) / (after[3] - before[3]),
    }


def _cpu(pids: list[int]) -> float:
    return sum(process_cpu_seconds(pid) for pid in pids)
