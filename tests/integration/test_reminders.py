"""Reminders reach a real webhook receiver on 127.0.0.1: on time, moved with the promise, and
never for a cancelled milestone."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient
from webhook_receiver import running_receiver

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CancelMilestone, CreateLaunch, RevisePromise
from yaksok.domain.launch import MilestoneKind
from yaksok.services import launches, upkeep
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.workers.delivery import DeliveryWorker

SETTINGS = Settings(
    database_url="unused", run_scheduler=False, webhook_allow_hosts=("127.0.0.1",), webhook_timeout=2.0
)
Received = list[tuple[dict[str, str], bytes]]

SLUG = "ipad-kt-2010"
AT = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 KST
H = timedelta(hours=1)


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    """The shared receiver on 127.0.0.1 (every event checked against its JSON Schema)."""
    with running_receiver() as running:
        yield running.url, running.received


def deliver(rt: Runtime) -> None:
    async def run() -> None:
        worker = DeliveryWorker(rt, SETTINGS)
        try:
            await worker.fan_out()
            await worker.retry()
        finally:
            await worker.aclose()

    asyncio.run(run())


def milestone(rt: Runtime, key: str, title: str) -> str:
    made = launches.add_milestone(
        rt,
        AddMilestone(launch_slug=SLUG, key=key, kind=MilestoneKind.CUSTOM, titles={"en": title, "ko": title}),
    )
    return made.id


def titles(received: Received, secret: str) -> list[str]:
    events = [Webhook(secret).verify(body, headers) for headers, body in received]
    received.clear()
    return [str(event["data"]["title"]) for event in events]


def test_a_reminder_reaches_a_webhook_moves_with_its_promise_and_none_comes_for_a_cancelled_milestone(
    rt: Runtime, clock: SimulatedClock, receiver: tuple[str, Received]
) -> None:
    url, received = receiver
    answer = TestClient(create_app(rt, SETTINGS)).post(
        "/subscriptions", json={"url": url, "language": "en", "kinds": ["shipping_update", "announcement"]}
    )
    assert answer.status_code == 201, answer.text
    secret = str(answer.json()["secret"])
    launches.create_launch(
        rt, CreateLaunch(slug=SLUG, titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    opens = milestone(rt, "opens", "Pre-orders open")
    closes = milestone(rt, "closes", "Pre-orders close")
    for each in (opens, closes):
        launches.revise_promise(rt, RevisePromise(each, time="2010-11-09T20:00", precision="exact"))
    deliver(rt)
    received.clear()

    clock.advance_to(AT - 72 * H)
    upkeep.tick(rt)
    deliver(rt)
    assert sorted(titles(received, secret)) == [
        "Reminder: iPad — Pre-orders close in 72 h — 2010-11-09 20:00 KST (11:00 UTC)",
        "Reminder: iPad — Pre-orders open in 72 h — 2010-11-09 20:00 KST (11:00 UTC)",
    ]

    clock.advance(H)
    launches.revise_promise(
        rt, RevisePromise(opens, time="2010-11-13T20:00", precision="exact", reason="Stock")
    )
    launches.cancel_milestone(rt, CancelMilestone(closes, reason="No closing: open until stock runs out"))
    deliver(rt)
    changes = titles(received, secret)  # changes pass the subscriber's kind filter
    assert sorted(changes) == ["Cancelled: iPad — Pre-orders close", "Postponed: iPad — Pre-orders open"]

    clock.advance_to(AT - 24 * H)
    upkeep.tick(rt)
    deliver(rt)
    assert titles(received, secret) == []  # neither the old time's reminder nor the cancelled one's

    clock.advance_to(AT + 96 * H - 24 * H)
    upkeep.tick(rt)
    deliver(rt)
    assert titles(received, secret) == [
        "Reminder: iPad — Pre-orders open in 24 h — 2010-11-13 20:00 KST (11:00 UTC)"
    ]
