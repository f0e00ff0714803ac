"""The pages in a real browser (headless Chromium via Playwright) against a real uvicorn server:
the script adds the visitor's local time and a live countdown, and the pages look right."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from real_processes import free_port, served_in_thread

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RecordOccurrence, RevisePromise
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.promise import Precision
from yaksok.services import launches
from yaksok.services.runtime import Runtime, counting_ids
from yaksok.store.unit_of_work import Store
from yaksok.web.app import create_app

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "browser"  # git-ignored
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class PagesServer:
    url: str
    rt: Runtime
    clock: SimulatedClock


@pytest.fixture
def pages_server(tmp_path: Path) -> Iterator[PagesServer]:
    """The whole app on 127.0.0.1 in a uvicorn thread, on a fresh SQLite store and a simulated
    clock at 2010-10-28 00:00 UTC; the test writes data through ``rt`` while it runs."""
    store = Store.connect(f"sqlite:///{tmp_path / 'yaksok.db'}")
    clock = SimulatedClock(datetime(2010, 10, 28, tzinfo=UTC))
    rt = Runtime(store=store, clock=clock, new_id=counting_ids())
    port = free_port()
    app = create_app(rt, Settings(database_url="unused", port=port, run_scheduler=False))
    try:
        with served_in_thread(app, port, "pages-uvicorn") as url:
            yield PagesServer(url, rt, clock)
    finally:
        store.close()


@pytest.fixture
def browser_page() -> Iterator[Page]:
    """A page in headless Debian Chromium (never a browser Playwright downloads), in English and
    in Berlin time, so the visitor's local time differs from the launch's zone."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"!!! {CHROMIUM} is MISSING: the browser test is SKIPPED. "
            "Install Debian's chromium package (CI does) to run it !!!"
        )
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="en-US", timezone_id="Europe/Berlin")
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def promise_preorders(rt: Runtime) -> None:
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug="ipad",
            key="preorder",
            kind=MilestoneKind.PREORDER_OPENS,
            titles={"en": "Pre-orders open"},
        ),
    )
    launches.revise_promise(
        rt, RevisePromise("ipad.preorder", time="2010-11-09T20:00", precision=Precision.EXACT)
    )


def watch_for_errors(page: Page) -> list[str]:
    """Script errors and console errors (a Content-Security-Policy refusal shows up there too)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / name
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


def test_the_launch_page_counts_down_every_second_and_shows_the_visitors_own_time(
    pages_server: PagesServer, browser_page: Page
) -> None:
    promise_preorders(pages_server.rt)
    errors = watch_for_errors(browser_page)

    browser_page.goto(f"{pages_server.url}/launches/ipad")
    countdown = browser_page.locator("#m-preorder .countdown")
    countdown.wait_for(state="visible")
    first = countdown.inner_text()
    browser_page.wait_for_timeout(1200)
    second = countdown.inner_text()
    local = browser_page.locator("#m-preorder .local-time").inner_text()

    assert first != second, "the countdown did not move"
    # The server's clock says 2010-10-28 00:00 UTC: 12 days 11 hours to go, give or take seconds.
    assert first.startswith("in 12 d 10:59:") or first.startswith("in 12 d 11:00:0"), first
    # 2010-11-09 20:00 KST is 12:00 in Berlin (CET, UTC+1).
    assert local.startswith("your time (Europe/Berlin):"), local
    assert "Nov" in local and "12:00" in local, local
    assert errors == []
    assert screenshot(browser_page, "launch-page.png").stat().st_size > 10_000


def test_the_board_renders_with_its_stylesheet_and_the_language_switch_works(
    pages_server: PagesServer, browser_page: Page
) -> None:
    promise_preorders(pages_server.rt)
    errors = watch_for_errors(browser_page)

    browser_page.goto(f"{pages_server.url}/")
    badge_colour = browser_page.locator(".badge.kind-announcement").evaluate(
        "element => getComputedStyle(element).color"
    )
    browser_page.get_by_role("link", name="한국어").click()
    heading = browser_page.locator("h1").inner_text()

    assert badge_colour != "rgb(0, 0, 0)", "the stylesheet was not applied"
    assert heading == "공지 게시판"
    assert browser_page.locator(".milestone-list .countdown").is_visible()
    assert errors == []
    screenshot(browser_page, "board-ko.png")


def test_the_scorecard_draws_its_drift_chart(pages_server: PagesServer, browser_page: Page) -> None:
    rt, clock = pages_server.rt, pages_server.clock
    promise_preorders(rt)
    clock.advance_to(datetime(2010, 11, 8, tzinfo=UTC))
    launches.revise_promise(
        rt, RevisePromise("ipad.preorder", time="2010-11-12T20:00", precision=Precision.EXACT, reason="stock")
    )
    clock.advance_to(datetime(2010, 11, 12, 11, 1, tzinfo=UTC))
    launches.record_occurrence(rt, RecordOccurrence("ipad.preorder"))

    browser_page.goto(f"{pages_server.url}/scorecard")
    chart = browser_page.locator("svg.drift")
    box = chart.bounding_box()

    assert box is not None and box["width"] > 300 and box["height"] > 150
    assert chart.locator(".mark.exact circle").count() == 2
    assert (
        browser_page.get_by_role("img", name="Promise drift for Pre-orders open: 2 promise versions").count()
        == 1
    )
    screenshot(browser_page, "scorecard.png")
