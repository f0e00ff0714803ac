"""yaksok's own words in each of a launch's languages, Japanese included."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from yaksok.channels import email, ship_date
from yaksok.domain.launch import Launch, Milestone, MilestoneKind
from yaksok.domain.personal_message import ShipDate
from yaksok.domain.promise import Promise, PromiseVersion
from yaksok.services import wording

NOW = datetime(2010, 11, 1, 3, 0, tzinfo=UTC)
LAUNCH = Launch(
    slug="ipad-jp", titles={"ja": "アイパッド", "en": "iPad"}, zone="Asia/Tokyo", languages=("ja", "en")
)
MILESTONE = Milestone(
    id="ipad-jp.preorder",
    launch_slug="ipad-jp",
    key="preorder",
    kind=MilestoneKind.PREORDER_OPENS,
    titles={"ja": "予約受付", "en": "Pre-orders"},
)


def test_a_cadence_update_with_no_news_is_written_in_each_of_the_launch_languages() -> None:
    titles, bodies = wording.no_change_notice(
        {"ja": "定期更新", "en": "Update"},
        NOW,
        datetime(2010, 11, 2, 1, 0, tzinfo=UTC),
        "Asia/Tokyo",
        LAUNCH.languages,
    )
    assert set(bodies) == {"ja", "en"} and titles == {"ja": "定期更新", "en": "Update"}
    assert (
        bodies["ja"].startswith("2010年11月1日")
        and "変更はありません。次回の更新: 2010年11月2日" in bodies["ja"]
    )
    assert bodies["en"].startswith("No change since")


def test_a_promise_change_reads_as_an_apology_in_japanese() -> None:
    first = Promise.exact(datetime(2010, 11, 9, 11, 0, tzinfo=UTC), "Asia/Tokyo")
    later = Promise.exact(datetime(2010, 11, 16, 11, 0, tzinfo=UTC), "Asia/Tokyo")
    milestone, version = MILESTONE.revise(first, policy=LAUNCH.policy, now=NOW)
    _, moved = milestone.revise(later, policy=LAUNCH.policy, now=NOW, reason={"ja": "部品の不足"})
    titles, bodies = wording.promise_notice(LAUNCH, milestone, moved, version.promise)
    assert titles["ja"] == "【延期】アイパッド — 予約受付"
    assert "理由: 部品の不足" in bodies["ja"] and "申し訳ありません" in bodies["ja"]
    assert isinstance(moved, PromiseVersion) and set(titles) == {"ja", "en"}


def test_a_ship_date_email_in_japanese_says_when_and_why() -> None:
    ship = ShipDate(48213, "r1", "2010-11-30", None, None, "first_scheduled", reason_batch=1)
    sent = json.loads(
        ship_date.email_body(ship, "ja", "アイパッド", "https://yaksok.example/reservations/r1")
    )
    assert sent["subject"] == "アイパッド: ご予約 #48,213 は2010年11月30日(火)に出荷されます。"
    assert "理由: 初めて日程が決まりました（第1便の在庫）。" in sent["text"]


def test_the_emails_yaksok_writes_to_one_person_have_japanese_words() -> None:
    queue = json.loads(email.queue_code_body("ja", "アイパッド", "123456"))
    alert = json.loads(email.endpoint_alert_body("ja", "warned", "https://hooks.example", NOW, NOW))
    confirmation = json.loads(email.confirmation_body("ja", "https://yaksok.example/confirm/x"))
    assert queue["subject"] == "アイパッド 待合室の確認コード: 123456"
    assert alert["subject"] == "yaksok の Webhook が失敗し続けています"
    assert confirmation["subject"] == "yaksok のお知らせ購読の確認"
