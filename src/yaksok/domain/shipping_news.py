"""Shipping news at the cadence hour: who is told a new date, and the public summary.

Allocation runs may come at any time; customers hear of them only at the launch's shipping
cadence slot. A slot tells each customer the net change since the last slot that told
(``net_changes``: a date moved and moved back between two slots is no news), and publishes,
for everyone, which reservation numbers ship when (``summarise``): "#1 to #48,000: 30
November; the rest: next update Monday 10:00".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from yaksok.domain.allocation import CANCELLED, DateChange, Line, Reason


@dataclass(frozen=True)
class NetChange:
    sequence: int
    told: date | None  # what the customer was last told (None: nothing yet)
    now: date | None  # None: no longer scheduled
    reason: Reason  # the latest run's reason
    reason_batch: int


def net_changes(runs: Iterable[Sequence[DateChange]]) -> list[NetChange]:
    """The change of each reservation's date across ``runs`` (oldest first), by sequence; none
    for a reservation cancelled by its customer (they know) or back where it was."""
    first_old: dict[int, date | None] = {}
    latest: dict[int, DateChange] = {}
    for changes in runs:
        for change in changes:
            first_old.setdefault(change[0], change[1])
            latest[change[0]] = change
    found = []
    for sequence in sorted(latest):
        _, _, new, _, reason, named = latest[sequence]
        told = first_old[sequence]
        if told != new and reason is not Reason.CANCELLED:
            found.append(NetChange(sequence, told, new, reason, named))
    return found


@dataclass(frozen=True)
class Span:
    """Reservations ``first`` to ``last`` (by number, within one line) expect ``on``."""

    first: int
    last: int
    on: date | None  # None: not yet scheduled


@dataclass(frozen=True)
class LineSummary:
    sku: str
    store: str | None  # a pickup store's line; None: delivery
    spans: tuple[Span, ...]


def summarise(line: Line, current: Mapping[int, tuple[int, date]]) -> list[LineSummary]:
    """Per SKU (and pickup store), consecutive reservations grouped by expected date, in order.
    Cancelled reservations are left out; the numbers stay the launch-wide sequences."""
    spans: dict[tuple[str, str | None], list[Span]] = {}
    for sequence, sku, store, state in zip(line.sequences, line.skus, line.stores, line.states, strict=True):
        if state == CANCELLED:
            continue
        found = current.get(sequence)
        on = None if found is None else found[1]
        line_spans = spans.setdefault((sku, store), [])
        if line_spans and line_spans[-1].on == on:
            line_spans[-1] = Span(line_spans[-1].first, sequence, on)
        else:
            line_spans.append(Span(sequence, sequence, on))
    return [LineSummary(sku, store, tuple(found)) for (sku, store), found in sorted(spans.items(), key=_key)]


def _key(item: tuple[tuple[str, str | None], list[Span]]) -> tuple[str, str]:
    (sku, store), _ = item
    return sku, store or ""
