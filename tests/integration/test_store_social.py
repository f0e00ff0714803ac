"""The social repository's contract on SQLite, PostgreSQL (skipped, and said so, when it is not
reachable) and in memory: credentials kept per account, posts recorded per notice and account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yaksok.domain.social import SocialPost
from yaksok.domain.subscription import Subscription
from yaksok.store import port

T0 = datetime(2010, 10, 28, tzinfo=UTC)


@pytest.fixture(params=["sqlite_store", "postgresql_store", "memory_store"])
def any_store(request: pytest.FixtureRequest) -> port.Store:
    found: port.Store = request.getfixturevalue(request.param)
    return found


def account(store: port.Store, subscription_id: str) -> None:
    with store.write() as tx:
        tx.subscriptions.add_many([Subscription(subscription_id, "mastodon", "http://m", "", "en", T0)])


def test_credentials_are_kept_per_account_and_replaced(any_store: port.Store) -> None:
    account(any_store, "s_1")
    with any_store.write() as tx:
        tx.social.set_credentials("s_1", "token-1")
        tx.social.set_credentials("s_1", "token-2")
    with any_store.read() as tx:
        assert tx.social.credentials("s_1") == "token-2"
        assert tx.social.credentials("s_2") is None
        assert tx.subscriptions.get("s_1") == Subscription("s_1", "mastodon", "http://m", "", "en", T0)


def test_posts_are_recorded_per_notice_and_account_and_replaced_as_a_thread_grows(
    any_store: port.Store,
) -> None:
    kst = T0.astimezone(datetime.now().astimezone().tzinfo)
    first = SocialPost("n_1", "s_2", "bluesky", ("at://a/1",), ("https://b/1",), kst, ("cid1",))
    grown = SocialPost("n_1", "s_2", "bluesky", ("at://a/1", "at://a/2"), ("u1", "u2"), T0, ("c1", "c2"))
    other = SocialPost("n_1", "s_1", "mastodon", ("101",), ("u",), T0 + timedelta(seconds=1))
    with any_store.write() as tx:
        tx.social.record_post(first)
    with any_store.read() as tx:
        found = tx.social.post("n_1", "s_2")
        assert found is not None and found.posted_at == T0 and found.cids == ("cid1",)
    with any_store.write() as tx:
        tx.social.record_post(grown)
        tx.social.record_post(other)
    with any_store.read() as tx:
        assert tx.social.post("n_1", "s_2") == grown
        assert tx.social.posts_of("n_1") == [other, grown]
        assert tx.social.posts_of("n_2") == [] and tx.social.post("n_2", "s_1") is None
