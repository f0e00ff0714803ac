"""Bluesky through public doors: an account added by the admin API; a published notice written
to a PDS on 127.0.0.1 that validates each post (300 graphemes, link facets at UTF-8 byte offsets,
reply references by URI and CID) and refuses a thread not written in one applyWrites."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from social_servers import Bluesky, graphemes, running
from starlette.testclient import TestClient

from yaksok.channels.bluesky import BlueskyTransport, link_facets, tid
from yaksok.channels.outbound import Outgoing, TransportOptions
from yaksok.channels.social import social_body
from yaksok.config import Settings
from yaksok.domain.commands import WriteNotice
from yaksok.domain.delivery import Delivered, Outcome, delivery_id
from yaksok.domain.notice import NoticeKind
from yaksok.domain.social import SocialPost
from yaksok.services import social
from yaksok.services.notices import create_notice
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app
from yaksok.workers.delivery import DeliveryWorker

SETTINGS = Settings(
    database_url="unused",
    run_scheduler=False,
    webhook_allow_hosts=("127.0.0.1",),
    webhook_timeout=2.0,
    base_url="https://yaksok.example",
)
Headers = dict[str, str]
KOREAN = (
    "아이폰 예약은 2010-11-09 20:00 KST (11:00 UTC)에 시작합니다. "
    "자세한 내용은 https://kt.example/iphone 에서 확인하세요. "
)


@pytest.fixture
def pds() -> Iterator[Bluesky]:
    with running(Bluesky()) as server:
        assert isinstance(server, Bluesky)
        yield server


@pytest.fixture
def client(rt: Runtime) -> TestClient:
    return TestClient(create_app(rt, SETTINGS))


def add_account(
    client: TestClient, admin: Headers, target: str, credentials: str = "yaksok.test app-pass-word"
) -> str:
    body = {"network": "bluesky", "target": target, "credentials": credentials, "language": "ko"}
    answer = client.post("/api/v1/social/accounts", json=body, headers=admin)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def publish(rt: Runtime, body: str, **fields: object) -> str:
    command = WriteNotice(
        kind=NoticeKind.ANNOUNCEMENT,
        titles={"en": "Pre-orders open", "ko": "예약 시작"},
        bodies={"ko": body},
        channels=("board", "bluesky"),
        publish_now=True,
        **fields,  # type: ignore[arg-type]
    )
    return create_notice(rt, command).id


class Worker:
    """One delivery worker kept across deliveries, as ``yaksok serve`` keeps it (its sessions too)."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt
        self.loop = asyncio.new_event_loop()
        self.worker = DeliveryWorker(rt, SETTINGS)

    def deliver(self) -> int:
        async def run() -> int:
            return await self.worker.fan_out() + await self.worker.retry()

        return self.loop.run_until_complete(run())

    def close(self) -> None:
        self.loop.run_until_complete(self.worker.aclose())
        self.loop.close()


@pytest.fixture
def worker(rt: Runtime) -> Iterator[Worker]:
    made = Worker(rt)
    yield made
    made.close()


def test_a_korean_notice_is_a_thread_written_in_one_apply_writes_with_byte_offset_links(
    rt: Runtime, client: TestClient, admin: Headers, pds: Bluesky, worker: Worker
) -> None:
    account = add_account(client, admin, pds.url)
    notice_id = publish(rt, KOREAN * 6)
    worker.deliver()

    [batch] = pds.batches
    assert len(batch) >= 3
    records = [pds.records[rkey][0] for rkey in batch]
    assert all(graphemes(r["text"]) <= 300 for r in records)
    assert f"https://yaksok.example/notices/{notice_id}" in records[0]["text"]
    assert all(r["text"].endswith(f" {i}/{len(batch)}") for i, r in enumerate(records, 1))
    assert all("2010-11-09 20:00 KST (11:00 UTC)" in r["text"] or "KST" not in r["text"] for r in records)
    first = f"at://{pds.did}/app.bsky.feed.post/{batch[0]}"
    assert all(r["reply"]["root"]["uri"] == first for r in records[1:])
    assert "reply" not in records[0] and records[0]["langs"] == ["ko"]
    [post] = social.posts_of(rt, notice_id)
    assert (post.subscription_id, post.network) == (account, "bluesky")
    assert post.post_ids[0] == first and post.cids[0] == pds.records[batch[0]][1]


def test_the_session_is_made_once_refreshed_when_expired_and_a_correction_replies_to_the_original(
    rt: Runtime, client: TestClient, admin: Headers, pds: Bluesky, worker: Worker
) -> None:
    add_account(client, admin, pds.url)
    original = publish(rt, "예약은 오후 8시에 시작합니다.")
    worker.deliver()
    pds.expire()
    publish(rt, "예약은 오후 9시에 시작합니다.", supersedes=original)
    worker.deliver()

    assert pds.sessions_created == 1
    assert any(r.path.endswith("refreshSession") for r in pds.requests)
    first, second = (pds.records[batch[0]][0] for batch in pds.batches)
    root = f"at://{pds.did}/app.bsky.feed.post/{pds.batches[0][0]}"
    assert second["reply"]["parent"]["uri"] == root and "reply" not in first


class Forgetful:
    """Posts recorded nowhere: as if the worker died after writing, before recording."""

    def credentials(self, subscription_id: str) -> str | None:
        return "yaksok.test app-pass-word"

    def posted(self, notice_id: str, subscription_id: str) -> SocialPost | None:
        return None

    def record(self, post: SocialPost) -> None:
        pass


def test_a_retry_after_a_lost_record_never_writes_the_thread_twice(rt: Runtime, pds: Bluesky) -> None:
    notice_id = publish(rt, KOREAN * 6)
    with rt.store.read() as tx:
        notice = tx.notices.get(notice_id)
    assert notice is not None
    message = Outgoing(delivery_id(notice_id, "s_1"), pds.url, "", social_body(notice, "ko", "https://y", {}))

    async def twice() -> list[Outcome]:
        transport = BlueskyTransport(TransportOptions(social=Forgetful()))
        try:
            return [await transport.deliver(message), await transport.deliver(message)]
        finally:
            await transport.aclose()

    outcomes = asyncio.run(twice())
    assert all(isinstance(o, Delivered) for o in outcomes)
    assert len(pds.batches) == 1 and pds.sessions_created == 1


def test_a_spent_rate_limit_queues_the_notice(
    rt: Runtime, client: TestClient, admin: Headers, pds: Bluesky, worker: Worker
) -> None:
    account = add_account(client, admin, pds.url)
    pds.remaining = 0
    publish(rt, "안녕하세요.")
    worker.deliver()

    [shown] = client.get("/api/v1/social/accounts", headers=admin).json()["accounts"]
    assert (shown["account"]["id"], shown["queued"]) == (account, 1) and "429" in shown["last_error"]
    assert pds.batches == []


def test_bad_credentials_fail_the_delivery_without_writing(
    rt: Runtime, client: TestClient, admin: Headers, pds: Bluesky, worker: Worker
) -> None:
    account = add_account(client, admin, pds.url, credentials="yaksok.test wrong-password")
    publish(rt, "안녕하세요.")
    worker.deliver()

    assert pds.batches == []
    [record] = client.get(f"/api/v1/subscriptions/{account}", headers=admin).json()["deliveries"]
    assert record["status"] == "failed" and "AuthenticationRequired" in record["last_error"]


def test_bluesky_credentials_are_a_handle_and_an_app_password(client: TestClient, admin: Headers) -> None:
    body = {"network": "bluesky", "target": "http://127.0.0.1:9", "credentials": "just-a-token"}
    answer = client.post("/api/v1/social/accounts", json=body, headers=admin)
    assert answer.status_code == 422 and answer.json()["code"] == "social.credentials_invalid"


def test_facets_are_utf8_byte_offsets_and_record_keys_are_tids() -> None:
    text = "예약 https://kt.example/a 확인"
    [facet] = link_facets(text)
    start, end = facet["index"]["byteStart"], facet["index"]["byteEnd"]  # type: ignore[index]
    assert (start, end) == (7, 7 + len("https://kt.example/a"))
    assert text.encode()[start:end] == b"https://kt.example/a"
    assert len(tid(1288310400_000000, 5)) == 13 and tid(1, 0) < tid(2, 0)


def test_the_pds_refuses_a_thread_written_post_by_post(pds: Bluesky) -> None:
    import httpx

    with httpx.Client(base_url=pds.url) as http:
        session = http.post(
            "/xrpc/com.atproto.server.createSession", json={"identifier": pds.user, "password": pds.password}
        ).json()
        auth = {"Authorization": f"Bearer {session['accessJwt']}"}
        record = {"$type": "app.bsky.feed.post", "text": "first 1/2", "createdAt": "2010-10-28T00:00:00.000Z"}
        write = {"$type": "com.atproto.repo.applyWrites#create", "collection": "app.bsky.feed.post"}
        alone = http.post(
            "/xrpc/com.atproto.repo.applyWrites",
            json={"repo": pds.did, "writes": [{**write, "rkey": tid(1, 1), "value": record}]},
            headers=auth,
        )
        long = {**record, "text": "가" * 301}
        too_long = http.post(
            "/xrpc/com.atproto.repo.applyWrites",
            json={"repo": pds.did, "writes": [{**write, "rkey": tid(1, 2), "value": long}]},
            headers=auth,
        )
        unlinked = {**record, "text": "see https://kt.example"}
        no_facet = http.post(
            "/xrpc/com.atproto.repo.applyWrites",
            json={"repo": pds.did, "writes": [{**write, "rkey": tid(1, 3), "value": unlinked}]},
            headers=auth,
        )
    assert alone.status_code == too_long.status_code == no_facet.status_code == 400
    assert "one applyWrites" in alone.json()["message"]
