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
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
from yaksok.domain.ledger import LedgerEntry

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


# Verifying a run from what is public: the ledger entry and the reservation order.


def ranges(sequences: Iterable[int]) -> list[list[int]]:
    """Sorted sequences as inclusive [first, last] ranges: a compact list for the ledger."""
    out: list[list[int]] = []
    for s in sorted(sequences):
        if out and out[-1][1] == s - 1:
            out[-1][1] = s
        else:
            out.append([s, s])
    return out


def in_ranges(spans: Sequence[Sequence[int]]) -> set[int]:
    return {s for first, last in spans for s in range(first, last + 1)}


def overtaken(
    line: Line, assignment: Assignment, batches: Sequence[StockBatch], passers: Collection[int] = ()
) -> tuple[int, int] | None:
    """The first (earlier, later) pair of one line where the later reservation got an earlier
    batch (in date order) than the earlier one, which waits or ships later; None if no one was.
    Reservations in ``passers`` may pass (their pass is recorded)."""
    rank: dict[int, int] = {}
    by_line: dict[tuple[str, str | None], list[StockBatch]] = {}
    for batch in batches:
        by_line.setdefault(batch.line, []).append(batch)
    for group in by_line.values():
        for place, batch in enumerate(sorted(group, key=lambda b: (b.date, b.number))):
            rank[batch.number] = place
    unscheduled = len(batches) + 1
    held = [i for i, state in enumerate(line.states) if state != CANCELLED]
    order = sorted(held, key=lambda i: (line.states[i], line.sequences[i]))
    latest: dict[tuple[str, str | None], tuple[int, int]] = {}  # per line: furthest place so far
    for i in order:
        key = (line.skus[i], line.stores[i])
        number = assignment.batches[i]
        place = rank.get(number, unscheduled) if number else unscheduled
        ahead = latest.get(key)
        if ahead is not None and place < ahead[0]:
            if line.sequences[i] in passers:
                continue
            return ahead[1], line.sequences[i]
        if ahead is None or place > ahead[0]:
            latest[key] = (place, line.sequences[i])
    return None


def overfilled(
    line: Line, assignment: Assignment, batches: Sequence[StockBatch]
) -> tuple[int, int, int] | None:
    """The first batch given more units than it has, or units of another line: (batch, given, units)."""
    units = {b.number: b for b in batches}
    given: dict[int, int] = {}
    for i, batch in enumerate(assignment.batches):
        if not batch:
            continue
        found = units.get(batch)
        if found is None or found.line != (line.skus[i], line.stores[i]):
            return (batch, line.quantities[i], 0)
        given[batch] = given.get(batch, 0) + line.quantities[i]
    for number in sorted(given):
        if given[number] > units[number].units:
            return (number, given[number], units[number].units)
    return None


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


def _batches_from(data: Mapping[str, object], slug: str, at: datetime) -> list[StockBatch]:
    listed = data.get("batches")
    out = []
    for raw in listed if isinstance(listed, list) else []:
        out.append(
            StockBatch(
                launch_slug=slug,
                number=int(raw["number"]),
                sku=str(raw["sku"]),
                units=int(raw["units"]),
                date=date.fromisoformat(str(raw["date"])),
                kind=BatchKind(str(raw["kind"])),
                store=None if raw.get("store") is None else str(raw["store"]),
                recorded_at=at,
            )
        )
    return out


@dataclass(frozen=True)
class RunInputs:
    """What an ``allocation.run`` ledger entry says the run read."""

    slug: str
    number: int
    seq: int
    through: int
    batches: list[StockBatch]
    passing: bool
    waitlisted: set[int]
    cancelled: set[int]
    data: Mapping[str, object]

    @property
    def where(self) -> str:
        return f"allocation run {self.number} of launch {self.slug!r} (ledger entry {self.seq})"

    @classmethod
    def of(cls, entry: LedgerEntry) -> RunInputs:
        data = entry.data
        slug = str(data.get("launch"))
        at = datetime.fromisoformat(entry.at.replace("Z", "+00:00"))
        return cls(
            slug=slug,
            number=int(str(data.get("run", 0))),
            seq=entry.seq,
            through=int(str(data.get("through", 0))),
            batches=_batches_from(data, slug, at),
            passing=data.get("passing") is True,
            waitlisted=in_ranges(_spans(data.get("waitlisted"))),
            cancelled=in_ranges(_spans(data.get("cancelled"))),
            data=data,
        )

    def line(self, public: Line) -> Line:
        return public.with_states(self.waitlisted, self.cancelled)


def _spans(value: object) -> list[list[int]]:
    return [[int(a), int(b)] for a, b in value] if isinstance(value, list) else []


OrderSource = Callable[[str, int], "Line | None"]


def check_runs(entries: Iterable[LedgerEntry], order_of: OrderSource) -> str:
    """Recompute every allocation run from the ledger and the public reservation order; the first
    problem, or ''. Per run: its batches must be the ones the ledger's batch entries recorded (and
    moved) before it, the order it read must hash to its ``order_digest``, and allocating that
    order (with the states the entry lists) must give its ``assignment_hash`` and its passes,
    none of them without the launch's policy allowing passing. ``order_of(slug, through)`` gives
    the public order (None: not available, only the batches are checked)."""
    recorded: dict[str, dict[int, dict[str, object]]] = {}
    for entry in entries:
        if entry.kind in (BATCH_RECORDED, BATCH_MOVED):
            data = entry.data
            batches = recorded.setdefault(str(data.get("launch")), {})
            if entry.kind == BATCH_RECORDED:
                batches[int(str(data["number"]))] = {
                    k: v for k, v in data.items() if k != "launch" and k != "reviewed"
                }
            elif int(str(data["number"])) in batches:
                batches[int(str(data["number"]))]["date"] = data["date"]
            continue
        if entry.kind != RUN:
            continue
        run = RunInputs.of(entry)
        listed = {b.number: b.to_public() for b in run.batches}
        if listed != recorded.get(run.slug, {}):
            return f"{run.where}: its batches are not the ones the ledger recorded before it"
        problem = check_run(run, order_of(run.slug, run.through))
        if problem:
            return problem
    return ""


def check_run(run: RunInputs, public: Line | None) -> str:
    """One run recomputed from the public order it read (see ``check_runs``)."""
    if public is None:
        return ""
    if len(public) != run.through or (public.sequences and public.sequences[-1] != run.through):
        return f"{run.where}: the public reservation order does not hold reservations 1-{run.through}"
    if order_digest(public) != run.data.get("order_digest"):
        return f"{run.where}: the public reservation order differs from the one the run read"
    line = run.line(public)
    assignment = allocate(line, run.batches, passing=run.passing)
    recorded_passes = run.data.get("passes")
    passes = [[p.passer, p.passed, p.batch] for p in assignment.passes]
    if passes and not run.passing:
        return f"{run.where}: reservations passed others without the policy allowing it"
    if recorded_passes != passes:
        return f"{run.where}: the recorded passes differ from the recomputed ones"
    if assignment.hash() != run.data.get("assignment_hash"):
        return f"{run.where}: the assignment differs from the one recomputed from the order and batches"
    return ""


def check_assignment(run: RunInputs, public: Line, stored: Mapping[int, int]) -> str:
    """The assignment a store holds (batch per sequence) against the last run: no batch given
    more units than it has, no one overtaken without a recorded pass, and the run's hash."""
    line = run.line(public)
    batches = [stored.get(s, 0) for s in line.sequences]
    held = Assignment(line.sequences, batches, [])
    over = overfilled(line, held, run.batches)
    if over is not None:
        number, given, units = over
        return f"{run.where}: the stored assignment gives batch {number} {given} units, it has {units}"
    allowed = {int(p[0]) for p in _passes(run.data.get("passes"))} if run.passing else set()
    jumped = overtaken(line, held, run.batches, allowed)
    if jumped is not None:
        return (
            f"{run.where}: in the stored assignment reservation {jumped[1]} overtook {jumped[0]} "
            "without a recorded pass"
        )
    if any(s not in set(line.sequences) for s in stored):
        return f"{run.where}: the stored assignment schedules a reservation the run did not read"
    if held.hash() != run.data.get("assignment_hash"):
        return f"{run.where}: the stored assignment differs from the run's assignment_hash"
    return ""


def _passes(value: object) -> list[list[int]]:
    return [list(p) for p in value] if isinstance(value, list) else []
