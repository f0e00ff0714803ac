"""The calendar of what is scheduled: everything yaksok will publish or send by itself, in time
order, so an operator sees a launch week at a glance before it happens.

Four sources, each read from its own rule so the calendar can never disagree with what the
scheduler will do: scheduled notices (their ``publish_at``), cadence slots (``next_slot``),
reminders of exact promises (``reminders_of``) and the promised times themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from yaksok.domain.notice import NoticeState
from yaksok.domain.promise import Precision
from yaksok.domain.reminder import reminders_of
from yaksok.domain.texts import pick_text
from yaksok.services import scope
from yaksok.services.runtime import Runtime

DEFAULT_HORIZON = timedelta(days=14)


class Scheduled(StrEnum):
    NOTICE = "notice"  # a notice scheduled at an exact time
    CADENCE = "cadence"  # a cadence slot: a written update or "no change since …"
    REMINDER = "reminder"  # a reminder to subscribers before a promised time
    PROMISE = "promise"  # a promised exact time itself


@dataclass(frozen=True)
class CalendarItem:
    at: datetime
    kind: Scheduled
    titles: dict[str, str]
    launch_slug: str | None
    link: str  # the console page that changes it
    detail: str = ""  # e.g. the reminder's offset

    def title(self, lang: str) -> str:
        return pick_text(self.titles, lang)


def calendar(
    rt: Runtime, *, launch_slug: str | None = None, horizon: timedelta = DEFAULT_HORIZON
) -> list[CalendarItem]:
    """Everything scheduled from now to ``now + horizon``, earliest first (of the launches the
    acting role may see)."""
    if launch_slug is not None:
        scope.require_launch(rt, launch_slug)
    now = rt.clock.now()
    until = now + horizon
    with rt.store.read() as tx:
        launches = {launch.slug: launch for launch in tx.launches.list()}
        notices = [n for n in tx.notices.all(launch_slug) if n.state is NoticeState.SCHEDULED]
        cadences = tx.cadences.active(launch_slug)
        milestones = [m for m in tx.milestones.all() if launch_slug in (None, m.launch_slug)]
    items = [
        CalendarItem(n.publish_at, Scheduled.NOTICE, dict(n.titles), n.launch_slug, "/console/notices")
        for n in notices
        if n.publish_at is not None and n.publish_at <= until
    ]
    for cadence in cadences:
        slot = cadence.next_slot(max(now, cadence.last_slot_at or now))
        while slot <= until:
            link = f"/console/launches/{cadence.launch_slug}"
            items.append(
                CalendarItem(slot, Scheduled.CADENCE, dict(cadence.titles), cadence.launch_slug, link)
            )
            slot = cadence.next_slot(slot)
    for milestone in milestones:
        link = f"/console/milestones/{milestone.id}"
        promise = milestone.current.promise if milestone.current else None
        if milestone.cancelled or milestone.occurrence is not None or promise is None:
            continue
        if promise.precision is Precision.EXACT and promise.at is not None and now < promise.at <= until:
            items.append(
                CalendarItem(
                    promise.at, Scheduled.PROMISE, dict(milestone.titles), milestone.launch_slug, link
                )
            )
        for reminder in reminders_of(milestone, launches[milestone.launch_slug].policy):
            if now < reminder.due_at <= until:
                hours = f"{reminder.offset.total_seconds() / 3600:g} h"
                items.append(
                    CalendarItem(
                        reminder.due_at,
                        Scheduled.REMINDER,
                        dict(milestone.titles),
                        milestone.launch_slug,
                        link,
                        hours,
                    )
                )
    mine = scope.visible(rt, items, lambda item: item.launch_slug)
    return sorted(mine, key=lambda item: (item.at, item.kind.value, item.launch_slug or ""))
