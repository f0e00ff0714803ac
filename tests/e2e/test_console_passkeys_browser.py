"""Passkeys in a real browser: headless Debian Chromium with its virtual authenticator (CTAP2,
internal, resident keys, user verified), driven through Playwright's DevTools session, against the
whole app served by uvicorn at http://localhost (an IP address cannot be a WebAuthn RP id). The
operator signs in with a password, registers a passkey on the account page, signs out and signs
in with the passkey: a real ceremony, verified by the server, nothing mocked."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from real_processes import free_port, served_in_thread

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.services import audit_trail, operators, passkeys
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store
from yaksok.web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.e2e]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "console-passkeys"  # git-ignored
EMAIL, PASSWORD = "min@example.com", "a long pass phrase for the console"


@dataclass
class Served:
    url: str
    rt: Runtime
    operator_id: str


@pytest.fixture
def localhost_console(tmp_path: Path) -> Iterator[Served]:
    database_url = f"sqlite:///{tmp_path / 'yaksok.db'}"
    store = Store.connect(database_url)
    rt = Runtime(store=store, clock=SimulatedClock(datetime(2010, 10, 28, tzinfo=UTC)))
    made = operators.create_operator(rt, EMAIL, "editor", PASSWORD)
    port = free_port()
    url = f"http://localhost:{port}"
    settings = Settings(database_url=database_url, port=port, base_url=url, run_scheduler=False)
    try:
        with served_in_thread(create_app(rt, settings), port, "passkey-uvicorn"):
            yield Served(url, rt, made.id)
    finally:
        store.close()


def shot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)


def virtual_authenticator(page: Page) -> tuple[object, str]:
    """Chromium's virtual platform authenticator, with a user who always verifies."""
    devtools = page.context.new_cdp_session(page)
    devtools.send("WebAuthn.enable")
    options = {
        "protocol": "ctap2",
        "transport": "internal",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
    }
    added = devtools.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return devtools, str(added["authenticatorId"])


def test_an_operator_registers_a_passkey_then_signs_in_with_it(
    localhost_console: Served, chromium_page: Page
) -> None:
    page, url = chromium_page, localhost_console.url
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    devtools, authenticator = virtual_authenticator(page)

    page.goto(f"{url}/console/sign-in")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_role("link", name="Account").click()
    expect(page.locator("tbody")).to_contain_text("No passkey yet.")
    page.get_by_role("button", name="Register a passkey").click()
    expect(page).to_have_url(re.compile(r"/console/account\?registered=1$"))
    expect(page.get_by_role("status").first).to_contain_text("Passkey registered")
    shot(page, "01-registered.png")
    held = devtools.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})  # type: ignore[attr-defined]
    [credential] = held["credentials"]
    [stored] = passkeys.passkeys_of(localhost_console.rt, localhost_console.operator_id)
    assert credential["isResidentCredential"] and stored.id == credential["credentialId"].rstrip("=").replace(
        "+", "-"
    ).replace("/", "_")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="Launches", exact=True)).to_be_visible()
    shot(page, "02-signed-in-with-the-passkey.png")

    [used] = passkeys.passkeys_of(localhost_console.rt, localhost_console.operator_id)
    assert used.last_used_at is not None
    trail = [entry.action for entry in audit_trail.trail(localhost_console.rt)]
    assert "passkey.registered" in trail
    assert errors == []


def test_without_a_passkey_for_this_site_the_browser_signs_no_one_in(
    localhost_console: Served, chromium_page: Page
) -> None:
    page, url = chromium_page, localhost_console.url
    virtual_authenticator(page)  # holds no credential of this site

    page.goto(f"{url}/console/sign-in")
    page.get_by_role("button", name="Use a passkey").click()

    expect(page.locator("#passkey-sign-in .passkey-status")).to_contain_text("did not work")
    expect(page).to_have_url(re.compile(r"/console/sign-in$"))
    page.get_by_label("Email").fill(EMAIL)  # the password form still works beside it
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Launches", exact=True)).to_be_visible()
