"""``yaksok bench allocate``: one allocation run over many reservations, through the service
(read the reservations and batches from the store, assign, write the assignment and the history of
dates, append the ledger entry), beside a baseline measured in the same run on the same database:
a straightforward per-reservation loop through the store.

The baseline costs about a millisecond per reservation, so it runs on a prefix (two sizes, to show
it is linear) and its time for the full count is extrapolated from its per-reservation rate; the
figures say so (``baseline_measured_reservations``). yaksok itself runs on the full count, and on a
tenth of it, to show that it is linear too.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from yaksok.bench.processes import machine
from yaksok.domain.allocation import RUN, Reason, StockBatch, assignment_hash
from yaksok.domain.commands import CreateLaunch, RecordBatch
from yaksok.domain.launch import Sku
from yaksok.domain.policy import Policy
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.services import allocation, databases, launches, ledger
from yaksok.services.runtime import Runtime

CHUNK = 50_000
BASELINE_SIZES = (4_000, 8_000)
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class AllocateOptions:
    reservations: int = 1_000_000
    skus: int = 4
    batches: int = 40
    cancelled_every: int = 100  # one reservation in this many is cancelled before the run
    stock_share: float = 0.95  # the batches hold this share of the units asked


def run_allocate(options: AllocateOptions, progress: Progress) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="yaksok-bench-") as tmp,
        databases.opened(f"sqlite:///{tmp}/bench.db") as rt,
    ):
        main = _launch(rt, "bench-main", options.reservations, options, progress)
        tenth_count = max(1, options.reservations // 10)
        tenth = _launch(rt, "bench-tenth", tenth_count, options, progress)
        base_count = min(options.reservations, BASELINE_SIZES[-1])
        base = _launch(rt, "bench-base", base_count, options, progress)
        progress("yaksok: allocating a tenth", 0, 1)
        tenth_s = _timed(lambda: allocation.run_allocation(rt, tenth))
        progress("yaksok: allocating all", 0, 1)
        started = time.perf_counter()
        report = allocation.run_allocation(rt, main)
        seconds = time.perf_counter() - started
        progress("yaksok: allocating all", 1, 1)
        marks, baseline_hash = _baseline(rt, base, progress)
        check = allocation.run_allocation(rt, base)  # the same assignment, by yaksok
    measured_n, measured_s = marks[-1]
    first_n, first_s = marks[0]
    per_reservation = measured_s / measured_n
    baseline_seconds = per_reservation * options.reservations
    return {
        "reservations": options.reservations,
        "seconds": seconds,
        "reservations_per_s": options.reservations / seconds,
        "scheduled": report.run.scheduled,
        "date_changes_written": report.run.changed,
        "skus": options.skus,
        "batches": options.batches,
        "tenth_reservations": tenth_count,
        "tenth_seconds": tenth_s,
        "linearity": (seconds / options.reservations) / (tenth_s / tenth_count),
        "baseline_seconds": baseline_seconds,
        "baseline_measured_reservations": measured_n,
        "baseline_measured_seconds": measured_s,
        "baseline_extrapolated": measured_n < options.reservations,
        "baseline_us_per_reservation": {
            str(first_n): first_s / first_n * 1e6,
            str(measured_n): per_reservation * 1e6,
        },
        "baseline_same_assignment": check.run.assignment_hash == baseline_hash,
        "ratio": baseline_seconds / seconds,
        "machine": machine(),
    }


def _timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _launch(rt: Runtime, slug: str, count: int, options: AllocateOptions, progress: Progress) -> str:
    """A launch with ``count`` reservations of 1-2 units spread over the SKUs (written straight to
    the store: taking them is ``bench reservations``' subject), one in ``cancelled_every``
    cancelled, and ``batches`` batches a week apart holding ``stock_share`` of the units."""
    skus = tuple(Sku(code=f"sku-{i}", titles={"en": f"SKU {i}"}) for i in range(options.skus))
    launches.create_launch(
        rt,
        CreateLaunch(
            slug=slug,
            titles={"en": "Bench"},
            zone="Asia/Seoul",
            skus=skus,
            per_customer_limit=2,
            policy=Policy(),
        ),
    )
    made = datetime(2026, 11, 1, tzinfo=UTC)
    units = [0] * options.skus
    label = f"setup: {count} reservations ({slug})"
    for start in range(1, count + 1, CHUNK):
        rows = []
        for sequence in range(start, min(count, start + CHUNK - 1) + 1):
            sku = sequence % options.skus
            quantity = 1 + (sequence * 7 // 3) % 2
            cancelled = sequence % options.cancelled_every == 0
            if not cancelled:
                units[sku] += quantity
            rows.append(
                Reservation(
                    launch_slug=slug,
                    sequence=sequence,
                    code=f"{slug}-{sequence}",
                    secret_hash="",
                    idempotency_key=str(sequence),
                    fingerprint="",
                    sku=skus[sku].code,
                    quantity=quantity,
                    contact=f"c{sequence}@example.com",
                    pickup_store=None,
                    state=ReservationState.CANCELLED if cancelled else ReservationState.QUEUED,
                    created_at=made,
                )
            )
        with rt.store.write() as tx:
            tx.reservations.add_many(rows)
        progress(label, min(count, start + CHUNK - 1), count)
    per_sku = max(1, options.batches // options.skus)
    for number in range(options.skus * per_sku):
        sku = number % options.skus
        share = max(1, int(units[sku] * options.stock_share / per_sku))
        ship = date(2026, 12, 1) + timedelta(days=7 * (number // options.skus))
        allocation.record_batch(rt, RecordBatch(launch_slug=slug, sku=skus[sku].code, units=share, date=ship))
    return slug


def _baseline(rt: Runtime, slug: str, progress: Progress) -> tuple[list[tuple[int, float]], str]:
    """A straightforward per-reservation loop through the store, in one transaction: for each
    reservation in sequence order, read it, read the launch's batches and take the first one of
    its SKU with room (units left kept in memory), then write its assignment row and its history
    row; at the end the ledger entry. Returns (reservations done, seconds) at each size of
    ``BASELINE_SIZES`` reached, and the assignment's hash."""
    marks: list[tuple[int, float]] = []
    sizes = list(BASELINE_SIZES)
    scheduled: list[tuple[int, int]] = []
    started = time.perf_counter()
    with rt.store.write() as tx:
        left: dict[int, int] = {}
        done, after = 0, 0
        while True:
            found = tx.reservations.for_launch(slug, after=after, limit=1)
            if not found:
                break
            reservation = found[0]
            after = reservation.sequence
            done += 1
            if reservation.state is not ReservationState.CANCELLED:
                batch = _first_with_room(tx.allocations.batches(slug), reservation, left)
                if batch is not None:
                    left[batch.number] -= reservation.quantity
                    tx.allocations.save(slug, [(reservation.sequence, batch.number, batch.date)], [])
                    change = (
                        reservation.sequence,
                        None,
                        batch.date,
                        batch.number,
                        Reason.FIRST_SCHEDULED,
                        batch.number,
                    )
                    tx.allocations.add_changes(slug, 0, [change])
                    scheduled.append((reservation.sequence, batch.number))
            if done in sizes:
                marks.append((done, time.perf_counter() - started))
                progress("baseline: per-reservation loop", done, sizes[-1])
        digest = assignment_hash([s for s, _ in scheduled], [b for _, b in scheduled])
        ledger.record(tx, rt, RUN + ".baseline", {"launch": slug, "assignment_hash": digest})
    if not marks or marks[-1][0] != done:
        marks.append((done, time.perf_counter() - started))
    return marks, digest


def _first_with_room(
    batches: list[StockBatch], reservation: Reservation, left: dict[int, int]
) -> StockBatch | None:
    for batch in sorted(batches, key=lambda b: (b.date, b.number)):
        if batch.sku != reservation.sku:
            continue
        room = left.setdefault(batch.number, batch.units)
        if room >= reservation.quantity:
            return batch
        left[batch.number] = 0  # strict order: no one behind takes what is left of it
    return None
