"""Reminders reach a real webhook receiver on 127.0.0.1: on time, moved with the promise, and
never for a cancelled milestone."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient
from webhook_receiver import running_receiver

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CancelMilestone, CreateLaunch, RevisePromise
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.ledger import LedgerEntry
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


def ledger_entries(rt: Runtime) -> list[LedgerEntry]:
    with rt.store.read() as tx:
        return list(tx.ledger.entries())


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


def test_a_launch_reminds_at_the_offsets_set_for_it_and_pending_reminders_move_with_them(
    rt: Runtime,
    clock: SimulatedClock,
    receiver: tuple[str, Received],
    bearer: Callable[[str], dict[str, str]],
) -> None:
    url, received = receiver
    client = TestClient(create_app(rt, SETTINGS))
    secret = str(client.post("/subscriptions", json={"url": url, "language": "en"}).json()["secret"])
    launches.create_launch(
        rt, CreateLaunch(slug=SLUG, titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    opens = milestone(rt, "opens", "Pre-orders open")
    launches.revise_promise(rt, RevisePromise(opens, time="2010-11-09T20:00", precision="exact"))
    deliver(rt)
    received.clear()
    editor, path = bearer("editor"), f"/api/v1/launches/{SLUG}/reminder-offsets"
    policy = client.get(f"/api/v1/launches/{SLUG}", headers=editor).json()["policy"]
    assert policy["reminder_offsets_hours"] == [72.0, 24.0, 1.0]

    clock.advance_to(AT - 60 * H)
    answer = client.put(path, headers=editor, json={"hours": [2, 100, 48]})

    assert answer.status_code == 200, answer.text
    assert answer.json()["policy"]["reminder_offsets_hours"] == [100.0, 48.0, 2.0]
    [entry] = [e for e in ledger_entries(rt) if e.kind == "launch.reminders_set"]
    assert json.loads(entry.payload) == {
        "launch": SLUG,
        "offsets_hours": [100.0, 48.0, 2.0],
        "previous_hours": [72.0, 24.0, 1.0],
    }
    assert client.put(path, headers=editor, json={"hours": [48, 2, 100]}).status_code == 200
    assert len([e for e in ledger_entries(rt) if e.kind == "launch.reminders_set"]) == 1  # unchanged
    upkeep.tick(rt)
    deliver(rt)
    assert titles(received, secret) == []  # the 100 h reminder's time had passed: not sent late
    for before, expected in ((48, "48 h"), (24, None), (2, "2 h"), (1, None)):
        clock.advance_to(AT - before * H)
        upkeep.tick(rt)
        deliver(rt)
        when = "2010-11-09 20:00 KST (11:00 UTC)"
        wanted = [f"Reminder: iPad — Pre-orders open in {expected} — {when}"] if expected else []
        assert titles(received, secret) == wanted, before


def test_reminder_offsets_are_refused_unless_positive_few_and_set_by_an_editor(
    rt: Runtime, bearer: Callable[[str], dict[str, str]]
) -> None:
    client = TestClient(create_app(rt, SETTINGS))
    launches.create_launch(rt, CreateLaunch(slug=SLUG, titles={"en": "iPad"}, zone="Asia/Seoul"))
    editor, path = bearer("editor"), f"/api/v1/launches/{SLUG}/reminder-offsets"
    for body in ({"hours": [0]}, {"hours": [-1]}, {"hours": [1] * 11}, {"hours": [2000]}, {"hours": "24"}):
        assert client.put(path, headers=editor, json=body).status_code in (400, 422), body
    assert client.put(path, headers=bearer("viewer"), json={"hours": [24]}).status_code == 403
    unknown = client.put("/api/v1/launches/nope/reminder-offsets", headers=editor, json={"hours": [24]})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "launch.not_found")
    assert (
        client.put(path, headers=editor, json={"hours": []}).json()["policy"]["reminder_offsets_hours"] == []
    )
