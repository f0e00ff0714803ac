from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from yaksok.domain.errors import InvalidInput
from yaksok.domain.promise import ChangeKind, Precision, Promise, classify_change, localize

SEOUL = "Asia/Seoul"


def test_an_exact_promise_is_stored_as_a_utc_instant_and_described_in_its_zone_and_utc() -> None:
    promise = Promise.parse("2010-11-09T20:00", SEOUL, "exact")

    assert promise.at == datetime(2010, 11, 9, 11, 0, tzinfo=UTC)
    assert promise.describe("en") == "2010-11-09 20:00 KST (11:00 UTC)"


def test_the_utc_date_is_spelled_out_when_it_differs_from_the_local_date() -> None:
    promise = Promise.parse("2010-11-10T02:00", SEOUL, "exact")

    assert promise.describe("en") == "2010-11-10 02:00 KST (2010-11-09 17:00 UTC)"


def test_a_day_promise_says_the_time_is_not_announced_in_both_languages() -> None:
    promise = Promise.parse("2010-11-09", SEOUL, "day")

    assert promise.precision is Precision.DAY
    assert "time not announced" in promise.describe("en")
    assert "시간 미정" in promise.describe("ko")
    assert promise.covers(datetime(2010, 11, 9, 14, 59, tzinfo=UTC))
    assert not promise.covers(datetime(2010, 11, 9, 15, 0, tzinfo=UTC))  # midnight KST on the 10th


def test_a_month_promise_covers_its_whole_month_in_the_launch_zone() -> None:
    promise = Promise.parse("2010-12", SEOUL, "month")

    assert promise.window_end == datetime(2010, 12, 31, 15, 0, tzinfo=UTC)


def test_an_instant_with_an_offset_is_kept_as_that_instant() -> None:
    promise = Promise.parse("2010-11-09T11:00:00+00:00", SEOUL, "exact")

    assert promise.describe("en") == "2010-11-09 20:00 KST (11:00 UTC)"


def test_a_wall_time_skipped_by_daylight_saving_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        Promise.parse("2026-03-08T02:30", "America/New_York", "exact")
    assert caught.value.code == "time.nonexistent"


def test_a_wall_time_repeated_by_daylight_saving_is_refused_as_ambiguous() -> None:
    with pytest.raises(InvalidInput) as caught:
        localize(datetime(2026, 11, 1, 1, 30), "America/New_York")
    assert caught.value.code == "time.ambiguous"


def test_an_unknown_zone_is_refused_with_its_own_code() -> None:
    with pytest.raises(InvalidInput) as caught:
        Promise.parse("2010-11-09T20:00", "Mars/Olympus", "exact")
    assert caught.value.code == "time.unknown_zone"


@pytest.mark.parametrize("text", ["tomorrow", "2010-13-01T10:00", ""])
def test_unreadable_times_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput):
        Promise.parse(text, SEOUL, "exact")


@pytest.mark.parametrize(
    ("text", "precision", "written"),
    [
        ("2010-11-09", "exact", "day"),  # would silently become 00:00
        ("2010-11", "exact", "month"),
        ("2010-11-09T20:00", "day", "exact"),  # would silently drop 20:00
        ("2010-11-09 20:00", "day", "exact"),
        ("2010-11", "day", "month"),
        ("2010-11-09", "month", "day"),  # would silently drop the 9th
        ("2010-11-09T20:00", "month", "exact"),
    ],
)
def test_a_time_written_more_or_less_precisely_than_its_precision_is_refused(
    text: str, precision: str, written: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        Promise.parse(text, SEOUL, precision)

    assert caught.value.code == "promise.precision_mismatch"
    assert caught.value.details == {"precision": precision, "written": written}
    assert text in caught.value.message


def test_an_unannounced_promise_has_no_time() -> None:
    assert Promise.parse(None, SEOUL, "unannounced").at is None


def test_moving_later_is_a_delay_and_earlier_an_advance() -> None:
    old = Promise.parse("2010-11-09T20:00", SEOUL, "exact")

    assert classify_change(old, Promise.parse("2010-11-19T10:00", SEOUL, "exact")) is ChangeKind.DELAY
    assert classify_change(old, Promise.parse("2010-11-08T10:00", SEOUL, "exact")) is ChangeKind.ADVANCE


def test_setting_the_time_within_a_promised_day_is_a_clarification() -> None:
    day = Promise.on_day(date(2010, 11, 9), SEOUL)

    assert classify_change(day, Promise.parse("2010-11-09T20:00", SEOUL, "exact")) is ChangeKind.CLARIFY


def test_widening_a_day_to_a_month_is_a_delay_not_an_advance() -> None:
    day = Promise.on_day(date(2010, 11, 9), SEOUL)

    assert classify_change(day, Promise.parse("2010-11", SEOUL, "month")) is ChangeKind.DELAY
