"""X through public doors: an account added by the admin API; a published notice posted to an
X API on 127.0.0.1 that counts as X does (280 weighted: Korean weighs 2, a URL 23) and refuses a
tweet too long, a reply to an unknown tweet, bad credentials, duplicates and a spent limit."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from delivery_runs import deliver as run_delivery
from social_servers import X, running, x_weight
from starlette.testclient import TestClient

from yaksok.channels.thread import x_length
from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import WriteNotice
from yaksok.domain.notice import NoticeKind
from yaksok.services import social
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

SETTINGS = Settings(
    database_url="unused",
    run_scheduler=False,
    webhook_allow_hosts=("127.0.0.1",),
    webhook_timeout=2.0,
    base_url="https://yaksok.example",
)
Headers = dict[str, str]
KOREAN = "아이폰 예약은 2010-11-09 20:00 KST (11:00 UTC)에 시작합니다. 매장에서 줄을 서지 않아도 됩니다. "


@pytest.fixture
def api() -> Iterator[X]:
    with running(X()) as server:
        assert isinstance(server, X)
        yield server


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt, SETTINGS))


def add_account(client: TestClient, admin: Headers, target: str, credentials: str = "x-user-token") -> str:
    body = {"network": "x", "target": target, "credentials": credentials, "language": "ko"}
    answer = client.post("/api/v1/social/accounts", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def publish(rt: Runtime, body: str, **fields: object) -> str:
    command = WriteNotice(
        kind=NoticeKind.ANNOUNCEMENT,
        titles={"en": "Pre-orders open", "ko": "예약 시작"},
        bodies={"ko": body},
        channels=("board", "x"),
        publish_now=True,
        **fields,  # type: ignore[arg-type]
    )
    return create_notice(rt, command).id


def deliver(rt: Runtime) -> int:
    return run_delivery(rt, SETTINGS)


def test_a_korean_notice_is_a_thread_of_tweets_within_280_weighted(
    rt: Runtime, client: TestClient, admin: Headers, api: X
) -> None:
    account = add_account(client, admin, api.url)
    notice_id = publish(rt, KOREAN * 6)
    deliver(rt)

    tweets = api.posted()
    assert len(tweets) >= 3
    assert all(x_weight(t.text) <= 280 for t in tweets)
    assert f"https://yaksok.example/notices/{notice_id}" in tweets[0].text
    assert [t.in_reply_to for t in tweets] == [None] + [t.id for t in tweets[:-1]]
    assert all(t.text.endswith(f" {i}/{len(tweets)}") for i, t in enumerate(tweets, 1))
    [post] = social.posts_of(rt, notice_id)
    assert (post.subscription_id, list(post.post_ids)) == (account, [t.id for t in tweets])


def test_a_correction_replies_to_the_original_tweet(
    rt: Runtime, client: TestClient, admin: Headers, api: X
) -> None:
    add_account(client, admin, api.url)
    original = publish(rt, "예약은 오후 8시에 시작합니다.")
    deliver(rt)
    publish(rt, "예약은 오후 9시에 시작합니다.", supersedes=original)
    deliver(rt)

    first, correction = api.posted()
    assert correction.in_reply_to == first.id


def test_a_spent_rate_limit_queues_the_rest_until_the_reset(
    rt: Runtime, client: TestClient, admin: Headers, api: X, clock: SimulatedClock
) -> None:
    api.remaining = 1
    api.reset = int((clock.now() + timedelta(minutes=15)).timestamp())
    account = add_account(client, admin, api.url)
    publish(rt, KOREAN * 6)
    deliver(rt)

    assert len(api.posted()) == 1
    [shown] = client.get("/api/v1/social/accounts", headers=admin).json()["accounts"]
    assert shown["queued"] == 1
    [record] = client.get(f"/api/v1/subscriptions/{account}", headers=admin).json()["deliveries"]
    assert datetime.fromisoformat(record["next_attempt_at"]) >= clock.now() + timedelta(minutes=15)

    api.remaining = 100
    clock.advance(timedelta(minutes=20))
    deliver(rt)
    tweets = api.posted()
    assert len(tweets) >= 3 and [t.in_reply_to for t in tweets] == [None] + [t.id for t in tweets[:-1]]


def test_bad_credentials_fail_the_delivery(rt: Runtime, client: TestClient, admin: Headers, api: X) -> None:
    account = add_account(client, admin, api.url, credentials="expired")
    publish(rt, "안녕하세요.")
    deliver(rt)

    assert api.posted() == []
    [record] = client.get(f"/api/v1/subscriptions/{account}", headers=admin).json()["deliveries"]
    assert record["status"] == "failed" and "401" in record["last_error"]


def test_the_api_counts_as_x_does_and_refuses_what_x_refuses(api: X) -> None:
    import httpx

    assert x_weight("가" * 140) == 280 == x_length("가" * 140)
    assert (
        x_weight("a https://example.com/" + "b" * 300) == 25 == x_length("a https://example.com/" + "b" * 300)
    )
    auth = {"Authorization": "Bearer x-user-token"}
    with httpx.Client(base_url=api.url) as http:
        fits = http.post("/2/tweets", json={"text": "가" * 140}, headers=auth)
        long = http.post("/2/tweets", json={"text": "가" * 141}, headers=auth)
        orphan = http.post(
            "/2/tweets", json={"text": "x", "reply": {"in_reply_to_tweet_id": "1"}}, headers=auth
        )
        twice = http.post("/2/tweets", json={"text": "가" * 140}, headers=auth)
        anonymous = http.post("/2/tweets", json={"text": "y"})
    assert (fits.status_code, long.status_code, orphan.status_code) == (201, 400, 400)
    assert (twice.status_code, anonymous.status_code) == (403, 401)
