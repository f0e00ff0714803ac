"""The scorecard's pre-order and delivery figures, computed from what the store counted.

The store counts (reservations by state, units held, deliveries by channel and status) and
hands over the raw instants; the figures that need more than a sum (the busiest second, latency
percentiles, how late the pre-order really opened) are computed here, where they are tested.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from yaksok.domain.delivery import DeliveryStatus
from yaksok.domain.ledger import JSON
from yaksok.domain.reservation import ReservationState


def percentile(values: Sequence[float], p: float) -> float | None:
    """The nearest-rank ``p``-th percentile (0 < p <= 100): the smallest value that at least
    ``p``% of the values do not exceed. ``None`` when there are no values."""
    if not 0 < p <= 100:
        raise ValueError(f"a percentile is in (0, 100], not {p}")
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(p / 100 * len(ordered)) - 1]


def per_second(instants: Iterable[datetime]) -> dict[datetime, int]:
    """How many of the instants fall in each clock second, keyed by the second's start in UTC."""
    return dict(Counter(instant.astimezone(UTC).replace(microsecond=0) for instant in instants))


@dataclass(frozen=True)
class ReservationTally:
    """What the store counts of one launch's reservations."""

    by_state: Mapping[ReservationState, int]
    units_held: Mapping[str, int]  # per SKU, by reservations still queued
    first_created: datetime | None  # when the first reservation was accepted
    per_second: Mapping[datetime, int]  # reservations accepted in each clock second (UTC) with any


@dataclass(frozen=True)
class PreorderFigures:
    accepted: int  # every reservation taken, whatever became of it
    queued: int
    waitlisted: int
    cancelled: int
    units_held: dict[str, int]
    peak_per_second: int
    first_reservation_lateness_seconds: float | None  # after the promised opening; None if none

    def to_dict(self) -> dict[str, JSON]:
        return {
            "accepted": self.accepted,
            "queued": self.queued,
            "waitlisted": self.waitlisted,
            "cancelled": self.cancelled,
            "units_held": {sku: units for sku, units in sorted(self.units_held.items())},
            "peak_per_second": self.peak_per_second,
            "first_reservation_lateness_seconds": self.first_reservation_lateness_seconds,
        }


def preorder_figures(tally: ReservationTally, promised_opening: datetime | None) -> PreorderFigures:
    """A launch's pre-order figures; the lateness needs an exact promised opening and a reservation."""
    counts = {state: tally.by_state.get(state, 0) for state in ReservationState}
    first, lateness = tally.first_created, None
    if first is not None and promised_opening is not None:
        lateness = round((first - promised_opening) / timedelta(seconds=1), 3)
    return PreorderFigures(
        accepted=sum(counts.values()),
        queued=counts[ReservationState.QUEUED],
        waitlisted=counts[ReservationState.WAITLISTED],
        cancelled=counts[ReservationState.CANCELLED],
        units_held=dict(tally.units_held),
        peak_per_second=max(tally.per_second.values(), default=0),
        first_reservation_lateness_seconds=lateness,
    )


@dataclass(frozen=True)
class DeliveryTally:
    """What the store counts of deliveries: per channel, how many in each status, and how long
    each delivered one took from its notice's ``publish_at``."""

    by_status: Mapping[str, Mapping[DeliveryStatus, int]]
    latencies: Mapping[str, Sequence[timedelta]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChannelFigures:
    delivered: int
    pending: int
    failed: int
    latency_p50_seconds: float | None
    latency_p99_seconds: float | None

    def to_dict(self) -> dict[str, JSON]:
        return {
            "delivered": self.delivered,
            "pending": self.pending,
            "failed": self.failed,
            "latency_seconds": {"p50": self.latency_p50_seconds, "p99": self.latency_p99_seconds},
        }


def delivery_figures(tally: DeliveryTally) -> dict[str, ChannelFigures]:
    """Per channel (sorted by name): delivered, pending, failed and the p50/p99 latency."""
    figures = {}
    for channel in sorted(set(tally.by_status) | set(tally.latencies)):
        counts = tally.by_status.get(channel, {})
        seconds = [latency.total_seconds() for latency in tally.latencies.get(channel, ())]
        p50, p99 = percentile(seconds, 50), percentile(seconds, 99)
        figures[channel] = ChannelFigures(
            delivered=counts.get(DeliveryStatus.DELIVERED, 0),
            pending=counts.get(DeliveryStatus.PENDING, 0),
            failed=counts.get(DeliveryStatus.FAILED, 0),
            latency_p50_seconds=None if p50 is None else round(p50, 3),
            latency_p99_seconds=None if p99 is None else round(p99, 3),
        )
    return figures


def deliveries_to_dict(figures: Mapping[str, ChannelFigures]) -> dict[str, JSON]:
    return {channel: channel_figures.to_dict() for channel, channel_figures in figures.items()}
