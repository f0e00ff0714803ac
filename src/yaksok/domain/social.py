"""Social posts: what a notice became on a social network, per account, so that a correction
replies to the original and the notice's page links to its posts.

A social account is a subscription on a social channel (``mastodon``, ``bluesky``, ``x``); its
credentials are kept apart from the subscription, in their own table that no public route, feed
or ledger entry reads (``store.port.SocialRepository``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

NETWORKS = ("mastodon", "bluesky", "x")
CHATS = ("slack", "teams")


@dataclass(frozen=True)
class SocialPost:
    """A notice as posted by one account: one post, or a thread (first post first)."""

    notice_id: str
    subscription_id: str
    network: str
    post_ids: tuple[str, ...]  # a status id, an at:// URI, a tweet id
    urls: tuple[str, ...]  # where each post is seen
    posted_at: datetime
    # Bluesky replies name the thread's root and parent by URI and content hash (CID).
    cids: tuple[str, ...] = ()

    @property
    def last(self) -> str:
        return self.post_ids[-1]


def subscription_of(delivery_id: str) -> str:
    """The subscription a delivery id (``msg_<notice>.<subscription>``) is for."""
    return delivery_id.rsplit(".", 1)[1]
