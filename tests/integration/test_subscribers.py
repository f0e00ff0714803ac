"""Subscribers through the admin API: listed with counts per channel (never a secret), each with
its delivery history; a webhook endpoint paused gets nothing and, resumed, says what it missed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from delivery_runs import deliver as run_delivery
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.testclient import TestClient
from webhook_receiver import Receiver, running_receiver

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import WriteNotice
from yaksok.domain.notice import NoticeKind
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

SETTINGS = Settings(
    database_url="unused", run_scheduler=False, webhook_allow_hosts=("127.0.0.1",), webhook_timeout=2.0
)
Headers = dict[str, str]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


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


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt, SETTINGS))


def test_subscribers_are_listed_with_counts_per_channel_and_never_a_secret(
    client: TestClient, bearer: Callable[[str], Headers], receiver: Receiver
) -> None:
    webhook = subscribe(client, receiver.url)
    subscribe(client, receiver.url + "/2", language="ko")

    answer = client.get("/api/v1/subscriptions", headers=bearer("support"))

    assert answer.status_code == 200, answer.text
    listed = answer.json()
    assert listed["per_channel"] == {"webhook": 2}
    assert listed["subscriptions"][0]["id"] == webhook["id"]
    assert {s["state"] for s in listed["subscriptions"]} == {"active"}
    assert str(webhook["secret"]) not in answer.text and "secret" not in answer.text


def test_subscribers_can_be_filtered_by_channel_and_state(
    client: TestClient, bearer: Callable[[str], Headers], receiver: Receiver
) -> None:
    first = subscribe(client, receiver.url)
    subscribe(client, receiver.url + "/2")
    client.post(f"/api/v1/subscriptions/{first['id']}/pause", headers=bearer("editor"))
    support = bearer("support")

    paused = client.get("/api/v1/subscriptions?state=paused", headers=support).json()
    by_email = client.get("/api/v1/subscriptions?channel=email", headers=support).json()
    wrong = client.get("/api/v1/subscriptions?state=sleeping", headers=support)

    assert [s["id"] for s in paused["subscriptions"]] == [first["id"]]
    assert paused["per_channel"] == {"webhook": 1}
    assert by_email == {"subscriptions": [], "per_channel": {}}
    assert wrong.status_code == 400 and wrong.json()["code"] == "request.invalid"


def test_a_subscriber_shows_its_delivery_history(
    rt: Runtime, client: TestClient, bearer: Callable[[str], Headers], receiver: Receiver
) -> None:
    made = subscribe(client, receiver.url)
    notice_id = publish(rt)
    deliver(rt)

    answer = client.get(f"/api/v1/subscriptions/{made['id']}", headers=bearer("support"))

    assert answer.status_code == 200, answer.text
    shown = answer.json()
    assert shown["subscription"]["target"] == receiver.url
    [record] = shown["deliveries"]
    assert (record["notice_id"], record["status"], record["attempts"]) == (notice_id, "delivered", 1)
    assert record["id"] == receiver.received[0][0]["webhook-id"]


def test_an_unknown_subscriber_is_404(client: TestClient, bearer: Callable[[str], Headers]) -> None:
    for method, path in (("GET", ""), ("POST", "/pause"), ("POST", "/resume")):
        answer = client.request(method, f"/api/v1/subscriptions/s_nobody{path}", headers=bearer("editor"))
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "subscription.not_found"


def test_a_paused_endpoint_gets_nothing_and_on_resume_is_told_what_it_missed(
    rt: Runtime,
    clock: SimulatedClock,
    client: TestClient,
    bearer: Callable[[str], Headers],
    receiver: Receiver,
) -> None:
    made = subscribe(client, receiver.url)
    editor = bearer("editor")
    publish(rt, "Before the pause")
    deliver(rt)
    paused = client.post(f"/api/v1/subscriptions/{made['id']}/pause", headers=editor)
    assert paused.status_code == 200 and paused.json()["state"] == "paused"
    clock.advance(timedelta(seconds=1))
    publish(rt, "One")
    publish(rt, "Two")
    assert deliver(rt) == 0

    resumed = client.post(f"/api/v1/subscriptions/{made['id']}/resume", headers=editor)

    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["missed"] == 2
    assert resumed.json()["subscription"]["state"] == "active"
    assert len(receiver.received) == 1
    publish(rt, "Three")
    assert deliver(rt) == 1


def test_pausing_twice_or_resuming_an_active_endpoint_is_a_conflict(
    client: TestClient, bearer: Callable[[str], Headers], receiver: Receiver
) -> None:
    made = subscribe(client, receiver.url)
    editor = bearer("editor")
    again = client.post(f"/api/v1/subscriptions/{made['id']}/resume", headers=editor)
    assert again.status_code == 409 and again.json()["code"] == "subscription.not_paused"
    client.post(f"/api/v1/subscriptions/{made['id']}/pause", headers=editor)
    twice = client.post(f"/api/v1/subscriptions/{made['id']}/pause", headers=editor)
    assert twice.status_code == 409 and twice.json()["code"] == "subscription.not_active"


def test_support_reads_subscribers_but_only_an_editor_pauses_them(
    client: TestClient, bearer: Callable[[str], Headers], receiver: Receiver
) -> None:
    made = subscribe(client, receiver.url)
    assert client.get("/api/v1/subscriptions", headers=bearer("viewer")).status_code == 403
    refused = client.post(f"/api/v1/subscriptions/{made['id']}/pause", headers=bearer("support"))
    assert refused.status_code == 403


def test_a_rotated_secret_is_shown_once_and_both_secrets_sign_during_the_window(
    rt: Runtime,
    clock: SimulatedClock,
    client: TestClient,
    bearer: Callable[[str], Headers],
    receiver: Receiver,
) -> None:
    made = subscribe(client, receiver.url)
    old = str(made["secret"])

    answer = client.post(f"/api/v1/subscriptions/{made['id']}/rotate-secret", headers=bearer("editor"))

    assert answer.status_code == 200, answer.text
    new = answer.json()["secret"]
    assert new.startswith("whsec_") and new != old
    assert answer.json()["previous_valid_until"] == (clock.now() + timedelta(hours=24)).isoformat()
    listed = client.get(f"/api/v1/subscriptions/{made['id']}", headers=bearer("support")).text
    assert new not in listed and old not in listed
    publish(rt, "During the window")
    deliver(rt)
    [(headers, body)] = receiver.received
    assert headers["webhook-signature"].count("v1,") == 2
    assert Webhook(old).verify(body, headers)["data"]["title"] == "During the window"
    assert Webhook(new).verify(body, headers)["data"]["title"] == "During the window"


def test_after_the_rotation_window_only_the_new_secret_signs(
    rt: Runtime,
    clock: SimulatedClock,
    client: TestClient,
    bearer: Callable[[str], Headers],
    receiver: Receiver,
) -> None:
    made = subscribe(client, receiver.url)
    answer = client.post(f"/api/v1/subscriptions/{made['id']}/rotate-secret", headers=bearer("editor"))
    new = answer.json()["secret"]
    clock.advance(timedelta(hours=24))
    publish(rt, "After the window")
    deliver(rt)

    [(headers, body)] = receiver.received
    assert headers["webhook-signature"].count("v1,") == 1
    Webhook(new).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(str(made["secret"])).verify(body, headers)


def test_rotating_again_keeps_only_the_latest_two_secrets(
    rt: Runtime, client: TestClient, bearer: Callable[[str], Headers], receiver: Receiver
) -> None:
    made = subscribe(client, receiver.url)
    path, editor = f"/api/v1/subscriptions/{made['id']}/rotate-secret", bearer("editor")
    second = client.post(path, headers=editor).json()["secret"]
    third = client.post(path, headers=editor).json()["secret"]
    publish(rt)
    deliver(rt)

    [(headers, body)] = receiver.received
    Webhook(second).verify(body, headers)
    Webhook(third).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(str(made["secret"])).verify(body, headers)


def test_an_email_subscription_has_no_secret_to_rotate(
    client: TestClient, bearer: Callable[[str], Headers]
) -> None:
    made = client.post("/subscriptions", json={"channel": "email", "address": "reader@example.com"}).json()
    answer = client.post(f"/api/v1/subscriptions/{made['id']}/rotate-secret", headers=bearer("editor"))
    assert answer.status_code == 409 and answer.json()["code"] == "subscription.not_signed"


def test_a_replay_sends_again_what_was_delivered_with_the_same_webhook_id_and_what_was_missed(
    rt: Runtime,
    clock: SimulatedClock,
    client: TestClient,
    bearer: Callable[[str], Headers],
    receiver: Receiver,
) -> None:
    made = subscribe(client, receiver.url)
    editor = bearer("editor")
    before = rt.clock.now()
    clock.advance(timedelta(seconds=1))
    first = publish(rt, "Delivered once")
    deliver(rt)
    paused_at = rt.clock.now()
    client.post(f"/api/v1/subscriptions/{made['id']}/pause", headers=editor)
    clock.advance(timedelta(seconds=1))
    missed = publish(rt, "Missed while paused")
    deliver(rt)
    [(sent_first, _)] = receiver.received

    resumed = client.post(f"/api/v1/subscriptions/{made['id']}/resume", headers=editor).json()
    assert (resumed["missed"], resumed["missed_since"]) == (1, paused_at.isoformat())
    assert resumed["replay"] == {
        "method": "POST",
        "path": f"/api/v1/subscriptions/{made['id']}/replay",
        "body": {"since": paused_at.isoformat()},
    }
    replayed = client.post(
        f"/api/v1/subscriptions/{made['id']}/replay", headers=editor, json={"since": before.isoformat()}
    )

    assert replayed.status_code == 200, replayed.text
    assert replayed.json()["queued"] == 2
    assert replayed.json()["again"] == [f"msg_{first}.{made['id']}"]
    assert replayed.json()["new"] == [f"msg_{missed}.{made['id']}"]
    assert deliver(rt) == 2
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert ids[0] == sent_first["webhook-id"] == f"msg_{first}.{made['id']}"
    assert sorted(ids[1:]) == sorted([f"msg_{first}.{made['id']}", f"msg_{missed}.{made['id']}"])
    history = client.get(f"/api/v1/subscriptions/{made['id']}", headers=editor).json()["deliveries"]
    assert {d["status"] for d in history} == {"delivered"}


def test_a_replay_is_refused_for_an_endpoint_not_active_or_a_time_unreadable_or_ahead(
    rt: Runtime, client: TestClient, bearer: Callable[[str], Headers], receiver: Receiver
) -> None:
    made = subscribe(client, receiver.url)
    editor, path = bearer("editor"), f"/api/v1/subscriptions/{made['id']}/replay"
    ahead = (rt.clock.now() + timedelta(days=1)).isoformat()
    for since, code in (
        ("yesterday", "time.invalid"),
        ("2010-11-01T00:00", "time.invalid"),
        (ahead, "time.invalid"),
    ):
        refused = client.post(path, headers=editor, json={"since": since})
        assert (refused.status_code, refused.json()["code"]) == (422, code), since
    client.post(f"/api/v1/subscriptions/{made['id']}/pause", headers=editor)
    paused = client.post(path, headers=editor, json={"since": "2010-10-01T00:00:00Z"})
    assert (paused.status_code, paused.json()["code"]) == (409, "subscription.not_active")
    assert (
        client.post(path, headers=bearer("support"), json={"since": "2010-10-01T00:00:00Z"}).status_code
        == 403
    )
    unknown = client.post("/api/v1/subscriptions/s_9/replay", headers=editor, json={"since": ahead})
    assert unknown.status_code in (404, 422)


def test_an_endpoint_disabled_by_410_is_resumed_with_what_it_missed_since(
    rt: Runtime,
    clock: SimulatedClock,
    client: TestClient,
    bearer: Callable[[str], Headers],
    receiver: Receiver,
) -> None:
    made = subscribe(client, receiver.url)
    receiver.answers.append((410, {}))
    publish(rt, "Gone")
    deliver(rt)
    gone_at = rt.clock.now()
    clock.advance(timedelta(seconds=1))
    publish(rt, "Missed")
    editor = bearer("editor")
    listed = client.get(f"/api/v1/subscriptions/{made['id']}", headers=editor).json()["subscription"]
    assert listed["state"] == "disabled"

    resumed = client.post(f"/api/v1/subscriptions/{made['id']}/resume", headers=editor)

    assert resumed.status_code == 200, resumed.text
    assert (resumed.json()["missed"], resumed.json()["missed_since"]) == (1, gone_at.isoformat())
    assert resumed.json()["subscription"]["state"] == "active"
