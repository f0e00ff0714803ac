"""The scheduler's one step: everything that must happen because time has passed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from yaksok.domain.launch import Milestone
from yaksok.domain.notice import Notice
from yaksok.domain.promise import PromiseVersion
from yaksok.domain.reminder import next_reminder_at
from yaksok.services.cadences import run_cadences
from yaksok.services.launches import record_broken_promises
from yaksok.services.notices import publish_due
from yaksok.services.reminders import send_due_reminders
from yaksok.services.runtime import Runtime


class Leadership(Protocol):
    """Whether this process's scheduler loop is the one that ticks (one leader per database)."""

    leading: bool

    def hold(self) -> bool:
        """True while this loop leads; tries to take the lead when it does not (blocking I/O)."""
        ...

    def release(self) -> None:
        """Give up the lead (another loop may take it); safe to call when not leading."""
        ...


def leader_lock(rt: Runtime) -> Leadership:
    """A new claim to lead the scheduler, not yet held: call ``hold`` before each tick."""
    return rt.store.leader_lock()


@dataclass
class TickReport:
    published: list[Notice] = field(default_factory=list)
    broken: list[tuple[Milestone, PromiseVersion]] = field(default_factory=list)
    reminded: list[Notice] = field(default_factory=list)  # reminders sent (domain/reminder.py)


def tick(rt: Runtime) -> TickReport:
    """Publish due notices, fill cadence slots, send due reminders, record broken promises. Safe
    to call anytime."""
    report = TickReport()
    report.published.extend(publish_due(rt))
    report.published.extend(run_cadences(rt))
    report.reminded.extend(send_due_reminders(rt))
    report.broken.extend(record_broken_promises(rt))
    return report


def next_due(rt: Runtime) -> datetime | None:
    """The next instant at which ``tick`` would have something to do (None: nothing planned)."""
    now = rt.clock.now()
    candidates: list[datetime] = []
    with rt.store.read() as tx:
        scheduled = tx.notices.next_due_at()
        if scheduled is not None:
            candidates.append(scheduled)
        candidates.extend(c.next_slot(c.last_slot_at or now) for c in tx.cadences.active())
        policies = {launch.slug: launch.policy for launch in tx.launches.list()}
        milestones = tx.milestones.all()
        reminder = next_reminder_at(milestones, policies, now)
        if reminder is not None:
            candidates.append(reminder)
        for milestone in milestones:
            promise = milestone.promise
            if milestone.occurrence is None and not milestone.cancelled and promise and promise.at:
                end = promise.at if promise.precision.value == "exact" else promise.window_end
                assert end is not None
                deadline = end + policies[milestone.launch_slug].tolerance + timedelta(seconds=1)
                if deadline > now:
                    candidates.append(deadline)
    return min(candidates, default=None)
