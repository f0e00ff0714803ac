"""A question asked and answered in real browsers (headless Chromium) against a real uvicorn
server: a customer asks on the launch page with script blocked, a support operator answers in
the console, and the official answer shows on the launch page the customer reloads."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from yaksok.domain.commands import CreateLaunch
from yaksok.services import launches, operators

if TYPE_CHECKING:
    from tests.e2e.conftest import ConsoleServer

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SUPPORT_EMAIL, SUPPORT_PASSWORD = "support@example.com", "support staff password"
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">When do pre-orders open?"


def test_a_customer_asks_without_script_and_a_support_operator_answers_in_the_console(
    console_server: ConsoleServer, chromium_page: Page
) -> None:
    rt = console_server.rt
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    operators.create_operator(rt, SUPPORT_EMAIL, "support", SUPPORT_PASSWORD)
    customer = chromium_page
    customer.route("**/*.js", lambda route: route.abort())  # the form works without any script
    customer.goto(f"{console_server.url}/launches/ipad?lang=en")
    form = customer.locator("form.question-form")
    form.get_by_label("Your question", exact=True).fill(HOSTILE + "\nAnd at what time?")
    form.get_by_role("button", name="Ask").click()
    expect(customer.locator('p.asked[role="status"]')).to_be_visible()
    expect(customer.locator("article.question-open .question-text")).to_contain_text("<img src=x onerror=")
    assert customer.title() != "pwned" and customer.locator("article.question img").count() == 0

    browser = chromium_page.context.browser
    assert browser is not None
    session = browser.new_context(locale="en-US")  # the operator's own cookies
    operator = session.new_page()
    try:
        operator.goto(f"{console_server.url}/console/sign-in?lang=en")
        operator.get_by_label("Email").fill(SUPPORT_EMAIL)
        operator.get_by_label("Password").fill(SUPPORT_PASSWORD)
        operator.get_by_role("button", name="Sign in").click()
        operator.get_by_role("link", name="Questions").click()
        expect(operator).to_have_url(re.compile(r"/console/questions$"))
        waiting = operator.locator("article.console-question").first
        expect(waiting).to_contain_text("And at what time?")
        waiting.get_by_label("Answer").fill("On 17 November at 10:00 KST.\nWe announce it 72 hours ahead.")
        waiting.get_by_role("button", name="Publish the official answer").click()
        expect(operator.locator('p.notice-box[role="status"]')).to_be_visible()
    finally:
        session.close()

    customer.reload()
    answered = customer.locator("article.question-answered")
    expect(answered.locator(".answer.official")).to_contain_text("Official answer")
    expect(answered.locator(".answer-text")).to_contain_text("On 17 November at 10:00 KST.")
    assert "We announce it 72 hours ahead." in answered.locator(".answer-text").inner_html()
    assert "<br>" in answered.locator(".answer-text").inner_html()
