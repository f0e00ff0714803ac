"""Verifying allocation runs from what is public: the ``allocation.run`` ledger entries and the
reservation order. ``yaksok ledger verify`` recomputes every run (``check_runs``) and, on a
database, checks the stored assignment against the last one (``check_assignment``): nobody
overtaken without a recorded pass, no batch over-filled, the same hash.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from yaksok.domain.allocation import (
    BATCH_MOVED,
    BATCH_RECORDED,
    CANCELLED,
    RUN,
    Assignment,
    BatchKind,
    Line,
    StockBatch,
    allocate,
    order_digest,
)
from yaksok.domain.ledger import LedgerEntry


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
    read = set(line.sequences)
    if any(s not in read for s in stored):
        return f"{run.where}: the stored assignment schedules a reservation the run did not read"
    if held.hash() != run.data.get("assignment_hash"):
        return f"{run.where}: the stored assignment differs from the run's assignment_hash"
    return ""


def _passes(value: object) -> list[list[int]]:
    return [list(p) for p in value] if isinstance(value, list) else []
