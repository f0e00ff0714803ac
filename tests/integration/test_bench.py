"""``yaksok bench publish`` through the CLI, as a user or a check script calls it.

A small run (3 notices, 20 clients) starts real servers, so only the shape of the figures and
completeness are asserted here, never timings: this machine is shared and noisy.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest
from click.testing import CliRunner, Result

from yaksok.bench.processes import apart
from yaksok.bench.stats import percentile, summary_ms
from yaksok.cli import main

pytestmark = pytest.mark.e2e

SUMMARIES = [
    "lateness_ms",
    "sse_delivery_ms",
    "sse_after_publication_ms",
    "board_visible_ms",
    "feed_visible_ms",
    "baseline_timer_lateness_ms",
    "baseline_sse_delivery_ms",
]


def bench(*args: str) -> Result:
    return CliRunner().invoke(main, ["bench", *args], env={"YAKSOK_DATABASE_URL": None})


@pytest.fixture(scope="module")
def small_run() -> dict[str, Any]:
    result = bench("publish", "--notices", "3", "--clients", "20", "--spacing-ms", "50", "--json")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "with --json, stdout carries only the JSON line"
    figures: dict[str, Any] = json.loads(lines[-1])
    return figures


def test_every_client_hears_every_notice_exactly_once(small_run: dict[str, Any]) -> None:
    assert small_run["published"] == small_run["notices"] == 3
    assert small_run["clients"] == 20
    assert small_run["missing"] == 0 and small_run["duplicates"] == 0
    assert small_run["baseline_missing"] == 0 and small_run["baseline_duplicates"] == 0


def test_every_figure_is_a_summary_beside_its_same_run_baseline(small_run: dict[str, Any]) -> None:
    for name in SUMMARIES:
        summary = small_run[name]
        assert summary["min"] <= summary["p50"] <= summary["p99"] <= summary["max"], name
    assert small_run["lateness_ms"]["min"] >= 0, "a notice went out before its time"
    assert small_run["sse_delivery_ratio"] > 0
    assert small_run["not_visible"] == {"board": 0, "feed": 0}
    assert small_run["frame_bytes"] > 0
    assert small_run["machine"]["cpus"] >= 1 and small_run["machine"]["python"]


def test_an_unreachable_database_is_a_one_line_error() -> None:
    result = bench(
        "publish", "--notices", "1", "--clients", "1", "--db", "postgresql://nobody@127.0.0.1:1/none"
    )
    assert result.exit_code == 1
    assert "cannot open the database" in result.output
    assert "Traceback" not in result.output


def test_bench_publish_has_help() -> None:
    result = bench("publish", "--help")
    assert result.exit_code == 0, result.output
    for option in ("--notices", "--clients", "--spacing-ms", "--db", "--json"):
        assert option in result.output


def test_percentiles_are_values_that_were_measured() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.99) == 4.0
    assert summary_ms([]) == {"p50": None, "p99": None, "min": None, "max": None}
    assert summary_ms([0.001, 0.003])["max"] == 3.0


def test_bench_fanout_reaches_every_subscriber_and_compares_each_client_on_the_same_webhooks() -> None:
    ours = os.sched_getaffinity(0)
    result = bench(
        "fanout", "--subscribers", "300", "--compare-clients", "200", "--email-subscribers", "0", "--json"
    )

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert (figures["missing"], figures["duplicates"], figures["failed"]) == (0, 0, 0)
    assert figures["receiver_ceiling_per_s"] > 0 and figures["ratio"] > 0
    if len(ours) >= 2:  # the receiver had a core of its own; this process has all of its own back
        pinned = figures["pinned"]
        assert set(pinned["receiver_cpus"]) | set(pinned["sender_cpus"]) == ours
        assert not set(pinned["receiver_cpus"]) & set(pinned["sender_cpus"])
    assert os.sched_getaffinity(0) == ours
    assert set(figures["clients"]) == {"yaksok", "aiohttp", "niquests", "pyreqwest"}
    for name, client in figures["clients"].items():
        assert client.get("delivered") == 200, (name, client)
        assert client["per_s"] > 0 and client["cpu_us_per_delivery"] > 0


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pinning apart needs two usable cores")
def test_apart_puts_a_process_on_a_core_of_its_own_and_gives_every_core_back_after() -> None:
    usable = os.sched_getaffinity(0)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with apart(other.pid) as pinned:
            assert pinned is not None
            assert os.sched_getaffinity(other.pid) == set(pinned["receiver_cpus"])
            assert os.sched_getaffinity(0) == set(pinned["sender_cpus"])
        assert os.sched_getaffinity(0) == usable
        assert os.sched_getaffinity(other.pid) == set(pinned["receiver_cpus"])
    finally:
        other.kill()
        other.wait()


def test_bench_fanout_mails_every_email_subscriber_through_smtp_to_a_sink_that_parses_each() -> None:
    result = bench("fanout", "--subscribers", "50", "--email-subscribers", "300", "--json")

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert (figures["email_missing"], figures["email_duplicates"], figures["email_unparsed"]) == (0, 0, 0)
    assert figures["email_subscribers"] == 300 and figures["email_per_s"] > 0
    assert 0 < figures["email_first_s"] <= figures["email_p50_s"] <= figures["email_p99_s"]
    assert figures["sender_cpu_us"] > 0 and figures["receiver_cpu_us"] >= 0
    assert "emails/s" in result.stderr
