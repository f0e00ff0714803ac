"""What a shipping cadence slot tells: the net change of each date since the last slot that
told, and the public summary of which reservation numbers ship when."""

from __future__ import annotations

from datetime import date
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from yaksok.domain.allocation import CANCELLED, QUEUED, DateChange, Line, Reason
from yaksok.domain.shipping_news import NetChange, Span, net_changes, summarise

D1, D2, D3 = date(2010, 11, 30), date(2010, 12, 3), date(2010, 12, 8)


def test_a_customer_is_told_the_net_change_across_runs_since_the_last_slot() -> None:
    first: list[DateChange] = [
        (1, None, D2, 2, Reason.FIRST_SCHEDULED, 2),
        (2, None, D3, 3, Reason.FIRST_SCHEDULED, 3),
    ]
    second: list[DateChange] = [(1, D2, D1, 1, Reason.BATCH_ADDED, 1)]

    assert net_changes([first, second]) == [
        NetChange(1, None, D1, Reason.BATCH_ADDED, 1),
        NetChange(2, None, D3, Reason.FIRST_SCHEDULED, 3),
    ]


def test_a_date_moved_and_moved_back_between_two_slots_is_no_news() -> None:
    there: list[DateChange] = [(7, D1, D2, 2, Reason.BATCH_MOVED, 1)]
    back: list[DateChange] = [(7, D2, D1, 1, Reason.BATCH_MOVED, 1)]

    assert net_changes([there, back]) == []


def test_a_customer_who_cancelled_is_not_told_their_date_is_gone() -> None:
    assert net_changes([[(3, D1, None, 0, Reason.CANCELLED, 0)]]) == []


def line(*rows: tuple[int, str, str | None, int]) -> Line:
    made = Line()
    for sequence, sku, store, state in rows:
        made.add(sequence, sku, 1, store, state)
    return made


def test_the_summary_groups_each_skus_consecutive_numbers_by_date_and_leaves_out_the_cancelled() -> None:
    reservations = line(
        (1, "wifi", None, QUEUED),
        (2, "3g", None, QUEUED),
        (3, "wifi", None, CANCELLED),
        (4, "wifi", None, QUEUED),
        (5, "wifi", None, QUEUED),
        (6, "wifi", "gangnam", QUEUED),
    )
    current = {1: (1, D1), 4: (1, D1), 5: (2, D2), 6: (3, D1)}

    summary = {(s.sku, s.store): s.spans for s in summarise(reservations, current)}

    assert summary == {
        ("3g", None): (Span(2, 2, None),),
        ("wifi", None): (Span(1, 4, D1), Span(5, 5, D2)),
        ("wifi", "gangnam"): (Span(6, 6, D1),),
    }


@given(st.lists(st.sampled_from([D1, D2, D3, None]), max_size=40))
def test_every_reservation_of_a_line_falls_in_exactly_one_span_with_its_own_date(
    dates: list[date | None],
) -> None:
    reservations = line(*((n, "wifi", None, QUEUED) for n in range(1, len(dates) + 1)))
    current = {n: (1, on) for n, on in enumerate(dates, start=1) if on is not None}

    spans = [span for s in summarise(reservations, current) for span in s.spans]

    covered = [n for span in spans for n in range(span.first, span.last + 1)]
    assert covered == list(range(1, len(dates) + 1))
    assert all(dates[n - 1] == span.on for span in spans for n in range(span.first, span.last + 1))
    assert all(a.on != b.on for a, b in pairwise(spans))
