"""Mastodon through public doors: an operator adds an account by the admin API, a published
notice is posted by the delivery worker to a Mastodon server on 127.0.0.1 that rejects what
Mastodon rejects; long notices become numbered threads, corrections reply to the original, a
spent rate limit queues the rest, and a retry never posts twice."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from delivery_runs import deliver as run_delivery
from social_servers import Mastodon, graphemes, running
from starlette.testclient import TestClient

from yaksok.channels.mastodon import MastodonTransport
from yaksok.channels.outbound import Outgoing, TransportOptions
from yaksok.channels.social import social_body
from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import WriteNotice
from yaksok.domain.delivery import Delivered, delivery_id
from yaksok.domain.notice import Claim, NoticeKind, Verdict
from yaksok.domain.social import SocialPost
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
SENTENCE = "Pre-orders for the iPad open at 2010-11-09 20:00 KST (11:00 UTC) in every KT shop and online. "


@pytest.fixture
def mastodon() -> Iterator[Mastodon]:
    with running(Mastodon()) as server:
        assert isinstance(server, Mastodon)
        yield server


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt, SETTINGS))


def add_account(client: TestClient, admin: Headers, target: str, **fields: object) -> str:
    body = {"network": "mastodon", "target": target, "credentials": "mastodon-token", **fields}
    answer = client.post("/api/v1/social/accounts", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def publish(rt: Runtime, body: str = "", **fields: object) -> str:
    command = WriteNotice(
        kind=fields.pop("kind", NoticeKind.ANNOUNCEMENT),  # type: ignore[arg-type]
        titles={"en": "Pre-orders open", "ko": "예약 시작"},
        bodies={"en": body, "ko": body} if body else {},
        channels=("board", "mastodon"),
        publish_now=True,
        **fields,  # type: ignore[arg-type]
    )
    return create_notice(rt, command).id


def deliver(rt: Runtime) -> int:
    return run_delivery(rt, SETTINGS)


def test_a_short_notice_is_one_status_linking_to_the_notice(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon
) -> None:
    account = add_account(client, admin, mastodon.url)
    notice_id = publish(rt, "Lines form at 6.")
    deliver(rt)

    [status] = mastodon.posted()
    assert status.text.startswith("Pre-orders open\n\nLines form at 6.")
    assert status.text.endswith(f"https://yaksok.example/notices/{notice_id}")
    [post] = social.posts_of(rt, notice_id)
    assert (post.subscription_id, post.post_ids) == (account, (status.id,))
    assert post.urls == (f"{mastodon.url}/@yaksok/{status.id}",)
    keys = [r.headers["idempotency-key"] for r in mastodon.requests if r.method == "POST"]
    assert keys == [f"{delivery_id(notice_id, account)}.1"]


def test_a_long_notice_is_a_numbered_thread_within_the_instances_own_limit(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon
) -> None:
    mastodon.max_characters = 300  # read from /api/v2/instance, not assumed to be 500
    add_account(client, admin, mastodon.url)
    notice_id = publish(rt, SENTENCE * 12)
    deliver(rt)

    posts = mastodon.posted()
    assert len(posts) >= 4
    assert all(mastodon.count(p.text) <= 300 for p in posts)
    assert [p.text.rsplit(" ", 1)[1] for p in posts] == [
        f"{i}/{len(posts)}" for i in range(1, len(posts) + 1)
    ]
    assert f"https://yaksok.example/notices/{notice_id}" in posts[0].text
    assert [p.in_reply_to_id for p in posts] == [None] + [p.id for p in posts[:-1]]
    assert all("2010-11-09 20:00 KST (11:00 UTC)" in p.text or "KST" not in p.text for p in posts)


def test_a_correction_replies_to_the_original_and_a_clarification_carries_claim_source_and_verdict(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon
) -> None:
    add_account(client, admin, mastodon.url)
    original = publish(rt, "Pre-orders open at 9.")
    deliver(rt)
    claim = Claim("Pre-orders are cancelled", Verdict.FALSE, "https://news.example/ipad")
    publish(rt, "They are not.", kind=NoticeKind.CLARIFICATION, supersedes=original, claim=claim)
    deliver(rt)

    first, correction = mastodon.posted()
    assert correction.in_reply_to_id == first.id
    assert "Claim: Pre-orders are cancelled — Verdict: false (source https://news.example/ipad)" in (
        correction.text
    )
    assert f"Corrects notice {original}" in correction.text


def test_a_spent_rate_limit_queues_the_rest_until_its_reset_and_the_operator_sees_it(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon, clock: SimulatedClock
) -> None:
    mastodon.max_characters = 300
    mastodon.remaining = 1
    mastodon.reset = clock.now() + timedelta(hours=2)
    account = add_account(client, admin, mastodon.url)
    notice_id = publish(rt, SENTENCE * 12)
    deliver(rt)

    assert len(mastodon.posted()) == 1
    [shown] = client.get("/api/v1/social/accounts", headers=admin).json()["accounts"]
    assert (shown["account"]["id"], shown["queued"]) == (account, 1)
    assert "rate limit" in shown["last_error"]
    assert "mastodon-token" not in client.get("/api/v1/social/accounts", headers=admin).text
    audit = client.get("/api/v1/audit", headers=admin)
    assert "social.account_added" in audit.text and "mastodon-token" not in audit.text
    [history] = client.get(f"/api/v1/subscriptions/{account}", headers=admin).json()["deliveries"]
    assert datetime.fromisoformat(history["next_attempt_at"]) >= clock.now() + timedelta(hours=2)

    mastodon.remaining = 300
    clock.advance(timedelta(hours=2, minutes=30))
    deliver(rt)

    posts = mastodon.posted()
    assert len(posts) >= 4 and posts[-1].text.endswith(f"{len(posts)}/{len(posts)}")
    assert [p.in_reply_to_id for p in posts] == [None] + [p.id for p in posts[:-1]]
    assert len(social.posts_of(rt, notice_id)[0].post_ids) == len(posts)
    [shown] = client.get("/api/v1/social/accounts", headers=admin).json()["accounts"]
    assert shown["queued"] == 0


class Forgetful:
    """Posts recorded nowhere: as if the worker died after posting, before recording."""

    def credentials(self, subscription_id: str) -> str | None:
        return "mastodon-token"

    def posted(self, notice_id: str, subscription_id: str) -> SocialPost | None:
        return None

    def record(self, post: SocialPost) -> None:
        pass


def test_a_retry_after_a_lost_record_posts_nothing_twice(rt: Runtime, mastodon: Mastodon) -> None:
    notice_id = publish(rt, SENTENCE * 12)
    with rt.store.read() as tx:
        notice = tx.notices.get(notice_id)
    assert notice is not None
    body = social_body(notice, "en", "https://yaksok.example", {})
    message = Outgoing(delivery_id(notice_id, "s_1"), mastodon.url, "", body)

    async def twice() -> list[object]:
        transport = MastodonTransport(TransportOptions(social=Forgetful(), now=lambda: datetime.now(UTC)))
        try:
            return [await transport.deliver(message), await transport.deliver(message)]
        finally:
            await transport.aclose()

    outcomes = asyncio.run(twice())
    assert all(isinstance(o, Delivered) for o in outcomes)
    posted = mastodon.posted()
    posts = [r for r in mastodon.requests if r.method == "POST"]
    assert len(posted) == 3 and len(posts) == 6  # each post sent twice, made once
    assert len({r.headers["idempotency-key"] for r in posts}) == 3


def test_bad_credentials_give_up_without_posting(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon
) -> None:
    account = add_account(client, admin, mastodon.url, credentials="stolen")
    publish(rt, "Hello.")
    deliver(rt)

    assert mastodon.posted() == []
    [record] = client.get(f"/api/v1/subscriptions/{account}", headers=admin).json()["deliveries"]
    assert record["status"] == "failed" and "401" in record["last_error"]


def test_the_server_rejects_what_mastodon_rejects(mastodon: Mastodon) -> None:
    auth = {"Authorization": "Bearer mastodon-token"}
    with httpx.Client(base_url=mastodon.url) as http:
        too_long = http.post(
            "/api/v1/statuses", json={"status": "가" * 501}, headers={**auth, "Idempotency-Key": "a"}
        )
        fits = http.post(
            "/api/v1/statuses", json={"status": "가" * 500}, headers={**auth, "Idempotency-Key": "b"}
        )
        reused = http.post(
            "/api/v1/statuses", json={"status": "other"}, headers={**auth, "Idempotency-Key": "b"}
        )
        orphan = http.post(
            "/api/v1/statuses",
            json={"status": "x", "in_reply_to_id": "999"},
            headers={**auth, "Idempotency-Key": "c"},
        )
        anonymous = http.post("/api/v1/statuses", json={"status": "x"}, headers={"Idempotency-Key": "d"})
    assert (too_long.status_code, fits.status_code, reused.status_code) == (422, 200, 422)
    assert (orphan.status_code, anonymous.status_code) == (404, 401)
    assert graphemes("👩‍👩‍👧") == 1


def test_an_account_needs_credentials_and_a_known_network(client: TestClient, admin: Headers) -> None:
    bare = client.post(
        "/api/v1/social/accounts", json={"network": "mastodon", "target": "http://127.0.0.1:9"}, headers=admin
    )
    unknown = client.post(
        "/api/v1/social/accounts", json={"network": "myspace", "target": "http://127.0.0.1:9"}, headers=admin
    )
    assert bare.status_code == 422 and bare.json()["code"] == "social.credentials_invalid"
    assert unknown.status_code == 422


def test_accounts_need_an_editor(client: TestClient, bearer: Callable[[str], Headers]) -> None:
    body = {"network": "mastodon", "target": "http://127.0.0.1:9", "credentials": "t"}
    assert client.post("/api/v1/social/accounts", json=body, headers=bearer("support")).status_code == 403


def test_the_notice_page_links_to_its_posts(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon
) -> None:
    add_account(client, admin, mastodon.url)
    notice_id = publish(rt, "Lines form at 6.")
    before = client.get(f"/notices/{notice_id}", headers={"Accept": "text/html"}).text
    deliver(rt)

    [status] = mastodon.posted()
    page = client.get(f"/notices/{notice_id}?lang=ko", headers={"Accept": "text/html"}).text
    assert f'href="{mastodon.url}/@yaksok/{status.id}"' in page and "다른 곳의 게시물" in page
    assert "@yaksok" not in before


def test_posts_count_in_the_scorecards_delivery_figures(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon
) -> None:
    add_account(client, admin, mastodon.url)
    publish(rt, "Lines form at 6.")
    deliver(rt)

    figures = client.get("/scorecard.json").json()["deliveries"]
    assert figures["mastodon"]["delivered"] == 1
    assert "마스토돈" in client.get("/scorecard?lang=ko", headers={"Accept": "text/html"}).text


def test_an_account_on_a_private_address_is_refused(rt: Runtime, admin: Headers) -> None:
    strict = TestClient(create_app(rt, Settings(database_url="unused", run_scheduler=False)))
    body = {"network": "mastodon", "target": "http://10.0.0.8", "credentials": "t"}
    answer = strict.post("/api/v1/social/accounts", json=body, headers=admin)
    assert answer.status_code == 422 and answer.json()["code"] == "subscription.target_refused"


def test_a_promise_and_its_change_are_posted_without_the_operator_naming_the_network(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon
) -> None:
    launch = {"slug": "ipad", "titles": {"en": "iPad"}, "zone": "Asia/Seoul"}
    assert client.post("/api/v1/launches", json=launch, headers=admin).status_code == 201
    milestone = {"key": "pre", "kind": "preorder_opens", "titles": {"en": "Pre-orders open"}}
    assert client.post("/api/v1/launches/ipad/milestones", json=milestone, headers=admin).status_code == 201
    add_account(client, admin, mastodon.url, launches=["ipad"])
    promise = {"time": "2010-11-20T20:00", "precision": "exact"}
    assert client.post("/api/v1/milestones/ipad.pre/promises", json=promise, headers=admin).status_code == 201
    deliver(rt)

    [posted] = mastodon.posted()
    assert "2010-11-20 20:00 KST (11:00 UTC)" in posted.text


def test_a_clarification_of_a_press_claim_is_posted_at_once_without_naming_the_network(
    rt: Runtime, client: TestClient, admin: Headers, mastodon: Mastodon
) -> None:
    launch = {"slug": "ipad", "titles": {"en": "iPad"}, "zone": "Asia/Seoul"}
    assert client.post("/api/v1/launches", json=launch, headers=admin).status_code == 201
    add_account(client, admin, mastodon.url, launches=["ipad"])
    claim = {"text": "Pre-orders open at 09:00", "verdict": "false", "source_url": "https://news.example/1"}
    answer = {"claim": claim, "titles": {"en": "No time was announced"}, "launch": "ipad"}
    assert client.post("/api/v1/clarifications", json=answer, headers=admin).status_code == 201
    deliver(rt)

    [posted] = mastodon.posted()
    assert "Pre-orders open at 09:00" in posted.text and "false" in posted.text
