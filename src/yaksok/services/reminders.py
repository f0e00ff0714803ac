"""Reminders: the scheduler sends each due reminder once, as a notice to subscribers.

A reminder goes out as an ``announcement`` notice on the delivered channels (email, webhook,
browser push),
published through ``publish_in`` like any other (ledger entry, fan-out); the notice holds what
it reminds of (``Reminded``), which webhooks send as a ``reminder.due`` event. Its notice id is the
reminder's key (milestone, promise version, offset), so the notice row is the record that it
was sent: a second scheduler finds it there, or fails to insert it, and sends nothing.
"""

from __future__ import annotations

from yaksok.domain.notice import Notice, NoticeKind, Reminded
from yaksok.domain.reminder import Reminder, due_reminders
from yaksok.services.notices import publish_in
from yaksok.services.runtime import Runtime
from yaksok.services.wording import reminder_notice

# Subscribers are reminded where they subscribed; the board, feeds and live page already show
# every milestone's time.
REMINDER_CHANNELS = ("email", "webhook", "webpush")


def send_due_reminders(rt: Runtime) -> list[Notice]:
    """Publish every reminder due now and not yet sent, each in its own transaction."""
    now = rt.clock.now()
    with rt.store.read() as tx:
        policies = {launch.slug: launch.policy for launch in tx.launches.list()}
        due = [r for r in due_reminders(tx.milestones.all(), policies, now) if tx.notices.get(r.key) is None]
    return [notice for reminder in due if (notice := _send(rt, reminder)) is not None]


def _send(rt: Runtime, reminder: Reminder) -> Notice | None:
    now = rt.clock.now()
    with rt.store.write() as tx:
        # Re-read under the write: the promise may have moved, or another scheduler sent it.
        milestone = tx.milestones.get(reminder.milestone.id)
        launch = tx.launches.get(reminder.milestone.launch_slug)
        if milestone is None or launch is None or tx.notices.get(reminder.key) is not None:
            return None
        still = [
            r for r in due_reminders([milestone], {launch.slug: launch.policy}, now) if r.key == reminder.key
        ]
        if not still:
            return None
        titles, bodies = reminder_notice(launch, still[0], now)
        notice = Notice(
            id=reminder.key,
            kind=NoticeKind.ANNOUNCEMENT,
            titles=titles,
            bodies=bodies,
            created_at=now,
            launch_slug=launch.slug,
            milestone_ids=(milestone.id,),
            channels=REMINDER_CHANNELS,
            reminder=Reminded(
                milestone_id=milestone.id,
                version=reminder.version,
                at=reminder.at,
                offset_seconds=int(reminder.offset.total_seconds()),
            ),
        )
        tx.notices.add(notice)
        return publish_in(tx, rt, notice)
