"""The operator's launch week in a real browser (headless Debian Chromium via Playwright) against
the whole app served by uvicorn on a fresh SQLite file: the account is made with the CLI, then
everything else is done by clicking and typing in the console, and the result read on the public
board. The server's clock is simulated so that a week passes in seconds; htmx's live verdict is
watched as the time is typed."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from yaksok.services import upkeep

if TYPE_CHECKING:
    from tests.e2e.conftest import ConsoleServer  # the fixture's type, for readers and editors

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "console"  # git-ignored
ERRORS_IGNORED = ("status of 422",)  # the refused change is answered 422, which Chromium logs


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


def sign_in(page: Page, server: ConsoleServer) -> None:
    page.goto(f"{server.url}/console/")
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    page.get_by_label("Email").fill(server.email)
    page.get_by_label("Password").fill(server.password)
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


def test_an_operator_runs_the_launch_week_from_the_console(
    console_server: ConsoleServer, chromium_page: Page
) -> None:
    page = chromium_page
    started = time.monotonic()
    errors = watch_for_errors(page)

    sign_in(page, console_server)
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
