from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from yaksok.domain.delivery import DeliveryStatus
from yaksok.domain.figures import (
    DeliveryTally,
    ReservationTally,
    delivery_figures,
    per_second,
    percentile,
    preorder_figures,
)
from yaksok.domain.reservation import ReservationState

OPENS = datetime(2010, 11, 19, 1, 0, tzinfo=UTC)


def test_the_median_of_an_odd_count_is_the_middle_value() -> None:
    assert percentile([3.0, 1.0, 2.0], 50) == 2.0


def test_a_nearest_rank_percentile_is_always_one_of_the_values() -> None:
    values = [float(n) for n in range(1, 101)]

    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([0.25, 4.0], 99) == 4.0


def test_there_is_no_percentile_of_nothing() -> None:
    assert percentile([], 50) is None


@pytest.mark.parametrize("p", [0, -1, 100.5])
def test_a_percentile_outside_0_to_100_is_refused(p: float) -> None:
    with pytest.raises(ValueError, match="percentile"):
        percentile([1.0], p)


def test_instants_are_counted_per_clock_second_in_utc() -> None:
    seoul = timezone(timedelta(hours=9))
    instants = [
        OPENS,
        OPENS + timedelta(milliseconds=999),
        OPENS + timedelta(seconds=1),
        (OPENS + timedelta(seconds=1, milliseconds=10)).astimezone(seoul),
        OPENS + timedelta(seconds=1, milliseconds=500),
        OPENS + timedelta(seconds=5),
    ]

    assert per_second(instants) == {
        OPENS: 2,
        OPENS + timedelta(seconds=1): 3,
        OPENS + timedelta(seconds=5): 1,
    }


def test_the_peak_per_second_is_the_busiest_clock_second_and_zero_without_reservations() -> None:
    busy = ReservationTally({}, {}, OPENS, per_second={OPENS: 2, OPENS + timedelta(seconds=1): 3})

    assert preorder_figures(busy, OPENS).peak_per_second == 3
    assert preorder_figures(ReservationTally({}, {}, None, {}), OPENS).peak_per_second == 0


def test_preorder_figures_count_every_state_and_the_first_reservations_lateness() -> None:
    tally = ReservationTally(
        by_state={ReservationState.QUEUED: 3, ReservationState.WAITLISTED: 2, ReservationState.CANCELLED: 1},
        units_held={"wifi-16": 4},
        first_created=OPENS + timedelta(milliseconds=250),
        per_second=per_second([OPENS + timedelta(milliseconds=250), OPENS + timedelta(seconds=2)]),
    )

    figures = preorder_figures(tally, OPENS)

    assert figures.to_dict() == {
        "accepted": 6,
        "queued": 3,
        "waitlisted": 2,
        "cancelled": 1,
        "units_held": {"wifi-16": 4},
        "peak_per_second": 1,
        "first_reservation_lateness_seconds": 0.25,
    }


def test_a_preorder_without_reservations_or_exact_opening_has_no_lateness() -> None:
    empty = preorder_figures(
        ReservationTally(by_state={}, units_held={}, first_created=None, per_second={}), OPENS
    )
    unpromised = preorder_figures(ReservationTally({}, {}, OPENS, {OPENS: 1}), None)

    assert empty.first_reservation_lateness_seconds is None
    assert empty.accepted == 0 and empty.peak_per_second == 0
    assert unpromised.first_reservation_lateness_seconds is None


def test_delivery_figures_are_per_channel_with_latency_percentiles_of_delivered_ones() -> None:
    tally = DeliveryTally(
        by_status={
            "webhook": {DeliveryStatus.DELIVERED: 3, DeliveryStatus.PENDING: 1, DeliveryStatus.FAILED: 2},
            "email": {DeliveryStatus.PENDING: 4},
        },
        latencies={"webhook": [timedelta(milliseconds=ms) for ms in (30, 10, 2000)]},
    )

    figures = delivery_figures(tally)

    assert list(figures) == ["email", "webhook"]
    assert figures["webhook"].to_dict() == {
        "delivered": 3,
        "pending": 1,
        "failed": 2,
        "latency_seconds": {"p50": 0.03, "p99": 2.0},
    }
    assert figures["email"].to_dict()["latency_seconds"] == {"p50": None, "p99": None}
