"""Subscribers as operators see them: listed with counts per channel, each with its delivery
history; webhook endpoints paused and resumed. A subscription's secret never leaves here."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from yaksok.channels.transports import REGISTRY
from yaksok.channels.webhook import new_secret
from yaksok.domain import codes
from yaksok.domain.delivery import Delivery
from yaksok.domain.errors import Conflict, NotFound
from yaksok.domain.subscription import Subscription
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

_EVERY = 1_000_000_000


@dataclass(frozen=True)
class Listing:
    subscriptions: list[Subscription]
    per_channel: dict[str, int]  # of the subscriptions listed


@dataclass(frozen=True)
class History:
    subscription: Subscription
    deliveries: list[Delivery]


def listing(rt: Runtime, channel: str | None = None, state: str | None = None) -> Listing:
    """Subscriptions in id order, of one channel or state if asked, counted per channel."""
    with rt.store.read() as tx:
        every = tx.subscriptions.page(after="", created_by=rt.clock.now(), limit=_EVERY)
    chosen = [
        s for s in every if (channel is None or s.channel == channel) and (state is None or s.state == state)
    ]
    return Listing(chosen, dict(sorted(Counter(s.channel for s in chosen).items())))


def history(rt: Runtime, subscription_id: str) -> History:
    with rt.store.read() as tx:
        found = _get(tx, subscription_id)
        return History(found, tx.deliveries.for_subscription(subscription_id))


def pause(rt: Runtime, subscription_id: str) -> Subscription:
    """Send nothing more to an active subscription until it is resumed."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        found = _get(tx, subscription_id)
        if found.state != "active":
            raise Conflict(
                f"subscription {subscription_id!r} is {found.state}, not active",
                code=codes.SUBSCRIPTION_NOT_ACTIVE,
            )
        tx.subscriptions.pause(subscription_id, now)
        return replace(found, paused_at=now)


def resume(rt: Runtime, subscription_id: str) -> tuple[Subscription, int]:
    """Send to a paused subscription again; with how many notices it chose were published while
    it was paused (they are not sent: a replay would)."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        found = _get(tx, subscription_id)
        if found.state != "paused" or found.paused_at is None:
            raise Conflict(
                f"subscription {subscription_id!r} is {found.state}, not paused",
                code=codes.SUBSCRIPTION_NOT_PAUSED,
            )
        paused_at = found.paused_at
        missed = sum(
            1
            for notice in tx.notices.all()
            if notice.published_at is not None
            and paused_at < notice.published_at <= now
            and found.would_want(notice)
        )
        tx.subscriptions.resume(subscription_id)
        return replace(found, paused_at=None), missed


def rotate_secret(rt: Runtime, subscription_id: str, window: timedelta) -> tuple[str, datetime]:
    """A new ``whsec_`` secret for a webhook (returned once), and until when the one it replaces
    signs too: every webhook carries both signatures during the window."""
    now, new = rt.clock.now(), new_secret()
    with rt.store.write() as tx:
        found = _get(tx, subscription_id)
        if not REGISTRY[found.channel].signed:
            raise Conflict(
                f"subscription {subscription_id!r} is {found.channel}: it has no signing secret",
                code=codes.SUBSCRIPTION_NOT_SIGNED,
            )
        until = now + window
        tx.subscriptions.set_secret(subscription_id, new, found.secret, until)
    return new, until


def _get(tx: Transaction, subscription_id: str) -> Subscription:
    found = tx.subscriptions.get(subscription_id)
    if found is None:
        raise NotFound(f"no subscription {subscription_id!r}", code=codes.SUBSCRIPTION_NOT_FOUND)
    return found
