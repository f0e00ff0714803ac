"""axe-core (npm, installed by scripts/test with ``npm ci --prefix tests/e2e``) run in Chromium on
the public pages and the console: no serious or critical violation of WCAG 2 A/AA."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page

from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise, WriteNotice
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import NoticeKind
from yaksok.domain.promise import Precision
from yaksok.services import launches, notices, questions

if TYPE_CHECKING:
    from tests.e2e.conftest import ConsoleServer

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = Path(__file__).resolve().parents[2] / "test-output" / "axe"  # git-ignored
SEVERE = ("serious", "critical")
STANDARDS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        pytest.skip(
            f"!!! {AXE} is MISSING: the accessibility checks are SKIPPED. "
            "Run scripts/test with npm reachable (it runs `npm ci --prefix tests/e2e`) !!!"
        )
    return AXE.read_text(encoding="utf-8")


def severe_violations(page: Page, axe_source: str, name: str) -> list[str]:
    """axe's serious and critical findings on the page as it stands, one line each; the full
    report is kept under test-output/axe/. axe is evaluated through the DevTools protocol, which
    the page's Content-Security-Policy does not govern, so the policy stays on for the check."""
    page.evaluate(axe_source)
    results = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", STANDARDS)
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}.json").write_text(json.dumps(results["violations"], indent=1))
    return [
        f"{name}: {v['id']} ({v['impact']}) {v['help']}: {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
        if v["impact"] in SEVERE
    ]


def a_launch_with_history(server: ConsoleServer) -> str:
    """A launch whose promise was changed late with an override, and a general notice; returns
    that notice's id."""
    rt = server.rt
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug="ipad",
            key="preorder",
            kind=MilestoneKind.PREORDER_OPENS,
            titles={"ko": "예약 판매", "en": "Pre-orders open"},
        ),
    )
    launches.revise_promise(
        rt, RevisePromise("ipad.preorder", time="2010-11-09T20:00", precision=Precision.EXACT)
    )
    server.clock.advance_to(datetime(2010, 11, 9, 10, 40, tzinfo=UTC))
    launches.revise_promise(
        rt,
        RevisePromise(
            "ipad.preorder",
            time="2010-11-12T20:00",
            precision=Precision.EXACT,
            reason={"ko": "물량 부족", "en": "Short of stock"},
            override={"ko": "공급 지연", "en": "Supplier delay"},
        ),
    )
    notice = notices.create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.GENERAL,
            titles={"ko": "매장 안내", "en": "Store hours"},
            bodies={"ko": "매장은 **20시**에 엽니다.", "en": "Stores open at **20:00**."},
            launch_slug="ipad",
            publish_now=True,
        ),
    )
    # Questions on the pages: one answered officially, one still open.
    answered = questions.ask(
        rt, questions.Ask("ipad", "몇 시에 열리나요?\n가격은요?", "ko", contact="a@example.com")
    )
    questions.ask(rt, questions.Ask("ipad", "Will there be a waitlist?", "en", notice_id=notice.id))
    questions.answer(dataclasses.replace(rt, actor="t_support"), answered.id, "20:00 KST에 엽니다.")
    return notice.id


def a_change_held_for_review(server: ConsoleServer) -> None:
    """A second launch under two-person review with another operator's promise change waiting, so
    the review page shows its approve and reject forms."""
    rt = server.rt
    launches.create_launch(rt, CreateLaunch(slug="iphone", titles={"en": "iPhone"}, zone="Asia/Seoul"))
    opens = AddMilestone(
        launch_slug="iphone", key="sale", kind=MilestoneKind.SALE_STARTS, titles={"en": "Sale"}
    )
    launches.add_milestone(rt, opens)
    launches.set_review(rt, "iphone", required=True)
    proposer = dataclasses.replace(rt, actor="o_store_team")
    launches.revise_promise(
        proposer, RevisePromise("iphone.sale", time="2010-12-01T10:00", precision=Precision.EXACT)
    )


def test_the_public_pages_have_no_serious_accessibility_violation(
    console_server: ConsoleServer, chromium_page: Page, axe_source: str
) -> None:
    notice_id = a_launch_with_history(console_server)
    pages = {
        "board-en": "/?lang=en",
        "board-ko": "/?lang=ko",
        "board-ja": "/?lang=ja",
        "launch": "/launches/ipad?lang=en",
        "notice": f"/notices/{notice_id}?lang=ko",
        "scorecard": "/scorecard?lang=en",
        "not-found": "/launches/none?lang=en",
    }
    found = []
    for name, path in pages.items():
        chromium_page.goto(console_server.url + path)
        found += severe_violations(chromium_page, axe_source, name)

    assert found == [], "\n".join(found)


def test_the_console_pages_have_no_serious_accessibility_violation(
    console_server: ConsoleServer, chromium_page: Page, axe_source: str
) -> None:
    a_launch_with_history(console_server)
    a_change_held_for_review(console_server)
    page, found = chromium_page, []
    page.goto(f"{console_server.url}/console/sign-in")
    found += severe_violations(page, axe_source, "console-sign-in")
    page.get_by_label("Email").fill(console_server.email)
    page.get_by_label("Password").fill(console_server.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")
    found += severe_violations(page, axe_source, "console-launches")
    page.goto(f"{console_server.url}/console/launches/ipad")
    found += severe_violations(page, axe_source, "console-launch")
    page.goto(f"{console_server.url}/console/milestones/ipad.preorder")
    page.locator("[name=time]").fill("2010-11-10T09:00")
    page.locator("#verdict .broken-rules").wait_for()
    found += severe_violations(page, axe_source, "console-milestone-verdict")
    page.goto(f"{console_server.url}/console/notices")
    page.locator("[name=body_en]").fill("**Bold** and a [link](https://example.com)")
    page.get_by_role("button", name="Preview").click()
    found += severe_violations(page, axe_source, "console-refused")  # a preview needs a title
    page.go_back()
    page.locator("[name=title_en]").fill("Store hours")
    page.get_by_role("button", name="Preview").click()
    page.locator("section.preview").wait_for()
    found += severe_violations(page, axe_source, "console-notices-preview")
    for path in (
        "calendar",
        "launches/ipad/reservations",
        "launches/ipad/waiting-room",
        "subscribers",
        "audit",
        "questions",
        "reviews",
        "account",
    ):
        page.goto(f"{console_server.url}/console/{path}")
        found += severe_violations(page, axe_source, "console-" + path.replace("/", "-"))

    assert found == [], "\n".join(found)


def test_the_check_finds_a_violation_planted_in_a_page(
    console_server: ConsoleServer, chromium_page: Page, axe_source: str
) -> None:
    chromium_page.goto(f"{console_server.url}/console/sign-in")
    chromium_page.evaluate("document.querySelector('main').append(document.createElement('input'))")

    found = severe_violations(chromium_page, axe_source, "planted")

    assert any(": label (critical)" in line for line in found), found
