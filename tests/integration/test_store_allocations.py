"""Storage contract for stock batches and allocation: the same on SQLite, PostgreSQL and in memory;
and ``yaksok ledger verify`` on a database whose stored assignment was tampered with."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from yaksok.cli import main
from yaksok.domain.allocation import (
    CANCELLED,
    QUEUED,
    WAITLISTED,
    BatchKind,
    HistoryEntry,
    Reason,
    Run,
    StockBatch,
)
from yaksok.domain.launch import Launch, Sku
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.store import port
from yaksok.store.memory import MemoryStore
from yaksok.store.unit_of_work import Store

T0 = datetime(2026, 11, 1, 3, 4, 5, tzinfo=UTC)
T1 = datetime(2026, 11, 2, 3, 4, 5, tzinfo=UTC)
DEC1, DEC8 = date(2026, 12, 1), date(2026, 12, 8)
LAUNCH = Launch(
    slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul", skus=(Sku(code="wifi", titles={"en": "W"}),)
)
BATCH = StockBatch(launch_slug="ipad", number=1, sku="wifi", units=3, date=DEC1, recorded_at=T0)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> port.Store:
    chosen: port.Store
    if request.param == "memory":
        chosen = MemoryStore()
    else:
        sql_store: Store = request.getfixturevalue(f"{request.param}_store")
        chosen = sql_store
    with chosen.write() as tx:
        tx.launches.add(LAUNCH, T0)
        states = [ReservationState.QUEUED, ReservationState.WAITLISTED, ReservationState.CANCELLED]
        tx.reservations.add_many([_reservation(i, state) for i, state in enumerate(states, start=1)])
    return chosen


def _reservation(sequence: int, state: ReservationState) -> Reservation:
    return Reservation(
        launch_slug="ipad",
        sequence=sequence,
        code=f"r{sequence}",
        secret_hash="s",
        idempotency_key=f"k{sequence}",
        fingerprint="f",
        sku="wifi",
        quantity=sequence,
        contact=f"c{sequence}@x.org",
        pickup_store="gangnam" if sequence == 2 else None,
        state=state,
        created_at=T0,
    )


def test_batches_come_back_as_recorded_and_move(store: port.Store) -> None:
    pickup = StockBatch(
        launch_slug="ipad", number=2, sku="wifi", units=5, date=DEC8, kind=BatchKind.PICKUP, store="gangnam",
        recorded_at=T0,
    )  # fmt: skip
    with store.write() as tx:
        tx.allocations.add_batch(pickup)
        tx.allocations.add_batch(BATCH)
        tx.allocations.move_batch("ipad", 1, DEC8)
    with store.read() as tx:
        assert tx.allocations.batches("ipad") == [StockBatch(**{**BATCH.__dict__, "date": DEC8}), pickup]
        assert tx.allocations.batches("other") == []


def test_the_line_holds_every_reservation_with_its_state_and_the_public_order_none(store: port.Store) -> None:
    with store.read() as tx:
        line = tx.allocations.line("ipad")
        public = tx.allocations.public_order("ipad", 2)
    assert (line.sequences, line.quantities, line.stores) == ([1, 2, 3], [1, 2, 3], [None, "gangnam", None])
    assert line.states == [QUEUED, WAITLISTED, CANCELLED]
    assert (public.sequences, public.states) == ([1, 2], [QUEUED, QUEUED])


def test_assignments_history_and_runs_are_kept_per_launch(store: port.Store) -> None:
    run = Run(
        launch_slug="ipad", number=1, ran_at=T0, ledger_seq=7, batch_dates={1: DEC1}, reservations=2,
        scheduled=2, changed=2, passes=0, assignment_hash="h" * 64,
    )  # fmt: skip
    first = [(1, None, DEC1, 1, Reason.FIRST_SCHEDULED, 1), (2, None, DEC1, 1, Reason.FIRST_SCHEDULED, 1)]
    with store.write() as tx:
        tx.allocations.add_batch(BATCH)
        tx.allocations.save("ipad", [(1, 1, DEC1), (2, 1, DEC1)], [])
        tx.allocations.add_changes("ipad", 1, first)
        tx.allocations.add_run(run)
    lost = [(2, DEC1, None, 0, Reason.CANCELLED, 0)]
    second = replace(run, number=2, ran_at=T1, ledger_seq=9)
    with store.write() as tx:
        tx.allocations.save("ipad", [(1, 1, DEC8)], [2])
        tx.allocations.add_changes("ipad", 2, lost)
        tx.allocations.add_run(second)
    with store.read() as tx:
        assert tx.allocations.current("ipad") == {1: (1, DEC8)}
        assert tx.allocations.assignment_of("ipad", 1) == (1, DEC8)
        assert tx.allocations.assignment_of("ipad", 2) is None
        assert tx.allocations.changed_in("ipad", 1) == first
        assert tx.allocations.changed_in("ipad", 2) == lost
        assert tx.allocations.history_of("ipad", 2) == [
            HistoryEntry(1, T0, None, DEC1, Reason.FIRST_SCHEDULED, 1),
            HistoryEntry(2, T1, DEC1, None, Reason.CANCELLED, 0),
        ]
        assert tx.allocations.runs("ipad") == [run, second] and tx.allocations.last_run("ipad") == second
        assert tx.allocations.last_run("other") is None


def test_ledger_verify_fails_naming_the_run_when_the_stored_assignment_was_changed(
    sqlite_store: Store,
) -> None:
    from yaksok.domain.clock import SimulatedClock
    from yaksok.domain.commands import RecordBatch
    from yaksok.services import allocation
    from yaksok.services.runtime import Runtime

    rt = Runtime(store=sqlite_store, clock=SimulatedClock(T0))
    with sqlite_store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.reservations.add_many(
            [
                _reservation(1, ReservationState.QUEUED),
                _reservation(2, ReservationState.QUEUED)._replace(quantity=4, pickup_store=None),
            ]
        )
    allocation.record_batch(rt, RecordBatch(launch_slug="ipad", sku="wifi", units=1, date=DEC1))
    allocation.record_batch(rt, RecordBatch(launch_slug="ipad", sku="wifi", units=4, date=DEC8))
    allocation.run_allocation(rt, "ipad")
    url = sqlite_store.engine.url.render_as_string(hide_password=False)
    runner = CliRunner()

    intact = runner.invoke(main, ["ledger", "verify", url])
    with sqlite_store.engine.begin() as connection:  # reservation 2 moved ahead of 1 behind the ledger's back
        connection.execute(sa.text("UPDATE allocations SET batch = 1 WHERE sequence = 2"))
        connection.execute(sa.text("UPDATE allocations SET batch = 2 WHERE sequence = 1"))
    tampered = runner.invoke(main, ["ledger", "verify", url])

    assert intact.exit_code == 0, intact.output
    assert tampered.exit_code == 1
    assert "allocation run 1 of launch 'ipad'" in tampered.output
    assert "gives batch 1 4 units, it has 1" in tampered.output
