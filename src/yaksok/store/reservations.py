"""Reservations in SQL: written in batches by the group-commit writer, read one at a time."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any

import msgspec
import psycopg
from sqlalchemy import Text, bindparam, cast, func, literal, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.exc import IntegrityError

from yaksok.domain.figures import ReservationTally
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.store import port
from yaksok.store.tables import (
    LINE_BLOCK,
    reservation_arrivals,
    reservation_blocks,
    reservation_totals,
    reservations,
)

_T = reservations.c
_K = reservation_blocks.c
_json = msgspec.json.Encoder().encode


class ReservationRepository(port.ReservationRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_many(self, batch: Sequence[Reservation]) -> None:
        # The launch-minute hot path, straight to the driver: one prepared INSERT given plain
        # tuples (on PostgreSQL a COPY, one round trip, at under half the client's CPU of an INSERT
        # from arrays), each instant converted once per batch, instead of SQLAlchemy's per-row
        # parameter processing (~3x the cost). Its unique keys taken raise as SQLAlchemy would.
        if not batch:
            return
        driver = self._db.connection.driver_connection
        on_sqlite = isinstance(driver, sqlite3.Connection)
        to_db: Callable[[datetime], object] = _T.created_at.type.bind_processor(self._db.dialect) or _same
        bound = _as_sqlite_stores if on_sqlite else _same
        instants = {made.created_at for made in batch} | {made.cancelled_at for made in batch}
        converted = {instant: None if instant is None else bound(to_db(instant)) for instant in instants}
        rows = [
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
                made.language,
            )
            for made in batch
        ]
        try:
            if isinstance(driver, sqlite3.Connection):
                driver.executemany(_INSERT, rows)
            else:
                assert isinstance(driver, psycopg.Connection)
                with driver.cursor() as cursor, cursor.copy(_COPY) as copy:
                    for row in rows:
                        copy.write_row(row)
        except (sqlite3.IntegrityError, psycopg.IntegrityError) as exc:
            raise IntegrityError(_INSERT if on_sqlite else _COPY, None, exc) from exc
        totals: dict[tuple[str, str, str], tuple[int, int]] = {}
        blocks: dict[tuple[str, str, str, int], int] = {}
        arrived: dict[tuple[str, datetime], int] = {}
        for made in batch:
            kind = (made.launch_slug, made.sku, made.state.value)
            count, units = totals.get(kind, (0, 0))
            totals[kind] = (count + 1, units + made.quantity)
            block = _block(made, made.state)
            blocks[block] = blocks.get(block, 0) + 1
            at = (made.launch_slug, made.created_at)
            arrived[at] = arrived.get(at, 0) + 1
        per_second: dict[tuple[str, datetime], int] = {}
        for (launch, instant), count in arrived.items():
            second = (launch, instant.replace(microsecond=0))
            per_second[second] = per_second.get(second, 0) + count
        arrivals: list[tuple[object, ...]] = [
            (launch, bound(to_db(at)), n) for (launch, at), n in per_second.items()
        ]
        self._write((_TOTAL, _totals(totals)), (_BLOCK, _blocks(blocks)), (_ARRIVE, arrivals))

    def _write(self, *statements: tuple[str, list[tuple[object, ...]]]) -> None:
        """Each statement run once per row given, in one round trip on PostgreSQL (a pipeline)."""
        driver = self._db.connection.driver_connection
        if isinstance(driver, sqlite3.Connection):
            for sql, rows in statements:
                driver.executemany(sql, rows)
            return
        assert isinstance(driver, psycopg.Connection)
        with driver.pipeline(), driver.cursor() as cursor:
            for sql, rows in statements:
                if rows:
                    cursor.executemany(sql.replace("?", "%s"), rows)

    # The reads of each batch (sequence, keys, contacts, and units held where there is a cap) go
    # to the driver as plain SQL: the writer runs them once per group commit, where SQLAlchemy's
    # statement handling cost ~3x.
    def last_sequence(self, launch_slug: str) -> int:
        sql = f"SELECT COALESCE(MAX(sequence), 0) FROM reservations WHERE launch_slug = {self._launch}"
        return int(self._rows(sql, (launch_slug,))[0][0])

    @property
    def _launch(self) -> str:
        """The launch in the writer's reads. On PostgreSQL a one-row subquery, not a constant: a
        launch the statistics have not seen (a new one, or none analysed yet: autovacuum waits a
        minute) is estimated at a row or two, and the planner may then read it through any index
        that starts with the launch, filtering the rest, which grows with the launch (measured: a
        batch's contact probe took 15.6 ms instead of 0.1 at 3,200 reservations). A value it cannot
        see is estimated as a share of the table, and only the index on both columns stays cheap."""
        return "(SELECT ?::text)" if self._db.dialect.name == "postgresql" else "?"

    def by_keys(self, launch_slug: str, keys: Collection[str]) -> dict[str, Reservation]:
        if not keys:
            return {}
        found = [row[0] for row in self._probe(launch_slug, "idempotency_key", "1", list(keys))]
        if not found:  # the usual case: every key is new
            return {}
        # Retries are few: one lookup by the unique (launch, key) each, the launch given as
        # ``_launch`` says.
        launch = select(cast(literal(launch_slug), Text)).scalar_subquery()
        query = select(reservations).where(_T.launch_slug == launch, _T.idempotency_key == bindparam("key"))
        rows = (self._db.execute(query, {"key": key}).mappings().one() for key in found)
        return {row["idempotency_key"]: _reservation(row) for row in rows}

    def units_by_contact(self, launch_slug: str, contacts: Collection[str]) -> dict[str, int]:
        if not contacts:
            return {}
        held = "AND state <> 'cancelled'"
        rows = self._probe(launch_slug, "contact", "SUM(quantity)", list(contacts), held)
        return {row[0]: int(row[1]) for row in rows}

    def _probe(
        self, launch_slug: str, column: str, value: str, among: list[str], where: str = ""
    ) -> list[tuple[Any, ...]]:
        """``(v, value)`` for each ``v`` of ``among`` that the launch's rows have in ``column``.

        On PostgreSQL one index probe per value, from one JSON array (an ``IN``/``= ANY`` lets a
        planner with stale statistics scan the whole launch; a text[] parameter is dumped by
        psycopg in Python, value by value), the launch given as ``_launch`` says."""
        if self._db.dialect.name == "postgresql":
            sql = (
                f"SELECT v, (SELECT {value} FROM reservations WHERE launch_slug = {self._launch}"
                f" AND {column} = v {where}) FROM json_array_elements_text(?::json) AS v"
            )
            values = _json(among).decode()
            return [row for row in self._rows(sql, (launch_slug, values)) if row[1] is not None]
        marks = ", ".join("?" * len(among))
        sql = (
            f"SELECT {column}, {value} FROM reservations WHERE launch_slug = ? AND {column} IN ({marks}) "
            f"{where} GROUP BY {column}"
        )
        return self._rows(sql, (launch_slug, *among))

    def _rows(self, sql: str, values: tuple[object, ...]) -> list[tuple[Any, ...]]:
        if self._db.dialect.name != "postgresql":  # the driver itself, in this same transaction
            driver = self._db.connection.driver_connection
            assert isinstance(driver, sqlite3.Connection)
            return [tuple(row) for row in driver.execute(sql, values)]
        # Planned afresh each time, never prepared: psycopg prepares a statement on its fifth run,
        # and a plan made while the table was nearly empty (a scan) would then be kept as it grows.
        driver = self._db.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        cursor = driver.execute(sql.replace("?", "%s"), values, prepare=False)
        return [tuple(row) for row in cursor.fetchall()]

    def units_held(self, launch_slug: str) -> dict[str, int]:
        sql = (
            f"SELECT sku, units FROM reservation_totals WHERE launch_slug = {self._launch} "
            "AND state = 'queued' AND units <> 0"
        )
        return {sku: int(units) for sku, units in self._rows(sql, (launch_slug,))}

    def get(self, code: str) -> Reservation | None:
        row = self._db.execute(select(reservations).where(_T.code == code)).mappings().first()
        return None if row is None else _reservation(row)

    def set_state(self, code: str, state: ReservationState, now: datetime) -> bool:
        found = self.get(code)
        if found is None or found.state is ReservationState.CANCELLED:
            return False
        cancelled_at = now if state is ReservationState.CANCELLED else None
        query = (
            update(reservations)
            .where(_T.code == code, _T.state != ReservationState.CANCELLED.value)
            .values(state=state.value, cancelled_at=cancelled_at)
        )
        if self._db.execute(query).rowcount != 1:
            return False
        if state is not found.state:
            was, now_in = (
                (found.launch_slug, found.sku, found.state.value),
                (found.launch_slug, found.sku, state.value),
            )
            moved = {_block(found, found.state): -1, _block(found, state): 1}
            self._write(
                (_TOTAL, _totals({was: (-1, -found.quantity), now_in: (1, found.quantity)})),
                (_BLOCK, _blocks(moved)),
            )
        return True

    def for_launch(
        self,
        launch_slug: str,
        state: ReservationState | None = None,
        *,
        after: int = 0,
        limit: int | None = None,
        sku: str | None = None,
    ) -> list[Reservation]:
        query = select(reservations).where(_T.launch_slug == launch_slug).order_by(_T.sequence)
        if state is None:
            query = query.where(_T.sequence > after).limit(limit)
            return [_reservation(row) for row in self._db.execute(query).mappings()]
        # A line is read a block at a time, from the first block with anyone in it: a cancellation
        # reading the head of a waitlist otherwise went through every reservation before it (30 ms
        # at 50,000 on PostgreSQL, which, before its first analyse, read the whole rest of the
        # launch and sorted it for a page of 20).
        query = query.where(_T.state == state.value)
        starts = (
            select(_K.block_start)
            .distinct()
            .where(
                _K.launch_slug == launch_slug,
                _K.state == state.value,
                _K.reservations > 0,
                _K.block_start > after - LINE_BLOCK,
            )
        )
        if sku is not None:
            query, starts = query.where(_T.sku == sku), starts.where(_K.sku == sku)
        found: list[Reservation] = []
        for start in self._db.execute(starts.order_by(_K.block_start)).scalars().all():
            # One lower bound: SQLite ranges an index on one of two, and took the smaller.
            block = query.where(_T.sequence >= max(start, after + 1), _T.sequence < start + LINE_BLOCK)
            if limit is not None:
                block = block.limit(limit - len(found))
            found += [_reservation(row) for row in self._db.execute(block).mappings()]
            if limit is not None and len(found) >= limit:
                break
        return found

    def ahead_of(self, reservation: Reservation, *, same_sku: bool = False) -> int:
        # The whole blocks ahead from their counts, then at most a block's rows: counting every row
        # ahead took 12 ms at the 50,000th place on PostgreSQL, and grew with the place.
        _, state, sku, start = _block(reservation, reservation.state)
        blocks = select(func.coalesce(func.sum(_K.reservations), 0)).where(
            _K.launch_slug == reservation.launch_slug, _K.state == state, _K.block_start < start
        )
        rows = select(func.count()).where(
            _T.launch_slug == reservation.launch_slug,
            _T.state == state,
            _T.sequence >= start,
            _T.sequence < reservation.sequence,
        )
        if same_sku:
            blocks, rows = blocks.where(_K.sku == sku), rows.where(_T.sku == sku)
        both = select(blocks.scalar_subquery() + rows.scalar_subquery())
        return int(self._db.execute(both).scalar_one())

    def tally(self, launch_slug: str) -> ReservationTally:
        # From the totals and arrivals the writes keep, and the first reservation by its sequence:
        # a few rows, where counting the launch's reservations took 84 ms at 100,000 on SQLite.
        by_state = select(reservation_totals.c.state, func.sum(reservation_totals.c.reservations)).where(
            reservation_totals.c.launch_slug == launch_slug
        )
        arrivals = select(reservation_arrivals.c.second, reservation_arrivals.c.reservations).where(
            reservation_arrivals.c.launch_slug == launch_slug, reservation_arrivals.c.reservations > 0
        )
        first = select(_T.created_at).where(_T.launch_slug == launch_slug).order_by(_T.sequence).limit(1)
        counts = self._db.execute(by_state.group_by(reservation_totals.c.state))
        return ReservationTally(
            by_state={ReservationState(state): int(n) for state, n in counts if n},
            units_held=self.units_held(launch_slug),
            first_created=self._db.execute(first).scalar_one_or_none(),
            per_second={second: int(n) for second, n in self._db.execute(arrivals)},
        )


def _totals(changes: dict[tuple[str, str, str], tuple[int, int]]) -> list[tuple[object, ...]]:
    """Rows of ``_TOTAL``: changes of reservations and units, by launch, SKU and state."""
    return [(*kind, count, units) for kind, (count, units) in changes.items()]


def _block(made: Reservation, state: ReservationState) -> tuple[str, str, str, int]:
    """The block of its line that counts the reservation while it is in ``state``."""
    return made.launch_slug, state.value, made.sku, made.sequence // LINE_BLOCK * LINE_BLOCK


def _blocks(changes: dict[tuple[str, str, str, int], int]) -> list[tuple[object, ...]]:
    """Rows of ``_BLOCK``: changes of reservations, by launch, state, SKU and block."""
    return [(*block, count) for block, count in changes.items() if count]


def _same(instant: object) -> object:
    return instant


def _as_sqlite_stores(value: object) -> object:
    """A datetime as SQLAlchemy stores it in SQLite (microseconds always written: a whole second
    keys ``reservation_arrivals`` as the migration's backfill does), made once per batch."""
    return value.isoformat(" ", timespec="microseconds") if isinstance(value, datetime) else value


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
    "language",
)


_INSERT = f"INSERT INTO reservations ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))})"
_COPY = f"COPY reservations ({', '.join(_COLUMNS)}) FROM STDIN"
_TOTAL = (
    "INSERT INTO reservation_totals (launch_slug, sku, state, reservations, units) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (launch_slug, sku, state) DO UPDATE SET "
    "reservations = reservation_totals.reservations + excluded.reservations, "
    "units = reservation_totals.units + excluded.units"
)
_BLOCK = (
    "INSERT INTO reservation_blocks (launch_slug, state, sku, block_start, reservations) "
    "VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (launch_slug, state, sku, block_start) DO UPDATE SET "
    "reservations = reservation_blocks.reservations + excluded.reservations"
)
_ARRIVE = (
    "INSERT INTO reservation_arrivals (launch_slug, second, reservations) VALUES (?, ?, ?) "
    "ON CONFLICT (launch_slug, second) DO UPDATE SET "
    "reservations = reservation_arrivals.reservations + excluded.reservations"
)


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
        language=row["language"],
    )
