"""Promises: when a milestone will happen, as precisely as it has been announced.

A promise is an instant (UTC) plus the IANA zone it is announced in and a precision.
A "day" or "month" promise is incomplete: the date is known, the time is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput


class Precision(StrEnum):
    EXACT = "exact"
    DAY = "day"
    MONTH = "month"
    UNANNOUNCED = "unannounced"


# How an operator's text says how precise it is: "2010-11", "2010-11-09", "2010-11-09T20:00".
_WRITTEN = (
    (re.compile(r"[0-9]{4}-[0-9]{2}"), Precision.MONTH),
    (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}"), Precision.DAY),
    (re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ].+"), Precision.EXACT),
)
_WRITTEN_AS = {
    Precision.MONTH: "a month (YYYY-MM)",
    Precision.DAY: "a day (YYYY-MM-DD)",
    Precision.EXACT: "a time of day",
}


def _check_written_precision(text: str, precision: Precision) -> None:
    """Refuse a time written more or less precisely than the precision sent with it: an exact
    promise of "2010-11-09" would silently become midnight, a day promise of "2010-11-09T20:00"
    would silently lose its time."""
    written = next((said for pattern, said in _WRITTEN if pattern.fullmatch(text)), None)
    if written is not None and written is not precision:
        raise InvalidInput(
            f"precision {precision.value} needs {_WRITTEN_AS[precision]}, but {text!r} gives "
            f"{_WRITTEN_AS[written]}: send precision {written.value}, or give {_WRITTEN_AS[precision]}",
            code=codes.PROMISE_PRECISION_MISMATCH,
            details={"precision": precision.value, "written": written.value},
        )


class ChangeKind(StrEnum):
    DELAY = "delay"
    ADVANCE = "advance"
    CANCEL = "cancel"
    CLARIFY = "clarify"


def zone_info(zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: "Asia" is a directory
        raise InvalidInput(f"unknown time zone {zone!r}", code=codes.TIME_UNKNOWN_ZONE) from exc


def localize(wall: datetime, zone: str) -> datetime:
    """Attach ``zone`` to a naive wall time, refusing times that DST skips or repeats."""
    if wall.tzinfo is not None:
        raise InvalidInput("expected a local wall time without offset", code=codes.TIME_INVALID)
    tz = zone_info(zone)
    first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        aware_round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if aware_round_trip != wall:
            raise InvalidInput(
                f"{wall:%Y-%m-%d %H:%M} does not exist in {zone} (daylight-saving gap)",
                code=codes.TIME_NONEXISTENT,
            )
        raise InvalidInput(
            f"{wall:%Y-%m-%d %H:%M} happens twice in {zone} (daylight-saving fold); "
            "give the UTC offset or an instant",
            code=codes.TIME_AMBIGUOUS,
        )
    return first


@dataclass(frozen=True)
class Promise:
    """When a milestone will happen. ``at`` is the UTC instant (start of the day or month
    for incomplete precisions) and is None only when the time is unannounced."""

    at: datetime | None
    zone: str
    precision: Precision

    def __post_init__(self) -> None:
        zone_info(self.zone)
        if (self.at is None) != (self.precision is Precision.UNANNOUNCED):
            raise InvalidInput("only an unannounced promise has no time", code=codes.PROMISE_INVALID)
        if self.at is not None and self.at.tzinfo is None:
            raise InvalidInput("a promise instant needs a time zone", code=codes.TIME_INVALID)

    @classmethod
    def exact(cls, at: datetime, zone: str) -> Promise:
        return cls(at.astimezone(UTC), zone, Precision.EXACT)

    @classmethod
    def on_day(cls, day: date, zone: str) -> Promise:
        return cls(localize(datetime.combine(day, time()), zone).astimezone(UTC), zone, Precision.DAY)

    @classmethod
    def in_month(cls, year: int, month: int, zone: str) -> Promise:
        start = localize(datetime(year, month, 1), zone).astimezone(UTC)
        return cls(start, zone, Precision.MONTH)

    @classmethod
    def unannounced(cls, zone: str) -> Promise:
        return cls(None, zone, Precision.UNANNOUNCED)

    @classmethod
    def parse(cls, text: str | None, zone: str, precision: Precision | str) -> Promise:
        """Read a promise as operators write it: ``2010-11-09T20:00`` (wall time in ``zone``),
        an instant with offset, ``2010-11-09`` for a day or ``2010-11`` for a month."""
        precision = Precision(precision)
        if precision is Precision.UNANNOUNCED:
            return cls.unannounced(zone)
        if not text:
            raise InvalidInput("a time is required for this precision", code=codes.PROMISE_INVALID)
        _check_written_precision(text, precision)
        try:
            if precision is Precision.MONTH:
                year, month = (int(part) for part in text.split("-"))
                return cls.in_month(year, month, zone)
            if precision is Precision.DAY:
                return cls.on_day(date.fromisoformat(text), zone)
            parsed = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InvalidInput(f"cannot read {text!r} as a time", code=codes.TIME_INVALID) from exc
        if parsed.tzinfo is None:
            parsed = localize(parsed, zone)
        return cls.exact(parsed, zone)

    @property
    def local(self) -> datetime | None:
        """The wall time in the promise's zone."""
        return None if self.at is None else self.at.astimezone(zone_info(self.zone))

    @property
    def window_end(self) -> datetime | None:
        """The last instant the promise still covers (exclusive)."""
        local = self.local
        if local is None:
            return None
        if self.precision is Precision.DAY:
            nxt = local.date() + timedelta(days=1)
            return localize(datetime.combine(nxt, time()), self.zone).astimezone(UTC)
        if self.precision is Precision.MONTH:
            year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
            return localize(datetime(year, month, 1), self.zone).astimezone(UTC)
        return self.at

    def covers(self, instant: datetime) -> bool:
        """Whether ``instant`` falls inside an incomplete promise's day or month."""
        if self.at is None or self.window_end is None:
            return False
        return self.at <= instant < self.window_end or instant == self.at

    def kept_by(self, instant: datetime, tolerance: timedelta) -> bool:
        """Whether happening at ``instant`` keeps the promise: within ``tolerance`` of an exact
        time (before or after it), or inside an incomplete promise's day or month."""
        if self.at is None:
            return False
        if self.precision is Precision.EXACT:
            return abs(instant - self.at) <= tolerance
        return self.covers(instant)

    def describe(self, lang: str = "en") -> str:
        """The one rendering every channel uses, e.g. ``2010-11-09 20:00 KST (11:00 UTC)``."""
        local = self.local
        if local is None or self.at is None:
            return "일정 미정" if lang == "ko" else "not yet announced"
        if self.precision is Precision.MONTH:
            return (
                f"{local:%Y-%m} ("
                + ("날짜·시간 미정" if lang == "ko" else "date and time not announced")
                + ")"
            )
        if self.precision is Precision.DAY:
            return f"{local:%Y-%m-%d} (" + ("시간 미정" if lang == "ko" else "time not announced") + ")"
        utc = self.at
        if local.utcoffset() == timedelta(0) and local.tzname() == "UTC":
            return f"{local:%Y-%m-%d %H:%M} UTC"
        utc_part = f"{utc:%H:%M}" if utc.date() == local.date() else f"{utc:%Y-%m-%d %H:%M}"
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({utc_part} UTC)"


def classify_change(old: Promise, new: Promise) -> ChangeKind:
    """What a move from ``old`` to ``new`` is, when the operator did not say."""
    if old.at is None or new.at is None:
        return ChangeKind.CLARIFY
    if new.precision is Precision.EXACT and old.precision is not Precision.EXACT and old.covers(new.at):
        return ChangeKind.CLARIFY
    if new.precision is not Precision.EXACT and new.covers(old.at) and new.window_end != old.window_end:
        return ChangeKind.DELAY  # "9 November" widened to "this month" no longer promises the 9th
    if new.at > old.at:
        return ChangeKind.DELAY
    if new.at < old.at:
        return ChangeKind.ADVANCE
    return ChangeKind.CLARIFY


@dataclass(frozen=True)
class PromiseVersion:
    """One published version of a milestone's promise. Versions are never edited or deleted."""

    milestone_id: str
    version: int
    promise: Promise
    made_at: datetime
    reason: dict[str, str] = field(default_factory=dict)
    change_kind: ChangeKind | None = None
    notice_id: str | None = None
    overridden: tuple[str, ...] = ()
    justification: dict[str, str] = field(default_factory=dict)

    @property
    def cancelled(self) -> bool:
        return self.change_kind is ChangeKind.CANCEL

    @property
    def lead(self) -> timedelta | None:
        """How far ahead of the promised time this version was published."""
        return None if self.promise.at is None else self.promise.at - self.made_at
