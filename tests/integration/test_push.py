"""Browser push through public doors: a browser subscribes to one launch with
``POST /launches/{slug}/push``, the launch's promises, changes and reminders are published, and
the delivery worker sends them to a real push service on 127.0.0.1 that checks each VAPID JWT
and decrypts each message with the subscription's keys (push_service.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from delivery_runs import deliver as run_delivery
from push_service import PushService, running_push_service
from starlette.testclient import TestClient

from yaksok.channels.webpush import push_keys, topic
from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RevisePromise, WriteNotice
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import NoticeKind
from yaksok.services import delivery, launches, upkeep
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.workers.delivery import DeliveryWorker

SETTINGS = Settings(
    database_url="unused",
    run_scheduler=False,
    webhook_allow_hosts=("127.0.0.1",),
    webhook_timeout=2.0,
    vapid_subject="mailto:launch-team@example.com",
)
SLUG = "ipad-kt-2010"
AT = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 KST
H = timedelta(hours=1)


@pytest.fixture
def service() -> Iterator[PushService]:
    with running_push_service() as running:
        yield running


@pytest.fixture
def public(rt: Runtime) -> TestClient:
    launches.create_launch(
        rt, CreateLaunch(slug=SLUG, titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    return TestClient(create_app(rt, SETTINGS))


def milestone(rt: Runtime, key: str, title: str, time: str = "2010-11-09T20:00") -> str:
    made = launches.add_milestone(
        rt,
        AddMilestone(launch_slug=SLUG, key=key, kind=MilestoneKind.CUSTOM, titles={"en": title, "ko": title}),
    )
    launches.revise_promise(rt, RevisePromise(made.id, time=time, precision="exact"))
    return made.id


def deliver(rt: Runtime) -> int:
    return run_delivery(rt, SETTINGS)


def subscribe(public: TestClient, body: dict[str, object], slug: str = SLUG) -> dict[str, object]:
    answer = public.post(f"/launches/{slug}/push", json=body)
    assert answer.status_code == 201, answer.text
    made: dict[str, object] = answer.json()
    return made


def test_a_promise_reaches_a_subscribed_browser_encrypted_for_it_and_signed_with_the_served_vapid_key(
    rt: Runtime, public: TestClient, service: PushService
) -> None:
    browser = service.browser("b1")
    made = subscribe(public, {**browser.to_json(), "language": "ko"})
    assert made["launch"] == SLUG and made["kinds"] == ["announcement", "change"]
    opens = milestone(rt, "opens", "Pre-orders open")

    assert deliver(rt) == 1

    assert service.refused == []
    [pushed] = service.pushed
    assert pushed.vapid_key == public.get("/push/key").json()["public_key"]
    assert pushed.claims["sub"] == "mailto:launch-team@example.com"
    assert pushed.headers["ttl"] == "86400"
    assert pushed.headers["urgency"] == "normal"
    assert pushed.headers["topic"] == topic(opens)
    message = pushed.message
    assert "2010년 11월 9일 (화) 오후 8:00 KST" in message["title"] + message["body"]
    assert message["url"].startswith(SETTINGS.public_url + "/notices/")
    assert message["tag"] == topic(opens)
    figures = delivery.figures(rt, message["url"].rsplit("/", 1)[1])
    assert (figures.delivered, figures.failed) == (1, 0)


def test_a_change_and_the_reminders_come_in_the_subscribers_language_with_one_topic_per_milestone(
    rt: Runtime, clock: SimulatedClock, public: TestClient, service: PushService
) -> None:
    subscribe(public, {**service.browser("b1").to_json(), "language": "en"})
    opens = milestone(rt, "opens", "Pre-orders open")
    closes = milestone(rt, "closes", "Pre-orders close")
    deliver(rt)
    service.pushed.clear()

    clock.advance_to(AT - 72 * H)
    upkeep.tick(rt)
    deliver(rt)
    reminders = {p.headers["topic"]: p.message["title"] for p in service.pushed}
    assert reminders == {
        topic(opens): "Reminder: iPad — Pre-orders open in 72 h — 2010-11-09 20:00 KST (11:00 UTC)",
        topic(closes): "Reminder: iPad — Pre-orders close in 72 h — 2010-11-09 20:00 KST (11:00 UTC)",
    }
    service.pushed.clear()

    clock.advance(H)
    launches.revise_promise(
        rt, RevisePromise(opens, time="2010-11-13T20:00", precision="exact", reason="Stock")
    )
    deliver(rt)
    [change] = service.pushed
    assert change.message["title"] == "Postponed: iPad — Pre-orders open"
    assert change.headers["topic"] == topic(opens)  # replaces an undelivered reminder of the old time
    assert change.headers["urgency"] == "high"
    assert service.refused == []


def test_a_topic_is_at_most_32_characters_of_the_url_safe_base64_alphabet() -> None:
    for milestone_id in ("ipad-kt-2010.opens", "x" * 200, "한국.출시"):
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,32}", topic(milestone_id))
    assert topic("a.opens") != topic("a.closes")


def test_a_notice_not_about_one_milestone_has_no_topic_and_other_launches_are_not_pushed(
    rt: Runtime, public: TestClient, service: PushService
) -> None:
    subscribe(public, service.browser("b1").to_json())
    launches.create_launch(rt, CreateLaunch(slug="other", titles={"ko": "다른", "en": "Other"}, zone="UTC"))
    for slug in (SLUG, "other"):
        create_notice(
            rt,
            WriteNotice(
                kind=NoticeKind.ANNOUNCEMENT,
                titles={"en": "Stock is short", "ko": "재고 부족"},
                bodies={"en": "word " * 400, "ko": "단어"},
                launch_slug=slug,
                channels=("board", "webpush"),
                publish_now=True,
            ),
        )
    assert deliver(rt) == 1
    [pushed] = service.pushed
    assert "topic" not in pushed.headers
    assert pushed.message["title"] == "Stock is short"
    assert len(pushed.message["body"]) <= 240 and pushed.message["body"].endswith("…")


def test_a_browser_whose_subscription_is_gone_is_disabled_on_404_or_410(
    rt: Runtime, public: TestClient, service: PushService
) -> None:
    for status, name in ((410, "gone"), (404, "unknown")):
        made = subscribe(public, service.browser(name).to_json())
        service.answers.append(status)
        milestone(rt, f"m-{name}", "Sale starts")
        deliver(rt)
        found = delivery.subscription(rt, str(made["id"]))
        assert found is not None and found.state == "disabled"
        assert str(status) in found.disabled_reason


def test_a_push_service_that_is_busy_is_retried(
    rt: Runtime, clock: SimulatedClock, public: TestClient, service: PushService
) -> None:
    made = subscribe(public, service.browser("b1").to_json())
    service.answers.append(503)
    milestone(rt, "opens", "Pre-orders open")
    deliver(rt)
    [pending] = delivery.deliveries_of(rt, str(made["id"]))
    assert pending.status == "pending" and pending.last_error == "HTTP 503"
    clock.advance(timedelta(minutes=1))
    deliver(rt)
    assert [p.browser for p in service.pushed] == ["b1"]
    assert [d.status for d in delivery.deliveries_of(rt, str(made["id"]))] == ["delivered"]


def test_the_same_browser_subscribing_again_keeps_one_subscription(
    public: TestClient, service: PushService
) -> None:
    browser = service.browser("b1")
    first, again = subscribe(public, browser.to_json()), subscribe(public, browser.to_json())
    assert first["id"] == again["id"]


def test_a_browser_unsubscribes_with_its_auth_key_and_hears_nothing_more(
    rt: Runtime, public: TestClient, service: PushService
) -> None:
    browser = service.browser("b1")
    made = subscribe(public, browser.to_json())
    stranger = {
        **browser.to_json(),
        "keys": {"p256dh": browser.p256dh, "auth": service.browser("b2").to_json()["keys"]["auth"]},
    }
    refused = public.post(f"/launches/{SLUG}/push/unsubscribe", json=stranger)
    assert refused.status_code == 404 and refused.json()["code"] == "push.not_found"

    ended = public.post(f"/launches/{SLUG}/push/unsubscribe", json=browser.to_json())
    assert ended.status_code == 200, ended.text
    assert ended.json() == {"ended": [made["id"]]}
    milestone(rt, "opens", "Pre-orders open")
    assert deliver(rt) == 0 and service.pushed == []


def test_keys_that_are_not_a_p256_point_and_a_16_byte_secret_are_refused(
    public: TestClient, service: PushService
) -> None:
    good = service.browser("b1").to_json()
    not_on_curve = "BA" + "A" * 85  # 65 bytes starting 0x04, but (0, 0) is not on P-256
    for keys in (
        {"p256dh": good["keys"]["p256dh"], "auth": "c2hvcnQ"},  # 5 bytes
        {"p256dh": not_on_curve, "auth": good["keys"]["auth"]},
        {"p256dh": good["keys"]["p256dh"][:40], "auth": good["keys"]["auth"]},
        {"p256dh": "not base64 at all!", "auth": good["keys"]["auth"]},
        {"p256dh": good["keys"]["p256dh"], "auth": good["keys"]["auth"] + "!"},  # a decoder would skip "!"
    ):
        answer = public.post(f"/launches/{SLUG}/push", json={**good, "keys": keys})
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "push.keys_invalid"
    missing = public.post(f"/launches/{SLUG}/push", json={"endpoint": good["endpoint"]})
    assert missing.status_code == 422 and missing.json()["code"] == "request.invalid"
    assert public.post("/launches/nope/push", json=good).json()["code"] == "launch.not_found"


def test_an_endpoint_is_checked_against_request_forgery_and_must_be_https(
    rt: Runtime, public: TestClient, service: PushService
) -> None:
    keys = service.browser("b1").to_json()["keys"]
    default = TestClient(create_app(rt, Settings(database_url="unused", run_scheduler=False)))
    for endpoint in (service.origin + "/push/b1", "https://169.254.169.254/push", "https://10.0.0.1/push"):
        answer = default.post(f"/launches/{SLUG}/push", json={"endpoint": endpoint, "keys": keys})
        assert answer.status_code == 422, answer.text
        assert answer.json()["code"] == "subscription.target_refused"
    plain = default.post(
        f"/launches/{SLUG}/push", json={"endpoint": "http://93.184.216.34/push", "keys": keys}
    )
    assert plain.status_code == 422 and plain.json()["code"] == "push.endpoint_invalid"


def test_the_vapid_key_is_made_once_and_kept(rt: Runtime, public: TestClient) -> None:
    first = public.get("/push/key").json()["public_key"]
    again = TestClient(create_app(rt, SETTINGS)).get("/push/key").json()["public_key"]
    assert first == again and len(first) == 87  # 65 bytes, unpadded base64url


def test_stored_keys_are_the_points_bytes_whatever_padding_the_browser_sent(service: PushService) -> None:
    browser = service.browser("b1")
    keys = browser.to_json()["keys"]
    assert push_keys(keys["p256dh"] + "=", keys["auth"] + "==") == f"{keys['p256dh']}.{keys['auth']}"
    with pytest.raises(InvalidInput):
        push_keys(keys["auth"], keys["auth"])


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_an_endpoint_is_checked_again_when_connecting(rt: Runtime, service: PushService, host: str) -> None:
    """By address for an IP, by the connection's resolver for a name (no re-pointing between)."""
    launches.create_launch(rt, CreateLaunch(slug=SLUG, titles={"en": "iPad"}, zone="Asia/Seoul"))
    allowing = replace(SETTINGS, webhook_allow_hosts=("127.0.0.1", "::1"))
    browser = service.browser("b1").to_json()
    browser["endpoint"] = browser["endpoint"].replace("127.0.0.1", host)
    made = subscribe(TestClient(create_app(rt, allowing)), browser)
    milestone(rt, "opens", "Pre-orders open")

    async def run_without_the_allow_list() -> None:
        worker = DeliveryWorker(rt, Settings(database_url="unused", run_scheduler=False))
        try:
            await worker.fan_out()
        finally:
            await worker.aclose()

    asyncio.run(run_without_the_allow_list())
    assert service.pushed == [] and service.refused == []
    [failed] = delivery.deliveries_of(rt, str(made["id"]))
    assert failed.status == "failed" and "is a loopback address" in failed.last_error, failed.last_error
