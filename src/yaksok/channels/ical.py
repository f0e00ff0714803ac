"""The calendar (RFC 5545): one event per milestone that has, or had, an exact time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from icalendar import STATUS, TRANSP, Calendar, Event

from yaksok.channels.render import describe_milestone, launch_url
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.promise import Precision, PromiseVersion
from yaksok.domain.texts import pick_text

# A milestone is a moment (pre-orders open at 20:00), not a meeting; calendars show a
# zero-length event poorly, so it gets a short slot that does not block the reader's time.
_SLOT = timedelta(minutes=30)
# Zone rules from a year before the first event to a year after the last cover every event
# and a client's view around it.
_ZONE_MARGIN = timedelta(days=366)

_CHANGE_WORDS = {
    "en": {
        None: "first announced",
        "delay": "delay",
        "advance": "advance",
        "cancel": "cancel",
        "clarify": "clarify",
    },
    "ko": {None: "최초 공지", "delay": "연기", "advance": "앞당김", "cancel": "취소", "clarify": "구체화"},
}


def calendar(
    milestones: Iterable[Milestone],
    launches: Mapping[str, Launch],
    *,
    base_url: str,
    lang: str,
    name: str,
) -> bytes:
    """An iCalendar document with one VEVENT per milestone that has or had an exact promise.

    The UID (``{milestone id}@yaksok``) never changes and SEQUENCE is the number of promise
    versions minus one, so every change replaces the event in subscribed calendars. A
    cancelled milestone stays, STATUS:CANCELLED, at its last exact time; so does one whose
    exact time was withdrawn for a day or month, so nobody keeps the old time.
    """
    cal = Calendar()
    cal.add("PRODID", f"-//yaksok//yaksok//{lang.upper()}")
    cal.add("VERSION", "2.0")
    cal.add("CALSCALE", "GREGORIAN")
    cal.add("METHOD", "PUBLISH")
    cal.calendar_name = name  # NAME (RFC 7986) and X-WR-CALNAME, which most clients read
    shown = sorted(
        ((exact[1], m) for m in milestones if (exact := _last_exact(m)) is not None),
        key=lambda pair: (pair[0], pair[1].id),
    )
    for start, milestone in shown:
        cal.add_component(_event(milestone, start, launches.get(milestone.launch_slug), base_url, lang))
    if shown:
        first, last = shown[0][0], shown[-1][0]
        cal.add_missing_timezones((first - _ZONE_MARGIN).date(), (last + _ZONE_MARGIN).date())
    result: bytes = cal.to_ical()
    return result


def _event(milestone: Milestone, start: datetime, launch: Launch | None, base_url: str, lang: str) -> Event:
    current = milestone.versions[-1]
    status = _status(milestone)
    title = milestone.title(lang) if launch is None else f"{launch.title(lang)} — {milestone.title(lang)}"
    url = launch_url(base_url, milestone.launch_slug)
    history = "\n".join(_history_line(v, lang) for v in milestone.versions)
    return Event.new(
        uid=f"{milestone.id}@yaksok",
        sequence=len(milestone.versions) - 1,
        stamp=current.made_at,
        last_modified=current.made_at,
        created=milestone.versions[0].made_at,
        start=start,
        end=start + _SLOT,
        summary=_summary_prefix(milestone, lang) + title,
        description=f"{describe_milestone(milestone, lang)}\n\n{history}\n\n{url}",
        url=url,
        status=status,
        transparency=TRANSP.TRANSPARENT,
    )


def _last_exact(milestone: Milestone) -> tuple[PromiseVersion, datetime] | None:
    """The newest version with an exact time, and that time on the promise's wall clock."""
    for version in reversed(milestone.versions):
        local = version.promise.local
        if version.promise.precision is Precision.EXACT and local is not None:
            return version, local
    return None


def _status(milestone: Milestone) -> STATUS:
    promise = milestone.promise
    if milestone.cancelled:
        return STATUS.CANCELLED
    if promise is None or promise.precision is not Precision.EXACT:
        # The exact time was withdrawn ("later this month"): the event at that time will not
        # happen, so it is cancelled for everyone who was told it, not silently dropped.
        return STATUS.CANCELLED
    return STATUS.CONFIRMED


def _summary_prefix(milestone: Milestone, lang: str) -> str:
    # Some clients show a cancelled event like any other; the title has to say it.
    ko = lang == "ko"
    if milestone.cancelled:
        return "[취소] " if ko else "[Cancelled] "
    if _status(milestone) is STATUS.CANCELLED:
        return "[시간 미정] " if ko else "[Time to be announced] "
    return ""


def _history_line(version: PromiseVersion, lang: str) -> str:
    words = _CHANGE_WORDS["ko" if lang == "ko" else "en"]
    kind = None if version.change_kind is None else version.change_kind.value
    line = f"v{version.version} {version.promise.describe(lang)} — {words[kind]}"
    reason, justification = pick_text(version.reason, lang), pick_text(version.justification, lang)
    if reason:
        line += f": {reason}"
    if justification:
        line += f" ({'정책 예외' if lang == 'ko' else 'policy override'}: {justification})"
    return line
