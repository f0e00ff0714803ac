"""Times for people in each reader's language: Korean and Japanese with Babel's words, English as
the domain writes it, the same instant with UTC beside in every language, and every form whole
to the social threads' cutter."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yaksok.channels import when
from yaksok.channels.thread import TIME
from yaksok.domain.errors import InvalidInput
from yaksok.domain.promise import Promise

SEOUL_EVENING = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 KST, a Tuesday


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "2010-11-09 20:00 KST (11:00 UTC)"),
        ("ko", "2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)"),
        ("ja", "2010年11月9日(火) 20:00 KST (11:00 UTC)"),
    ],
)
def test_an_exact_promise_reads_in_each_language_with_utc_beside(lang: str, expected: str) -> None:
    assert when.describe(Promise.exact(SEOUL_EVENING, "Asia/Seoul"), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "2010-11-10 01:00 KST (2010-11-09 16:00 UTC)"),
        ("ko", "2010년 11월 10일 (수) 오전 1:00 KST (2010년 11월 9일 16:00 UTC)"),
        ("ja", "2010年11月10日(水) 1:00 KST (2010年11月9日 16:00 UTC)"),
    ],
)
def test_utc_on_another_day_than_the_wall_time_carries_its_date(lang: str, expected: str) -> None:
    assert (
        when.describe(Promise.exact(datetime(2010, 11, 9, 16, 0, tzinfo=UTC), "Asia/Seoul"), lang) == expected
    )


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "2010-11-09 (time not announced)"),
        ("ko", "2010년 11월 9일 (화) (시간 미정)"),
        ("ja", "2010年11月9日(火) (時刻未定)"),
    ],
)
def test_a_day_promise_says_the_time_is_not_announced(lang: str, expected: str) -> None:
    assert when.describe(Promise.on_day(date(2010, 11, 9), "Asia/Seoul"), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "2010-11 (date and time not announced)"),
        ("ko", "2010년 11월 (날짜·시간 미정)"),
        ("ja", "2010年11月 (日時未定)"),
    ],
)
def test_a_month_promise_says_the_date_and_time_are_not_announced(lang: str, expected: str) -> None:
    assert when.describe(Promise.in_month(2010, 11, "Asia/Seoul"), lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"), [("en", "not yet announced"), ("ko", "일정 미정"), ("ja", "日程未定")]
)
def test_no_promise_reads_as_not_announced(lang: str, expected: str) -> None:
    assert when.describe(None, lang) == expected
    assert when.describe(Promise.unannounced("Asia/Seoul"), lang) == expected


@pytest.mark.parametrize(
    ("at", "lang", "expected"),
    [
        # New York on standard time the day before DST starts, then on daylight time after it.
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), "en", "2026-03-07 05:00 EST (10:00 UTC)"),
        (datetime(2026, 3, 8, 10, 0, tzinfo=UTC), "en", "2026-03-08 06:00 EDT (10:00 UTC)"),
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), "ko", "2026년 3월 7일 (토) 오전 5:00 EST (10:00 UTC)"),
        (datetime(2026, 3, 8, 10, 0, tzinfo=UTC), "ko", "2026년 3월 8일 (일) 오전 6:00 EDT (10:00 UTC)"),
        (datetime(2026, 3, 7, 10, 0, tzinfo=UTC), "ja", "2026年3月7日(土) 5:00 EST (10:00 UTC)"),
        (datetime(2026, 3, 8, 10, 0, tzinfo=UTC), "ja", "2026年3月8日(日) 6:00 EDT (10:00 UTC)"),
    ],
)
def test_a_zone_with_daylight_saving_shows_the_wall_time_and_abbreviation_in_force(
    at: datetime, lang: str, expected: str
) -> None:
    assert when.format_instant(at, "America/New_York", lang) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "2010-11-09 11:00 UTC"),
        ("ko", "2010년 11월 9일 (화) 오전 11:00 UTC"),
        ("ja", "2010年11月9日(火) 11:00 UTC"),
    ],
)
def test_a_time_in_utc_is_not_repeated_beside_itself(lang: str, expected: str) -> None:
    assert when.format_instant(SEOUL_EVENING, "UTC", lang) == expected


def test_english_is_the_domains_own_wording_and_an_unknown_language_reads_english() -> None:
    promise = Promise.exact(SEOUL_EVENING, "Asia/Seoul")
    assert when.describe(promise, "en") == promise.describe("en")
    assert when.describe(promise, "fr") == promise.describe("en")


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", "cancelled (was 2010-11-09 20:00 KST (11:00 UTC))"),
        ("ko", "취소됨 (원래 2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC))"),
        ("ja", "中止 (当初 2010年11月9日(火) 20:00 KST (11:00 UTC))"),
    ],
)
def test_a_cancelled_promise_says_so_in_each_language(lang: str, expected: str) -> None:
    assert when.cancelled(Promise.exact(SEOUL_EVENING, "Asia/Seoul"), lang) == expected


def test_an_instant_without_a_zone_is_refused() -> None:
    with pytest.raises(InvalidInput):
        when.format_instant(datetime(2010, 11, 9, 20, 0), "Asia/Seoul", "ko")


ZONES = [
    "Asia/Seoul",
    "Asia/Tokyo",
    "UTC",
    "America/New_York",
    "Europe/London",
    "Australia/Lord_Howe",
    "America/Sao_Paulo",
]
instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2090, 1, 1), timezones=st.just(UTC)
)


@given(instants, st.sampled_from(ZONES))
def test_every_language_shows_the_same_instant_with_the_same_zone_and_utc(at: datetime, zone: str) -> None:
    at = at.replace(second=0, microsecond=0)
    local = at.astimezone(Promise.exact(at, zone).local.tzinfo)  # type: ignore[union-attr]
    texts = {lang: when.format_instant(at, zone, lang) for lang in when.LANGS}
    for text in texts.values():
        assert f" {local.tzname()}" in text
        if zone != "UTC":
            assert f"{at:%H:%M} UTC)" in text
    assert f"{local.day}일" in texts["ko"] and f"{local.day}日" in texts["ja"]
    hour12 = local.hour % 12 or 12
    assert f"{'오전' if local.hour < 12 else '오후'} {hour12}:{local:%M}" in texts["ko"]
    assert f"{local.hour}:{local:%M}" in texts["ja"]


@given(instants, st.sampled_from(ZONES), st.sampled_from(["exact", "day", "month", "unannounced"]))
def test_the_social_thread_cutter_sees_every_form_whole(at: datetime, zone: str, precision: str) -> None:
    local = at.astimezone(Promise.exact(at, zone).local.tzinfo)  # type: ignore[union-attr]
    promise = {
        "exact": Promise.exact(at, zone),
        "day": Promise.on_day(local.date(), zone),
        "month": Promise.in_month(local.year, local.month, zone),
        "unannounced": None,
    }[precision]
    for lang in when.LANGS:
        text = when.describe(promise, lang)
        assert promise is None or TIME.fullmatch(text), text
