"""Webhook delivery through public doors: subscribe with POST /subscriptions, publish a notice,
let the delivery worker send it to a real HTTP receiver on 127.0.0.1, and verify every request
with the ``standardwebhooks`` package."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta

import pytest
from delivery_runs import deliver as run_delivery
from standardwebhooks.webhooks import Webhook
from starlette.testclient import TestClient
from webhook_receiver import Receiver, running_receiver

from yaksok.channels.outbound import Outgoing, TransportOptions
from yaksok.channels.webhook import WebhookTransport, new_secret
from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import WriteNotice
from yaksok.domain.delivery import Delivered, Outcome
from yaksok.domain.notice import NoticeKind
from yaksok.domain.subscription import allowed_networks
from yaksok.services import delivery
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.workers.delivery import DeliveryWorker

SETTINGS = Settings(
    database_url="unused", run_scheduler=False, webhook_allow_hosts=("127.0.0.1",), webhook_timeout=2.0
)

# A notice.published event as a body for the transport's own tests (the receiver checks its schema).
EVENT = (
    b'{"type":"notice.published","timestamp":"2010-11-09T11:00:00+00:00","data":{"notice":"n_1",'
    b'"kind":"general","launch":null,"language":"en","title":"t","body":"b","url":"https://x/notices/n_1",'
    b'"publish_at":"2010-11-09T11:00:00+00:00","published_at":"2010-11-09T11:00:00+00:00","supersedes":null,"manage_url":"https://example.com/subscriptions/manage/s_1.x"}}'
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


@pytest.fixture
def public(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt, SETTINGS))


def subscribe(public: TestClient, url: str, **fields: object) -> dict[str, object]:
    answer = public.post("/subscriptions", json={"url": url, **fields})
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def publish(rt: Runtime, title: str = "Pre-orders open") -> str:
    command = WriteNotice(
        kind=NoticeKind.ANNOUNCEMENT,
        titles={"en": title, "ko": "예약 시작"},
        channels=("board", "webhook"),
        publish_now=True,
    )
    notice = create_notice(rt, command)
    return notice.id


def deliver(rt: Runtime) -> int:
    return run_delivery(rt, SETTINGS)


def test_a_published_notice_reaches_a_webhook_signed_per_standard_webhooks(
    rt: Runtime, public: TestClient, receiver: Receiver
) -> None:
    made = subscribe(public, receiver.url, language="ko")
    assert str(made["secret"]).startswith("whsec_")
    notice_id = publish(rt)

    assert deliver(rt) == 1

    [(headers, body)] = receiver.received
    event = Webhook(str(made["secret"])).verify(body, headers)
    assert event["type"] == "notice.published"
    assert event["data"]["notice"] == notice_id
    assert event["data"]["title"] == "예약 시작"
    assert headers["webhook-id"] == f"msg_{notice_id}.{made['id']}"
    figures = delivery.figures(rt, notice_id)
    assert (figures.delivered, figures.pending, figures.failed) == (1, 0, 0)


def test_a_subscriber_is_told_only_of_the_kinds_it_chose(
    rt: Runtime, public: TestClient, receiver: Receiver
) -> None:
    subscribe(public, receiver.url, kinds=["change"])
    publish(rt)
    assert deliver(rt) == 0
    assert receiver.received == []


def test_a_webhook_to_a_loopback_address_is_refused_unless_allowed(rt: Runtime, receiver: Receiver) -> None:
    default = TestClient(create_app(rt, Settings(database_url="unused", run_scheduler=False)))
    for url in (receiver.url, "http://169.254.169.254/latest", "http://10.0.0.1/x", "http://[::1]/x"):
        answer = default.post("/subscriptions", json={"url": url})
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "subscription.target_refused"


def test_a_webhook_url_that_is_not_http_is_refused(public: TestClient) -> None:
    for url in ("ftp://example.com/x", "http://user:pw@127.0.0.1/x", "not a url"):
        answer = public.post("/subscriptions", json={"url": url})
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "subscription.url_invalid"


def test_a_refusal_is_retried_after_the_wait_the_receiver_asked_for_with_the_same_id(
    rt: Runtime, clock: SimulatedClock, public: TestClient, receiver: Receiver
) -> None:
    made = subscribe(public, receiver.url)
    receiver.answers.append((503, {"Retry-After": "120"}))
    notice_id = publish(rt)

    deliver(rt)
    assert delivery.figures(rt, notice_id).pending == 1
    clock.advance(timedelta(seconds=119))
    assert deliver(rt) == 0  # not yet: the receiver asked for two minutes
    clock.advance(timedelta(seconds=2))
    assert deliver(rt) == 1

    first, second = receiver.received
    assert first[0]["webhook-id"] == second[0]["webhook-id"]
    assert first[1] == second[1]  # the same event, its subscriber's manage link included
    Webhook(str(made["secret"])).verify(second[1], second[0])
    [record] = delivery.deliveries_of(rt, str(made["id"]))
    assert (record.status, record.attempts) == ("delivered", 2)


def test_410_gone_disables_the_endpoint_at_once(rt: Runtime, public: TestClient, receiver: Receiver) -> None:
    made = subscribe(public, receiver.url)
    receiver.answers.append((410, {}))
    notice_id = publish(rt)
    deliver(rt)
    assert delivery.figures(rt, notice_id).failed == 1
    subscription = delivery.subscription(rt, str(made["id"]))
    assert subscription is not None and subscription.disabled_at is not None

    publish(rt, "Another")
    assert deliver(rt) == 0
    assert len(receiver.received) == 1


def test_a_dead_receiver_is_retried_later(rt: Runtime, public: TestClient, receiver: Receiver) -> None:
    made = subscribe(public, receiver.url.replace(receiver.url.split(":")[2].split("/")[0], "9"))
    notice_id = publish(rt)
    deliver(rt)
    [record] = delivery.deliveries_of(rt, str(made["id"]))
    assert (record.status, record.attempts) == ("pending", 1)
    assert "connect" in record.last_error
    assert delivery.figures(rt, notice_id).pending == 1


def test_a_connection_left_open_by_one_batch_carries_the_next(receiver: Receiver) -> None:
    options = TransportOptions(allow=allowed_networks(["127.0.0.1"]), connections=1)
    transport = WebhookTransport(options)
    secret = new_secret()

    async def two_batches() -> list[Outcome]:
        try:
            first = await transport.deliver_many([Outgoing("msg_1", receiver.url, secret, EVENT)])
            return first + await transport.deliver_many([Outgoing("msg_2", receiver.url, secret, EVENT)])
        finally:
            await transport.aclose()

    outcomes = asyncio.run(two_batches())

    assert [type(outcome) for outcome in outcomes] == [Delivered, Delivered]
    assert [headers["webhook-id"] for headers, _ in receiver.received] == ["msg_1", "msg_2"]
    assert len(set(receiver.peers)) == 1
    for headers, body in receiver.received:
        Webhook(secret).verify(body, headers)


def test_batches_on_the_wire_together_share_the_connections_to_a_receiver(receiver: Receiver) -> None:
    options = TransportOptions(allow=allowed_networks(["127.0.0.1"]), connections=2)
    transport = WebhookTransport(options)
    secret = new_secret()
    first = [Outgoing(f"msg_a{i}", receiver.url, secret, EVENT) for i in range(6)]
    second = [Outgoing(f"msg_b{i}", receiver.url, secret, EVENT) for i in range(6)]

    async def side_by_side() -> list[list[Outcome]]:
        try:
            return list(await asyncio.gather(transport.deliver_many(first), transport.deliver_many(second)))
        finally:
            await transport.aclose()

    outcomes = asyncio.run(side_by_side())

    assert [type(o) for each in outcomes for o in each] == [Delivered] * 12
    assert sorted(headers["webhook-id"] for headers, _ in receiver.received) == sorted(
        m.id for m in first + second
    )
    assert len(set(receiver.peers)) <= 2


def test_a_fan_out_of_several_pages_reaches_every_subscriber_once(
    rt: Runtime, public: TestClient, receiver: Receiver
) -> None:
    made = [subscribe(public, receiver.url) for _ in range(11)]
    notice_id = publish(rt)

    async def run() -> int:
        worker = DeliveryWorker(rt, SETTINGS)
        worker.first_page, worker.page = 2, 3
        try:
            return await worker.fan_out()
        finally:
            await worker.aclose()

    assert asyncio.run(run()) == 11

    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert sorted(ids) == sorted(f"msg_{notice_id}.{m['id']}" for m in made)
    figures = delivery.figures(rt, notice_id)
    assert (figures.delivered, figures.pending, figures.failed) == (11, 0, 0)
