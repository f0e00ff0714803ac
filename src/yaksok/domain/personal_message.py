"""Personal messages: one customer told something of their own.

A notice is public and fans out to subscribers; a personal message goes to one customer's
contact, in their language: a reservation's ship date set or moved (at the launch's shipping
cadence hour, not the moment an operator pressed a button), or the official answer to the
question they asked. It is written to the outbox in the same transaction as what it tells, and
the delivery worker sends it with the notices' transports and retry schedule. Its id is the same
on every attempt.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from yaksok.domain.delivery import DeliveryStatus, Outcome, after_attempt


class MessageKind(StrEnum):
    SHIP_DATE = "ship_date"  # a reservation's expected ship (or pickup) date was set or moved
    ANSWER = "answer"  # the official answer to the customer's question


@dataclass(frozen=True)
class ShipDate:
    """What a ship-date message says: reservation #``sequence`` now ships on ``date``."""

    sequence: int
    code: str
    date: str | None  # ISO date; None: no longer scheduled
    previous: str | None  # the date the customer was last told; None: told for the first time
    pickup_store: str | None
    reason: str  # why it was set or moved: a ``domain.allocation.Reason`` value
    reason_batch: int = 0  # the stock batch the reason names (0: none)

    @property
    def moved(self) -> bool:
        return self.previous is not None


@dataclass(frozen=True)
class AnswerNote:
    """What an answer message says: the question asked, its official answer, where both are public."""

    question_id: str
    question: str
    answer: str
    path: str  # on the site, e.g. /launches/ipad#q_0001


About = ShipDate | AnswerNote


@dataclass(frozen=True)
class PersonalMessage:
    id: str  # the same on every attempt, so the receiver can de-duplicate
    launch_slug: str
    kind: MessageKind
    contact: str
    language: str
    about: About
    due_at: datetime  # when it may go out (a shipping slot, or the answer's time): latency counts from here
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str = ""

    def after(self, outcome: Outcome, now: datetime, jitter: float) -> PersonalMessage:
        """The message once an attempt came to ``outcome``; ``jitter`` in [-1, 1]."""
        return replace(
            self, **after_attempt(self.attempts, self.delivered_at, outcome, now, jitter)._asdict()
        )


def answer_message_id(answer_id: str, question_id: str) -> str:
    return f"answer_{answer_id}_{question_id}"


def ship_date_message_id(launch_slug: str, sequence: int, date: str | None, told_at: datetime) -> str:
    """One id per reservation per date told at one slot: a second run of the slot finds it taken."""
    stamp = told_at.strftime("%Y%m%dT%H%M%SZ")
    return f"ship_{launch_slug}_{sequence}_{date or 'none'}_{stamp}"
