"""Allocation's invariants: order kept, no batch over-filled, every unit accounted for, re-runs
give the same assignment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yaksok.domain.allocation import (
    CANCELLED,
    QUEUED,
    WAITLISTED,
    Assignment,
    BatchKind,
    Line,
    Previous,
    Reason,
    StockBatch,
    allocate,
    changes,
    check_batch,
)
from yaksok.domain.allocation_check import in_ranges, overfilled, overtaken, ranges
from yaksok.domain.errors import InvalidInput

T0 = datetime(2026, 11, 1, tzinfo=UTC)
DAY = date(2026, 12, 1)


def batch(number: int, units: int, days: int = 0, sku: str = "a", store: str | None = None) -> StockBatch:
    kind = BatchKind.PICKUP if store else BatchKind.SHIP
    return StockBatch(
        launch_slug="x",
        number=number,
        sku=sku,
        units=units,
        date=DAY + timedelta(days=days),
        kind=kind,
        store=store,
        recorded_at=T0,
    )


def line_of(*quantities: int, sku: str = "a") -> Line:
    line = Line()
    for i, quantity in enumerate(quantities, start=1):
        line.add(i, sku, quantity, None)
    return line


def test_reservations_fill_batches_in_sequence_order() -> None:
    result = allocate(line_of(2, 1, 2, 1), [batch(1, 3), batch(2, 3, days=7)])

    assert result.batches == [1, 1, 2, 2]


def test_one_who_does_not_fit_waits_for_the_next_batch_and_no_one_behind_takes_the_leftover() -> None:
    result = allocate(line_of(2, 2, 1), [batch(1, 3), batch(2, 5, days=7)])

    assert result.batches == [1, 2, 2]  # the third (1 unit) does not take batch 1's last unit
    assert result.passes == []


def test_with_passing_allowed_a_later_smaller_order_takes_the_leftover_and_the_pass_is_recorded() -> None:
    result = allocate(line_of(2, 2, 1), [batch(1, 3), batch(2, 5, days=7)], passing=True)

    assert result.batches == [1, 2, 1]
    assert [(p.passer, p.passed, p.batch) for p in result.passes] == [(3, 2, 1)]


def test_batches_are_taken_in_date_order_whatever_order_they_were_recorded_in() -> None:
    result = allocate(line_of(1, 1), [batch(1, 1, days=14), batch(2, 1, days=7)])

    assert result.batches == [2, 1]


def test_a_cancelled_reservation_holds_nothing_so_the_next_in_line_gets_its_units() -> None:
    line = line_of(1, 1, 1).with_states(set(), {1})

    assert allocate(line, [batch(1, 2)]).batches == [0, 1, 1]


def test_waitlisted_reservations_come_after_every_queued_one() -> None:
    line = line_of(1, 1, 1).with_states({1}, set())

    assert allocate(line, [batch(1, 2)]).batches == [0, 1, 1]


def test_each_sku_and_each_pickup_store_is_its_own_line() -> None:
    line = Line()
    line.add(1, "a", 1, None)
    line.add(2, "b", 1, None)
    line.add(3, "a", 1, "gangnam")
    batches = [batch(1, 1, sku="a"), batch(2, 1, sku="a", store="gangnam"), batch(3, 1, sku="c")]

    assert allocate(line, batches).batches == [1, 0, 2]


def test_a_batch_needs_a_known_sku_units_and_a_store_only_for_pickup() -> None:
    check_batch(5, BatchKind.SHIP, None, ["a"], "a")
    bad = [(0, BatchKind.SHIP, None, "a"), (1, BatchKind.SHIP, None, "z"),
           (1, BatchKind.PICKUP, None, "a"), (1, BatchKind.SHIP, "s", "a")]  # fmt: skip
    for units, kind, store, sku in bad:
        with pytest.raises(InvalidInput):
            check_batch(units, kind, store, ["a"], sku)


def test_date_changes_name_their_reason() -> None:
    first = allocate(line_of(1, 1, 1), [batch(1, 2)])
    _, _, history = changes(Previous({}, {}, False), first, [batch(1, 2)], [])
    assert [c[4] for c in history] == [Reason.FIRST_SCHEDULED, Reason.FIRST_SCHEDULED]

    before = Previous({1: (1, DAY), 2: (1, DAY)}, {1: DAY}, True)
    moved = [batch(1, 2, days=3), batch(2, 5, days=10)]
    after = allocate(line_of(1, 1, 1).with_states(set(), {1}), moved)
    rows, dropped, history = changes(before, after, moved, [1])
    assert dropped == [1]
    assert [(c[0], c[4], c[5]) for c in history] == [
        (1, Reason.CANCELLED, 0),
        (2, Reason.BATCH_MOVED, 1),
        (3, Reason.FIRST_SCHEDULED, 1),
    ]
    assert rows == [(2, 1, DAY + timedelta(days=3)), (3, 1, DAY + timedelta(days=3))]


def test_sequences_round_trip_through_ranges() -> None:
    assert ranges([5, 1, 2, 3, 9]) == [[1, 3], [5, 5], [9, 9]]
    assert in_ranges([[1, 3], [9, 9]]) == {1, 2, 3, 9}


lines = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]), st.integers(1, 3), st.sampled_from([QUEUED, WAITLISTED, CANCELLED])
    ),
    max_size=60,
)
stock = st.lists(st.tuples(st.sampled_from(["a", "b"]), st.integers(1, 8), st.integers(0, 30)), max_size=8)


def build(
    rows: list[tuple[str, int, int]], spec: list[tuple[str, int, int]]
) -> tuple[Line, list[StockBatch]]:
    line = Line()
    for i, (sku, quantity, state) in enumerate(rows, start=1):
        line.add(i, sku, quantity, None, state)
    batches = [batch(n, units, days, sku) for n, (sku, units, days) in enumerate(spec, start=1)]
    return line, batches


@given(lines, stock, st.booleans())
def test_no_batch_is_over_filled_and_every_unit_is_accounted_for(
    rows: list[tuple[str, int, int]], spec: list[tuple[str, int, int]], passing: bool
) -> None:
    line, batches = build(rows, spec)
    result = allocate(line, batches, passing=passing)

    assert overfilled(line, result, batches) is None
    given_units = sum(q for q, b in zip(line.quantities, result.batches, strict=True) if b)
    waiting = sum(
        q
        for q, b, s in zip(line.quantities, result.batches, line.states, strict=True)
        if not b and s != CANCELLED
    )
    held = sum(q for q, s in zip(line.quantities, line.states, strict=True) if s != CANCELLED)
    assert given_units + waiting == held
    assert all(not b for b, s in zip(result.batches, line.states, strict=True) if s == CANCELLED)


@given(lines, stock)
def test_no_one_is_overtaken_unless_passing_is_allowed_and_then_every_pass_is_recorded(
    rows: list[tuple[str, int, int]], spec: list[tuple[str, int, int]]
) -> None:
    line, batches = build(rows, spec)

    assert overtaken(line, allocate(line, batches), batches) is None
    with_passing = allocate(line, batches, passing=True)
    assert overtaken(line, with_passing, batches, {p.passer for p in with_passing.passes}) is None


@given(lines, stock, st.booleans())
def test_the_same_inputs_give_the_same_assignment_and_a_re_run_changes_no_date(
    rows: list[tuple[str, int, int]], spec: list[tuple[str, int, int]], passing: bool
) -> None:
    line, batches = build(rows, spec)
    first = allocate(line, batches, passing=passing)
    again = allocate(line, list(reversed(batches)), passing=passing)
    dates = {b.number: b.date for b in batches}
    previous = Previous({s: (b, dates[b]) for s, b in first.as_dict().items()}, dates, True)

    assert again.batches == first.batches and again.hash() == first.hash()
    assert changes(previous, again, batches, line.having(CANCELLED)) == ([], [], [])


def test_an_assignment_where_a_later_reservation_got_an_earlier_batch_is_caught_unless_it_passed() -> None:
    line = line_of(1, 1)
    batches = [batch(1, 1), batch(2, 1, days=7)]
    swapped = Assignment(line.sequences, [2, 1], [])

    assert overtaken(line, swapped, batches) == (1, 2)
    assert overtaken(line, swapped, batches, passers={2}) is None
    assert overfilled(line, Assignment(line.sequences, [1, 1], []), batches) == (1, 2, 1)
