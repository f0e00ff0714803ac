"""Reminders: "pre-orders open in 24 h", derived from the current promises, never stored by hand.

A reminder is due ``offset`` before a milestone's exact promise (the launch policy's
``reminder_offsets``). It is named by milestone, promise version and offset: when a promise
moves, the old version's reminders are simply no longer derived and the new version's are; a
cancelled or happened milestone has none. A reminder whose time passed while the service was
down is still sent while the milestone is ahead, and says it is late; of several missed for one
promise, only the nearest is sent (the others would say less, later). A reminder whose time
came before its promise was made is not derived: the notice of that promise told everyone; nor
one whose time came before the launch's offsets were last set (it would only be late).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from yaksok.domain.launch import Milestone
from yaksok.domain.policy import Policy
from yaksok.domain.promise import Precision

# Sent later than this after its time, a reminder says it is late.
LATE_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class Reminder:
    milestone: Milestone
    version: int
    offset: timedelta
    due_at: datetime  # the promised time minus the offset
    at: datetime  # the promised time

    @property
    def key(self) -> str:
        """Stable across processes: the id of the notice that sends it, so it is sent once."""
        seconds = int(self.offset.total_seconds())
        digest = hashlib.sha256(f"{self.milestone.id}\n{self.version}\n{seconds}".encode()).hexdigest()
        return f"reminder-{digest[:32]}"

    def lateness(self, now: datetime) -> timedelta | None:
        """How late sending it at ``now`` is, or None when it is on time."""
        late = now - self.due_at
        return late if late > LATE_AFTER else None


def reminders_of(milestone: Milestone, policy: Policy) -> list[Reminder]:
    """Every reminder of the milestone's current promise, earliest first (none unless exact)."""
    current = milestone.current
    if current is None or milestone.cancelled or milestone.occurrence is not None:
        return []
    promise = current.promise
    if promise.precision is not Precision.EXACT or promise.at is None:
        return []
    at = promise.at
    since = max(current.made_at, policy.reminders_set_at or current.made_at)
    reminders = [
        Reminder(milestone, current.version, offset, at - offset, at)
        for offset in sorted(set(policy.reminder_offsets), reverse=True)
        if at - offset >= since
    ]
    return reminders


def due_reminders(
    milestones: Iterable[Milestone], policies: dict[str, Policy], now: datetime
) -> list[Reminder]:
    """The reminders to send at ``now``: per milestone, the nearest whose time has come, while
    the milestone's time is still ahead."""
    due: list[Reminder] = []
    for milestone in milestones:
        reached = [
            r for r in reminders_of(milestone, policies[milestone.launch_slug]) if r.due_at <= now < r.at
        ]
        if reached:
            due.append(reached[-1])
    return due


def next_reminder_at(
    milestones: Iterable[Milestone], policies: dict[str, Policy], now: datetime
) -> datetime | None:
    """When the next reminder falls due after ``now`` (None: none planned)."""
    return min(
        (
            r.due_at
            for milestone in milestones
            for r in reminders_of(milestone, policies[milestone.launch_slug])
            if r.due_at > now
        ),
        default=None,
    )


@dataclass(frozen=True)
class ReminderMove:
    """One reminder offset, before and after a promise change: when it was due, when it will be
    (None: none, because the promise is not an exact time or its time would already have passed)."""

    offset: timedelta
    before: datetime | None
    after: datetime | None


def reminder_moves(
    milestone: Milestone, policy: Policy, new_at: datetime | None, now: datetime
) -> list[ReminderMove]:
    """How the milestone's reminders move if its promise becomes ``new_at`` (None: not an exact
    time) at ``now``: per offset of the launch, longest first."""
    before = {r.offset: r.due_at for r in reminders_of(milestone, policy) if r.due_at > now}
    moves = []
    for offset in sorted(set(policy.reminder_offsets), reverse=True):
        after = None if new_at is None or new_at - offset < now else new_at - offset
        if before.get(offset) is not None or after is not None:
            moves.append(ReminderMove(offset, before.get(offset), after))
    return moves
