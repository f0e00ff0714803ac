"""Each launch's content languages: configured per launch, its texts refused in any other, and
every reader shown the launch's text in their language or else the launch's primary one."""

from __future__ import annotations

from collections.abc import Callable

import feedparser
import icalendar
import msgspec
import pytest
from starlette.testclient import TestClient

Headers = dict[str, str]
JA_EN = {
    "slug": "ipad-jp",
    "titles": {"ja": "アイパッド", "en": "iPad"},
    "zone": "Asia/Tokyo",
    "market": "JP",
    "languages": ["ja", "en"],
}


def ledger_entries(client: TestClient) -> list[tuple[str, dict[str, object]]]:
    """Each public ledger entry's kind and payload."""
    lines = [msgspec.json.decode(line) for line in client.get("/ledger").content.split(b"\n") if line]
    return [(line["kind"], msgspec.json.decode(line["payload"])) for line in lines]


@pytest.fixture
def ipad_jp(client: TestClient, admin: Headers) -> str:
    """A launch publishing in Japanese (its primary) and English, with a pre-order milestone."""
    response = client.post("/api/v1/launches", json=JA_EN, headers=admin)
    assert response.status_code == 201, response.text
    milestone = {
        "key": "preorder",
        "kind": "preorder_opens",
        "titles": {"ja": "予約受付", "en": "Pre-orders"},
    }
    response = client.post("/api/v1/launches/ipad-jp/milestones", json=milestone, headers=admin)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_launch_is_created_with_its_languages_the_first_its_primary(
    client: TestClient, admin: Headers, ipad_jp: str
) -> None:
    shown = client.get("/api/v1/launches/ipad-jp", headers=admin).json()
    assert shown["languages"] == ["ja", "en"]
    assert shown["titles"] == {"ja": "アイパッド", "en": "iPad"}
    created = next(payload for kind, payload in ledger_entries(client) if kind == "launch.created")
    assert created["languages"] == ["ja", "en"]


def test_a_launch_without_languages_publishes_in_korean_and_english(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    assert client.get("/api/v1/launches/ipad", headers=admin).json()["languages"] == ["ko", "en"]


def test_texts_in_a_language_the_launch_does_not_publish_in_are_refused_and_nothing_is_written(
    client: TestClient, admin: Headers, ipad_jp: str, ledger_head: Callable[[], int]
) -> None:
    before = ledger_head()
    milestone = f"/api/v1/milestones/{ipad_jp}"
    exact = {"time": "2010-11-09T20:00", "precision": "exact"}
    notice = {"kind": "shipping_update", "launch": "ipad-jp"}
    attempts = [
        ("PATCH", "/api/v1/launches/ipad-jp", {"titles": {"ko": "아이패드", "en": "iPad"}}),
        (
            "POST",
            "/api/v1/launches/ipad-jp/milestones",
            {"key": "sale", "kind": "sale_starts", "titles": {"ko": "판매"}},
        ),
        ("PATCH", milestone, {"titles": {"ko": "예약"}}),
        ("PUT", "/api/v1/launches/ipad-jp/skus/wifi", {"titles": {"ko": "와이파이"}}),
        ("POST", "/api/v1/notices", {**notice, "titles": {"ko": "배송"}}),
        ("POST", "/api/v1/notices", {**notice, "titles": {"ja": "配送"}, "bodies": {"ko": "본문"}}),
        ("POST", f"{milestone}/promises", {**exact, "reason": {"ko": "사유"}}),
        ("POST", f"{milestone}/promises", {**exact, "titles": {"ko": "일정"}}),
        (
            "POST",
            "/api/v1/launches/ipad-jp/cadences",
            {"weekdays": "mon", "at": "10:00", "titles": {"ko": "배송"}},
        ),
    ]
    for method, path, body in attempts:
        response = client.request(method, path, json=body, headers=admin)
        assert response.status_code == 422, (path, response.text)
        problem = response.json()
        assert problem["code"] == "invalid.text_language", (path, problem)
        assert "ja, en" in problem["detail"], problem
    assert ledger_head() == before
    assert client.get("/api/v1/notices", headers=admin).json() == []
    shown = client.get("/api/v1/launches/ipad-jp", headers=admin).json()
    assert shown["titles"] == {"ja": "アイパッド", "en": "iPad"} and shown["skus"] == []


def test_texts_in_the_launch_languages_are_taken(client: TestClient, admin: Headers, ipad_jp: str) -> None:
    retitled = client.patch("/api/v1/launches/ipad-jp", json={"titles": {"ja": "iPad 日本"}}, headers=admin)
    assert retitled.status_code == 200, retitled.text
    notice = {"kind": "shipping_update", "titles": {"ja": "配送のお知らせ"}, "launch": "ipad-jp"}
    assert client.post("/api/v1/notices", json=notice, headers=admin).status_code == 201


def test_a_notice_of_no_launch_may_be_in_any_language_yaksok_carries(
    client: TestClient, admin: Headers
) -> None:
    notice = {"kind": "shipping_update", "titles": {"ko": "안내", "ja": "お知らせ", "en": "Notice"}}
    assert client.post("/api/v1/notices", json=notice, headers=admin).status_code == 201
    french = client.post("/api/v1/notices", json={**notice, "titles": {"fr": "Avis"}}, headers=admin)
    assert (french.status_code, french.json()["code"]) == (422, "invalid.language")


def test_the_announcement_yaksok_writes_is_in_each_of_the_launch_languages(
    client: TestClient, admin: Headers, ipad_jp: str
) -> None:
    body = {"time": "2010-11-09T20:00", "precision": "exact"}
    response = client.post(f"/api/v1/milestones/{ipad_jp}/promises", json=body, headers=admin)
    assert response.status_code == 201, response.text
    notice = response.json()["notice"]
    assert set(notice["titles"]) == set(notice["bodies"]) == {"ja", "en"}
    assert notice["titles"]["ja"].startswith("アイパッド — 予約受付: 2010年11月9日")
    assert "の日程" in notice["bodies"]["ja"]


@pytest.mark.parametrize(
    ("languages", "code"),
    [(["ja", "ja"], "invalid.languages"), ([], "invalid.languages"), (["fr"], "invalid.language")],
)
def test_languages_are_known_ones_each_once_and_at_least_one(
    client: TestClient, admin: Headers, ipad: str, languages: list[str], code: str
) -> None:
    response = client.put("/api/v1/launches/ipad/languages", json={"languages": languages}, headers=admin)
    assert (response.status_code, response.json()["code"]) == (422, code)
    created = client.post("/api/v1/launches", json={**JA_EN, "languages": languages}, headers=admin)
    assert (created.status_code, created.json()["code"]) == (422, code)


def test_changing_a_launch_languages_is_in_the_ledger_with_the_previous_ones(
    client: TestClient, admin: Headers, ipad: str, ledger_head: Callable[[], int]
) -> None:
    changed = client.put(
        "/api/v1/launches/ipad/languages", json={"languages": ["ko", "en", "ja"]}, headers=admin
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["languages"] == ["ko", "en", "ja"]
    kind, payload = ledger_entries(client)[-1]
    assert kind == "launch.languages_set"
    assert payload == {"launch": "ipad", "languages": ["ko", "en", "ja"], "previous": ["ko", "en"]}
    head = ledger_head()
    again = client.put(
        "/api/v1/launches/ipad/languages", json={"languages": ["ko", "en", "ja"]}, headers=admin
    )
    assert again.status_code == 200 and ledger_head() == head
    notice = {"kind": "shipping_update", "titles": {"ja": "配送"}, "launch": "ipad"}
    assert client.post("/api/v1/notices", json=notice, headers=admin).status_code == 201


def test_a_language_dropped_keeps_its_texts_shown_only_as_a_fallback(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    dropped = client.put("/api/v1/launches/ipad/languages", json={"languages": ["en"]}, headers=admin)
    assert dropped.status_code == 200, dropped.text
    shown = client.get("/api/v1/launches/ipad", headers=admin).json()
    assert shown["titles"] == {"ko": "아이패드", "en": "iPad"}
    refused = client.patch("/api/v1/launches/ipad", json={"titles": {"ko": "아이패드 2"}}, headers=admin)
    assert refused.json()["code"] == "invalid.text_language"
    page = client.get("/launches/ipad", params={"lang": "ko"})
    assert page.status_code == 200
    assert "<h1>iPad" in page.text or ">iPad<" in page.text


def publish_ja_en_notice(client: TestClient, admin: Headers) -> str:
    notice = {
        "kind": "shipping_update",
        "titles": {"ja": "配送のお知らせ", "en": "Shipping update"},
        "bodies": {"ja": "来週お届けします。", "en": "It ships next week."},
        "launch": "ipad-jp",
    }
    response = client.post("/api/v1/notices", json=notice, headers=admin)
    assert response.status_code == 201, response.text
    notice_id = str(response.json()["id"])
    assert client.post(f"/api/v1/notices/{notice_id}/publish", headers=admin).status_code == 200
    return notice_id


def test_a_korean_page_shows_a_japanese_launch_in_its_primary_language_and_says_so(
    client: TestClient, admin: Headers, ipad_jp: str
) -> None:
    notice_id = publish_ja_en_notice(client, admin)
    for path in ["/launches/ipad-jp", "/", f"/notices/{notice_id}"]:
        korean = client.get(path, params={"lang": "ko"}).text
        assert "이 출시는 일본어·영어로 공지합니다. 일본어로 보여 드립니다." in korean, path
        assert "配送のお知らせ" in korean and "Shipping update" not in korean, path
    launch_page = client.get("/launches/ipad-jp", params={"lang": "ko"}).text
    assert "アイパッド" in launch_page and "予約受付" in launch_page
    english = client.get("/launches/ipad-jp", params={"lang": "en"}).text
    assert "Shipping update" in english and "publishes in" not in english
    japanese = client.get("/launches/ipad-jp", params={"lang": "ja"}).text
    assert "配送のお知らせ" in japanese and "でお知らせしています" not in japanese


def test_a_korean_launch_on_a_japanese_page_says_it_is_shown_in_korean(
    client: TestClient, admin: Headers, ipad: str
) -> None:
    page = client.get("/launches/ipad", params={"lang": "ja"}).text
    assert "この発売は韓国語と英語でお知らせしています。韓国語で表示しています。" in page
    assert "아이패드" in page


def test_a_feed_in_a_language_the_launch_lacks_falls_back_to_its_primary_as_the_pages_do(
    client: TestClient, admin: Headers, ipad_jp: str
) -> None:
    publish_ja_en_notice(client, admin)
    korean = feedparser.parse(client.get("/launches/ipad-jp/feed.atom", params={"lang": "ko"}).content)
    english = feedparser.parse(client.get("/feed.atom", params={"lang": "en"}).content)
    assert [e.title for e in korean.entries] == ["配送のお知らせ"]
    assert "来週お届けします。" in korean.entries[0].content[0].value
    assert [e.title for e in english.entries] == ["Shipping update"]
    exact = {"time": "2010-11-09T20:00", "precision": "exact"}
    assert client.post(f"/api/v1/milestones/{ipad_jp}/promises", json=exact, headers=admin).status_code == 201
    calendar = icalendar.Calendar.from_ical(
        client.get("/launches/ipad-jp/calendar.ics", params={"lang": "ko"}).text
    )
    [event] = calendar.walk("VEVENT")
    assert "アイパッド — 予約受付" in str(event["SUMMARY"])


def test_the_subscribe_form_offers_every_language_yaksok_carries(client: TestClient, ipad_jp: str) -> None:
    page = client.get("/launches/ipad-jp", params={"lang": "ja"}).text
    assert '<option value="ja" selected>日本語</option>' in page
    made = client.post("/subscriptions", json={"url": "https://93.184.216.34/yaksok", "language": "ja"})
    assert made.status_code == 201, made.text
