"""``yaksok bench waiting-room`` through the CLI, small: its JSON figures, no errors."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from yaksok.cli import main

pytestmark = pytest.mark.e2e


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed (scripts/install-wrk)")
def test_the_waiting_room_bench_reports_polls_against_the_ceiling_and_the_admission_figures() -> None:
    args = ["bench", "waiting-room", "--duration", "1", "--connections", "4", "--visitors", "300", "--json"]
    result = CliRunner().invoke(main, args, env={"YAKSOK_DATABASE_URL": None})
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output.strip().splitlines()[-1])
    assert figures["errors"] == 0
    assert figures["ceiling_rps"] > 0 and figures["status_rps"] > 0
    assert figures["status_to_ceiling"] == figures["status_rps"] / figures["ceiling_rps"]
    assert figures["visitors"] == 300 and figures["open_s"] > 0 and figures["admissions_per_s"] > 0
    assert figures["admit_all_scheduled_s"] == 300 / 1000
