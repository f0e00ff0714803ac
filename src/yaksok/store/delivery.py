"""Subscriptions, fan-out jobs and deliveries in SQL. Work is claimed with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL, so several workers share it without waiting for each other; SQLite
writers hold the whole database from BEGIN IMMEDIATE.

A fan-out's pages are written in one statement each (leased, then delivered), bypassing
SQLAlchemy's per-row parameter processing, which costs more than the database's own work there;
the only values that need converting (times) repeat across a page. On PostgreSQL the statement is
an ``executemany`` of tuples (psycopg pipelines it). On SQLite the page goes as one JSON array
read by ``json_each``: one step for the page, where ``executemany`` would release and retake the
GIL around every row, and wait each time for the sending event loop to let go of it."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Table, Text, and_, bindparam, func, insert, select, type_coerce, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.delivery import Delivery, DeliveryStatus, Fanout, delivery_id
from yaksok.domain.figures import DeliveryTally
from yaksok.domain.notice import NoticeKind
from yaksok.domain.subscription import Recipient, Subscription
from yaksok.store import port
from yaksok.store.tables import deliveries, fanouts, notices, subscriptions


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

    def recipients(self, *, after: str, created_by: datetime, limit: int) -> list[Recipient]:
        c = subscriptions.c
        page = (
            select(
                c.id,
                c.channel,
                c.target,
                c.secret,
                c.language,
                c.launches,
                c.kinds,
                c.previous_secret,
                c.previous_secret_until,
            )
            .where(c.id > after, c.created_at <= created_by, *_ENABLED)
            .order_by(c.id)
            .limit(limit)
        )
        if self._db.dialect.name == "sqlite":  # the page as one text, for the GIL's sake
            found = self._sqlite_recipients(after, created_by, limit)
            if found is not None:
                return found
            inner = page.subquery()
            whole = func.json_group_array(
                func.json_array(
                    *list(inner.c)[:5],
                    func.json(inner.c.launches),
                    func.json(inner.c.kinds),
                    inner.c.previous_secret,
                    inner.c.previous_secret_until,
                )
            )
            rows = sorted(json.loads(self._db.execute(select(type_coerce(whole, Text))).scalar_one()))
        else:
            rows = [tuple(row) for row in self._db.execute(page)]
        return [
            Recipient(
                id_,
                channel,
                target,
                secret,
                language,
                tuple(launches),
                _kinds(kinds),
                previous,
                _instant(until),
            )
            for id_, channel, target, secret, language, launches, kinds, previous, until in rows
        ]

    def _sqlite_recipients(self, after: str, created_by: datetime, limit: int) -> list[Recipient] | None:
        """The page read as one text (fields split by U+001F, rows by U+001E): cheaper to make and
        to split than JSON, which a fan-out reads 100,000 rows of. None if a field held a separator
        (no row then has its nine fields): the JSON path reads that page."""
        by = _time_converter(self._db)(created_by)
        text = self._db.exec_driver_sql(_RECIPIENTS_SQLITE, (after, by, limit)).scalar_one()
        if not text:
            return []
        found, make, last, ordered = [], Recipient._make, "", True
        for line in text.split(_ROW):
            fields: list[Any] = line.split(_FIELD)
            if len(fields) != 9:
                return None
            fields[5] = () if fields[5] == "[]" else tuple(json.loads(fields[5]))
            fields[6] = () if fields[6] == "[]" else _kinds(json.loads(fields[6]))
            fields[8] = _instant(fields[8]) if fields[8] else None
            ordered, last = ordered and fields[0] > last, fields[0]
            found.append(make(fields))
        if not ordered:
            found.sort()
        return found

    def disable(self, subscription_id: str, now: datetime, reason: str) -> bool:
        c = subscriptions.c
        query = update(subscriptions).where(c.id == subscription_id, c.disabled_at.is_(None))
        return self._db.execute(query.values(disabled_at=now, disabled_reason=reason)).rowcount == 1

    def confirm(self, subscription_id: str) -> bool:
        c = subscriptions.c
        query = update(subscriptions).where(
            c.id == subscription_id, c.awaiting_confirmation.is_(True), c.disabled_at.is_(None)
        )
        return self._db.execute(query.values(awaiting_confirmation=False)).rowcount == 1

    def pause(self, subscription_id: str, now: datetime) -> bool:
        c = subscriptions.c
        query = update(subscriptions).where(c.id == subscription_id, *_ENABLED)
        return self._db.execute(query.values(paused_at=now)).rowcount == 1

    def resume(self, subscription_id: str) -> bool:
        c = subscriptions.c
        query = update(subscriptions).where(
            c.id == subscription_id, c.paused_at.is_not(None), c.disabled_at.is_(None)
        )
        return self._db.execute(query.values(paused_at=None)).rowcount == 1

    def set_secret(
        self, subscription_id: str, secret: str, previous: str = "", previous_until: datetime | None = None
    ) -> bool:
        query = update(subscriptions).where(subscriptions.c.id == subscription_id)
        values = {"secret": secret, "previous_secret": previous, "previous_secret_until": previous_until}
        return self._db.execute(query.values(**values)).rowcount == 1

    def save(self, changed: Subscription) -> bool:
        row = _subscription_row(changed)
        del row["id"], row["created_at"]
        query = update(subscriptions).where(subscriptions.c.id == changed.id)
        return self._db.execute(query.values(**row)).rowcount == 1


_FIELD, _ROW = "\x1f", "\x1e"  # the unit and record separators of ASCII
_RECIPIENTS_SQLITE = (
    "SELECT group_concat(id || char(31) || channel || char(31) || target || char(31) || secret || char(31)"
    " || language || char(31) || launches || char(31) || kinds || char(31) || previous_secret || char(31)"
    " || ifnull(previous_secret_until, ''), char(30)) FROM (SELECT * FROM subscriptions WHERE id > ?"
    " AND created_at <= ? AND disabled_at IS NULL AND paused_at IS NULL AND awaiting_confirmation = 0"
    " ORDER BY id LIMIT ?)"
)
_ENABLED = (
    subscriptions.c.disabled_at.is_(None),
    subscriptions.c.paused_at.is_(None),
    subscriptions.c.awaiting_confirmation.is_(False),
)


def _utc_aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _instant(value: datetime | str | None) -> datetime | None:
    """A time read from a JSON array (SQLite's text) or a row."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


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
        "awaiting_confirmation": s.awaiting_confirmation,
        "paused_at": s.paused_at,
        "previous_secret": s.previous_secret,
        "previous_secret_until": s.previous_secret_until,
        "contact": s.contact,
        "failing_since": s.failing_since,
        "failure_warned_at": s.failure_warned_at,
    }


def _kinds(raw: list[str]) -> tuple[NoticeKind, ...]:
    return tuple(NoticeKind(kind) for kind in raw) if raw else ()


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
        awaiting_confirmation=row["awaiting_confirmation"],
        paused_at=row["paused_at"],
        previous_secret=row["previous_secret"],
        previous_secret_until=row["previous_secret_until"],
        contact=row["contact"],
        failing_since=row["failing_since"],
        failure_warned_at=row["failure_warned_at"],
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

    def add_leased(
        self, notice_id: str, publish_at: datetime, until: datetime, leased: Sequence[tuple[str, str, str]]
    ) -> None:
        if not leased:
            return
        pending, times = DeliveryStatus.PENDING.value, _time_converter(self._db)
        start, lease = times(publish_at), times(until)
        if self._db.dialect.name == "sqlite":
            self._add_leased_sqlite(notice_id, pending, start, lease, leased)
            return
        rows = [(d, notice_id, s, channel, pending, start, lease) for d, s, channel in leased]
        self._db.exec_driver_sql(_ADD_LEASED, rows)

    def _add_leased_sqlite(
        self, notice_id: str, pending: str, start: Any, lease: Any, leased: Sequence[tuple[str, str, str]]
    ) -> None:
        """The page as a JSON array of subscription ids per channel when every delivery id is
        ``delivery_id(notice, subscription)`` (SQLite makes it), else of whole rows."""
        prefix = delivery_id(notice_id, "")
        by_channel: dict[str, list[str]] = {}
        for delivery, subscription_id, channel in leased:
            if delivery != prefix + subscription_id:
                self._db.exec_driver_sql(
                    _ADD_LEASED_SQLITE, (notice_id, pending, start, lease, _json(leased))
                )
                return
            found = by_channel.get(channel)
            if found is None:
                found = by_channel[channel] = []
            found.append(subscription_id)
        for channel, ids in by_channel.items():
            values = (
                prefix,
                notice_id,
                channel,
                pending,
                start,
                lease,
                json.dumps(ids, separators=(",", ":")),
            )
            self._db.exec_driver_sql(_ADD_LEASED_IDS_SQLITE, values)

    def mark_delivered(self, delivered: Sequence[tuple[str, datetime]]) -> None:
        if not delivered:
            return
        done, times = DeliveryStatus.DELIVERED.value, _time_converter(self._db)
        by_time: dict[datetime, list[str]] = {}  # answers read in the same instant share their time
        for delivered_id, at in delivered:
            ids = by_time.get(at)
            if ids is None:
                ids = by_time[at] = []
            ids.append(delivered_id)
        if self._db.dialect.name == "sqlite":  # one step: {time: [id, …], …}
            grouped: dict[str, list[str]] = {}
            for at, ids in by_time.items():
                grouped.setdefault(str(times(at)), []).extend(ids)
            self._db.exec_driver_sql(
                _MARK_DELIVERED_SQLITE, (done, json.dumps(grouped, separators=(",", ":")))
            )
            return
        rows = [(done, when, each) for at, ids in by_time.items() for when in (times(at),) for each in ids]
        self._db.exec_driver_sql(_MARK_DELIVERED, rows)

    def save_many(self, changed: Sequence[Delivery]) -> None:
        save_attempts(self._db, deliveries, changed)

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

    def last_delivered_at(self, subscription_id: str) -> datetime | None:
        c = deliveries.c
        query = select(func.max(c.delivered_at)).where(c.subscription_id == subscription_id)
        found = self._db.execute(query).scalar_one()
        if found is None or isinstance(found, datetime):
            return _utc_aware(found)
        return _instant(found)

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

    def tally(self, *, notice_id: str | None = None, launch_slug: str | None = None) -> DeliveryTally:
        c = deliveries.c
        scope = []
        if notice_id is not None:
            scope.append(c.notice_id == notice_id)
        if launch_slug is not None:
            of_launch = select(notices.c.id).where(notices.c.launch_slug == launch_slug)
            scope.append(c.notice_id.in_(of_launch.scalar_subquery()))
        counts = select(c.channel, c.status, func.count()).where(*scope).group_by(c.channel, c.status)
        by_status: dict[str, dict[DeliveryStatus, int]] = {}
        for channel, status, n in self._db.execute(counts):
            by_status.setdefault(channel, {})[DeliveryStatus(status)] = int(n)
        # Latency percentiles need every latency; the subtraction is left to Python, which does
        # it alike on both databases (SQLite has no interval type).
        delivered = select(c.channel, c.publish_at, c.delivered_at).where(
            *scope, c.status == DeliveryStatus.DELIVERED.value, c.delivered_at.is_not(None)
        )
        latencies: dict[str, list[timedelta]] = {}
        for channel, publish_at, delivered_at in self._db.execute(delivered):
            latencies.setdefault(channel, []).append(delivered_at - publish_at)
        return DeliveryTally(by_status, latencies)


_ADD_LEASED = (
    "INSERT INTO deliveries (id, notice_id, subscription_id, channel, status, attempts, publish_at,"
    " next_attempt_at, delivered_at, last_error) VALUES (%s, %s, %s, %s, %s, 0, %s, %s, NULL, '')"
)
_ADD_LEASED_SQLITE = (
    "INSERT INTO deliveries (id, notice_id, subscription_id, channel, status, attempts, publish_at,"
    " next_attempt_at, delivered_at, last_error) SELECT json_extract(value, '$[0]'), ?,"
    " json_extract(value, '$[1]'), json_extract(value, '$[2]'), ?, 0, ?, ?, NULL, '' FROM json_each(?)"
)
_MARK_DELIVERED = (
    "UPDATE deliveries SET status = %s, attempts = attempts + 1, delivered_at = %s, next_attempt_at = NULL,"
    " last_error = '' WHERE id = %s"
)
_ADD_LEASED_IDS_SQLITE = (
    "INSERT INTO deliveries (id, notice_id, subscription_id, channel, status, attempts, publish_at,"
    " next_attempt_at, delivered_at, last_error) SELECT ?1 || value, ?2, value, ?3, ?4, 0, ?5, ?6, NULL, ''"
    " FROM json_each(?7)"
)
# One statement, not one per instant: an ``executemany`` takes the GIL back between its steps, and
# each time waits for the sending event loop to let go of it (docs/benchmarks.md, "Webhook fan-out").
_MARK_DELIVERED_SQLITE = (
    "UPDATE deliveries SET status = ?, attempts = attempts + 1, delivered_at = d.at, next_attempt_at = NULL,"
    " last_error = '' FROM (SELECT g.key AS at, i.value AS id FROM json_each(?) AS g,"
    " json_each(g.value) AS i) AS d WHERE deliveries.id = d.id"
)


def _json(rows: Sequence[tuple[str, ...]]) -> str:
    return json.dumps(rows, separators=(",", ":"))


def _time_converter(db: Connection) -> Callable[[datetime], Any]:
    """A time as the driver takes it for a ``UTCDateTime`` column."""
    convert = deliveries.c.publish_at.type.dialect_impl(db.dialect).bind_processor(db.dialect)
    return (lambda value: value) if convert is None else convert


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


class Attempted(Protocol):
    """What an attempt changes on a row of the outbox (a delivery or a personal message)."""

    @property
    def id(self) -> str: ...
    @property
    def status(self) -> DeliveryStatus: ...
    @property
    def attempts(self) -> int: ...
    @property
    def next_attempt_at(self) -> datetime | None: ...
    @property
    def delivered_at(self) -> datetime | None: ...
    @property
    def last_error(self) -> str: ...


def save_attempts(db: Connection, table: Table, changed: Sequence[Attempted]) -> None:
    """Store each row's status, attempts, next attempt, delivery time and last error."""
    if not changed:
        return
    query = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
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
            "b_id": row.id,
            "status": row.status.value,
            "attempts": row.attempts,
            "next_attempt_at": row.next_attempt_at,
            "delivered_at": row.delivered_at,
            "last_error": row.last_error,
        }
        for row in changed
    ]
    db.execute(query.execution_options(synchronize_session=False), rows)
