"""The push repository's contract, on SQLite, PostgreSQL (when reachable) and the in-memory fake:
one VAPID key, kept; push subscriptions found by endpoint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yaksok.domain.notice import NoticeKind
from yaksok.domain.push import VapidKey
from yaksok.domain.subscription import Subscription
from yaksok.store import port
from yaksok.store.memory import MemoryStore
from yaksok.store.unit_of_work import Store

T0 = datetime(2010, 11, 1, tzinfo=UTC)
ENDPOINT = "https://push.example.com/send/abc"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> port.Store:
    """An empty store: each SQL one, migrated, and the fake."""
    if request.param == "memory":
        return MemoryStore()
    sql_store: Store = request.getfixturevalue(f"{request.param}_store")
    return sql_store


def subscription(id: str, channel: str = "webpush", target: str = ENDPOINT) -> Subscription:
    return Subscription(
        id=id,
        channel=channel,
        target=target,
        secret="p256dh.auth",
        language="ko",
        created_at=T0,
        launches=("ipad",),
        kinds=(NoticeKind.ANNOUNCEMENT, NoticeKind.CHANGE),
    )


def test_the_first_vapid_key_is_kept_and_a_second_is_not_stored(store: port.Store) -> None:
    with store.read() as tx:
        assert tx.push.vapid_key() is None
    first = VapidKey("private-1", "public-1", T0)
    with store.write() as tx:
        assert tx.push.add_vapid_key(first) is True
    with store.write() as tx:
        assert tx.push.add_vapid_key(VapidKey("private-2", "public-2", T0 + timedelta(days=1))) is False
    with store.read() as tx:
        assert tx.push.vapid_key() == first


def test_push_subscriptions_are_found_by_endpoint_enabled_and_on_the_push_channel_only(
    store: port.Store,
) -> None:
    with store.write() as tx:
        tx.subscriptions.add_many(
            [
                subscription("s1"),
                subscription("s2"),
                subscription("s3", channel="webhook"),
                subscription("s4", target=ENDPOINT + "x"),
            ]
        )
        tx.subscriptions.disable("s2", T0, "unsubscribed")
    with store.read() as tx:
        assert [s.id for s in tx.push.at_endpoint(ENDPOINT)] == ["s1"]
        [found] = tx.push.at_endpoint(ENDPOINT)
        assert found == subscription("s1")
        assert tx.push.at_endpoint("https://elsewhere.example/") == []
