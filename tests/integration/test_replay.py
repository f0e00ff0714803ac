"""``yaksok replay`` and ``yaksok demo`` through the command line (the replay itself, through the
services, is tested in tests/unit/test_replay_2010.py)."""

from __future__ import annotations

import json
import time
import warnings
from pathlib import Path

from click.testing import CliRunner

from yaksok.cli import main
from yaksok.cli.replay import shipped_scenario
from yaksok.config import Settings
from yaksok.domain.commands import CreateLaunch
from yaksok.services import databases, launches
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store
from yaksok.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SHIPPED = Path(__file__).resolve().parents[2] / "scenarios" / "kt-ipad-2010.yaml"


def test_replay_json_is_one_object_on_the_last_line() -> None:
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["replay", str(SHIPPED), "--json"])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout.strip().splitlines()[-1])
    codes = {code for s in document["steps"] for code in s["codes"]}
    assert {"policy.lead_time", "policy.late_change", "policy.reason_required"} <= codes
    assert any(s["outcome"] == "clarification" for s in document["steps"])
    assert document["scorecard"]["promises"]["broken"] == 2
    assert document["ledger"]["intact"] is True
    print(f"yaksok replay --json: {elapsed:.2f} s in process ({document['elapsed_seconds']} s reported)")
    assert elapsed < 30  # a sanity bound, not a benchmark; the acceptance check wants under 5 s


def test_replay_prints_each_step_and_the_scorecard() -> None:
    result = CliRunner().invoke(main, ["replay", str(SHIPPED)])
    assert result.exit_code == 0, result.output
    assert "REFUSED [policy.lead_time]" in result.output
    assert "OVERRIDDEN [policy.late_change]" in result.output
    assert "2010-11-09 20:00 KST (11:00 UTC)" in result.output
    assert "Scorecard: ipad-kt-2010" in result.output
    assert "ledger intact" in result.output


def test_replay_names_the_problem_in_a_bad_scenario(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(SHIPPED.read_text(encoding="utf-8").replace("action: occur", "action: happen", 1))
    result = CliRunner().invoke(main, ["replay", str(broken)])
    assert result.exit_code == 1
    assert "scenario.invalid" in result.output and "happen" in result.output


def test_the_demo_finds_the_shipped_scenario() -> None:
    assert shipped_scenario().read_bytes() == SHIPPED.read_bytes()


def test_the_demo_never_replaces_a_database_holding_other_data(tmp_path: Path) -> None:
    path = tmp_path / "yaksok.db"
    other = Runtime(store=Store.connect(f"sqlite:///{path}"))
    launches.create_launch(
        other, CreateLaunch(slug="galaxy-tab", titles={"en": "Galaxy Tab"}, zone="Asia/Seoul")
    )
    other.store.close()
    result = CliRunner().invoke(main, ["demo", "--db", f"sqlite:///{path}", "--port", "1"])
    assert result.exit_code == 2, result.output
    assert "holds other data" in result.output
    assert path.exists()


def test_a_reservation_whose_ship_date_moved_can_be_looked_up_on_the_replayed_database(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'replayed.db'}"
    result = CliRunner().invoke(main, ["replay", str(SHIPPED), "--json", "--db", url])
    assert result.exit_code == 0, result.output
    lookup = json.loads(result.stdout.strip().splitlines()[-1])["lookup"]

    with databases.opened(url) as rt:
        app = create_app(rt, Settings(database_url=url, run_scheduler=False))
        reply = TestClient(app).get(lookup, headers={"Accept": "application/json"})

    assert reply.status_code == 200, reply.text
    assert reply.json()["state"] == "queued", reply.json()
    standing = reply.json()
    assert standing["sku"] == "wifi-16gb"  # the SKU whose second batch came early
    assert standing["ship_date"] == "2010-12-01"
    assert [(h["old"], h["new"], h["reason"]) for h in standing["ship_date_history"]] == [
        (None, "2010-12-03", "first_scheduled"),
        ("2010-12-03", "2010-12-01", "batch_moved"),
    ]


def test_the_replayed_board_shows_the_questions_answered_and_the_one_still_open(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'replayed.db'}"
    result = CliRunner().invoke(main, ["replay", str(SHIPPED), "--db", url])
    assert result.exit_code == 0, result.output
    assert "-> answered official answer to q_0001, 15 min after it was asked" in result.output
    assert "questions asked / answered / open    4 / 3 / 1" in result.output

    with databases.opened(url) as rt:
        site = TestClient(create_app(rt, Settings(database_url=url, run_scheduler=False)))
        board = site.get("/?lang=en").text
        scorecard = site.get("/scorecard?lang=en").text

    assert board.count('class="question question-answered"') == 3
    assert board.count('class="question question-open"') == 1
    assert "Nothing opened at 20:00, so nobody has lost a place" in board
    assert "Still unanswered" in scorecard and "100 min" in scorecard


JAPANESE_SCENARIO = """
title: {ko: 일본어 출시, en: A launch in Japanese too}
summary: {ko: 세 언어, en: Three languages}
starts_at: 2010-11-01T09:00:00+09:00
ends_at: 2010-11-10T12:00:00+09:00
launch:
  slug: ipad-ja
  titles: {ko: 아이패드, en: iPad, ja: アイパッド}
  zone: Asia/Seoul
  languages: [ko, en, ja]
  skus:
    - {code: wifi-16gb, titles: {ko: 와이파이 16GB, en: Wi-Fi 16GB, ja: Wi-Fi 16GB モデル}}
milestones:
  - key: preorder-opens
    kind: preorder_opens
    titles: {ko: 사전 예약 시작, en: Pre-orders open, ja: 予約開始}
steps:
  - at: 2010-11-02T10:00:00+09:00
    actor: operator
    what: {ko: 시각을 약속한다, en: promises the time, ja: 時刻を約束する}
    action: promise
    milestone: preorder-opens
    precision: exact
    time: 2010-11-09T20:00
  - at: 2010-11-02T11:00:00+09:00
    actor: operator
    what: {ko: 안내를 올린다, en: posts a notice}
    action: notice
    kind: general
    milestones: [preorder-opens]
    titles: {ko: 사전 예약 안내, en: About the pre-orders, ja: 予約のご案内}
    bodies: {ko: 20시에 시작합니다., en: They open at 20:00., ja: 20時に始まります。}
"""


def test_a_scenario_may_publish_in_japanese_and_the_japanese_board_shows_it(tmp_path: Path) -> None:
    scenario = tmp_path / "ja.yaml"
    scenario.write_text(JAPANESE_SCENARIO, encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'replayed.db'}"
    result = CliRunner().invoke(main, ["replay", str(scenario), "--db", url])
    assert result.exit_code == 0, result.output

    with databases.opened(url) as rt:
        site = TestClient(create_app(rt, Settings(database_url=url, run_scheduler=False)))
        japanese = site.get("/launches/ipad-ja?lang=ja").text

    assert "アイパッド" in japanese and "予約のご案内" in japanese and "予約開始" in japanese
