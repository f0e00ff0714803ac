"""Reservations in SQL: written in batches by the group-commit writer, read one at a time."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.store import port
from yaksok.store.tables import reservations

_T = reservations.c


class ReservationRepository(port.ReservationRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_many(self, batch: Sequence[Reservation]) -> None:
        # The launch-minute hot path: one prepared INSERT given plain tuples, each instant converted
        # once per batch, instead of SQLAlchemy's per-row parameter processing (~3x the cost).
        if not batch:
            return
        dialect = self._db.dialect
        to_db: Callable[[datetime], object] = _T.created_at.type.bind_processor(dialect) or _same
        converted: dict[datetime | None, object] = {None: None}
        rows = []
        for made in batch:
            for instant in (made.created_at, made.cancelled_at):
                if instant is not None and instant not in converted:
                    converted[instant] = to_db(instant)
            rows.append(
                (
                    made.code,
                    made.launch_slug,
                    made.sequence,
                    made.secret_hash,
                    made.idempotency_key,
                    made.fingerprint,
                    made.sku,
                    made.quantity,
                    made.contact,
                    made.pickup_store,
                    made.state.value,
                    converted[made.created_at],
                    converted[made.cancelled_at],
                )
            )
        self._db.exec_driver_sql(_insert_sql(dialect.paramstyle), rows)

    # The three reads of each batch (sequence, keys, contacts) go to the driver as plain SQL: the
    # writer runs them once per group commit, where SQLAlchemy's statement handling cost ~3x.
    def last_sequence(self, launch_slug: str) -> int:
        sql = "SELECT COALESCE(MAX(sequence), 0) FROM reservations WHERE launch_slug = {}"
        return int(self._raw(sql, [launch_slug])[0][0])

    def by_keys(self, launch_slug: str, keys: Collection[str]) -> dict[str, Reservation]:
        if not keys:
            return {}
        sql = "SELECT idempotency_key FROM reservations WHERE launch_slug = {} AND idempotency_key IN ({})"
        found = [row[0] for row in self._raw(sql, [launch_slug], list(keys))]
        if not found:  # the usual case: every key is new
            return {}
        query = select(reservations).where(_T.launch_slug == launch_slug, _T.idempotency_key.in_(found))
        return {row["idempotency_key"]: _reservation(row) for row in self._db.execute(query).mappings()}

    def units_by_contact(self, launch_slug: str, contacts: Collection[str]) -> dict[str, int]:
        if not contacts:
            return {}
        sql = (
            "SELECT contact, SUM(quantity) FROM reservations WHERE launch_slug = {} AND contact IN ({})"
            " AND state <> 'cancelled' GROUP BY contact"
        )
        return {row[0]: int(row[1]) for row in self._raw(sql, [launch_slug], list(contacts))}

    def _raw(self, sql: str, params: list[str], among: list[str] | None = None) -> list[tuple[Any, ...]]:
        """``sql`` with its ``{}`` filled by the driver's placeholders: one per value of ``params``,
        then as many as ``among`` has (for an ``IN``)."""
        mark = "?" if self._db.dialect.paramstyle == "qmark" else "%s"
        marks = [mark] * len(params)
        if among is not None:
            marks.append(", ".join([mark] * len(among)))
        rows = self._db.exec_driver_sql(sql.format(*marks), tuple(params + (among or [])))
        return [tuple(row) for row in rows]

    def units_held(self, launch_slug: str) -> dict[str, int]:
        query = (
            select(_T.sku, func.sum(_T.quantity))
            .where(_T.launch_slug == launch_slug, _T.state == ReservationState.QUEUED.value)
            .group_by(_T.sku)
        )
        return {sku: int(units) for sku, units in self._db.execute(query)}

    def get(self, code: str) -> Reservation | None:
        row = self._db.execute(select(reservations).where(_T.code == code)).mappings().first()
        return None if row is None else _reservation(row)

    def set_state(self, code: str, state: ReservationState, now: datetime) -> bool:
        cancelled_at = now if state is ReservationState.CANCELLED else None
        query = (
            update(reservations)
            .where(_T.code == code, _T.state != ReservationState.CANCELLED.value)
            .values(state=state.value, cancelled_at=cancelled_at)
        )
        return self._db.execute(query).rowcount == 1

    def for_launch(self, launch_slug: str, state: ReservationState | None = None) -> list[Reservation]:
        query = select(reservations).where(_T.launch_slug == launch_slug).order_by(_T.sequence)
        if state is not None:
            query = query.where(_T.state == state.value)
        return [_reservation(row) for row in self._db.execute(query).mappings()]


def _same(instant: datetime) -> object:
    return instant


_COLUMNS = (
    "code",
    "launch_slug",
    "sequence",
    "secret_hash",
    "idempotency_key",
    "fingerprint",
    "sku",
    "quantity",
    "contact",
    "pickup_store",
    "state",
    "created_at",
    "cancelled_at",
)


def _insert_sql(paramstyle: str) -> str:
    """The INSERT for ``add_many``'s tuples, in the driver's own placeholders (``?`` or ``%s``)."""
    mark = "?" if paramstyle == "qmark" else "%s"
    return f"INSERT INTO reservations ({', '.join(_COLUMNS)}) VALUES ({', '.join([mark] * len(_COLUMNS))})"


def _reservation(row: RowMapping) -> Reservation:
    return Reservation(
        launch_slug=row["launch_slug"],
        sequence=row["sequence"],
        code=row["code"],
        secret_hash=row["secret_hash"],
        idempotency_key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
        sku=row["sku"],
        quantity=row["quantity"],
        contact=row["contact"],
        pickup_store=row["pickup_store"],
        state=ReservationState(row["state"]),
        created_at=row["created_at"],
        cancelled_at=row["cancelled_at"],
    )
