"""Times for people, in each reader's language: the one place a promise or an instant is put
into words for the pages, the messages, the feeds' text, the pushes and the console.

English keeps the domain's own words (``Promise.describe``: ``2010-11-09 20:00 KST (11:00
UTC)``), which are also what the ledger, the JSON and the replay reports record. Korean and
Japanese are written with Babel's CLDR data (weekday names, 오전/오후) in a fixed pattern per
language and precision, e.g. ``2010년 11월 9일 (화) 오후 8:00 KST (11:00 UTC)`` and
``2010年11月9日(火) 20:00 KST (11:00 UTC)``. Every language shows the same instant: the wall
time in the promise's zone, with the zone's abbreviation, and UTC beside it.
``channels.thread.TIME`` matches every form written here, so a social thread never cuts one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date, format_datetime

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
from yaksok.domain.promise import Precision, Promise


@dataclass(frozen=True)
class _Words:
    """One language's patterns (Babel/CLDR date-pattern syntax) and words."""

    exact: str  # the wall time in the promise's zone, before its abbreviation
    utc_other_day: str  # UTC beside it when UTC is on another date than the wall time
    day: str
    month: str
    time_not_announced: str
    date_not_announced: str
    not_announced: str
    cancelled: str  # "{when}" is the promise that was cancelled


_WORDS = {
    "ko": _Words(
        exact="y년 M월 d일 (E) a h:mm",
        utc_other_day="y년 M월 d일 HH:mm",
        day="y년 M월 d일 (E)",
        month="y년 M월",
        time_not_announced="시간 미정",
        date_not_announced="날짜·시간 미정",
        not_announced="일정 미정",
        cancelled="취소됨 (원래 {when})",
    ),
    "ja": _Words(
        exact="y年M月d日(E) H:mm",
        utc_other_day="y年M月d日 HH:mm",
        day="y年M月d日(E)",
        month="y年M月",
        time_not_announced="時刻未定",
        date_not_announced="日時未定",
        not_announced="日程未定",
        cancelled="中止 (当初 {when})",
    ),
}
LANGS = ("en", *_WORDS)


def describe(promise: Promise | None, lang: str) -> str:
    """``promise`` in ``lang``'s words; English (and any language without its own words) as
    ``Promise.describe`` writes it."""
    words = _WORDS.get(lang)
    if promise is None:
        promise = Promise.unannounced("UTC")
    if words is None:
        return promise.describe("en")
    local = promise.local
    if local is None or promise.at is None:
        return words.not_announced
    if promise.precision is Precision.MONTH:
        return f"{_format(local, words.month, lang)} ({words.date_not_announced})"
    if promise.precision is Precision.DAY:
        return f"{_format(local, words.day, lang)} ({words.time_not_announced})"
    shown = f"{_format(local, words.exact, lang)} {local.tzname()}"
    if local.tzname() == "UTC" and not local.utcoffset():
        return shown
    utc = promise.at
    beside = f"{utc:%H:%M}" if utc.date() == local.date() else _format(utc, words.utc_other_day, lang)
    return f"{shown} ({beside} UTC)"


def cancelled(promise: Promise, lang: str) -> str:
    """A cancelled promise: says so rather than show a live time."""
    words = _WORDS.get(lang)
    if words is None:
        return f"cancelled (was {promise.describe('en')})"
    return words.cancelled.format(when=describe(promise, lang))


def format_instant(at: datetime, zone: str, lang: str = "en") -> str:
    """Any instant in the words promises use, e.g. ``2010-11-09 20:00 KST (11:00 UTC)``."""
    if at.tzinfo is None:
        raise InvalidInput("an instant needs a time zone", code=codes.TIME_INVALID)
    return describe(Promise.exact(at, zone), lang)


_DAYS = {"en": "d MMMM y (EEE)", "ko": "y년 M월 d일 (E)", "ja": "y年M月d日(E)"}


def format_day(day: date, lang: str) -> str:
    """A calendar date (a ship date) in ``lang``'s words, e.g. ``30 November 2026 (Mon)``,
    ``2026년 11월 30일 (월)``, ``2026年11月30日(月)``."""
    chosen = lang if lang in _DAYS else "en"
    return str(format_date(day, _DAYS[chosen], locale=chosen))


def _format(moment: datetime, pattern: str, lang: str) -> str:
    # The datetime is already in the zone to show; Babel only spells it out.
    return str(format_datetime(moment, pattern, tzinfo=moment.tzinfo, locale=lang))
