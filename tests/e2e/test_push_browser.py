"""Browser push in headless Chromium against a real uvicorn server and the local push service.

What runs for real: the launch page's script and its button, the service worker's registration
at ``/sw.js`` with the whole site as its scope, ``GET /push/key``, the button's
``POST /launches/{slug}/push`` and its unsubscribe, the delivery to the push service (which
checks the VAPID JWT and decrypts the message), and the service worker showing the decrypted
message as a notification (delivered to it through the DevTools protocol,
``ServiceWorker.deliverPushMessage``).

What cannot run here: Chromium's own ``PushManager.subscribe``. In a Playwright context (an
incognito profile) Chromium refuses it ("does not support the Push API in incognito mode"); in
a persistent profile it waits for a registration with Google's push service (GCM), which the
tests cannot reach (network only to 127.0.0.1), and never answers. So the test puts in its place
a ``subscribe`` that records the ``applicationServerKey`` the page gave it and returns a
subscription at the local push service, with keys the test holds; everything around it is real.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import CDPSession, Page, sync_playwright
from real_processes import free_port, served_in_thread
from test_browser import CHROMIUM, CHROMIUM_ARGS, watch_for_errors

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.promise import Precision
from yaksok.services import launches
from yaksok.services.runtime import Runtime, counting_ids
from yaksok.store.unit_of_work import Store
from yaksok.web.app import create_app
from yaksok.workers.delivery import DeliveryWorker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from push_service import PushService, running_push_service

pytestmark = pytest.mark.browser

# Stands in for Chromium's PushManager.subscribe (see the module docstring): records the key the
# page passed, and answers with the subscription the test put in window.__testSubscription.
FAKE_SUBSCRIBE = """
(() => {
  const made = { current: null };
  window.__subscribeCalls = [];
  PushManager.prototype.getSubscription = function () { return Promise.resolve(made.current); };
  PushManager.prototype.subscribe = function (options) {
    const key = new Uint8Array(options.applicationServerKey);
    window.__subscribeCalls.push({
      userVisibleOnly: options.userVisibleOnly,
      key: btoa(String.fromCharCode.apply(null, key))
        .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "")
    });
    const json = window.__testSubscription;
    made.current = { endpoint: json.endpoint, toJSON: () => json, unsubscribe: () => Promise.resolve(true) };
    return Promise.resolve(made.current);
  };
})();
"""


class PushServer:
    def __init__(self, url: str, rt: Runtime, settings: Settings, service: PushService) -> None:
        self.url, self.rt, self.settings, self.service = url, rt, settings, service

    def deliver(self) -> int:
        async def run() -> int:
            worker = DeliveryWorker(self.rt, self.settings)
            try:
                return await worker.fan_out() + await worker.retry()
            finally:
                await worker.aclose()

        # Playwright's sync API holds an event loop in this thread: the worker runs in another.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, run()).result()


@pytest.fixture
def push_server(tmp_path: Path) -> Iterator[PushServer]:
    store = Store.connect(f"sqlite:///{tmp_path / 'yaksok.db'}")
    rt = Runtime(store=store, clock=SimulatedClock(datetime(2010, 10, 28, tzinfo=UTC)), new_id=counting_ids())
    launches.create_launch(
        rt, CreateLaunch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    port = free_port()
    settings = Settings(
        database_url="unused", port=port, run_scheduler=False, webhook_allow_hosts=("127.0.0.1",)
    )
    try:
        with (
            running_push_service() as service,
            served_in_thread(create_app(rt, settings), port, "push-uvicorn") as url,
        ):
            yield PushServer(url, rt, settings, service)
    finally:
        store.close()


@pytest.fixture
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"!!! {CHROMIUM} is MISSING: the browser push test is SKIPPED !!!")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def service_workers(page: Page) -> tuple[CDPSession, dict[str, str]]:
    """A DevTools session with the ServiceWorker domain on, and the registrations by scope."""
    found: dict[str, str] = {}
    cdp = page.context.new_cdp_session(page)
    cdp.on(
        "ServiceWorker.workerRegistrationUpdated",
        lambda event: found.update({r["scopeURL"]: r["registrationId"] for r in event["registrations"]}),
    )
    cdp.send("ServiceWorker.enable")
    page.wait_for_timeout(200)
    return cdp, found


def test_the_remind_me_button_subscribes_this_browser_and_the_service_worker_shows_what_is_pushed(
    push_server: PushServer, chromium: Any
) -> None:
    url, service = push_server.url, push_server.service
    browser_keys = service.browser("chromium")
    context = chromium.new_context(locale="en-US")
    context.grant_permissions(["notifications"], origin=url)
    context.add_init_script(FAKE_SUBSCRIBE)
    page = context.new_page()
    errors = watch_for_errors(page)
    page.goto(f"{url}/launches/ipad")
    page.evaluate(f"window.__testSubscription = {json.dumps(browser_keys.to_json())}")

    scope = page.evaluate("navigator.serviceWorker.ready.then(r => r.scope + ' ' + r.active.scriptURL)")
    assert scope == f"{url}/ {url}/sw.js"  # the service worker controls the whole site
    button = page.get_by_role("button", name="Remind me in this browser")
    button.click()
    page.get_by_text("This browser will show this launch's reminders and changes.").wait_for()

    [call] = page.evaluate("window.__subscribeCalls")
    served_key = page.evaluate("fetch('/push/key').then(r => r.json()).then(j => j.public_key)")
    assert call == {"userVisibleOnly": True, "key": served_key}

    launches.add_milestone(
        push_server.rt,
        AddMilestone(
            launch_slug="ipad",
            key="preorder",
            kind=MilestoneKind.PREORDER_OPENS,
            titles={"en": "Pre-orders open"},
        ),
    )
    launches.revise_promise(
        push_server.rt, RevisePromise("ipad.preorder", time="2010-11-09T20:00", precision=Precision.EXACT)
    )
    assert push_server.deliver() == 1
    assert service.refused == []
    [pushed] = service.pushed
    assert pushed.vapid_key == served_key

    # The decrypted message, handed to the service worker as the browser would after decrypting it.
    cdp, registrations = service_workers(page)
    cdp.send(
        "ServiceWorker.deliverPushMessage",
        {"origin": url, "registrationId": registrations[f"{url}/"], "data": json.dumps(pushed.message)},
    )
    page.wait_for_function(
        "navigator.serviceWorker.ready.then(r => r.getNotifications()).then(n => n.length)"
    )
    shown = page.evaluate(
        "navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data.url})))"
    )
    message = pushed.message
    assert shown == [
        {"title": message["title"], "body": message["body"], "tag": message["tag"], "url": message["url"]}
    ]

    button = page.get_by_role("button", name="Stop reminding me in this browser")
    button.click()
    page.get_by_text("This browser will show nothing more of this launch.").wait_for()
    launches.revise_promise(
        push_server.rt,
        RevisePromise("ipad.preorder", time="2010-11-10T20:00", precision=Precision.EXACT, reason="Stock"),
    )
    push_server.deliver()
    assert len(service.pushed) == 1  # nothing more after unsubscribing
    assert errors == []
    context.close()


def test_the_button_stays_hidden_where_the_browser_has_no_push(
    push_server: PushServer, chromium: Any
) -> None:
    context = chromium.new_context(locale="en-US")
    context.add_init_script("delete window.PushManager;")
    page = context.new_page()
    page.goto(f"{push_server.url}/launches/ipad")
    page.wait_for_load_state("load")
    assert page.locator(".push-remind").is_hidden()
    context.close()
