"""The calendar (RFC 5545): one event per milestone that has, or had, an exact time or a day.

A day promised without its time is an all-day event marked "time not announced"; when the time
is named, the same event (same UID, higher SEQUENCE) becomes a timed one. A month, or no time
at all, is not something a calendar can hold, so such a milestone has no event until it has a
day.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta

from icalendar import STATUS, TRANSP, Calendar, Event, vText

from yaksok.channels.render import launch_url
from yaksok.channels.safe_text import one_line, text_lines
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.promise import Precision, Promise, PromiseVersion
from yaksok.domain.texts import pick_text

# A milestone is a moment (pre-orders open at 20:00), not a meeting; calendars show a
# zero-length event poorly, so it gets a short slot that does not block the reader's time.
_SLOT = timedelta(minutes=30)
# Zone rules from a year before the first event to a year after the last cover every event
# and a client's view around it.
_ZONE_MARGIN = timedelta(days=366)
# The precisions a calendar can show: a moment, or a whole day.
_SHOWN = (Precision.EXACT, Precision.DAY)

_CHANGE_WORDS = {
    "en": {
        None: "first announced",
        "delay": "delay",
        "advance": "advance",
        "cancel": "cancel",
        "clarify": "clarify",
    },
    "ko": {None: "최초 공지", "delay": "연기", "advance": "앞당김", "cancel": "취소", "clarify": "구체화"},
    "ja": {None: "初回発表", "delay": "延期", "advance": "前倒し", "cancel": "中止", "clarify": "具体化"},
}
_PREFIXES = {
    "en": {
        "cancelled": "[Cancelled] ",
        "withdrawn": "[Time to be announced] ",
        "day": "[Time not announced] ",
    },
    "ko": {"cancelled": "[취소] ", "withdrawn": "[시간 미정] ", "day": "[시간 미정] "},
    "ja": {"cancelled": "[中止] ", "withdrawn": "[時刻未定] ", "day": "[時刻未定] "},
}
_CANCELLED_WAS = {"en": "cancelled (was {when})", "ko": "취소됨 (원래 {when})", "ja": "中止 (当初 {when})"}
_OVERRIDE = {"en": "policy override", "ko": "정책 예외", "ja": "ポリシー例外"}


def calendar(
    milestones: Iterable[Milestone],
    launches: Mapping[str, Launch],
    *,
    base_url: str,
    lang: str,
    name: str,
) -> bytes:
    """An iCalendar document with one VEVENT per milestone that has or had an exact or day promise.

    The UID (``{milestone id}@yaksok``) never changes and SEQUENCE is the number of promise
    versions minus one, so every change replaces the event in subscribed calendars. A day is
    an all-day event (``DTSTART;VALUE=DATE``) whose summary says the time is not announced.
    A cancelled milestone stays, STATUS:CANCELLED, at its last exact time or day; so does one
    whose time or day was withdrawn for a month or nothing, so nobody keeps the old one.
    """
    cal = Calendar()
    cal.add("PRODID", f"-//yaksok//yaksok//{lang.upper()}")
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    # NAME (RFC 7986) and X-WR-CALNAME, which most clients read; both are TEXT, escaped.
    cal.add("NAME", vText(one_line(name)))
    cal.add("X-WR-CALNAME", vText(one_line(name)))
    shown = sorted(
        ((time, m) for m in milestones if (time := _shown_time(m)) is not None),
        key=lambda pair: (pair[0][1], pair[1].id),
    )
    for (precision, local), milestone in shown:
        launch = launches.get(milestone.launch_slug)
        cal.add_component(_event(milestone, precision, local, launch, base_url, lang))
    if shown:
        first, last = shown[0][0][1], shown[-1][0][1]
        cal.add_missing_timezones((first - _ZONE_MARGIN).date(), (last + _ZONE_MARGIN).date())
    result: bytes = cal.to_ical()
    return result


def _event(
    milestone: Milestone,
    precision: Precision,
    local: datetime,
    launch: Launch | None,
    base_url: str,
    lang: str,
) -> Event:
    current = milestone.versions[-1]
    languages = None if launch is None else launch.languages  # each text falls back as they say
    named = milestone.title(lang, languages)
    title = named if launch is None else f"{launch.title(lang)} — {named}"
    url = launch_url(base_url, milestone.launch_slug)
    history = "\n".join(_history_line(v, lang, languages) for v in milestone.versions)
    start, end = _span(precision, local)
    return Event.new(
        uid=f"{milestone.id}@yaksok",
        sequence=len(milestone.versions) - 1,
        stamp=current.made_at,
        last_modified=current.made_at,
        created=milestone.versions[0].made_at,
        start=start,
        end=end,
        summary=one_line(_summary_prefix(milestone, lang) + title),
        description=text_lines(f"{_described(milestone, lang)}\n\n{history}\n\n{url}"),
        url=url,
        status=_status(milestone),
        transparency=TRANSP.TRANSPARENT,
    )


def _shown_time(milestone: Milestone) -> tuple[Precision, datetime] | None:
    """The newest promise a calendar can show (an exact time or a day): its precision and its
    wall time in the promise's zone."""
    for version in reversed(milestone.versions):
        local = version.promise.local
        if version.promise.precision in _SHOWN and local is not None:
            return version.promise.precision, local
    return None


def _span(precision: Precision, local: datetime) -> tuple[datetime, datetime] | tuple[date, date]:
    """An exact time's short slot on the promise's wall clock, or a day's whole date."""
    if precision is Precision.EXACT:
        return local, local + _SLOT
    return local.date(), local.date() + timedelta(days=1)


def _status(milestone: Milestone) -> STATUS:
    promise = milestone.promise
    if milestone.cancelled:
        return STATUS.CANCELLED
    if promise is None or promise.precision not in _SHOWN:
        # The time or day was withdrawn ("later this month"): the event then will not happen,
        # so it is cancelled for everyone who was told it, not silently dropped.
        return STATUS.CANCELLED
    return STATUS.CONFIRMED


def _summary_prefix(milestone: Milestone, lang: str) -> str:
    # Some clients show a cancelled event like any other, and an all-day one like a promise of
    # the whole day; the title has to say which it is.
    words = _PREFIXES.get(lang, _PREFIXES["en"])
    promise = milestone.promise
    if milestone.cancelled:
        return words["cancelled"]
    if _status(milestone) is STATUS.CANCELLED:
        return words["withdrawn"]
    if promise is not None and promise.precision is Precision.DAY:
        return words["day"]
    return ""


def _described(milestone: Milestone, lang: str) -> str:
    """The milestone's promise as the domain words it (``Promise.describe``): a calendar is a
    machine format whose text stays as it was, whatever ``channels.when`` writes for people."""
    promise = milestone.promise
    if promise is None:
        return Promise.unannounced("UTC").describe(lang)
    if milestone.cancelled:
        return _CANCELLED_WAS.get(lang, _CANCELLED_WAS["en"]).format(when=promise.describe(lang))
    return promise.describe(lang)


def _history_line(version: PromiseVersion, lang: str, languages: Sequence[str] | None) -> str:
    words = _CHANGE_WORDS.get(lang, _CHANGE_WORDS["en"])
    kind = None if version.change_kind is None else version.change_kind.value
    line = f"v{version.version} {version.promise.describe(lang)} — {words[kind]}"
    reason = pick_text(version.reason, lang, languages)
    justification = pick_text(version.justification, lang, languages)
    if reason:
        line += f": {reason}"
    if justification:
        line += f" ({_OVERRIDE.get(lang, _OVERRIDE['en'])}: {justification})"
    return line
