"""The operator's launch week in a real browser (headless Debian Chromium via Playwright) against
the whole app served by uvicorn on a fresh SQLite file: the account is made with the CLI, then
everything else is done by clicking and typing in the console, and the result read on the public
board. The server's clock is simulated so that a week passes in seconds; htmx's live verdict is
watched as the time is typed."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Page, expect, sync_playwright

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.services import upkeep
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store
from yaksok.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "console"  # git-ignored
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
STARTUP = 15.0  # seconds the server may take to start or stop
EMAIL, PASSWORD = "ops@example.com", "a long pass phrase for the console"
ERRORS_IGNORED = ("status of 422",)  # the refused change is answered 422, which Chromium logs


@dataclass
class ConsoleServer:
    url: str
    rt: Runtime
    clock: SimulatedClock


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def create_operator_with_the_cli(database_url: str) -> None:
    yaksok = Path(sys.executable).parent / "yaksok"
    made = subprocess.run(
        [str(yaksok), "user", "create", "--email", EMAIL, "--role", "admin", "--password-stdin"],
        input=PASSWORD + "\n",
        env={**os.environ, "YAKSOK_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr


@pytest.fixture
def console_server(tmp_path: Path) -> Iterator[ConsoleServer]:
    """The app on 127.0.0.1 in a uvicorn thread over a fresh SQLite file, its clock simulated
    from 2010-10-28 00:00 UTC; the scheduler is ticked by the test when time has moved."""
    database_url = f"sqlite:///{tmp_path / 'yaksok.db'}"
    store = Store.connect(database_url)
    create_operator_with_the_cli(database_url)
    clock = SimulatedClock(datetime(2010, 10, 28, tzinfo=UTC))
    rt = Runtime(store=store, clock=clock)
    port = _free_port()
    app = create_app(rt, Settings(database_url=database_url, port=port, run_scheduler=False))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="none"))
    thread = threading.Thread(target=server.run, name="console-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the uvicorn server did not start")
        time.sleep(0.02)
    try:
        yield ConsoleServer(f"http://127.0.0.1:{port}", rt, clock)
    finally:
        server.should_exit = True
        thread.join(STARTUP)
        store.close()


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.skip(
            f"!!! {CHROMIUM} is MISSING: the console browser test is SKIPPED. "
            "Install Debian's chromium package (CI does) to run it !!!"
        )
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            context = browser.new_context(locale="en-US", timezone_id="Asia/Seoul")
            context.set_default_timeout(10_000)
            yield context.new_page()
            context.close()
        finally:
            browser.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def watch_for_errors(page: Page) -> list[str]:
    """Script errors and console errors (a Content-Security-Policy refusal shows up there too)."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def console(message: object) -> None:
        text, kind = getattr(message, "text", ""), getattr(message, "type", "")
        if kind == "error" and not any(ignored in text for ignored in ERRORS_IGNORED):
            errors.append(text)

    page.on("console", console)
    return errors


def fill_pair(page: Page, name: str, ko: str, en: str) -> None:
    page.locator(f"[name={name}_ko]").fill(ko)
    page.locator(f"[name={name}_en]").fill(en)


def sign_in(page: Page, url: str) -> None:
    page.goto(f"{url}/console/")
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "01-sign-in.png")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Launches", exact=True)).to_be_visible()


def create_launch_with_a_milestone(page: Page) -> None:
    page.get_by_label("Slug").fill("ipad")
    fill_pair(page, "title", "아이패드", "iPad")
    page.get_by_label("Time zone").fill("Asia/Seoul")
    page.get_by_role("button", name="Create launch").click()
    expect(page).to_have_url(re.compile(r"/console/launches/ipad$"))
    page.get_by_label("Key").fill("preorder")
    page.get_by_label("Kind").select_option("preorder_opens")
    add = page.locator("form[action$='/milestones']")
    add.locator("[name=title_ko]").fill("예약 판매 시작")
    add.locator("[name=title_en]").fill("Pre-orders open")
    add.get_by_role("button", name="Add milestone").click()
    expect(page.get_by_role("cell", name=re.compile("Pre-orders open"))).to_be_visible()
    shot(page, "02-launch.png")


def announce_with_the_live_verdict(page: Page) -> None:
    page.get_by_role("link", name="Change the promise").click()
    time_field, verdict = page.locator("[name=time]"), page.locator("#verdict")
    # Typed too close (25 h ahead of 2010-10-28 00:00 UTC): htmx brings the verdict, no click.
    time_field.fill("2010-10-29T10:00")
    expect(verdict).to_contain_text("policy.lead_time")
    expect(verdict).to_contain_text("72 h")
    shot(page, "03-verdict-too-close.png")
    # Edited to twelve days ahead: the same box now says nothing is broken.
    time_field.fill("2010-11-09T20:00")
    expect(verdict).to_contain_text("No rule of the policy is broken")
    page.get_by_role("button", name="Publish the change").click()
    expect(page).to_have_url(re.compile(r"published="))
    expect(page.locator("main")).to_contain_text("2010-11-09 20:00 KST")


def late_change_refused_then_overridden(page: Page, server: ConsoleServer) -> None:
    # 20 minutes before the promised 20:00 KST, the store finds it cannot open on time.
    server.clock.advance_to(datetime(2010, 11, 9, 10, 40, tzinfo=UTC))
    page.reload()
    page.locator("[name=time]").fill("2010-11-12T20:00")
    fill_pair(page, "reason", "물량 부족", "Short of stock")
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("policy.late_change")
    expect(verdict).to_contain_text("24 h")
    expect(verdict).to_contain_text("20 min")
    page.get_by_role("button", name="Publish the change").click()
    # Refused without JavaScript's help: the whole page comes back with the figures.
    expect(page.locator("#verdict")).to_contain_text("20 min")
    expect(page.locator("main")).to_contain_text("2010-11-09 20:00 KST")  # unchanged
    shot(page, "04-late-change-refused.png")
    fill_pair(page, "override", "공급사 선적 지연, 사과드립니다", "Supplier shipment delayed; we apologise")
    page.get_by_role("button", name="Publish the change").click()
    expect(page).to_have_url(re.compile(r"published="))
    expect(page.locator("main")).to_contain_text("2010-11-12 20:00 KST")
    shot(page, "05-override-published.png")


def compose_schedule_and_publish(page: Page, server: ConsoleServer) -> None:
    page.get_by_role("link", name="Notices").click()
    fill_pair(page, "title", "배송 안내", "Shipping times")
    placeholder = "{{milestone:ipad.preorder}}"
    fill_pair(page, "body", f"**예약** {placeholder}", f"**Pre-orders** {placeholder}")
    page.get_by_role("button", name="Preview").click()
    preview = page.locator("section.preview")
    expect(preview.locator("strong").first).to_have_text("예약")
    expect(preview).to_contain_text("2010-11-12 20:00 KST")
    page.locator("[name=publish_at]").fill("2010-11-10T09:00")
    page.locator("[name=zone]").fill("Asia/Seoul")
    page.get_by_role("button", name="Schedule").click()
    expect(page.locator("main")).to_contain_text("Shipping times")
    shot(page, "06-scheduled.png")
    fill_pair(page, "title", "매장 안내", "Store hours")
    fill_pair(page, "body", "매장은 20시에 엽니다.", "Stores open at 20:00.")
    page.get_by_role("button", name="Publish now").click()
    expect(page).to_have_url(re.compile(r"saved="))
    # The scheduled one goes out when its time comes (the scheduler's tick, as `serve` runs it).
    server.clock.advance_to(datetime(2010, 11, 10, 0, 0, 30, tzinfo=UTC))
    upkeep.tick(server.rt)


def test_an_operator_runs_the_launch_week_from_the_console(console_server: ConsoleServer, page: Page) -> None:
    started = time.monotonic()
    errors = watch_for_errors(page)

    sign_in(page, console_server.url)
    create_launch_with_a_milestone(page)
    announce_with_the_live_verdict(page)
    late_change_refused_then_overridden(page, console_server)
    compose_schedule_and_publish(page, console_server)
    page.goto(f"{console_server.url}/?lang=en")
    board = page.locator("main")

    expect(board).to_contain_text("Store hours")
    expect(board).to_contain_text("Shipping times")
    expect(board).to_contain_text("Supplier shipment delayed; we apologise")
    shot(page, "07-public-board.png")
    assert errors == []
    assert time.monotonic() - started < 60
