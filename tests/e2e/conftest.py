"""Fixtures of the console's browser tests: the whole app in a uvicorn thread over a fresh SQLite
file with a simulated clock and an operator made with the CLI, and a page in Debian's Chromium."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright
from real_processes import free_port, served_in_thread

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store
from yaksok.web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
OPERATOR_EMAIL, OPERATOR_PASSWORD = "ops@example.com", "a long pass phrase for the console"


@dataclass
class ConsoleServer:
    url: str
    rt: Runtime
    clock: SimulatedClock
    email: str = OPERATOR_EMAIL
    password: str = OPERATOR_PASSWORD


def create_operator_with_the_cli(database_url: str) -> None:
    yaksok = Path(sys.executable).parent / "yaksok"
    made = subprocess.run(
        [str(yaksok), "user", "create", "--email", OPERATOR_EMAIL, "--role", "admin", "--password-stdin"],
        input=OPERATOR_PASSWORD + "\n",
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
    port = free_port()
    app = create_app(rt, Settings(database_url=database_url, port=port, run_scheduler=False))
    try:
        with served_in_thread(app, port, "console-uvicorn") as url:
            yield ConsoleServer(url, rt, clock)
    finally:
        store.close()


@pytest.fixture
def chromium_page() -> Iterator[Page]:
    """A page in headless Debian Chromium (never one Playwright downloads), in English."""
    if not CHROMIUM.exists():
        pytest.skip(
            f"!!! {CHROMIUM} is MISSING: the console browser tests are SKIPPED. "
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
