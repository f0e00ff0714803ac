"""``yaksok bench reservations`` through the CLI, small: its JSON figures, no errors, and where the
CPU went (the serving process, and the writer process it started)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

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
