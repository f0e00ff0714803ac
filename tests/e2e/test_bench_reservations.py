"""``yaksok bench reservations`` through the CLI, small: its JSON figures, no errors, and where the
CPU went (the serving process, and the writer process it started); and the keys its wrk script
sends, as a server sees them."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from real_processes import served_in_thread
from starlette.types import Receive, Scope, Send

from yaksok.bench.processes import free_port
from yaksok.bench.reservations import BODY_LUA
from yaksok.cli import main

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/bench-setup)")
@pytest.mark.parametrize("keys", ["sequential", "random"])
def test_the_reservations_bench_reports_each_phase_and_the_cpu_of_the_server_and_its_writer(
    keys: str,
) -> None:
    args = ["bench", "reservations", "--duration", "1", "--connections", "4", "--keys", keys, "--json"]
    result = CliRunner().invoke(main, args, env={"YAKSOK_DATABASE_URL": None})

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    # Random keys too are each new: no request is refused as a retry or a reused key.
    assert figures["errors"] == 0 and figures["database"] == "sqlite" and figures["keys"] == keys
    assert figures["ceiling_rps"] > 0 and figures["reserve_rps"] > 0 and figures["baseline_rps"] > 0
    assert figures["reserve_to_ceiling"] == figures["reserve_rps"] / figures["ceiling_rps"]
    assert 0 < figures["reserve_p50_ms"] <= figures["reserve_p99_ms"]
    # The reserve phase's writer is a process of its own; the baseline commits in the server.
    assert figures["reserve_server_cpu_us"] > 0 and figures["reserve_writer_cpu_us"] > 0
    assert figures["ceiling_server_cpu_us"] > 0 and figures["baseline_server_cpu_us"] > 0
    assert 0 <= figures["reserve_idle_cores"] <= figures["machine"]["cpus"]
    # The route answered at once by a writer that commits nothing: the serving process's own cost.
    assert figures["route_rps"] > 0 and figures["route_server_cpu_us"] > 0
    assert figures["route_to_ceiling"] == figures["route_rps"] / figures["ceiling_rps"]
    assert f"{keys} keys" in result.stderr
    assert "CPU per request" in result.stderr and "committing nothing" in result.stderr


UUID_LIKE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/bench-setup)")
@pytest.mark.parametrize("keys", ["sequential", "random"])
def test_each_request_of_the_bench_has_a_key_and_contact_of_its_own(keys: str, tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []

    async def recording(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = (await receive())["body"]
        key = dict(scope["headers"])[b"idempotency-key"].decode()
        seen.append((key, msgspec.json.decode(body)["contact"]))
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    script = tmp_path / "bench.lua"
    script.write_text(BODY_LUA % {"prefix": "p-", "path": "/launches/x/reservations", "keys": keys})
    port = free_port()
    with served_in_thread(recording, port, "recording") as url:
        wrk = ["wrk", "-t1", "-c2", "-d1s", "-s", str(script), url + "/"]
        done = subprocess.run(wrk, capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 0 and "RESULT " in done.stdout, done.stdout + done.stderr
    keys_sent = [key for key, _ in seen]
    assert len(seen) > 10 and len(set(keys_sent)) == len(seen)  # never a retry
    assert all(contact == f"{key}@example.com" for key, contact in seen)
    if keys == "random":  # as a crowd's clients send them: no two neighbours in order
        assert all(UUID_LIKE.fullmatch(key) for key in keys_sent)
        assert keys_sent != sorted(keys_sent)
    else:  # numbered on, one each (wrk builds one request before it connects, and the last one
        # of each connection may be cut off as wrk stops)
        numbers = sorted(int(key.removeprefix("p-")) for key in keys_sent)
        assert numbers[-1] - numbers[0] + 1 - len(numbers) <= 2
