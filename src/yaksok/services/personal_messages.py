"""Personal messages: the outbox's work for messages to one customer (a ship date set or moved,
the official answer to their question).

They are written in the transaction that decides what they tell (``tell``), due at an announced
hour or at once; the delivery worker leases the due ones a page at a time (``claim_due``: a worker killed
mid-page leaves them to be retried with the same ids once the lease ends), sends them through the
email transport, and records each outcome on the notices' retry schedule (``record``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from urllib.parse import quote

from yaksok.channels import email, ship_date
from yaksok.channels.email import check_address
from yaksok.channels.outbound import Outgoing
from yaksok.domain.delivery import Outcome
from yaksok.domain.errors import InvalidInput
from yaksok.domain.figures import ChannelFigures, delivery_figures
from yaksok.domain.launch import Launch
from yaksok.domain.personal_message import PersonalMessage, ShipDate
from yaksok.services.delivery import LEASE
from yaksok.services.launches import get_launch
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

CHANNEL = "email"  # the one channel a reservation's contact is reached on


def emailable(contact: str) -> bool:
    """Whether a reservation's contact is an email address a message can go to."""
    try:
        check_address(contact)
    except InvalidInput:
        return False
    return True


def tell(tx: Transaction, messages: Sequence[PersonalMessage]) -> int:
    """Put messages in the outbox, in the caller's transaction; one already there (same id: the
    same slot run twice) is not added again. How many were added."""
    due = [m if m.next_attempt_at is not None else replace(m, next_attempt_at=m.due_at) for m in messages]
    return tx.personal_messages.add_many(due)


def claim_due(
    rt: Runtime, base_url: str, limit: int, lease: timedelta = LEASE
) -> list[tuple[PersonalMessage, Outgoing]]:
    """Messages whose attempt is due, leased to this worker, each with what the transport sends."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        due = tx.personal_messages.claim_due(now, limit)
        leased = [replace(m, next_attempt_at=now + lease) for m in due]
        tx.personal_messages.save_many(leased)
        found = {m.launch_slug: tx.launches.get(m.launch_slug) for m in leased}
    return [(m, _outgoing(m, found[m.launch_slug], base_url)) for m in leased]


def record(rt: Runtime, attempted: Sequence[tuple[PersonalMessage, Outcome]]) -> None:
    """Store what each attempt came to: delivered, retried on the schedule, or failed."""
    now = rt.clock.now()
    changed = [m.after(outcome, now, jitter=random.uniform(-1, 1)) for m, outcome in attempted]
    with rt.store.write() as tx:
        tx.personal_messages.save_many(changed)


def told(
    rt: Runtime, launch_slug: str, limit: int = 100
) -> tuple[dict[str, ChannelFigures], list[PersonalMessage]]:
    """What the launch's customers were told: figures per kind, and the latest messages."""
    with rt.store.read() as tx:
        get_launch(tx, launch_slug)
        tally, latest = (
            tx.personal_messages.tally(launch_slug),
            tx.personal_messages.for_launch(launch_slug, limit=limit),
        )
    return delivery_figures(tally), latest


def told_at(rt: Runtime, launch_slug: str, slot: datetime | None) -> int:
    """How many customers were told at one slot."""
    if slot is None:
        return 0
    with rt.store.read() as tx:
        return tx.personal_messages.count_due_at(launch_slug, slot)


def lookup_url(base_url: str, code: str) -> str:
    return f"{base_url.rstrip('/')}/reservations/{quote(code, safe='')}"


def _outgoing(message: PersonalMessage, launch: Launch | None, base_url: str) -> Outgoing:
    # the launch's title falls back as its languages say, as every channel's does
    title = (launch.title(message.language) if launch else "") or message.launch_slug
    about, lang = message.about, message.language
    if isinstance(about, ShipDate):
        body = ship_date.email_body(about, lang, title, lookup_url(base_url, about.code))
    else:
        page = f"{base_url.rstrip('/')}{about.path}"
        body = email.answer_body(lang, title, about.question, about.answer, page)
    return Outgoing(message.id, message.contact, "", body)
