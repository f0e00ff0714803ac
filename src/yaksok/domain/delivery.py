"""Deliveries: one published notice on its way to one subscriber, attempt after attempt.

Publishing a notice that goes to a delivered channel records one fan-out job in the publishing
transaction (the outbox); a delivery worker expands it page by page into deliveries. Every
attempt of a delivery carries the same id (``webhook-id``), so a receiver can de-duplicate.

A transport tells the worker what became of an attempt with an ``Outcome``: ``Delivered``,
``RetryLater`` (perhaps after a time the receiver asked for) or ``GiveUp`` (perhaps disabling
the endpoint, as ``410 Gone`` does).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import NamedTuple


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not yet delivered; tried again at next_attempt_at
    DELIVERED = "delivered"
    FAILED = "failed"  # given up: out of attempts, refused for good, or the endpoint disabled


@dataclass(frozen=True)
class Delivered:
    at: datetime  # when the receiver confirmed it


@dataclass(frozen=True)
class RetryLater:
    why: str
    after: timedelta | None = None  # what the receiver asked for (Retry-After), if anything


@dataclass(frozen=True)
class GiveUp:
    why: str
    disable_endpoint: bool = False


Outcome = Delivered | RetryLater | GiveUp

# Waits after each failed attempt: 15 s, tripling to 12 h, then every 12 h; the 14th attempt
# comes ~3 days 1 h after the first. Each wait is jittered by ±20% so that endpoints failing
# together are not retried together.
FIRST_WAIT = timedelta(seconds=15)
LONGEST_WAIT = timedelta(hours=12)
MAX_ATTEMPTS = 14
LONGEST_RETRY_AFTER = timedelta(hours=24)


def retry_wait(attempts: int) -> timedelta:
    """The wait, before jitter, after the ``attempts``-th failed attempt (1 for the first)."""
    wait: timedelta = FIRST_WAIT * 3 ** (attempts - 1)
    return min(wait, LONGEST_WAIT)


def retry_schedule() -> list[timedelta]:
    """When each attempt comes after the first, before jitter: what docs/api.md lists."""
    waits = [retry_wait(n) for n in range(1, MAX_ATTEMPTS)]
    return [sum(waits[:n], timedelta(0)) for n in range(1, MAX_ATTEMPTS)]


def next_attempt_at(attempts: int, now: datetime, outcome: RetryLater, jitter: float) -> datetime | None:
    """When to try again after the ``attempts``-th attempt failed, or None when that was the last.

    ``jitter`` is a number in [-1, 1] (random, passed in). A Retry-After the receiver sent is
    honoured (up to a day) when it asks for longer than the schedule."""
    if attempts >= MAX_ATTEMPTS:
        return None
    wait = retry_wait(attempts) * (1 + 0.2 * jitter)
    if outcome.after is not None:
        wait = max(wait, min(outcome.after, LONGEST_RETRY_AFTER))
    return now + wait


class AttemptResult(NamedTuple):
    """Where a delivery (or a personal message) stands after one more attempt."""

    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str


def after_attempt(
    attempts: int, delivered_at: datetime | None, outcome: Outcome, now: datetime, jitter: float
) -> AttemptResult:
    """The state after the ``attempts + 1``-th attempt came to ``outcome``: delivered, pending until
    its retry (on the schedule, ``jitter`` in [-1, 1]), or failed when that was the last."""
    attempts += 1
    if isinstance(outcome, Delivered):
        return AttemptResult(DeliveryStatus.DELIVERED, attempts, None, outcome.at, "")
    if isinstance(outcome, RetryLater):
        when = next_attempt_at(attempts, now, outcome, jitter)
        if when is not None:
            return AttemptResult(DeliveryStatus.PENDING, attempts, when, delivered_at, outcome.why)
    return AttemptResult(DeliveryStatus.FAILED, attempts, None, delivered_at, outcome.why)


# An endpoint whose every attempt fails: its owner is warned once it has failed for 3 days (the
# retry schedule's last attempt of a delivery comes ~3 days 1 h after its first), and it is
# disabled at its first failure after 5 days. A delivery to it in between ends the streak.
WARN_FAILING_AFTER = timedelta(days=3)
DISABLE_FAILING_AFTER = timedelta(days=5)


@dataclass(frozen=True)
class Failing:
    """Where an endpoint that just failed stands: failing since when, and what to do now."""

    since: datetime
    warn: bool = False  # tell its owner it will be disabled
    disable: bool = False  # disable it now

    @property
    def disables_at(self) -> datetime:
        return self.since + DISABLE_FAILING_AFTER


def failing(
    since: datetime | None, warned_at: datetime | None, last_delivered: datetime | None, now: datetime
) -> Failing:
    """An endpoint failed at ``now``: failing since ``since`` (None: it was not), its owner warned
    at ``warned_at``, and its last delivery at ``last_delivered``."""
    if since is None or (last_delivered is not None and last_delivered >= since):
        return Failing(now)  # a new streak
    if now - since >= DISABLE_FAILING_AFTER:
        return Failing(since, disable=True)
    return Failing(since, warn=now - since >= WARN_FAILING_AFTER and warned_at is None)


def delivery_id(notice_id: str, subscription_id: str) -> str:
    """The id every attempt of this notice to this subscriber carries (``webhook-id``)."""
    return f"msg_{notice_id}.{subscription_id}"


@dataclass(frozen=True)
class Delivery:
    id: str
    notice_id: str
    subscription_id: str
    channel: str
    status: DeliveryStatus
    attempts: int
    publish_at: datetime
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str = ""

    @property
    def latency(self) -> timedelta | None:
        """From the notice's ``publish_at`` to the delivery."""
        return None if self.delivered_at is None else self.delivered_at - self.publish_at


@dataclass(frozen=True)
class Fanout:
    """A published notice still to be expanded into deliveries, from subscriber ``after`` on."""

    notice_id: str
    publish_at: datetime
    after: str = ""  # the last subscription id expanded
    done: bool = False


@dataclass(frozen=True)
class Attempt:
    """What one attempt of one delivery came to, for the store to record."""

    delivery_id: str
    subscription_id: str
    outcome: Outcome
    at: datetime
