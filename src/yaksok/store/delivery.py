"""Subscriptions, fan-out jobs and deliveries in SQL. Work is claimed with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so several workers share it without waiting for each other; SQLite
writers hold the whole database from BEGIN IMMEDIATE."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, bindparam, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.delivery import Delivery, DeliveryStatus, Fanout
from yaksok.domain.notice import NoticeKind
from yaksok.domain.subscription import Subscription
from yaksok.store import port
from yaksok.store.tables import deliveries, fanouts, subscriptions


class SubscriptionRepository(port.SubscriptionRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_many(self, added: Sequence[Subscription]) -> None:
        if added:
            self._db.execute(insert(subscriptions), [_subscription_row(s) for s in added])

    def get(self, subscription_id: str) -> Subscription | None:
        query = select(subscriptions).where(subscriptions.c.id == subscription_id)
        row = self._db.execute(query).mappings().first()
        return None if row is None else _subscription(row)

    def page(self, *, after: str, created_by: datetime, limit: int) -> list[Subscription]:
        query = (
            select(subscriptions)
            .where(subscriptions.c.id > after, subscriptions.c.created_at <= created_by)
            .order_by(subscriptions.c.id)
            .limit(limit)
        )
        return [_subscription(row) for row in self._db.execute(query).mappings()]

    def disable(self, subscription_id: str, now: datetime, reason: str) -> bool:
        query = update(subscriptions).where(
            subscriptions.c.id == subscription_id, subscriptions.c.disabled_at.is_(None)
        )
        return self._db.execute(query.values(disabled_at=now, disabled_reason=reason)).rowcount == 1


def _subscription_row(s: Subscription) -> dict[str, object]:
    return {
        "id": s.id,
        "channel": s.channel,
        "target": s.target,
        "secret": s.secret,
        "language": s.language,
        "launches": list(s.launches),
        "kinds": [kind.value for kind in s.kinds],
        "created_at": s.created_at,
        "disabled_at": s.disabled_at,
        "disabled_reason": s.disabled_reason,
    }


def _subscription(row: RowMapping) -> Subscription:
    return Subscription(
        id=row["id"],
        channel=row["channel"],
        target=row["target"],
        secret=row["secret"],
        language=row["language"],
        created_at=row["created_at"],
        launches=tuple(row["launches"]),
        kinds=tuple(NoticeKind(kind) for kind in row["kinds"]),
        disabled_at=row["disabled_at"],
        disabled_reason=row["disabled_reason"],
    )


class DeliveryRepository(port.DeliveryRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_fanout(self, fanout: Fanout) -> None:
        self._db.execute(
            insert(fanouts).values(
                notice_id=fanout.notice_id, publish_at=fanout.publish_at, after=fanout.after, done=fanout.done
            )
        )

    def claim_fanout(self) -> Fanout | None:
        query = (
            select(fanouts)
            .where(fanouts.c.done.is_(False))
            .order_by(fanouts.c.publish_at, fanouts.c.notice_id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = self._db.execute(query).mappings().first()
        return None if row is None else Fanout(row["notice_id"], row["publish_at"], row["after"], row["done"])

    def advance_fanout(self, notice_id: str, after: str, done: bool) -> None:
        query = update(fanouts).where(fanouts.c.notice_id == notice_id)
        self._db.execute(query.values(after=after, done=done))

    def add_many(self, added: Sequence[Delivery]) -> None:
        if added:
            self._db.execute(insert(deliveries), [_delivery_row(d) for d in added])

    def save_many(self, changed: Sequence[Delivery]) -> None:
        if not changed:
            return
        query = (
            update(deliveries)
            .where(deliveries.c.id == bindparam("b_id"))
            .values(
                status=bindparam("status"),
                attempts=bindparam("attempts"),
                next_attempt_at=bindparam("next_attempt_at"),
                delivered_at=bindparam("delivered_at"),
                last_error=bindparam("last_error"),
            )
        )
        rows = [
            {
                "b_id": d.id,
                "status": d.status.value,
                "attempts": d.attempts,
                "next_attempt_at": d.next_attempt_at,
                "delivered_at": d.delivered_at,
                "last_error": d.last_error,
            }
            for d in changed
        ]
        self._db.execute(query.execution_options(synchronize_session=False), rows)

    def claim_due(self, now: datetime, limit: int) -> list[Delivery]:
        query = (
            select(deliveries)
            .where(
                and_(deliveries.c.status == DeliveryStatus.PENDING.value, deliveries.c.next_attempt_at <= now)
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_delivery(row) for row in self._db.execute(query).mappings()]

    def for_notice(self, notice_id: str) -> list[Delivery]:
        query = select(deliveries).where(deliveries.c.notice_id == notice_id).order_by(deliveries.c.id)
        return [_delivery(row) for row in self._db.execute(query).mappings()]

    def for_subscription(self, subscription_id: str) -> list[Delivery]:
        query = (
            select(deliveries)
            .where(deliveries.c.subscription_id == subscription_id)
            .order_by(deliveries.c.id)
        )
        return [_delivery(row) for row in self._db.execute(query).mappings()]


def _delivery_row(d: Delivery) -> dict[str, object]:
    return {
        "id": d.id,
        "notice_id": d.notice_id,
        "subscription_id": d.subscription_id,
        "channel": d.channel,
        "status": d.status.value,
        "attempts": d.attempts,
        "publish_at": d.publish_at,
        "next_attempt_at": d.next_attempt_at,
        "delivered_at": d.delivered_at,
        "last_error": d.last_error,
    }


def _delivery(row: RowMapping) -> Delivery:
    return Delivery(
        id=row["id"],
        notice_id=row["notice_id"],
        subscription_id=row["subscription_id"],
        channel=row["channel"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        publish_at=row["publish_at"],
        next_attempt_at=row["next_attempt_at"],
        delivered_at=row["delivered_at"],
        last_error=row["last_error"],
    )
