"""Subscribing from a launch page in a real browser (headless Chromium) against a real uvicorn
server, with script blocked: the form alone does it, and the confirmation arrives on a real
``aiosmtpd`` server on 127.0.0.1; following its link in the browser confirms the address."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Page
from real_processes import free_port, served_in_thread
from test_browser import browser_page as browser_page
from test_browser import screenshot

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import CreateLaunch
from yaksok.services import launches, subscribers
from yaksok.services.runtime import Runtime, counting_ids
from yaksok.store.unit_of_work import Store
from yaksok.web.app import create_app

pytestmark = pytest.mark.browser


class Inbox:
    def __init__(self) -> None:
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 OK"


def test_a_visitor_subscribes_from_a_launch_page_without_script_and_confirms_from_the_email(
    tmp_path: Path, browser_page: Page
) -> None:
    inbox, smtp_port, port = Inbox(), free_port(), free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    store = Store.connect(f"sqlite:///{tmp_path / 'yaksok.db'}")
    rt = Runtime(store=store, clock=SimulatedClock(datetime(2010, 10, 28, tzinfo=UTC)), new_id=counting_ids())
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    settings = Settings(
        database_url="unused", port=port, run_scheduler=False, smtp_host="127.0.0.1", smtp_port=smtp_port
    )
    try:
        with served_in_thread(create_app(rt, settings), port, "subscribe-uvicorn") as url:
            browser_page.route("**/*.js", lambda route: route.abort())  # no script at all
            browser_page.goto(f"{url}/launches/ipad?lang=en")
            form = browser_page.locator("form.subscribe-form")
            assert form.locator('input[name="launch"][value="ipad"]').is_checked()
            form.locator('input[name="address"]').fill("reader@example.com")
            form.locator('input[name="kind"][value="change"]').check()
            form.locator('select[name="language"]').select_option("ko")
            form.locator('button[type="submit"]').click()
            browser_page.wait_for_load_state()

            assert browser_page.locator("h1").inner_text() == "구독 신청 완료"
            assert "reader@example.com" in browser_page.locator("main").inner_text()
            screenshot(browser_page, "subscribed-ko.png")
            [confirmation] = inbox.received
            text = confirmation.get_body(("plain",))
            assert text is not None
            found = re.search(r"http\S+/subscriptions/confirm/\S+", text.get_content())
            assert found, text.get_content()
            browser_page.goto(found[0])
            assert "confirmed" in browser_page.content().lower()
            [made] = subscribers.listing(rt).subscriptions
            assert (made.state, made.language, made.launches) == ("active", "ko", ("ipad",))
    finally:
        smtp.stop()
        store.close()
