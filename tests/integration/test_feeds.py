"""The Atom feeds and calendars through HTTP, read back with real parsers, and conditional GET."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime

import feedparser
import pytest
from icalendar import Calendar

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, Clarify, CreateLaunch, RevisePromise, WriteNotice
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import Claim, NoticeKind, Verdict
from yaksok.domain.promise import Precision
from yaksok.services import launches, notices
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

with warnings.catch_warnings():
    # Starlette 1.x prefers httpx2 for its TestClient; plain httpx behaves the same in process.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

PUBLIC = "https://yaksok.example"
PREORDER = "ipad.preorder"


@pytest.fixture
def web(rt: Runtime) -> TestClient:
    settings = Settings(database_url="unused", run_scheduler=False, base_url=PUBLIC)
    return TestClient(create_app(rt, settings))


def ipad(rt: Runtime, clock: SimulatedClock) -> None:
    """Pre-orders promised for a day, then for 20:00 KST, with a shipping update on another launch."""
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug="ipad",
            key="preorder",
            kind=MilestoneKind.PREORDER_OPENS,
            titles={"ko": "예약", "en": "Pre-orders"},
        ),
    )
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09", precision=Precision.DAY))
    clock.advance_to(datetime(2010, 11, 5, 11, tzinfo=UTC))
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT))
    launches.create_launch(rt, CreateLaunch(slug="iphone", titles={"en": "iPhone 4"}, zone="Asia/Seoul"))
    notices.create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.SHIPPING_UPDATE,
            titles={"en": "iPhone batch 3"},
            launch_slug="iphone",
            publish_now=True,
        ),
    )


def test_the_site_feed_is_valid_atom_with_every_notice_and_absolute_links(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    ipad(rt, clock)

    response = web.get("/feed.atom", headers={"Accept-Language": "en"})
    feed = feedparser.parse(response.content)

    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert len(feed.entries) == 3
    assert feed.entries[0].title == "iPhone batch 3"
    assert feed.entries[1].link == f"{PUBLIC}/notices/n_0002"
    assert "2010-11-09 20:00 KST (11:00 UTC)" in feed.entries[1].content[0].value


def test_a_launch_feed_has_only_that_launchs_notices(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    ipad(rt, clock)

    feed = feedparser.parse(web.get("/launches/ipad/feed.atom?lang=en").content)

    assert feed.bozo == 0 and feed.version == "atom10"
    assert [entry.link for entry in feed.entries] == [f"{PUBLIC}/notices/n_0002", f"{PUBLIC}/notices/n_0001"]
    assert feed.feed.title == "iPad — notices"
    assert any(link.href == f"{PUBLIC}/launches/ipad/feed.atom" for link in feed.feed.links)


def test_the_feed_speaks_the_language_asked_for(web: TestClient, rt: Runtime, clock: SimulatedClock) -> None:
    ipad(rt, clock)

    korean = feedparser.parse(web.get("/launches/ipad/feed.atom", headers={"Accept-Language": "ko"}).content)
    english = feedparser.parse(
        web.get("/launches/ipad/feed.atom?lang=en", headers={"Accept-Language": "ko"}).content
    )

    assert korean.feed.language == "ko" and "아이패드" in korean.entries[0].title
    assert english.feed.language == "en" and "iPad" in english.entries[0].title


def test_a_clarifications_source_is_a_link_in_the_feed(web: TestClient, rt: Runtime) -> None:
    claim = Claim(text="Pre-orders open at 9:00", verdict=Verdict.FALSE, source_url="https://news.example/1")
    notices.clarify(rt, Clarify(claim=claim, titles={"en": "The 9:00 report is false"}))

    feed = feedparser.parse(web.get("/feed.atom?lang=en").content)

    assert feed.bozo == 0
    content = feed.entries[0].content[0].value
    assert '<a href="https://news.example/1" rel="nofollow noopener">https://news.example/1</a>' in content


def test_the_calendar_has_one_event_per_milestone_in_seoul_time(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    ipad(rt, clock)

    response = web.get("/calendar.ics?lang=en")
    cal = Calendar.from_ical(response.content)

    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    [event] = cal.events
    assert event.uid == "ipad.preorder@yaksok"
    assert event.sequence == 1
    stamp = event.DTSTAMP
    assert stamp == datetime(2010, 11, 5, 11, tzinfo=UTC)
    assert event.start == datetime(2010, 11, 9, 11, tzinfo=UTC)
    assert [tz["TZID"] for tz in cal.walk("VTIMEZONE")] == ["Asia/Seoul"]


def test_a_subscribed_calendar_sees_the_day_all_day_then_the_time_in_place_of_it(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug="ipad", key="preorder", kind=MilestoneKind.PREORDER_OPENS, titles={"en": "Pre-orders"}
        ),
    )
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09", precision=Precision.DAY))
    [day] = Calendar.from_ical(web.get("/launches/ipad/calendar.ics?lang=ko").content).events
    clock.advance_to(datetime(2010, 11, 5, 11, tzinfo=UTC))
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT))
    [timed] = Calendar.from_ical(web.get("/launches/ipad/calendar.ics?lang=ko").content).events

    assert (day.start, day.end, day.sequence) == (date(2010, 11, 9), date(2010, 11, 10), 0)
    assert day["SUMMARY"] == "[시간 미정] 아이패드 — Pre-orders"
    assert (timed.uid, timed.sequence) == (day.uid, 1)
    assert timed.start == datetime(2010, 11, 9, 11, tzinfo=UTC)
    assert timed["SUMMARY"] == "아이패드 — Pre-orders"


def test_a_launch_calendar_has_only_that_launchs_milestones(
    web: TestClient, rt: Runtime, clock: SimulatedClock
) -> None:
    ipad(rt, clock)

    ipad_events = Calendar.from_ical(web.get("/launches/ipad/calendar.ics").content).events
    iphone_events = Calendar.from_ical(web.get("/launches/iphone/calendar.ics").content).events

    assert len(ipad_events) == 1 and iphone_events == []


@pytest.mark.parametrize("path", ["/launches/nothing/feed.atom", "/launches/nothing/calendar.ics"])
def test_the_feeds_of_an_unknown_launch_are_404(web: TestClient, path: str) -> None:
    response = web.get(path)

    assert response.status_code == 404
    assert response.json()["code"] == "launch.not_found"


@pytest.mark.parametrize("path", ["/feed.atom", "/calendar.ics", "/launches/ipad/feed.atom"])
def test_an_unchanged_feed_answers_304_to_its_etag(
    web: TestClient, rt: Runtime, clock: SimulatedClock, path: str
) -> None:
    ipad(rt, clock)
    first = web.get(path)

    again = web.get(path, headers={"If-None-Match": first.headers["etag"]})

    assert first.headers["cache-control"] == "no-cache"
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]


@pytest.mark.parametrize("path", ["/feed.atom", "/calendar.ics"])
def test_an_unchanged_feed_answers_304_to_its_last_modified_date(
    web: TestClient, rt: Runtime, clock: SimulatedClock, path: str
) -> None:
    ipad(rt, clock)
    first = web.get(path)

    again = web.get(path, headers={"If-Modified-Since": first.headers["last-modified"]})
    older = web.get(path, headers={"If-Modified-Since": "Thu, 04 Nov 2010 00:00:00 GMT"})

    assert first.headers["last-modified"] == "Fri, 05 Nov 2010 11:00:00 GMT"
    assert again.status_code == 304
    assert older.status_code == 200


@pytest.mark.parametrize("path", ["/feed.atom", "/calendar.ics"])
def test_a_changed_promise_makes_a_new_etag_and_a_full_answer(
    web: TestClient, rt: Runtime, clock: SimulatedClock, path: str
) -> None:
    ipad(rt, clock)
    first = web.get(path)
    clock.advance_to(datetime(2010, 11, 6, tzinfo=UTC))
    launches.revise_promise(
        rt, RevisePromise(PREORDER, time="2010-11-12T20:00", precision=Precision.EXACT, reason="stock")
    )

    after = web.get(path, headers={"If-None-Match": first.headers["etag"]})

    assert after.status_code == 200
    assert after.headers["etag"] != first.headers["etag"]
    assert after.headers["last-modified"] == "Sat, 06 Nov 2010 00:00:00 GMT"


def test_each_language_has_its_own_etag(web: TestClient, rt: Runtime, clock: SimulatedClock) -> None:
    ipad(rt, clock)

    korean = web.get("/feed.atom?lang=ko")
    english = web.get("/feed.atom?lang=en", headers={"If-None-Match": korean.headers["etag"]})

    assert english.status_code == 200
    assert korean.headers["vary"] == "Accept-Language, Cookie"
