"""Delivery: subscribing, and the outbox's work: expand a publication into deliveries, record
what each attempt came to, and find the retries that are due.

Publishing a notice records one fan-out job in the publishing transaction (``publish_in``)
rather than one delivery per subscriber: 100,000 rows there would hold the ledger lock for a
second and delay the first delivery; one row is as durable. The delivery worker expands it a
page at a time: each page's deliveries are stored *leased* (pending, next attempt when the lease
ends) before they are sent, so a worker killed mid-page loses nothing (its page is retried
with the same ids once the lease ends), and a worker never waits for another's page.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from itertools import repeat
from statistics import quantiles
from typing import Protocol

from yaksok.channels import email
from yaksok.channels.outbound import Outgoing, Smtp, Transport, TransportOptions
from yaksok.channels.transports import REGISTRY
from yaksok.channels.webhook import new_secret
from yaksok.config import Settings
from yaksok.domain import codes
from yaksok.domain.commands import Subscribe
from yaksok.domain.delivery import (
    DISABLE_FAILING_AFTER,
    Delivered,
    Delivery,
    DeliveryStatus,
    Fanout,
    GiveUp,
    Outcome,
    after_attempt,
    delivery_id,
    failing,
)
from yaksok.domain.errors import InvalidInput, NotFound
from yaksok.domain.launch import Launch
from yaksok.domain.notice import Notice
from yaksok.domain.subscription import Recipient, Subscription, allowed_networks, signing_secrets
from yaksok.services import audit_trail, social, subscriber_links
from yaksok.services.push_keys import vapid_key
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

# How long a page of deliveries is held by the worker that took it; if that worker dies, the
# page is retried once the lease ends (``Settings.delivery_lease``).
LEASE = timedelta(seconds=60)
log = logging.getLogger(__name__)


def transport_options(settings: Settings, rt: Runtime) -> TransportOptions:
    return TransportOptions(
        allow=allowed_networks(settings.webhook_allow_hosts),
        timeout=settings.webhook_timeout,
        connections=settings.delivery_connections,
        pipeline=settings.delivery_pipeline,
        now=rt.clock.now,
        smtp=Smtp(
            host=settings.smtp_host,
            port=settings.smtp_port,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            sender=settings.email_from,
            timeout=settings.smtp_timeout,
        ),
        base_url=settings.public_url,
        social=social.StoredPosts(rt),
        vapid_private_key=vapid_key(rt).private_pem,
        vapid_subject=settings.push_contact,
    )


def subscribe(rt: Runtime, command: Subscribe, options: TransportOptions) -> Subscription:
    """A new subscription; a signed channel's secret is in it (shown to the subscriber once)."""
    [made] = subscribe_many(rt, [command], options)
    return made


def subscribe_many(
    rt: Runtime, commands: Sequence[Subscribe], options: TransportOptions
) -> list[Subscription]:
    """Several subscriptions in one transaction (all or none)."""
    now = rt.clock.now()
    made = [_subscription(rt, command, options, now) for command in commands]
    with rt.store.write() as tx:
        for slug in {slug for s in made for slug in s.launches}:
            if not tx.launches.exists(slug):
                raise NotFound(f"no launch {slug!r}", code=codes.LAUNCH_NOT_FOUND)
        if any(not REGISTRY[s.channel].confirmed for s in made):
            made = _held_for_confirmation(made, subscriber_links.link_key(tx, rt), now)
        tx.subscriptions.add_many(made)
    return made


def _subscription(rt: Runtime, command: Subscribe, options: TransportOptions, now: datetime) -> Subscription:
    channel = REGISTRY.get(command.channel)
    if channel is None:
        raise InvalidInput(
            f"no channel {command.channel!r}; subscriptions go to {', '.join(REGISTRY)}",
            code=codes.SUBSCRIPTION_CHANNEL_UNKNOWN,
        )
    target = channel.transport(options).check_target(command.target)
    contact = email.check_address(command.contact) if command.contact else ""
    return Subscription(
        id=rt.new_id("s"),
        channel=channel.name,
        target=target,
        secret=new_secret() if channel.signed else command.keys,
        language=command.language,
        created_at=now,
        launches=tuple(dict.fromkeys(command.launches)),
        kinds=tuple(dict.fromkeys(command.kinds)),
        contact=contact,
    )


def _held_for_confirmation(made: list[Subscription], key: bytes, now: datetime) -> list[Subscription]:
    """Subscriptions on a channel that needs double opt-in, held until confirmed; their
    ``secret`` is their unsubscribe token, which every message carries."""
    return [
        s
        if REGISTRY[s.channel].confirmed
        else replace(
            s,
            secret=subscriber_links.unsubscribe_token(key, s.id),
            awaiting_confirmation=True,
        )
        for s in made
    ]


async def send_confirmation(rt: Runtime, settings: Settings, made: Subscription) -> None:
    """Mail the confirmation link of a new email subscription (logged if it cannot be sent)."""
    options = transport_options(settings, rt)
    message = await asyncio.to_thread(
        subscriber_links.confirmation, rt, made, settings.public_url, settings.email_confirm_hours
    )
    transport = REGISTRY[made.channel].transport(options)
    try:
        outcome = await transport.deliver(message)
    finally:
        await transport.aclose()
    if not isinstance(outcome, Delivered):
        log.warning("the confirmation of subscription %s was not sent: %s", made.id, outcome.why)


def record_publication(tx: Transaction, notice: Notice) -> None:
    """Inside the publishing transaction: the notice's fan-out job, if it goes to a delivered channel."""
    assert notice.publish_at is not None
    if any(channel in REGISTRY for channel in notice.channels):
        tx.deliveries.add_fanout(Fanout(notice.id, notice.publish_at))


class Deliveries(Protocol):
    """Deliveries by position: a list, or a fan-out page's (``_Leased``)."""

    def __getitem__(self, index: int, /) -> Delivery: ...
    def __len__(self) -> int: ...


@dataclass(frozen=True)
class EndpointAlert:
    """An endpoint failing for days: its owner is to be told (``warned`` or ``disabled``)."""

    subscription: Subscription
    kind: str  # "warned" or "disabled"
    failing_since: datetime
    disables_at: datetime


@dataclass
class Batch:
    """Deliveries to attempt now, with their messages, by channel (message i is delivery i); and
    the alerts of failing endpoints the transaction that made it found (the page before's)."""

    deliveries: dict[str, Deliveries] = field(default_factory=dict)
    messages: dict[str, list[Outgoing]] = field(default_factory=dict)
    alerts: list[EndpointAlert] = field(default_factory=list)

    def add(self, delivery: Delivery, message: Outgoing) -> None:
        known = self.deliveries.setdefault(delivery.channel, [])
        assert isinstance(known, list)
        known.append(delivery)
        self.messages.setdefault(delivery.channel, []).append(message)

    def __len__(self) -> int:
        return sum(len(each) for each in self.messages.values())


@dataclass(frozen=True)
class _Leased:
    """A fan-out page's new deliveries on one channel, each made only when asked for (a failed
    attempt's record needs it; a delivered one's needs only the message's id)."""

    notice_id: str
    channel: str
    publish_at: datetime
    until: datetime
    subscription_ids: list[str]
    messages: list[Outgoing]

    def __getitem__(self, index: int) -> Delivery:
        return Delivery(
            id=self.messages[index].id,
            notice_id=self.notice_id,
            subscription_id=self.subscription_ids[index],
            channel=self.channel,
            status=DeliveryStatus.PENDING,
            attempts=0,
            publish_at=self.publish_at,
            next_attempt_at=self.until,
        )

    def __len__(self) -> int:
        return len(self.messages)


class _Bodies:
    """Each notice rendered once per language for the page being prepared; on a channel whose
    messages carry the subscriber's manage link (``Channel.personal``), cut where it goes."""

    def __init__(self, tx: Transaction, rt: Runtime, base_url: str) -> None:
        self.tx, self.rt, self.base_url = tx, rt, base_url
        self.rendered: dict[tuple[str, str, str], bytes] = {}
        self.parts: dict[tuple[str, str, str], tuple[bytes, bytes] | None] = {}
        self.milestones = {m.id: m for m in tx.milestones.all()}
        self.launches: dict[str, Launch | None] = {}  # read when a notice of theirs is rendered
        self._key: bytes | None = None

    def reading(self, notice: Notice, lang: str) -> str:
        """The language a subscriber of ``lang`` is sent the notice in: theirs if its launch
        publishes in it, else the launch's primary (``Launch.reading_language``)."""
        slug = notice.launch_slug
        if slug is None:
            return lang
        if slug not in self.launches:
            self.launches[slug] = self.tx.launches.get(slug)
        launch = self.launches[slug]
        return lang if launch is None else launch.reading_language(lang)

    def body(self, notice: Notice, channel: str, lang: str) -> bytes:
        lang = self.reading(notice, lang)
        key = (notice.id, channel, lang)
        if key not in self.rendered:
            self.rendered[key] = REGISTRY[channel].render(notice, lang, self.base_url, self.milestones)
        return self.rendered[key]

    def personal(self, notice: Notice, channel: str, lang: str) -> tuple[bytes, bytes] | None:
        """The body in two parts with the subscriber's manage token to go between, or None when
        the channel's body is the same for every subscriber."""
        lang = self.reading(notice, lang)
        key = (notice.id, channel, lang)
        if key not in self.parts:
            cut = REGISTRY[channel].personal
            prefix = email.manage_url(self.base_url, "")
            self.parts[key] = None if cut is None else cut(self.body(notice, channel, lang), prefix)
        return self.parts[key]

    @property
    def link_key(self) -> bytes:
        if self._key is None:
            self._key = subscriber_links.link_key(self.tx, self.rt)
        return self._key

    def message(self, notice: Notice, channel: str, lang: str, subscription_id: str) -> bytes:
        """What one subscriber is sent."""
        parts = self.personal(notice, channel, lang)
        if parts is None:
            return self.body(notice, channel, lang)
        token = subscriber_links.manage_path_token(self.link_key, subscription_id)
        return b"%s%s%s" % (parts[0], token.encode(), parts[1])


@dataclass(frozen=True)
class Attempted:
    """A batch sent, with what each attempt came to, by channel (outcome i is message i's)."""

    batch: Batch
    outcomes: dict[str, list[Outcome]]


def expand_next(
    rt: Runtime, base_url: str, page_size: int, attempted: Attempted | None = None, lease: timedelta = LEASE
) -> Batch | None:
    """The next page of the oldest unfinished fan-out, stored as leased deliveries; an empty
    batch when the page held no one to tell; None when no fan-out is waiting. What ``attempted``
    (the page before) came to is recorded in the same transaction: one commit per page."""
    now = rt.clock.now()
    outcomes = _Outcomes.of(attempted, now) if attempted is not None else None
    with rt.store.write() as tx:
        alerts = outcomes.store(tx, rt, now) if outcomes is not None else []
        job = tx.deliveries.claim_fanout()
        if job is None:
            return Batch(alerts=alerts) if alerts else None
        notice = tx.notices.get(job.notice_id)
        assert notice is not None and notice.published_at is not None
        page = tx.subscriptions.recipients(after=job.after, created_by=notice.published_at, limit=page_size)
        last = page[-1].id if page else job.after
        tx.deliveries.advance_fanout(job.notice_id, last, done=len(page) < page_size)
        until = now + lease
        leased = _lease(page, notice, job.publish_at, until, _Bodies(tx, rt, base_url), now)
        rows = [
            row
            for lot in leased.values()
            for row in zip([m.id for m in lot.messages], lot.subscription_ids, repeat(lot.channel))
        ]
        tx.deliveries.add_leased(notice.id, job.publish_at, until, rows)
        return Batch(
            deliveries={channel: lot for channel, lot in leased.items()},
            messages={channel: lot.messages for channel, lot in leased.items()},
            alerts=alerts,
        )


def _lease(
    page: list[Recipient],
    notice: Notice,
    publish_at: datetime,
    until: datetime,
    bodies: _Bodies,
    now: datetime,
) -> dict[str, _Leased]:
    """The page's messages, by channel, to those of ``page`` who want ``notice``. Run once per
    subscriber of a fan-out: locals only, and no call but the message's for the common subscriber
    (no launches or kinds chosen, no secret being rotated)."""
    leased: dict[str, _Leased] = {}
    channels, prefix = notice.channels, delivery_id(notice.id, "")
    rendered: dict[tuple[str, str], bytes | tuple[bytes, bytes]] = {}
    token: Callable[[str], bytes] | None = None
    for recipient in page:
        id_, channel, target, secret, language, launches, kinds, previous, previous_until = recipient
        if launches or kinds:
            if not recipient.wants(notice):
                continue
        elif channel not in channels:
            continue
        if previous:
            secret = signing_secrets(secret, previous, previous_until, now)
        found = rendered.get((channel, language))
        if found is None:
            found = bodies.personal(notice, channel, language) or bodies.body(notice, channel, language)
            rendered[channel, language] = found
        if isinstance(found, bytes):
            body = found
        else:  # the subscriber's manage link goes in the middle
            if token is None:
                token = subscriber_links.manage_tokens(bodies.link_key)
            body = b"%s%s%s" % (found[0], token(id_), found[1])
        lot = leased.get(channel)
        if lot is None:
            lot = leased[channel] = _Leased(notice.id, channel, publish_at, until, [], [])
        lot.subscription_ids.append(id_)
        lot.messages.append(Outgoing(prefix + id_, target, secret, body))
    return leased


def _message(delivery: Delivery, subscription: Subscription, body: bytes, now: datetime) -> Outgoing:
    return Outgoing(delivery.id, subscription.target, subscription.signing_secrets(now), body)


def claim_retries(rt: Runtime, base_url: str, limit: int, lease: timedelta = LEASE) -> Batch:
    """Deliveries whose next attempt is due, leased to this worker; one to a subscription since
    disabled fails without an attempt."""
    now = rt.clock.now()
    batch = Batch()
    with rt.store.write() as tx:
        due = tx.deliveries.claim_due(now, limit)
        bodies = _Bodies(tx, rt, base_url)
        leased, dropped = [], []
        for delivery in due:
            subscription = tx.subscriptions.get(delivery.subscription_id)
            notice = tx.notices.get(delivery.notice_id)
            if subscription is None or notice is None or not subscription.enabled:
                dropped.append(_failed(delivery, "the subscription is disabled"))
                continue
            delivery = replace(delivery, next_attempt_at=now + lease)
            leased.append(delivery)
            batch.add(
                delivery,
                _message(
                    delivery,
                    subscription,
                    bodies.message(notice, subscription.channel, subscription.language, subscription.id),
                    now,
                ),
            )
        tx.deliveries.save_many(leased + dropped)
    return batch


def record(rt: Runtime, attempted: Attempted) -> list[EndpointAlert]:
    """Store what each attempt came to: delivered, to retry (on the schedule) or failed; a
    ``GiveUp`` that says so disables the subscription. The alerts of endpoints failing for days
    (``domain.delivery.failing``) are returned, for their owners to be told."""
    now = rt.clock.now()
    outcomes = _Outcomes.of(attempted, now)
    with rt.store.write() as tx:
        return outcomes.store(tx, rt, now)


@dataclass
class _Outcomes:
    """A batch's outcomes as they are written: the delivered in one statement, the others one by one."""

    delivered: list[tuple[str, datetime]] = field(default_factory=list)
    changed: list[Delivery] = field(default_factory=list)
    disabled: list[tuple[str, str]] = field(default_factory=list)
    failed: set[str] = field(default_factory=set)  # subscriptions an attempt to failed

    @classmethod
    def of(cls, attempted: Attempted, now: datetime) -> _Outcomes:
        sorted_ = cls()
        for channel, outcomes in attempted.outcomes.items():
            messages, deliveries = attempted.batch.messages[channel], attempted.batch.deliveries[channel]
            for index, outcome in enumerate(outcomes):
                if type(outcome) is Delivered:
                    sorted_.delivered.append((messages[index].id, outcome.at))
                    continue
                tried = deliveries[index]
                sorted_.changed.append(_after(tried, outcome, now))
                if isinstance(outcome, GiveUp) and outcome.disable_endpoint:
                    sorted_.disabled.append((tried.subscription_id, outcome.why))
                else:
                    sorted_.failed.add(tried.subscription_id)
        return sorted_

    def store(self, tx: Transaction, rt: Runtime, now: datetime) -> list[EndpointAlert]:
        tx.deliveries.mark_delivered(self.delivered)
        tx.deliveries.save_many(self.changed)
        for subscription_id, why in self.disabled:
            tx.subscriptions.disable(subscription_id, now, why)
        return [alert for s in sorted(self.failed) if (alert := _failed_at(tx, rt, s, now)) is not None]


def _failed_at(tx: Transaction, rt: Runtime, subscription_id: str, now: datetime) -> EndpointAlert | None:
    """An attempt to the subscription failed: note since when it fails; warn its owner after
    3 days, disable it after 5 (both in the audit trail)."""
    found = tx.subscriptions.get(subscription_id)
    if found is None or not found.enabled:
        return None
    last = tx.deliveries.last_delivered_at(subscription_id)
    where = failing(found.failing_since, found.failure_warned_at, last, now)
    details: dict[str, object] = {
        "subscription": found.id,
        "channel": found.channel,
        "failing_since": where.since.isoformat(),
        "disables_at": where.disables_at.isoformat(),
    }
    if where.disable:
        why = f"failing since {where.since.isoformat()} (disabled after {DISABLE_FAILING_AFTER.days} days)"
        tx.subscriptions.disable(found.id, now, why)
        audit_trail.record(tx, rt, "subscription.disabled", {**details, "reason": why}, actor=None)
        return EndpointAlert(found, "disabled", where.since, where.disables_at)
    if where.warn:
        tx.subscriptions.save(replace(found, failing_since=where.since, failure_warned_at=now))
        audit_trail.record(tx, rt, "subscription.failing", details, actor=None)
        return EndpointAlert(found, "warned", where.since, where.disables_at)
    if where.since != found.failing_since:
        tx.subscriptions.save(replace(found, failing_since=where.since, failure_warned_at=None))
    return None


async def tell_owners(alerts: Sequence[EndpointAlert], transport: Transport, base_url: str) -> None:
    """Email each failing endpoint's owner (its ``contact``, if it gave one) that it will be, or
    was, disabled. Best effort: an alert not sent is logged; the admin API shows the state."""
    for alert in alerts:
        contact = alert.subscription.contact
        if not contact:
            continue
        body = email.endpoint_alert_body(
            alert.subscription.language,
            alert.kind,
            alert.subscription.target,
            alert.failing_since,
            alert.disables_at,
        )
        message = Outgoing(f"alert_{alert.kind}_{alert.subscription.id}", contact, "", body)
        outcome = await transport.deliver(message)
        if not isinstance(outcome, Delivered):
            log.warning("the owner of subscription %s was not told: %s", alert.subscription.id, outcome.why)


def _after(delivery: Delivery, outcome: Outcome, now: datetime) -> Delivery:
    result = after_attempt(delivery.attempts, delivery.delivered_at, outcome, now, random.uniform(-1, 1))
    return replace(delivery, **result._asdict())


def _failed(delivery: Delivery, why: str) -> Delivery:
    return replace(delivery, status=DeliveryStatus.FAILED, next_attempt_at=None, last_error=why)


@dataclass(frozen=True)
class DeliveryFigures:
    delivered: int
    pending: int
    failed: int
    first: timedelta | None  # the quickest delivery after publish_at
    p50: timedelta | None
    p99: timedelta | None


def figures(rt: Runtime, notice_id: str) -> DeliveryFigures:
    """How a notice's deliveries stand, with latencies from its ``publish_at``."""
    with rt.store.read() as tx:
        found = tx.deliveries.for_notice(notice_id)
    seconds = sorted(d.latency.total_seconds() for d in found if d.latency is not None)
    cuts = quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else seconds * 99
    return DeliveryFigures(
        delivered=len(seconds),
        pending=sum(d.status is DeliveryStatus.PENDING for d in found),
        failed=sum(d.status is DeliveryStatus.FAILED for d in found),
        first=_seconds(seconds[0]) if seconds else None,
        p50=_seconds(cuts[49]) if cuts else None,
        p99=_seconds(cuts[98]) if cuts else None,
    )


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


def deliveries_of(rt: Runtime, subscription_id: str) -> list[Delivery]:
    with rt.store.read() as tx:
        return tx.deliveries.for_subscription(subscription_id)


def subscription(rt: Runtime, subscription_id: str) -> Subscription | None:
    with rt.store.read() as tx:
        return tx.subscriptions.get(subscription_id)
