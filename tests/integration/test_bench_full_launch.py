"""``yaksok bench full-launch`` through the CLI, small, on each database: the shape of its figures
and the launches it measures, never timings (this machine is shared and noisy)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from yaksok.bench.full_launch import OPERATIONS
from yaksok.cli import main
from yaksok.store.unit_of_work import Store


def test_the_full_launch_bench_times_each_operation_on_both_launches_and_gives_the_ratio(
    store: Store,
) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    args = ["bench", "full-launch", "--reservations", "2000", "--repeats", "2", "--db", url, "--json"]
    result = CliRunner().invoke(main, args, env={"YAKSOK_DATABASE_URL": None})

    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1, "with --json, stdout carries only the JSON line"
    figures = json.loads(lines[0])
    assert (figures["reservations"], figures["small_reservations"], figures["repeats"]) == (2000, 1000, 2)
    assert figures["database"] == store.dialect
    assert list(figures["operations"]) == list(OPERATIONS)
    for timed in figures["operations"].values():
        assert timed["small_ms"] > 0 and timed["full_ms"] > 0
        assert timed["ratio"] == timed["full_ms"] / timed["small_ms"]
    assert figures["worst_ratio"] == max(t["ratio"] for t in figures["operations"].values())
    assert "filling a launch of 2000" in result.stderr and "timing cancel (2000)" in result.stderr
    assert "lookup_waitlisted" in result.stderr  # the table, on stderr with --json


def test_the_full_launch_bench_needs_more_reservations_than_its_baseline() -> None:
    result = CliRunner().invoke(main, ["bench", "full-launch", "--reservations", "999"])

    assert result.exit_code == 2 and "2000" in result.output
