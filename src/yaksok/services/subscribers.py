"""Subscribers as operators see them: listed with counts per channel, each with its delivery
history; webhook endpoints paused, resumed (a disabled one re-enabled) and replayed. A
subscription's secret never leaves here.

A replay ("send me everything since ...") queues, for every notice published since then that the
subscription chose, a delivery due now. Per Standard Webhooks a replay is a new attempt of the
same message: a notice already delivered (or tried) goes again under its delivery id, so its
``webhook-id`` is the one the receiver saw before and it can de-duplicate; a notice it never got
(it was paused or disabled) gets its delivery now, with the id it would have had.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from yaksok.channels.transports import REGISTRY
from yaksok.channels.webhook import new_secret
from yaksok.domain import codes
from yaksok.domain.delivery import Delivery, DeliveryStatus, delivery_id
from yaksok.domain.errors import Conflict, InvalidInput, NotFound
from yaksok.domain.notice import Notice
from yaksok.domain.subscription import UNSUBSCRIBED, Subscription
from yaksok.services import audit_trail, scope
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
    scope.require_all(rt, "the list of subscribers")
    with rt.store.read() as tx:
        every = tx.subscriptions.page(after="", created_by=rt.clock.now(), limit=_EVERY)
    chosen = [
        s for s in every if (channel is None or s.channel == channel) and (state is None or s.state == state)
    ]
    return Listing(chosen, dict(sorted(Counter(s.channel for s in chosen).items())))


def history(rt: Runtime, subscription_id: str) -> History:
    scope.require_all(rt, "a subscriber")
    with rt.store.read() as tx:
        found = _get(tx, subscription_id)
        return History(found, tx.deliveries.for_subscription(subscription_id))


def pause(rt: Runtime, subscription_id: str) -> Subscription:
    """Send nothing more to an active subscription until it is resumed (noted in the audit trail)."""
    scope.require_all(rt, "pausing a subscriber")
    now = rt.clock.now()
    with rt.store.write() as tx:
        found = _get(tx, subscription_id)
        if found.state != "active":
            raise Conflict(
                f"subscription {subscription_id!r} is {found.state}, not active",
                code=codes.SUBSCRIPTION_NOT_ACTIVE,
            )
        tx.subscriptions.pause(subscription_id, now)
        paused = replace(found, paused_at=now)
        _audit(tx, rt, "subscription.paused", found, paused)
        return paused


@dataclass(frozen=True)
class Resumed:
    subscription: Subscription
    missed: int  # notices it chose, published while it was paused or disabled (not sent)
    since: datetime  # when it stopped being sent to: what a replay would start from


def resume(rt: Runtime, subscription_id: str) -> Resumed:
    """Send to a paused subscription again, or to a webhook disabled for failing (or ``410``);
    with how many notices it chose were published meanwhile (they are not sent: a replay
    from ``since`` would). An unsubscribed or unconfirmed one cannot be resumed by an operator."""
    scope.require_all(rt, "resuming a subscriber")
    now = rt.clock.now()
    with rt.store.write() as tx:
        found = _get(tx, subscription_id)
        since = found.disabled_at or found.paused_at
        if since is None or found.awaiting_confirmation or found.disabled_reason == UNSUBSCRIBED:
            raise Conflict(
                f"subscription {subscription_id!r} is {found.state}"
                f"{' (unsubscribed by its owner)' if found.disabled_reason == UNSUBSCRIBED else ''},"
                " not paused or disabled by its endpoint",
                code=codes.SUBSCRIPTION_NOT_PAUSED,
            )
        missed = len(_chosen_since(tx, found, since, now))
        resumed = replace(
            found,
            paused_at=None,
            disabled_at=None,
            disabled_reason="",
            failing_since=None,
            failure_warned_at=None,
        )
        tx.subscriptions.save(resumed)
        _audit(tx, rt, "subscription.resumed", found, resumed)
        return Resumed(resumed, missed, since)


def _chosen_since(
    tx: Transaction, subscription: Subscription, since: datetime, now: datetime
) -> list[Notice]:
    """Notices the subscription chose, published after ``since`` up to ``now``, oldest first."""
    return sorted(
        (
            notice
            for notice in tx.notices.all()
            if notice.published_at is not None
            and since < notice.published_at <= now
            and subscription.would_want(notice)
        ),
        key=lambda notice: (notice.published_at or now, notice.id),
    )


@dataclass(frozen=True)
class Replay:
    since: datetime
    again: list[str]  # delivery ids sent before, queued again under the same id
    new: list[str]  # delivery ids of notices it never got, queued for the first time


def replay(rt: Runtime, subscription_id: str, since: datetime) -> Replay:
    """Queue, due now, a delivery of every notice published after ``since`` that an active
    subscription chose (``409 subscription.not_active`` otherwise)."""
    scope.require_all(rt, "replaying to a subscriber")
    now = rt.clock.now()
    if since > now:
        raise InvalidInput("since is in the future", code=codes.TIME_INVALID)
    with rt.store.write() as tx:
        found = _get(tx, subscription_id)
        if not found.enabled:
            raise Conflict(
                f"subscription {subscription_id!r} is {found.state}, not active: resume it first",
                code=codes.SUBSCRIPTION_NOT_ACTIVE,
            )
        known = {d.id: d for d in tx.deliveries.for_subscription(subscription_id)}
        again: list[Delivery] = []
        new: list[Delivery] = []
        for notice in _chosen_since(tx, found, since, now):
            assert notice.publish_at is not None
            each = delivery_id(notice.id, found.id)
            before = known.get(each)
            if before is not None:
                again.append(
                    replace(
                        before,
                        status=DeliveryStatus.PENDING,
                        attempts=0,
                        next_attempt_at=now,
                        delivered_at=None,
                        last_error="",
                    )
                )
            else:
                new.append(
                    Delivery(
                        id=each,
                        notice_id=notice.id,
                        subscription_id=found.id,
                        channel=found.channel,
                        status=DeliveryStatus.PENDING,
                        attempts=0,
                        publish_at=notice.publish_at,
                        next_attempt_at=now,
                    )
                )
        tx.deliveries.save_many(again)
        tx.deliveries.add_many(new)
        details = {"subscription": found.id, "since": since.isoformat(), "queued": len(again) + len(new)}
        audit_trail.record(tx, rt, "subscription.replayed", details, actor=rt.actor)
    return Replay(since, [d.id for d in again], [d.id for d in new])


def rotate_secret(rt: Runtime, subscription_id: str, window: timedelta) -> tuple[str, datetime]:
    """A new ``whsec_`` secret for a webhook (returned once), and until when the one it replaces
    signs too: every webhook carries both signatures during the window."""
    scope.require_all(rt, "a subscriber's secret")
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
        details = {"subscription": found.id, "secret": "rotated", "previous_signs_until": until.isoformat()}
        audit_trail.record(tx, rt, "subscription.secret_rotated", details, actor=rt.actor)
    return new, until


def _audit(tx: Transaction, rt: Runtime, action: str, before: Subscription, after: Subscription) -> None:
    """An operator's change of a subscription's state, old beside new (never its address)."""
    details = {"subscription": after.id, "channel": after.channel, "state": after.state}
    audit_trail.record(tx, rt, action, {**details, "previous": {"state": before.state}}, actor=rt.actor)


def instant(text: str) -> datetime:
    """An ISO 8601 time with its zone (``time.invalid`` otherwise)."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise InvalidInput(
            f"since must be an ISO 8601 time with its zone, not {text[:40]!r}", code=codes.TIME_INVALID
        )
    return parsed.astimezone(UTC)


def _get(tx: Transaction, subscription_id: str) -> Subscription:
    found = tx.subscriptions.get(subscription_id)
    if found is None:
        raise NotFound(f"no subscription {subscription_id!r}", code=codes.SUBSCRIPTION_NOT_FOUND)
    return found
