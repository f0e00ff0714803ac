"""Stock batches and allocation in SQL.

A run reads every reservation of a launch and may write a row per reservation (its first run
writes them all), so the bulk reads and writes go to the driver as plain SQL with plain tuples
(one ``executemany`` each), as the reservation writer does; the rest is SQLAlchemy Core.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

import psycopg
from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.allocation import (
    CANCELLED,
    QUEUED,
    WAITLISTED,
    BatchKind,
    DateChange,
    HistoryEntry,
    Line,
    Reason,
    Run,
    StockBatch,
)
from yaksok.domain.reservation import ReservationState
from yaksok.store import port
from yaksok.store.tables import allocation_runs, allocations, ship_date_changes, stock_batches

_B = stock_batches.c
_A = allocations.c
_H = ship_date_changes.c
_R = allocation_runs.c

_UPSERT = (
    "INSERT INTO allocations (launch_slug, sequence, batch, ship_date) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (launch_slug, sequence) DO UPDATE SET batch = excluded.batch, ship_date = excluded.ship_date"
)
_DELETE = "DELETE FROM allocations WHERE launch_slug = ? AND sequence = ?"
_CHANGE = (
    "INSERT INTO ship_date_changes (launch_slug, run, sequence, old_date, new_date, batch, reason, "
    "reason_batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_STATES = {
    ReservationState.QUEUED.value: QUEUED,
    ReservationState.WAITLISTED.value: WAITLISTED,
    ReservationState.CANCELLED.value: CANCELLED,
}


class AllocationRepository(port.AllocationRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection
        self._postgres = connection.dialect.name == "postgresql"

    def add_batch(self, batch: StockBatch) -> None:
        self._db.execute(
            insert(stock_batches).values(
                launch_slug=batch.launch_slug,
                number=batch.number,
                sku=batch.sku,
                units=batch.units,
                kind=batch.kind.value,
                store=batch.store,
                ship_date=batch.date,
                recorded_at=batch.recorded_at,
            )
        )

    def batches(self, slug: str) -> list[StockBatch]:
        query = select(stock_batches).where(_B.launch_slug == slug).order_by(_B.number)
        return [_batch(row) for row in self._db.execute(query).mappings()]

    def move_batch(self, slug: str, number: int, when: date) -> None:
        query = update(stock_batches).where(_B.launch_slug == slug, _B.number == number)
        self._db.execute(query.values(ship_date=when))

    def line(self, slug: str) -> Line:
        sql = (
            "SELECT sequence, sku, quantity, pickup_store, state FROM reservations "
            "WHERE launch_slug = ? ORDER BY sequence"
        )
        line = Line()
        add, states = line.add, _STATES
        for sequence, sku, quantity, store, state in self._rows(sql, (slug,)):
            add(sequence, sku, quantity, store, states[state])
        return line

    def public_order(self, slug: str, through: int) -> Line:
        sql = (
            "SELECT sequence, sku, quantity, pickup_store FROM reservations "
            "WHERE launch_slug = ? AND sequence <= ? ORDER BY sequence"
        )
        line = Line()
        add = line.add
        for sequence, sku, quantity, store in self._rows(sql, (slug, through)):
            add(sequence, sku, quantity, store)
        return line

    def current(self, slug: str) -> dict[int, tuple[int, date]]:
        sql = "SELECT sequence, batch, ship_date FROM allocations WHERE launch_slug = ?"
        dates: dict[Any, date] = {}
        found = {}
        for sequence, batch, when in self._rows(sql, (slug,)):
            day = dates.get(when)
            if day is None:
                day = dates[when] = _date(when)
            found[sequence] = (batch, day)
        return found

    def save(self, slug: str, rows: Sequence[tuple[int, int, date]], dropped: Sequence[int]) -> None:
        to_db = self._date_param()
        self._many(_UPSERT, [(slug, s, b, to_db(d)) for s, b, d in rows])
        self._many(_DELETE, [(slug, s) for s in dropped])

    def add_changes(self, slug: str, run: int, changes: Sequence[DateChange]) -> None:
        to_db = self._date_param()
        self._many(
            _CHANGE,
            [
                (
                    slug,
                    run,
                    s,
                    None if old is None else to_db(old),
                    None if new is None else to_db(new),
                    b,
                    r.value,
                    n,
                )
                for s, old, new, b, r, n in changes
            ],
        )

    def add_run(self, run: Run) -> None:
        self._db.execute(
            insert(allocation_runs).values(
                launch_slug=run.launch_slug,
                number=run.number,
                ran_at=run.ran_at,
                ledger_seq=run.ledger_seq,
                batch_dates={str(n): d.isoformat() for n, d in sorted(run.batch_dates.items())},
                reservations=run.reservations,
                scheduled=run.scheduled,
                changed=run.changed,
                passes=run.passes,
                assignment_hash=run.assignment_hash,
            )
        )

    def runs(self, slug: str) -> list[Run]:
        query = select(allocation_runs).where(_R.launch_slug == slug).order_by(_R.number)
        return [_run(row) for row in self._db.execute(query).mappings()]

    def last_run(self, slug: str) -> Run | None:
        query = select(allocation_runs).where(_R.launch_slug == slug).order_by(_R.number.desc()).limit(1)
        row = self._db.execute(query).mappings().first()
        return None if row is None else _run(row)

    def assignment_of(self, slug: str, sequence: int) -> tuple[int, date] | None:
        query = select(_A.batch, _A.ship_date).where(_A.launch_slug == slug, _A.sequence == sequence)
        row = self._db.execute(query).first()
        return None if row is None else (int(row[0]), row[1])

    def history_of(self, slug: str, sequence: int) -> list[HistoryEntry]:
        query = (
            select(_H.run, _R.ran_at, _H.old_date, _H.new_date, _H.reason, _H.reason_batch)
            .join(allocation_runs, (_R.launch_slug == _H.launch_slug) & (_R.number == _H.run))
            .where(_H.launch_slug == slug, _H.sequence == sequence)
            .order_by(_H.run)
        )
        return [
            HistoryEntry(run, at, old, new, Reason(reason), named)
            for run, at, old, new, reason, named in self._db.execute(query)
        ]

    def changed_in(self, slug: str, run: int) -> list[DateChange]:
        query = (
            select(_H.sequence, _H.old_date, _H.new_date, _H.batch, _H.reason, _H.reason_batch)
            .where(_H.launch_slug == slug, _H.run == run)
            .order_by(_H.sequence)
        )
        return [(s, old, new, b, Reason(r), n) for s, old, new, b, r, n in self._db.execute(query)]

    # The driver itself, in this same transaction (see store/reservations.py).
    def _rows(self, sql: str, values: tuple[object, ...]) -> Iterable[tuple[Any, ...]]:
        driver = self._db.connection.driver_connection
        if self._postgres:
            assert isinstance(driver, psycopg.Connection)
            return driver.execute(sql.replace("?", "%s"), values, prepare=False).fetchall()
        assert isinstance(driver, sqlite3.Connection)
        return driver.execute(sql, values).fetchall()

    def _many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        driver = self._db.connection.driver_connection
        if self._postgres:
            assert isinstance(driver, psycopg.Connection)
            with driver.cursor() as cursor:
                cursor.executemany(sql.replace("?", "%s"), rows)
            return
        assert isinstance(driver, sqlite3.Connection)
        driver.executemany(sql, rows)

    def _date_param(self) -> Any:
        if self._postgres:
            return _same
        cache: dict[date, str] = {}

        def iso(day: date) -> str:
            text = cache.get(day)
            if text is None:
                text = cache[day] = day.isoformat()
            return text

        return iso


def _same(day: date) -> date:
    return day


def _date(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _batch(row: RowMapping) -> StockBatch:
    return StockBatch(
        launch_slug=row["launch_slug"],
        number=row["number"],
        sku=row["sku"],
        units=row["units"],
        date=row["ship_date"],
        kind=BatchKind(row["kind"]),
        store=row["store"],
        recorded_at=row["recorded_at"],
    )


def _run(row: RowMapping) -> Run:
    return Run(
        launch_slug=row["launch_slug"],
        number=row["number"],
        ran_at=row["ran_at"],
        ledger_seq=row["ledger_seq"],
        batch_dates={int(n): date.fromisoformat(d) for n, d in row["batch_dates"].items()},
        reservations=row["reservations"],
        scheduled=row["scheduled"],
        changed=row["changed"],
        passes=row["passes"],
        assignment_hash=row["assignment_hash"],
    )
