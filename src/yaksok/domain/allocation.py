"""Allocation: which stock batch each reservation ships from (or is picked up from), and when.

A launch's reservations form *lines*: one per SKU for delivery, one per (SKU, store) for pickup
at a store. In each line, reservations are walked in line order (queued ones by sequence, then
waitlisted ones by sequence: the cap decides who holds units first) through the line's batches
in (date, number) order. A reservation takes whole units from one batch. One that does not fit
what is left of the current batch waits for a later batch, and so does everyone behind it: no
one is overtaken by a later, smaller order. Only a launch whose policy allows passing lets a
later reservation take an earlier batch's leftover (first fit), and each such pass is recorded
as who passed whom in which batch. Cancelled reservations are not in any line, so a run after a
cancellation gives its units to the next in line.

Everything here is plain lists and ints so that a million reservations allocate in seconds;
the same inputs always give the same assignment and the same ``assignment_hash``.
"""

from __future__ import annotations

import hashlib
import sys
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput

RUN = "allocation.run"
BATCH_RECORDED = "stock.batch_recorded"
BATCH_MOVED = "stock.batch_moved"
MAX_UNITS = 10_000_000
MAX_STORE = 64


class BatchKind(StrEnum):
    SHIP = "ship"  # shipped to the customer's address on ``date``
    PICKUP = "pickup"  # ready at ``store`` on ``date``


@dataclass(frozen=True, kw_only=True)
class StockBatch:
    """Units of one SKU that ship (or can be picked up at a store) on a date."""

    launch_slug: str
    number: int  # 1, 2, … per launch, in the order recorded
    sku: str
    units: int
    date: date
    kind: BatchKind = BatchKind.SHIP
    store: str | None = None
    recorded_at: datetime

    @property
    def line(self) -> tuple[str, str | None]:
        return (self.sku, self.store if self.kind is BatchKind.PICKUP else None)

    def to_public(self) -> dict[str, str | int | None]:
        """What the ledger and verifiers know of the batch."""
        return {
            "number": self.number,
            "sku": self.sku,
            "units": self.units,
            "date": self.date.isoformat(),
            "kind": self.kind.value,
            "store": self.store,
        }


def check_batch(units: int, kind: BatchKind, store: str | None, skus: Iterable[str], sku: str) -> None:
    """A batch names a SKU of the launch, 1-10,000,000 units, and a store exactly when for pickup."""
    known = sorted(skus)
    if sku not in known:
        raise InvalidInput(
            f"the launch has no SKU {sku!r}; it has: {', '.join(known) or 'none'}",
            code=codes.STOCK_BATCH_INVALID,
            details={"skus": known},
        )
    if not 1 <= units <= MAX_UNITS:
        raise InvalidInput(f"a batch has 1-{MAX_UNITS} units, not {units}", code=codes.STOCK_BATCH_INVALID)
    if kind is BatchKind.PICKUP and not (store and store.strip() and len(store) <= MAX_STORE):
        raise InvalidInput(
            f"a pickup batch names its store (1-{MAX_STORE} characters)", code=codes.STOCK_BATCH_INVALID
        )
    if kind is BatchKind.SHIP and store:
        raise InvalidInput("a ship batch has no store; use kind pickup", code=codes.STOCK_BATCH_INVALID)


# A reservation's state as a run reads it: queued ones hold their units first, then waitlisted
# ones; cancelled ones hold nothing.
QUEUED, WAITLISTED, CANCELLED = 0, 1, 2


@dataclass
class Line:
    """The reservations an allocation run reads, as parallel lists in sequence order (no objects
    per reservation: a launch can hold millions)."""

    sequences: list[int] = field(default_factory=list)
    skus: list[str] = field(default_factory=list)
    quantities: list[int] = field(default_factory=list)
    stores: list[str | None] = field(default_factory=list)
    states: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.sequences)

    def add(self, sequence: int, sku: str, quantity: int, store: str | None, state: int = QUEUED) -> None:
        self.sequences.append(sequence)
        self.skus.append(sku)
        self.quantities.append(quantity)
        self.stores.append(store)
        self.states.append(state)

    def with_states(self, waitlisted: set[int], cancelled: set[int]) -> Line:
        """The same order with these sequences waitlisted or cancelled, every other one queued."""
        states = [
            CANCELLED if s in cancelled else WAITLISTED if s in waitlisted else QUEUED for s in self.sequences
        ]
        return Line(self.sequences, self.skus, self.quantities, self.stores, states)

    def having(self, state: int) -> list[int]:
        return [s for s, held in zip(self.sequences, self.states, strict=True) if held == state]


@dataclass(frozen=True)
class Pass:
    """Reservation ``passer`` took units in ``batch`` while ``passed``, ahead of it, still waited."""

    passer: int
    passed: int
    batch: int


@dataclass
class Assignment:
    """Per reservation of the line (same positions): its batch number, 0 when not yet scheduled."""

    sequences: list[int]
    batches: list[int]
    passes: list[Pass]

    def hash(self) -> str:
        return assignment_hash(self.sequences, self.batches)

    def as_dict(self) -> dict[int, int]:
        return {s: b for s, b in zip(self.sequences, self.batches, strict=True) if b}


def assignment_hash(sequences: Sequence[int], batches: Sequence[int]) -> str:
    """SHA-256 of (sequence, batch) as little-endian signed 64-bit pairs, for every scheduled
    reservation in sequence order (``sequences`` ascending). Anyone can recompute it."""
    pairs = array("q")
    for sequence, batch in zip(sequences, batches, strict=True):
        if batch:
            pairs.append(sequence)
            pairs.append(batch)
    if sys.byteorder != "little":
        pairs.byteswap()
    return hashlib.sha256(pairs.tobytes()).hexdigest()


def order_text(line: Line) -> str:
    """The public reservation order as text: ``sequence,sku,quantity,store`` lines (store empty
    for delivery) in sequence order, joined by newlines; no contact, code or state."""
    return "\n".join(
        f"{q},{k},{n},{s or ''}"
        for q, k, n, s in zip(line.sequences, line.skus, line.quantities, line.stores, strict=True)
    )


def order_digest(line: Line) -> str:
    """SHA-256 of ``order_text``: the order a run read, cancelled ones included; each one's state
    is in the run's ledger entry."""
    return hashlib.sha256(order_text(line).encode()).hexdigest()


def parse_order(text: str) -> Line:
    """``order_text`` read back; ValueError if a line is not ``sequence,sku,quantity,store``."""
    line = Line()
    for row in text.split("\n") if text else []:
        sequence, sku, quantity, store = row.split(",")
        line.add(int(sequence), sku, int(quantity), store or None)
    return line


def allocate(line: Line, batches: Sequence[StockBatch], *, passing: bool = False) -> Assignment:
    """Assign whole reservations to batches, line by line, in line order (see the module)."""
    assigned = [0] * len(line)
    passes: list[Pass] = []
    by_line: dict[tuple[str, str | None], list[StockBatch]] = {}
    for batch in batches:
        by_line.setdefault(batch.line, []).append(batch)
    members: dict[tuple[str, str | None], list[int]] = {}
    late: dict[tuple[str, str | None], list[int]] = {}
    states = line.states
    for i, key in enumerate(zip(line.skus, line.stores, strict=True)):
        state = states[i]
        if state == QUEUED:
            members.setdefault(key, []).append(i)
        elif state == WAITLISTED:
            late.setdefault(key, []).append(i)
    for key, rows in late.items():
        members.setdefault(key, []).extend(rows)
    quantities, sequences = line.quantities, line.sequences
    for key, rows in members.items():
        ordered = sorted(by_line.get(key, ()), key=lambda b: (b.date, b.number))
        if not ordered:
            continue
        numbers = [b.number for b in ordered]
        left = [b.units for b in ordered]
        if passing:
            _first_fit(rows, quantities, sequences, numbers, left, assigned, passes)
        else:
            _in_order(rows, quantities, numbers, left, assigned)
    return Assignment(list(sequences), assigned, passes)


def _in_order(
    rows: list[int], quantities: list[int], numbers: list[int], left: list[int], out: list[int]
) -> None:
    current, count = 0, len(numbers)
    room = left[0]
    for i in rows:
        wanted = quantities[i]
        while room < wanted:
            current += 1
            if current == count:
                return  # this one and everyone behind it wait for a batch not yet recorded
            room = left[current]
        room -= wanted
        out[i] = numbers[current]


def _first_fit(
    rows: list[int],
    quantities: list[int],
    sequences: list[int],
    numbers: list[int],
    left: list[int],
    out: list[int],
    passes: list[Pass],
) -> None:
    count = len(numbers)
    start: dict[int, int] = {}  # per quantity, the first batch that may still hold it
    first_waiting: list[int] = []  # per batch index j, the first one in line that did not get j
    for i in rows:
        wanted = quantities[i]
        j = start.get(wanted, 0)
        while j < count and left[j] < wanted:
            j += 1
        start[wanted] = j
        while len(first_waiting) < j:  # everyone who ends past a batch waited for it
            first_waiting.append(sequences[i])
        if j == count:
            continue
        if j < len(first_waiting):
            passes.append(Pass(sequences[i], first_waiting[j], numbers[j]))
        left[j] -= wanted
        out[i] = numbers[j]


# Why a reservation's date changed in a run, as its history says it.
class Reason(StrEnum):
    FIRST_SCHEDULED = "first_scheduled"
    BATCH_ADDED = "batch_added"
    BATCH_MOVED = "batch_moved"
    CANCELLATION_AHEAD = "cancellation_ahead"
    LINE_CHANGED = "line_changed"
    CANCELLED = "cancelled"


# One reservation's date in a run, where it differs from the run before: (sequence, old date,
# new date, batch now (0: none), reason, the batch the reason names (0: none)). Plain tuples:
# the first run of a launch writes one per reservation.
DateChange = tuple[int, date | None, date | None, int, Reason, int]


@dataclass(frozen=True)
class Previous:
    """What the run before left: each reservation's (batch, date) and each batch's date."""

    assignment: Mapping[int, tuple[int, date]]
    batch_dates: Mapping[int, date]
    ran: bool


def changes(
    previous: Previous,
    assignment: Assignment,
    batches: Sequence[StockBatch],
    cancelled: Iterable[int],
) -> tuple[list[tuple[int, int, date]], list[int], list[DateChange]]:
    """What to write after a run: the (sequence, batch, date) rows that are new or changed, the
    sequences that lost their row, and the date changes with their reasons, by sequence."""
    dates = {b.number: b.date for b in batches}
    old_rows = previous.assignment
    upserts: list[tuple[int, int, date]] = []
    history: list[DateChange] = []
    moved = {n for n, d in previous.batch_dates.items() if n in dates and dates[n] != d}
    freed = any(s in old_rows for s in cancelled)
    first = Reason.FIRST_SCHEDULED
    for sequence, batch in zip(assignment.sequences, assignment.batches, strict=True):
        if not batch:
            continue
        new_date = dates[batch]
        old = old_rows.get(sequence)
        if old is None:  # a date for the first time (or again, after it had lost it)
            upserts.append((sequence, batch, new_date))
            history.append((sequence, None, new_date, batch, first, batch))
        elif old[0] != batch or old[1] != new_date:
            upserts.append((sequence, batch, new_date))
            if old[1] != new_date:
                reason, named = _why(old, batch, new_date, previous, moved, freed)
                history.append((sequence, old[1], new_date, batch, reason, named))
    scheduled = set(assignment.as_dict()) if old_rows else set()
    dropped = sorted(s for s in old_rows if s not in scheduled)
    gone = set(cancelled)
    for sequence in dropped:
        old_batch, old_date = old_rows[sequence]
        if sequence in gone:
            history.append((sequence, old_date, None, 0, Reason.CANCELLED, 0))
        elif old_batch in moved:
            history.append((sequence, old_date, None, 0, Reason.BATCH_MOVED, old_batch))
        else:
            history.append((sequence, old_date, None, 0, Reason.LINE_CHANGED, 0))
    if dropped:
        history.sort(key=lambda c: c[0])
    return upserts, dropped, history


def _why(
    old: tuple[int, date], batch: int, new_date: date, previous: Previous, moved: set[int], freed: bool
) -> tuple[Reason, int]:
    old_batch, old_date = old
    if batch not in previous.batch_dates:
        return Reason.BATCH_ADDED, batch
    if old_batch in moved:
        return Reason.BATCH_MOVED, old_batch
    if freed and new_date < old_date:
        return Reason.CANCELLATION_AHEAD, 0
    return Reason.LINE_CHANGED, 0


@dataclass(frozen=True, kw_only=True)
class Run:
    """One allocation run of a launch, as the store keeps its summary (the ledger has it too)."""

    launch_slug: str
    number: int
    ran_at: datetime
    ledger_seq: int
    batch_dates: dict[int, date]
    reservations: int  # in the line (not cancelled)
    scheduled: int
    changed: int  # date changes written to the history
    passes: int
    assignment_hash: str


@dataclass(frozen=True)
class HistoryEntry:
    """A change of a reservation's expected date, as its lookup shows it."""

    run: int
    at: datetime
    old: date | None
    new: date | None
    reason: Reason
    reason_batch: int
