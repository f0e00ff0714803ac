"""Cadences: updates at announced, fixed times, so nobody has to keep refreshing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
from yaksok.domain.notice import NoticeKind
from yaksok.domain.promise import localize, zone_info
from yaksok.domain.texts import check_texts

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_weekdays(text: str) -> tuple[int, ...]:
    """``weekdays``, ``daily`` or a comma list such as ``mon,wed,fri``."""
    text = text.strip().lower()
    if text == "daily":
        return tuple(range(7))
    if text == "weekdays":
        return tuple(range(5))
    try:
        days = sorted({WEEKDAY_NAMES.index(part.strip()[:3]) for part in text.split(",")})
    except ValueError as exc:
        raise InvalidInput(f"cannot read weekdays {text!r}", code=codes.CADENCE_INVALID) from exc
    return tuple(days)


@dataclass(frozen=True)
class Cadence:
    """A recurring slot, e.g. weekdays 10:00 KST: shipping updates for a launch."""

    id: str
    launch_slug: str
    weekdays: tuple[int, ...]
    local_time: time
    zone: str
    titles: dict[str, str]
    kind: NoticeKind = NoticeKind.SHIPPING_UPDATE
    last_slot_at: datetime | None = None

    def __post_init__(self) -> None:
        zone_info(self.zone)
        check_texts(self.titles, "cadence title")
        if not self.weekdays or any(d not in range(7) for d in self.weekdays):
            raise InvalidInput("a cadence needs at least one weekday", code=codes.CADENCE_INVALID)

    def next_slot(self, after: datetime) -> datetime:
        """The first slot strictly after ``after`` (UTC). Slots in a DST gap move to the next slot."""
        local_day = after.astimezone(zone_info(self.zone)).date()
        for offset in range(0, 15):
            day = local_day + timedelta(days=offset)
            if day.weekday() not in self.weekdays:
                continue
            try:
                slot = localize(datetime.combine(day, self.local_time), self.zone).astimezone(UTC)
            except InvalidInput:
                continue
            if slot > after:
                return slot
        raise InvalidInput("no slot within two weeks", code=codes.CADENCE_INVALID)

    def due_slots(self, now: datetime, since: datetime) -> list[datetime]:
        """Slots in (since, now], oldest first."""
        slots, cursor = [], since
        while (slot := self.next_slot(cursor)) <= now:
            slots.append(slot)
            cursor = slot
        return slots
