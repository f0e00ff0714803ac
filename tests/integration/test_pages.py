"""The public pages through HTTP: board, launch page, notice page, languages, escaping and 404s."""

from __future__ import annotations

import asyncio
import re
import warnings
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from starlette.applications import Starlette
from starlette.types import Message

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    AddMilestone,
    Clarify,
    CreateLaunch,
    RecordOccurrence,
    RevisePromise,
    WriteNotice,
)
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import Claim, NoticeKind, Verdict
from yaksok.domain.promise import Precision
from yaksok.services import launches, notices
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.web.pages.board import BOARD_SIZE

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; plain httpx behaves the same in process.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SLUG = "ipad-kt-2010"
PREORDER = f"{SLUG}.preorder-opens"
EVIL = '<script>alert("x")</script>'
KOREAN = {"Accept-Language": "ko-KR,ko;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}


def utc(day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2010, 11, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def web(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt, Settings(database_url="unused", run_scheduler=False)))


def start_kt_launch(rt: Runtime, extra: str = "") -> None:
    """The KT iPad launch with its pre-order milestone promised for "9 November", time unknown."""
    launches.create_launch(
        rt,
        CreateLaunch(slug=SLUG, titles={"ko": f"아이패드{extra}", "en": f"iPad{extra}"}, zone="Asia/Seoul"),
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug=SLUG,
            key="preorder-opens",
            kind=MilestoneKind.PREORDER_OPENS,
            titles={"ko": f"예약 판매 시작{extra}", "en": f"Pre-orders open{extra}"},
        ),
    )
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09", precision=Precision.DAY))


def tell_the_kt_story(rt: Runtime, clock: SimulatedClock, extra: str = "") -> None:
    """2010 as it should have gone wrong in the open: a day, then 20:00 KST, a false press claim,
    then a postponement ten minutes before 20:00 under a policy override."""
    start_kt_launch(rt, extra)
    clock.advance_to(utc(5, 11))
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT))
    notices.clarify(
        rt,
        Clarify(
            claim=Claim(text=f"Pre-orders open at 9:00{extra}", verdict=Verdict.FALSE),
            titles={
                "ko": f"오전 9시 보도는 사실이 아닙니다{extra}",
                "en": f"The 9:00 report is false{extra}",
            },
            bodies={
                "ko": f"시각은 발표된 적이 없습니다.{extra}",
                "en": f"No time was ever announced.{extra}",
            },
            launch_slug=SLUG,
        ),
    )
    clock.advance_to(utc(9, 10, 50))
    launches.revise_promise(
        rt,
        RevisePromise(
            PREORDER,
            time="2010-11",
            precision=Precision.MONTH,
            reason=f"exchange rate{extra}",
            override=f"supply fell short today{extra}",
        ),
    )
    clock.advance_to(utc(9, 11, 30))


def hangul(text: str) -> int:
    return len(re.findall(r"[\uac00-\ud7a3]", text))


def notice_order(html: str) -> list[str]:
    return re.findall(r'<article class="notice[^"]*" id="notice-([^"]+)"', html)


def test_the_board_speaks_korean_or_english_as_the_browser_asks(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)

    korean = web.get("/", headers=KOREAN)
    english = web.get("/", headers=ENGLISH)

    assert korean.status_code == english.status_code == 200
    assert '<html lang="ko">' in korean.text and '<html lang="en">' in english.text
    assert korean.headers["content-language"] == "ko"
    assert hangul(korean.text) > 2 * hangul(english.text)
    assert "공지 게시판" in korean.text and "Notice board" in english.text


def test_a_browser_asking_for_neither_language_reads_english(web: TestClient, rt: Runtime) -> None:
    start_kt_launch(rt)

    response = web.get("/", headers={"Accept-Language": "fr-FR,de;q=0.8"})

    assert '<html lang="en">' in response.text


def test_the_language_switch_overrides_the_browser_and_is_remembered(web: TestClient, rt: Runtime) -> None:
    start_kt_launch(rt)

    switched = web.get("/?lang=ko", headers=ENGLISH)
    later = web.get("/launches/ipad-kt-2010", headers=ENGLISH)

    assert '<html lang="ko">' in switched.text
    assert 'href="/?lang=en"' in switched.text and 'href="/?lang=ko"' in switched.text
    assert "lang=ko" in switched.headers["set-cookie"]
    assert '<html lang="ko">' in later.text


def test_the_board_shows_notices_newest_first_with_times_in_kst_and_utc(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)

    html = web.get("/", headers=ENGLISH).text

    assert notice_order(html) == ["n_0004", "n_0003", "n_0002", "n_0001"]
    assert "2010-11-09 19:50 KST (10:50 UTC)" in html  # the postponement's publication
    assert "2010-10-28 09:00 KST (00:00 UTC)" in html  # the first announcement's


def test_the_korean_and_japanese_boards_show_the_same_times_in_their_own_words_with_utc_beside(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)

    korean = web.get("/", headers=KOREAN).text
    japanese = web.get("/?lang=ja").text

    assert "2010년 11월 9일 (화) 오후 7:50 KST (10:50 UTC)" in korean  # the postponement's publication
    assert "2010년 10월 28일 (목) 오전 9:00 KST (00:00 UTC)" in korean  # the first announcement's
    assert "2010年11月9日(火) 19:50 KST (10:50 UTC)" in japanese
    assert "2010年10月28日(木) 9:00 KST (00:00 UTC)" in japanese
    assert "2010-11-09 19:50" not in korean and "2010-11-09 19:50" not in japanese


def test_a_korean_launch_page_words_each_promise_in_korean_with_utc_beside(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)

    korean = web.get(f"/launches/{SLUG}", headers=KOREAN).text
    japanese = web.get(f"/launches/{SLUG}?lang=ja").text

    assert "2010년 11월 (날짜·시간 미정)" in korean  # promised now
    assert "2010년 11월 9일 (화) (시간 미정)" in korean  # the first version
    assert "2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)" in korean  # the second
    assert "2010年11月 (日時未定)" in japanese and "2010年11月9日(火) 20:00 KST (11:00 UTC)" in japanese


def test_the_board_can_show_only_one_kind_of_notice_and_ignores_an_unknown_kind(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)

    clarifications = web.get("/?kind=clarification", headers=ENGLISH).text
    everything = web.get("/?kind=rumour", headers=ENGLISH).text

    assert notice_order(clarifications) == ["n_0003"]
    assert 'aria-current="true">Clarification</a>' in clarifications
    assert notice_order(everything) == ["n_0004", "n_0003", "n_0002", "n_0001"]


def test_older_notices_are_a_page_back_and_the_last_page_links_no_further(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    for i in range(BOARD_SIZE + 3):
        clock.advance_to(utc(1, 0, i))
        notices.create_notice(
            rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": f"Update {i}"}, publish_now=True)
        )

    first = web.get("/?kind=general", headers=ENGLISH).text
    second = web.get("/?kind=general&page=2", headers=ENGLISH).text

    assert len(notice_order(first)) == BOARD_SIZE and "page=2" in first
    assert len(notice_order(second)) == 3 and "page=3" not in second
    assert set(notice_order(first)).isdisjoint(notice_order(second))
    assert web.get("/?page=-1", headers=ENGLISH).status_code == 200  # nonsense is the first page


def test_the_board_marks_each_kind_the_verdict_and_an_override_with_its_justification(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)
    notices.create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.SHIPPING_UPDATE, titles={"en": "Shipping"}, launch_slug=SLUG, publish_now=True
        ),
    )

    html = web.get("/", headers=ENGLISH).text

    for kind, label in [
        ("announcement", "Announcement"),
        ("change", "Change"),
        ("clarification", "Clarification"),
        ("shipping_update", "Shipping update"),
    ]:
        assert f'<span class="badge kind kind-{kind}">{label}</span>' in html
    assert '<span class="badge verdict verdict-false">verdict: false</span>' in html
    assert "Claim: Pre-orders open at 9:00 — Verdict: false" in html
    assert html.count("⚠ Policy override") == 1
    assert "Policy override (policy.late_change): supply fell short today" in html


def test_a_clarifications_source_is_a_link_on_every_page_that_shows_it(web: TestClient, rt: Runtime) -> None:
    start_kt_launch(rt)
    source = "https://news.example/story?id=9&lang=ko"
    clarification = notices.clarify(
        rt,
        Clarify(
            claim=Claim(text="Pre-orders open at 9:00", verdict=Verdict.FALSE, source_url=source),
            titles={"en": "The 9:00 report is false"},
            launch_slug=SLUG,
        ),
    )
    link = (
        '(source <a href="https://news.example/story?id=9&amp;lang=ko" rel="nofollow noopener">'
        "https://news.example/story?id=9&amp;lang=ko</a>)"
    )

    for path in ["/", f"/launches/{SLUG}", f"/notices/{clarification.id}"]:
        assert link in web.get(path, headers=ENGLISH).text, path


def test_the_board_shows_each_launchs_upcoming_milestones_and_links_its_feeds(
    web: TestClient, rt: Runtime
) -> None:
    start_kt_launch(rt)
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT))

    html = web.get("/", headers=ENGLISH).text

    upcoming = html.split('id="upcoming-title"')[1].split('id="notices-title"')[0]
    assert "Pre-orders open" in upcoming and "2010-11-09 20:00 KST (11:00 UTC)" in upcoming
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert '<link rel="alternate" type="text/calendar"' in html


def test_a_broken_promise_shows_an_apology_owed_until_the_apology_is_published(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)

    owing = web.get("/", headers=ENGLISH).text
    notices.create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.APOLOGY,
            titles={"en": "We are sorry", "ko": "사과드립니다"},
            bodies={"en": "The reason and the new plan."},
            launch_slug=SLUG,
            milestone_ids=(PREORDER,),
            publish_now=True,
        ),
    )
    settled = web.get("/", headers=ENGLISH).text

    assert "Apology owed" in owing
    assert "is owed by 2010-11-09 21:50 KST (12:50 UTC)" in owing
    assert "Apology owed" not in settled
    assert '<span class="badge kind kind-apology">Apology</span>' in settled


def test_the_board_says_when_an_owed_apology_is_overdue(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)
    clock.advance_to(utc(9, 13))

    html = web.get("/", headers=ENGLISH).text

    assert 'class="owed overdue"' in html and "It is overdue." in html


def test_user_text_is_escaped_on_every_page(web: TestClient, rt: Runtime, clock: SimulatedClock) -> None:
    tell_the_kt_story(rt, clock, extra=EVIL)

    pages = ["/", "/?lang=ko", f"/launches/{SLUG}", "/notices/n_0003", "/notices/n_0004", "/scorecard"]
    for path in pages:
        html = web.get(path, headers=ENGLISH).text
        assert EVIL not in html, path
        assert "&lt;script&gt;alert(" in html, path


def test_every_page_forbids_inline_scripts(web: TestClient, rt: Runtime) -> None:
    start_kt_launch(rt)

    policy = web.get("/").headers["content-security-policy"]

    assert "script-src 'self'" in policy and "unsafe-inline" not in policy


def test_a_launch_page_shows_each_promise_in_the_launch_zone_with_precision_and_a_countdown(
    web: TestClient, rt: Runtime
) -> None:
    start_kt_launch(rt)
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug=SLUG, key="sale", kind=MilestoneKind.SALE_STARTS, titles={"en": "Sale starts"}
        ),
    )
    launches.revise_promise(
        rt, RevisePromise(f"{SLUG}.sale", time="2010-11-30T09:00", precision=Precision.EXACT)
    )

    html = web.get(f"/launches/{SLUG}", headers=ENGLISH).text

    assert '<time class="promise-time" datetime="2010-11-30T00:00:00+00:00" data-local>' in html
    assert "2010-11-30 09:00 KST (00:00 UTC)" in html
    assert 'data-countdown="2010-11-30T00:00:00+00:00" aria-live="off" hidden' in html
    assert "2010-11-09 (time not announced)" in html
    assert "date announced, time not yet announced" in html
    assert '<script src="/static/yaksok.js" defer></script>' in html


def test_a_launch_page_in_korean_says_the_time_is_not_yet_announced(web: TestClient, rt: Runtime) -> None:
    start_kt_launch(rt)

    html = web.get(f"/launches/{SLUG}", headers=KOREAN).text

    assert "날짜 발표, 시간 미정" in html and "2010년 11월 9일 (화) (시간 미정)" in html


def test_a_launch_page_keeps_the_full_promise_history_with_reasons_overrides_and_notices(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    tell_the_kt_story(rt, clock)

    html = web.get(f"/launches/{SLUG}", headers=ENGLISH).text

    history = html.split("Promise history")[1]
    for version in ("v1", "v2", "v3"):
        assert f"<td>{version}</td>" in history
    assert "<td>first promise</td>" in history and "<td>clarify</td>" in history
    assert "<td>delay</td>" in history and "exchange rate" in history
    assert "changed too close to the old time: supply fell short today" in history
    for notice_id in ("n_0001", "n_0002", "n_0004"):
        assert f'href="/notices/{notice_id}"' in history
    assert '<span class="badge outcome outcome-broken">broken</span>' in history


def test_a_korean_page_shows_the_reason_and_justification_in_korean_only(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    start_kt_launch(rt)
    clock.advance_to(utc(5, 11))
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT))
    clock.advance_to(utc(9, 10, 50))
    _, notice = launches.revise_promise(
        rt,
        RevisePromise(
            PREORDER,
            time="2010-11",
            precision=Precision.MONTH,
            reason={"ko": "공급사와의 가격 협상", "en": "the price with our supplier"},
            override={"ko": "오늘 물량이 부족했습니다", "en": "supply fell short today"},
        ),
    )

    for path in (f"/launches/{SLUG}", f"/notices/{notice.id}"):
        korean, english = web.get(path, headers=KOREAN).text, web.get(path, headers=ENGLISH).text
        assert "오늘 물량이 부족했습니다" in korean and "supply fell short" not in korean, path
        assert "supply fell short today" in english and "오늘 물량이" not in english, path
    korean_history = web.get(f"/launches/{SLUG}", headers=KOREAN).text
    assert "공급사와의 가격 협상" in korean_history and "the price with our supplier" not in korean_history


def test_a_launch_page_shows_a_kept_promise_and_when_it_happened(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    start_kt_launch(rt)
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT))
    clock.advance_to(utc(9, 11))
    launches.record_occurrence(rt, RecordOccurrence(PREORDER))

    html = web.get(f"/launches/{SLUG}", headers=ENGLISH).text

    milestone = html.split('id="m-preorder-opens"')[1].split("</header>")[0]
    assert '<span class="badge outcome outcome-kept">kept</span>' in milestone
    assert "Happened at: 2010-11-09 20:00 KST (11:00 UTC)" in html
    assert "data-countdown=" not in html  # nothing left to count down to


def test_a_notice_page_shows_the_full_notice_and_its_corrections_both_ways(
    web: TestClient, rt: Runtime
) -> None:
    start_kt_launch(rt)
    first = notices.create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.GENERAL, titles={"en": "Stores open at 9"}, launch_slug=SLUG, publish_now=True
        ),
    )
    fix = notices.create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.GENERAL,
            titles={"en": "Stores open at 10"},
            bodies={"en": "We got the **hour** wrong."},
            supersedes=first.id,
            publish_now=True,
        ),
    )

    old = web.get(f"/notices/{first.id}", headers=ENGLISH)
    new = web.get(f"/notices/{fix.id}", headers=ENGLISH)

    assert old.status_code == new.status_code == 200
    assert f'This notice was corrected by: <a href="/notices/{fix.id}">Stores open at 10</a>' in old.text
    assert f'This notice corrects: <a href="/notices/{first.id}">Stores open at 9</a>' in new.text
    assert "<strong>hour</strong>" in new.text
    assert f'<a class="badge superseded" href="/notices/{fix.id}">' in web.get("/").text


@pytest.mark.parametrize("path", ["/launches/no-such-launch", "/notices/n_9999"])
def test_an_unknown_launch_or_notice_is_an_html_404_page(web: TestClient, rt: Runtime, path: str) -> None:
    start_kt_launch(rt)

    response = web.get(path, headers=ENGLISH)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "There is no such page" in response.text


def get_as_sent(app: Starlette, path: str, accept: str) -> tuple[int, dict[str, str], str]:
    """GET ``path`` exactly as a server hands it on (``..`` unresolved, ``%2F`` decoded, as uvicorn
    does); an HTTP client would resolve the dots before sending."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": unquote(path),
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept", accept.encode())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "app": app,
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start, body = sent[0], b"".join(m.get("body", b"") for m in sent[1:])
    headers = {name.decode(): value.decode() for name, value in start["headers"]}
    return start["status"], headers, body.decode()


@pytest.mark.parametrize(
    "path", ["/launches/a%2Fb", "/notices/..%2F..", "/launches/../x", "/notices/%2e%2e", "/no/such/page"]
)
@pytest.mark.parametrize("accept", ["text/html,application/xhtml+xml,*/*;q=0.8", "*/*", ""])
def test_a_path_no_page_answers_to_is_the_html_404_page(web: TestClient, path: str, accept: str) -> None:
    status, headers, body = get_as_sent(web.app, path, accept)

    assert status == 404
    assert headers["content-type"].startswith("text/html")
    assert "There is no such page" in body


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/v1/launches/a%2Fb", "text/html"),
        ("/api/v1/../v1/nothing", "*/*"),
        ("/ledger/nothing", "application/json"),
        ("/no/such/page", "application/problem+json"),
    ],
)
def test_the_api_and_json_readers_keep_problem_json_404s(web: TestClient, path: str, accept: str) -> None:
    response = web.get(path, headers={"Accept": accept})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


def test_a_draft_notice_is_not_public(web: TestClient, rt: Runtime) -> None:
    start_kt_launch(rt)
    draft = notices.create_notice(
        rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Not yet"}, launch_slug=SLUG)
    )

    response = web.get(f"/notices/{draft.id}")

    assert response.status_code == 404
    assert "Not yet" not in response.text and "Not yet" not in web.get("/").text


def test_the_stylesheet_and_script_are_served_from_static(web: TestClient) -> None:
    css = web.get("/static/yaksok.css")
    script = web.get("/static/yaksok.js")

    assert css.status_code == script.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ".badge.override" in css.text
    assert "Intl.DateTimeFormat" in script.text


def test_the_launch_page_shows_the_pre_order_as_it_stands_by_the_rule_that_takes_reservations(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    start_kt_launch(rt)
    page = f"/launches/{SLUG}"
    day_only = web.get(page, headers=ENGLISH).text
    clock.advance_to(utc(5, 11))
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT))
    announced = web.get(page, headers=KOREAN).text
    closes = AddMilestone(
        launch_slug=SLUG, key="closes", kind=MilestoneKind.PREORDER_CLOSES, titles={"en": "Pre-orders close"}
    )
    launches.add_milestone(rt, closes)
    launches.revise_promise(
        rt, RevisePromise(f"{SLUG}.closes", time="2010-11-12T20:00", precision=Precision.EXACT)
    )
    clock.advance_to(utc(9, 11, 1))
    opened = web.get(page, headers=ENGLISH).text
    clock.advance_to(utc(12, 11))
    closed = web.get(page, headers=ENGLISH).text

    assert "preorder-not_announced" in day_only and "No opening time is announced yet" in day_only
    assert "preorder-announced" in announced
    assert "사전 예약은 2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)에 시작합니다." in announced
    assert "preorder-open" in opened and "open (since 2010-11-09 20:00 KST (11:00 UTC))" in opened
    assert "preorder-closed" in closed and "closed at 2010-11-12 20:00 KST (11:00 UTC)" in closed
