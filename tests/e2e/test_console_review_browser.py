"""Two-person review in a real browser (headless Debian Chromium via Playwright) against the whole
app served by uvicorn: on a launch under review an editor's promise change is held, the editor is
offered no approval of their own proposal, a second operator approves it from "Waiting for
review", and the change is published on the public launch page."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from yaksok.domain.commands import AddMilestone, CreateLaunch
from yaksok.domain.launch import MilestoneKind
from yaksok.services import launches, operators

if TYPE_CHECKING:
    from tests.e2e.conftest import ConsoleServer

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "console-review"  # git-ignored
EDITOR, EDITOR_PASSWORD = "editor@example.com", "an editor's long pass phrase"


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def a_launch_under_review(server: ConsoleServer) -> None:
    rt = server.rt
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    opens = AddMilestone(
        launch_slug="ipad",
        key="preorder",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders open"},
    )
    launches.add_milestone(rt, opens)
    launches.set_review(rt, "ipad", required=True)
    operators.create_operator(rt, EDITOR, "editor", EDITOR_PASSWORD)


def sign_in(page: Page, url: str, email: str, password: str) -> None:
    page.goto(f"{url}/console/sign-in")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Launches", exact=True)).to_be_visible()


def test_an_editors_promise_waits_for_a_second_operator_who_approves_it_in_the_browser(
    console_server: ConsoleServer, chromium_page: Page
) -> None:
    page, url = chromium_page, console_server.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    a_launch_under_review(console_server)

    sign_in(page, url, EDITOR, EDITOR_PASSWORD)
    page.goto(f"{url}/console/milestones/ipad.preorder")
    page.locator("[name=time]").fill("2010-11-09T20:00")
    expect(page.locator("#verdict")).to_contain_text("No rule of the policy is broken")
    page.get_by_role("button", name="Publish the change").click()
    expect(page).to_have_url(re.compile(r"/console/reviews\?proposed=p_"))
    held = page.get_by_role("status")
    expect(held).to_contain_text("another operator must approve it")
    row = page.locator("tbody tr").filter(has_text="ipad.preorder")
    expect(row).to_contain_text("yours")
    expect(row.get_by_role("button", name="Approve and publish")).to_have_count(0)
    shot(page, "01-held-for-review.png")
    page.goto(f"{url}/launches/ipad?lang=en")
    expect(page.locator("main")).not_to_contain_text("2010-11-09 20:00 KST")  # nothing published yet

    page.goto(f"{url}/console/")
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, url, console_server.email, console_server.password)
    page.get_by_role("link", name="Waiting for review").click()
    row = page.locator("tbody tr").filter(has_text="ipad.preorder")
    shot(page, "02-waiting-for-the-reviewer.png")
    row.get_by_role("button", name="Approve and publish").click()
    expect(page).to_have_url(re.compile(r"/console/reviews\?approved=p_"))
    expect(page.locator("tbody")).to_contain_text("Nothing is waiting for review.")
    expect(page.locator("main ul").last).to_contain_text("approved")
    shot(page, "03-approved.png")

    page.goto(f"{url}/launches/ipad?lang=en")
    expect(page.locator("main")).to_contain_text("2010-11-09 20:00 KST")
    shot(page, "04-published.png")
    assert errors == []
