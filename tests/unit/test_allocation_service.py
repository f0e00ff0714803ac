"""Stock batches and allocation runs through the services, on the in-memory store."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest

from yaksok.domain.allocation import RUN, Reason
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    AddMilestone,
    CancelReservation,
    CreateLaunch,
    MoveBatch,
    RecordBatch,
    Reserve,
    RevisePromise,
)
from yaksok.domain.errors import InvalidInput, NotFound
from yaksok.domain.launch import MilestoneKind, Sku
from yaksok.domain.ledger import LedgerEntry
from yaksok.domain.promise import Precision
from yaksok.services import allocation, ledger, reservations
from yaksok.services import launches as launch_service
from yaksok.services.runtime import Runtime
from yaksok.store.memory import MemoryStore

DEC1, DEC8 = date(2026, 12, 1), date(2026, 12, 8)


@pytest.fixture
def open_launch(memory_rt: Runtime, clock: SimulatedClock) -> Runtime:
    clock.advance_to(datetime(2026, 11, 1, tzinfo=UTC))
    sku = Sku(code="wifi", titles={"en": "Wi-Fi"})
    launch_service.create_launch(
        memory_rt,
        CreateLaunch(
            slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul", skus=(sku,), per_customer_limit=3
        ),
    )
    launch_service.add_milestone(
        memory_rt,
        AddMilestone(launch_slug="ipad", key="pre", kind=MilestoneKind.PREORDER_OPENS, titles={"en": "P"}),
    )
    launch_service.revise_promise(
        memory_rt, RevisePromise("ipad.pre", time="2026-11-09T20:00", precision=Precision.EXACT)
    )
    clock.advance_to(datetime(2026, 11, 9, 12, tzinfo=UTC))
    return memory_rt


def reserve(rt: Runtime, *quantities: int) -> list[reservations.Accepted]:
    made = reservations.reserve_batch(
        rt,
        [
            Reserve(
                launch_slug="ipad", idempotency_key=f"k{i}-{q}", sku="wifi", quantity=q, contact=f"c{i}@x.org"
            )
            for i, q in enumerate(quantities)
        ],
    )
    assert all(isinstance(m, reservations.Accepted) for m in made)
    return [m for m in made if isinstance(m, reservations.Accepted)]


def add(rt: Runtime, units: int, when: date) -> int:
    return allocation.record_batch(
        rt, RecordBatch(launch_slug="ipad", sku="wifi", units=units, date=when)
    ).number


def test_a_run_gives_each_reservation_a_date_in_order_and_records_it_in_the_ledger(
    open_launch: Runtime,
) -> None:
    made = reserve(open_launch, 2, 2, 1)
    add(open_launch, 3, DEC1)

    report = allocation.run_allocation(open_launch, "ipad")

    assert (report.run.number, report.run.scheduled, report.units, report.scheduled_units) == (1, 1, 5, 2)
    with open_launch.store.read() as tx:
        dates = [allocation.expected_of(tx, m.reservation).date for m in made]
        entry = [e for e in tx.ledger.entries() if e.kind == RUN][-1]
    assert dates == [DEC1, None, None]  # the 1-unit order does not take the leftover unit
    assert entry.data["assignment_hash"] == report.run.assignment_hash
    assert entry.data["batches"] == [{"number": 1, "sku": "wifi", "units": 3, "date": "2026-12-01",
                                      "kind": "ship", "store": None}]  # fmt: skip


def test_a_new_batch_a_cancellation_and_a_moved_batch_each_change_dates_with_their_reason(
    open_launch: Runtime,
) -> None:
    made = reserve(open_launch, 2, 2, 1)
    add(open_launch, 3, DEC1)
    allocation.run_allocation(open_launch, "ipad")
    add(open_launch, 5, DEC8)
    second = allocation.run_allocation(open_launch, "ipad").run
    first = made[0]
    reservations.cancel(open_launch, CancelReservation(code=first.reservation.code, secret=first.secret))
    third = allocation.run_allocation(open_launch, "ipad").run
    allocation.move_batch(
        open_launch, MoveBatch(launch_slug="ipad", number=1, date=date(2026, 12, 3), reason="customs")
    )
    fourth = allocation.run_allocation(open_launch, "ipad").run

    changed = allocation.changed_in_run(open_launch, "ipad", second.number)
    assert [(c[0], c[3], c[4]) for c in changed] == [
        (2, 2, Reason.FIRST_SCHEDULED),
        (3, 2, Reason.FIRST_SCHEDULED),
    ]
    assert [(c[0], c[4]) for c in allocation.changed_in_run(open_launch, "ipad", third.number)] == [
        (1, Reason.CANCELLED),
        (2, Reason.CANCELLATION_AHEAD),
        (3, Reason.CANCELLATION_AHEAD),
    ]
    assert [(c[0], c[4], c[5]) for c in allocation.changed_in_run(open_launch, "ipad", fourth.number)] == [
        (2, Reason.BATCH_MOVED, 1),
        (3, Reason.BATCH_MOVED, 1),
    ]
    with open_launch.store.read() as tx:
        expected = allocation.expected_of(tx, made[2].reservation)
    assert expected.date == date(2026, 12, 3)
    assert [(h.old, h.new, h.reason) for h in expected.history] == [
        (None, DEC8, Reason.FIRST_SCHEDULED),
        (DEC8, DEC1, Reason.CANCELLATION_AHEAD),
        (DEC1, date(2026, 12, 3), Reason.BATCH_MOVED),
    ]


def test_a_re_run_with_nothing_changed_keeps_every_date_and_the_hash(open_launch: Runtime) -> None:
    reserve(open_launch, 1, 2, 1)
    add(open_launch, 3, DEC1)
    first = allocation.run_allocation(open_launch, "ipad").run
    again = allocation.run_allocation(open_launch, "ipad").run

    assert again.assignment_hash == first.assignment_hash
    assert (again.number, again.changed) == (2, 0)


def test_passing_allowed_by_the_policy_is_recorded_with_who_passed_whom(open_launch: Runtime) -> None:
    reserve(open_launch, 2, 2, 1)
    add(open_launch, 3, DEC1)
    allocation.set_passing(open_launch, "ipad", allowed=True)

    report = allocation.run_allocation(open_launch, "ipad")

    assert report.passes == 1
    with open_launch.store.read() as tx:
        entry = [e for e in tx.ledger.entries() if e.kind == RUN][-1]
    assert entry.data["passes"] == [[3, 2, 1]]
    assert ledger.verify_store(open_launch).ok


def test_a_bad_batch_is_refused_and_writes_nothing(open_launch: Runtime) -> None:
    with pytest.raises(InvalidInput):
        allocation.record_batch(open_launch, RecordBatch(launch_slug="ipad", sku="nope", units=1, date=DEC1))
    with pytest.raises(NotFound):
        allocation.move_batch(open_launch, MoveBatch(launch_slug="ipad", number=9, date=DEC1, reason="r"))
    assert allocation.batches_of(open_launch, "ipad") == []


def test_verify_recomputes_every_run_and_catches_a_changed_order_or_a_forged_run(
    open_launch: Runtime, memory_store: MemoryStore
) -> None:
    reserve(open_launch, 2, 1, 1)
    add(open_launch, 3, DEC1)
    allocation.run_allocation(open_launch, "ipad")
    assert ledger.verify_store(open_launch).ok

    with memory_store.read() as tx:
        entries = list(tx.ledger.entries())
    run_at = next(i for i, e in enumerate(entries) if e.kind == RUN)
    forged = _rechained(entries, run_at, lambda data: {**data, "assignment_hash": "0" * 64})
    memory_store.replace_ledger(forged)
    result = ledger.verify_store(open_launch)
    assert not result.ok
    assert (
        "allocation run 1 of launch 'ipad'" in result.describe() and "assignment differs" in result.describe()
    )

    grown = _rechained(
        entries, run_at, lambda data: {**data, "batches": [{**data["batches"][0], "units": 9}]}
    )
    memory_store.replace_ledger(grown)
    assert "batches are not the ones the ledger recorded" in ledger.verify_store(open_launch).describe()


def _rechained(entries: list[LedgerEntry], at: int, change: Callable[[dict], dict]) -> list[LedgerEntry]:
    """The ledger with entry ``at``'s payload changed and every hash after it made anew, as an
    operator with write access could: only recomputing the run can catch it."""
    out = entries[:at]
    for entry in entries[at:]:
        data = json.loads(entry.payload)
        if entry is entries[at]:
            data = change(data)
        at_time = datetime.fromisoformat(entry.at.replace("Z", "+00:00"))
        out.append(LedgerEntry.after(out[-1] if out else None, at_time, entry.kind, data))
    return out
