"""Stock batches and allocation runs (docs/allocation.md).

Recording or moving a batch and running allocation are public acts: each is a ledger entry. A
run reads every reservation of the launch and its batches, assigns them (``domain.allocation``),
writes only the rows whose batch or date changed and a history row for each changed date, and
appends ``allocation.run`` with what a verifier needs to recompute it: the batches, the states
of the reservations it read (as ranges of sequences), a digest of the public order and the hash
of the assignment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from yaksok.domain import codes
from yaksok.domain.allocation import (
    BATCH_MOVED,
    BATCH_RECORDED,
    CANCELLED,
    RUN,
    WAITLISTED,
    DateChange,
    HistoryEntry,
    Previous,
    Run,
    StockBatch,
    allocate,
    changes,
    check_batch,
    order_digest,
    order_text,
)
from yaksok.domain.allocation_check import RunInputs, check_assignment, ranges
from yaksok.domain.commands import MoveBatch, RecordBatch
from yaksok.domain.errors import InvalidInput, NotFound
from yaksok.domain.launch import Launch
from yaksok.domain.ledger import JSON
from yaksok.domain.reservation import Reservation
from yaksok.services import ledger
from yaksok.services.launches import claim_launch, get_launch
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

MAX_REASON = 500


def record_batch(rt: Runtime, command: RecordBatch) -> StockBatch:
    """Record a batch of stock (numbered 1, 2, … per launch). Reservations get dates from it at
    the next run."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        launch = claim_launch(tx, command.launch_slug)
        check_batch(command.units, command.kind, command.store, (s.code for s in launch.skus), command.sku)
        known = tx.allocations.batches(launch.slug)
        batch = StockBatch(
            launch_slug=launch.slug,
            number=1 + max((b.number for b in known), default=0),
            sku=command.sku,
            units=command.units,
            date=command.date,
            kind=command.kind,
            store=command.store.strip() if command.store else None,
            recorded_at=now,
        )
        tx.allocations.add_batch(batch)
        ledger.record(tx, rt, BATCH_RECORDED, {"launch": launch.slug, **batch.to_public()})
    return batch


def move_batch(rt: Runtime, command: MoveBatch) -> StockBatch:
    """Change a batch's date, with a public reason; its reservations' dates change at the next run."""
    reason = command.reason.strip()
    if not reason or len(reason) > MAX_REASON:
        raise InvalidInput(
            f"moving a batch needs a reason of 1-{MAX_REASON} characters", code=codes.STOCK_BATCH_INVALID
        )
    with rt.store.write() as tx:
        launch = claim_launch(tx, command.launch_slug)
        batch = _batch(tx, launch.slug, command.number)
        if batch.date == command.date:
            return batch
        tx.allocations.move_batch(launch.slug, batch.number, command.date)
        moved = replace(batch, date=command.date)
        data: dict[str, JSON] = {
            "launch": launch.slug,
            "number": batch.number,
            "date": command.date.isoformat(),
            "previous": batch.date.isoformat(),
            "reason": reason,
        }
        ledger.record(tx, rt, BATCH_MOVED, data)
    return moved


def batches_of(rt: Runtime, slug: str) -> list[StockBatch]:
    """The launch's batches by number."""
    with rt.store.read() as tx:
        get_launch(tx, slug)
        return tx.allocations.batches(slug)


def set_passing(rt: Runtime, slug: str, *, allowed: bool) -> Launch:
    """Whether allocation may let a later, smaller reservation take units an earlier one does not
    fit (each pass recorded); recorded in the ledger. Setting the current value records nothing."""
    with rt.store.write() as tx:
        launch = claim_launch(tx, slug)
        if launch.policy.allocation_passing == allowed:
            return launch
        policy = replace(launch.policy, allocation_passing=allowed)
        tx.launches.set_policy(slug, policy)
        ledger.record(
            tx, rt, "launch.allocation_passing_set", {"launch": slug, "allocation_passing": allowed}
        )
    return replace(launch, policy=policy)


@dataclass(frozen=True)
class RunReport:
    run: Run
    units: int  # units asked by the reservations in line
    scheduled_units: int
    passes: int


def run_allocation(rt: Runtime, slug: str) -> RunReport:
    """Allocate the launch's reservations to its batches, in one transaction (see the module)."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        launch = claim_launch(tx, slug)  # taking turns with the reservation writer
        batches = tx.allocations.batches(slug)
        line = tx.allocations.line(slug)
        last = tx.allocations.last_run(slug)
        previous = Previous(
            tx.allocations.current(slug) if last is not None else {},
            last.batch_dates if last is not None else {},
            last is not None,
        )
        passing = launch.policy.allocation_passing
        assignment = allocate(line, batches, passing=passing)
        cancelled = line.having(CANCELLED)
        rows, dropped, history = changes(previous, assignment, batches, cancelled)
        number = 1 + (last.number if last is not None else 0)
        tx.allocations.save(slug, rows, dropped)
        tx.allocations.add_changes(slug, number, history)
        digest = assignment.hash()
        quantities = line.quantities
        held = [i for i, state in enumerate(line.states) if state != CANCELLED]
        units = sum(quantities[i] for i in held)
        scheduled = [i for i, batch in enumerate(assignment.batches) if batch]
        scheduled_units = sum(quantities[i] for i in scheduled)
        data: dict[str, JSON] = {
            "launch": slug,
            "run": number,
            "through": line.sequences[-1] if line.sequences else 0,
            "batches": [b.to_public() for b in batches],
            "passing": passing,
            "order_digest": order_digest(line),
            "cancelled": ranges(cancelled),
            "waitlisted": ranges(line.having(WAITLISTED)),
            "reservations": len(held),
            "units": units,
            "scheduled": len(scheduled),
            "scheduled_units": scheduled_units,
            "changed": len(history),
            "passes": [[p.passer, p.passed, p.batch] for p in assignment.passes],
            "assignment_hash": digest,
        }
        entry = ledger.record(tx, rt, RUN, data)
        run = Run(
            launch_slug=slug,
            number=number,
            ran_at=now,
            ledger_seq=entry.seq,
            batch_dates={b.number: b.date for b in batches},
            reservations=len(held),
            scheduled=len(scheduled),
            changed=len(history),
            passes=len(assignment.passes),
            assignment_hash=digest,
        )
        tx.allocations.add_run(run)
    return RunReport(run, units, scheduled_units, len(assignment.passes))


def last_run(rt: Runtime, slug: str) -> Run | None:
    """The launch's latest run, None before the first."""
    with rt.store.read() as tx:
        get_launch(tx, slug)
        return tx.allocations.last_run(slug)


def changed_in_run(rt: Runtime, slug: str, run: int) -> list[DateChange]:
    """Whose expected date changed in run ``run`` of the launch, and why: (sequence, old date,
    new date, batch, reason, batch the reason names), by sequence. For the notices that tell
    each customer of a new date."""
    with rt.store.read() as tx:
        get_launch(tx, slug)
        return tx.allocations.changed_in(slug, run)


@dataclass(frozen=True)
class Expected:
    """A reservation's expected date (None: not yet scheduled), its batch and how it changed."""

    date: date | None
    batch: StockBatch | None
    history: list[HistoryEntry]


def expected_of(tx: Transaction, reservation: Reservation) -> Expected:
    """What the last run gave the reservation, in the caller's transaction."""
    slug = reservation.launch_slug
    history = tx.allocations.history_of(slug, reservation.sequence)
    found = tx.allocations.assignment_of(slug, reservation.sequence)
    if found is None:
        return Expected(None, None, history)
    batch = next((b for b in tx.allocations.batches(slug) if b.number == found[0]), None)
    return Expected(found[1], batch, history)


def public_order(rt: Runtime, slug: str, through: int) -> str:
    """The launch's reservation order through ``through`` as ``order_text`` (no customer data):
    what anyone needs, with the ledger, to recompute its allocation runs."""
    with rt.store.read() as tx:
        get_launch(tx, slug)
        return order_text(tx.allocations.public_order(slug, through))


def check_stored(rt: Runtime) -> str:
    """Each launch's stored assignment against its last run in the ledger (``check_assignment``):
    the first problem, or ''."""
    with rt.store.read() as tx:
        last: dict[str, RunInputs] = {}
        for entry in tx.ledger.entries():
            if entry.kind == RUN:
                run = RunInputs.of(entry)
                last[run.slug] = run
        for slug, run in sorted(last.items()):
            public = tx.allocations.public_order(slug, run.through)
            stored = {s: b for s, (b, _) in tx.allocations.current(slug).items()}
            problem = check_assignment(run, public, stored)
            if problem:
                return problem
    return ""


def _batch(tx: Transaction, slug: str, number: int) -> StockBatch:
    found = next((b for b in tx.allocations.batches(slug) if b.number == number), None)
    if found is None:
        raise NotFound(f"launch {slug!r} has no stock batch {number}", code=codes.STOCK_BATCH_NOT_FOUND)
    return found
