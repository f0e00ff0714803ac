"""An endpoint that keeps failing, on a simulated clock: its owner is warned by email after 3
days of failures and it is disabled at its first failure after 5 (told again); both show in the
admin API (the subscriber's state and the audit trail). A real webhook receiver on 127.0.0.1
answers 500, a real ``aiosmtpd`` takes the owner's mail (the ``mail`` fixture of test_email.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from starlette.testclient import TestClient
from test_email import Mail
from test_email import mail as mail  # the fixture, by its name
from webhook_receiver import Receiver, running_receiver

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import WriteNotice
from yaksok.domain.notice import NoticeKind
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.workers.delivery import DeliveryWorker

Headers = dict[str, str]
FAILING = (500, {})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        running.answers.extend([FAILING] * 200)
        yield running


@pytest.fixture
def settings(mail: Mail) -> Settings:
    return replace(mail.settings, webhook_allow_hosts=("127.0.0.1",), webhook_timeout=2.0)


@pytest.fixture
def client(rt: Runtime, settings: Settings) -> TestClient:
    return TestClient(create_app(rt, settings))


def publish(rt: Runtime) -> None:
    create_notice(
        rt,
        WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "News"}, channels=("webhook",), publish_now=True),
    )


def deliver(rt: Runtime, settings: Settings) -> int:
    async def run() -> int:
        worker = DeliveryWorker(rt, settings)
        try:
            return await worker.fan_out() + await worker.retry()
        finally:
            await worker.aclose()

    return asyncio.run(run())


def subscriber(client: TestClient, headers: Headers, subscription_id: str) -> dict[str, object]:
    found: dict[str, object] = client.get(f"/api/v1/subscriptions/{subscription_id}", headers=headers).json()
    return found


def test_an_endpoint_failing_for_days_warns_its_owner_after_3_and_is_disabled_after_5(
    rt: Runtime,
    clock: SimulatedClock,
    client: TestClient,
    settings: Settings,
    mail: Mail,
    receiver: Receiver,
    bearer: Callable[[str], Headers],
) -> None:
    made = client.post(
        "/subscriptions", json={"url": receiver.url, "contact": "ops@example.com", "language": "en"}
    ).json()
    admin = bearer("admin")
    start = rt.clock.now()
    publish(rt)
    deliver(rt, settings)
    shown = subscriber(client, admin, made["id"])["subscription"]
    assert isinstance(shown, dict)
    assert shown["failing_since"] == start.isoformat()
    assert shown["disables_at"] == (start + timedelta(days=5)).isoformat()

    clock.advance(timedelta(days=2, hours=23))
    publish(rt)
    deliver(rt, settings)
    assert mail.sink.received == []  # under 3 days: nobody is told yet

    clock.advance(timedelta(hours=2))
    publish(rt)
    deliver(rt, settings)
    [warning] = mail.sink.received
    assert warning["To"] == "ops@example.com" and "failing" in str(warning["Subject"])
    text = warning.get_body(("plain",))
    assert text is not None and receiver.url in text.get_content()
    shown = subscriber(client, admin, made["id"])["subscription"]
    assert isinstance(shown, dict)
    assert (shown["state"], shown["failure_warned_at"]) == ("active", rt.clock.now().isoformat())
    publish(rt)
    deliver(rt, settings)
    assert len(mail.sink.received) == 1  # warned once

    clock.advance(timedelta(days=2))
    publish(rt)
    deliver(rt, settings)

    assert len(mail.sink.received) == 2 and "stopped" in str(mail.sink.received[1]["Subject"])
    shown = subscriber(client, admin, made["id"])["subscription"]
    assert isinstance(shown, dict)
    assert shown["state"] == "disabled" and "failing since" in str(shown["disabled_reason"])
    trail = client.get("/api/v1/audit", headers=admin).json()
    actions = [
        (e["action"], e["details"]["subscription"]) for e in trail if e["action"].startswith("subscription.")
    ]
    assert actions == [("subscription.failing", made["id"]), ("subscription.disabled", made["id"])]
    tried = len(receiver.received)
    publish(rt)
    deliver(rt, settings)
    assert len(receiver.received) == tried  # nothing more is sent to it


def test_a_delivery_between_failures_starts_the_count_again(
    rt: Runtime,
    clock: SimulatedClock,
    client: TestClient,
    settings: Settings,
    mail: Mail,
    receiver: Receiver,
    bearer: Callable[[str], Headers],
) -> None:
    made = client.post("/subscriptions", json={"url": receiver.url, "contact": "ops@example.com"}).json()
    publish(rt)
    deliver(rt, settings)
    clock.advance(timedelta(days=2))
    receiver.answers.insert(0, (204, {}))
    publish(rt)
    deliver(rt, settings)  # delivered: the endpoint works again
    clock.advance(timedelta(days=2))
    publish(rt)
    deliver(rt, settings)  # fails: a new streak, from now

    shown = subscriber(client, bearer("support"), made["id"])["subscription"]
    assert isinstance(shown, dict)
    assert shown["failing_since"] == rt.clock.now().isoformat()
    assert mail.sink.received == []


def test_a_contact_that_is_not_an_address_is_refused(client: TestClient, receiver: Receiver) -> None:
    refused = client.post("/subscriptions", json={"url": receiver.url, "contact": "ops"})
    assert (refused.status_code, refused.json()["code"]) == (422, "subscription.address_invalid")
