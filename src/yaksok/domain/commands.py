"""Commands: one typed object per operator action, as the web, the CLI and the replay give it.

A command says what the operator asked for, in the domain's types; the service that carries it
out (``services.launches``, ``services.notices``, ``services.cadences``) decides whether it
may happen. Each field is declared here once: an adapter builds the command, a service reads it.
"""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from datetime import date, datetime
from typing import NamedTuple

from yaksok.domain import codes
from yaksok.domain.allocation import BatchKind
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import MilestoneKind, Sku
from yaksok.domain.notice import DEFAULT_CHANNELS, KEEP, Claim, Keep, NoticeKind
from yaksok.domain.policy import Policy
from yaksok.domain.promise import ChangeKind, Precision
from yaksok.domain.texts import DEFAULT_LANGUAGES

# Texts a caller may give as {ko, en} or as one string, taken as English.
LooseTexts = dict[str, str] | str


@dataclass(frozen=True, kw_only=True)
class CreateLaunch:
    slug: str
    titles: dict[str, str]
    zone: str
    market: str = ""
    skus: tuple[Sku, ...] = ()
    per_customer_limit: int = 1
    policy: Policy = field(default_factory=Policy)
    languages: tuple[str, ...] = DEFAULT_LANGUAGES  # the first is the launch's primary


@dataclass(frozen=True)
class SetLanguages:
    slug: str
    languages: tuple[str, ...]  # the first is the launch's primary


@dataclass(frozen=True)
class RetitleLaunch:
    slug: str
    titles: dict[str, str]


@dataclass(frozen=True, kw_only=True)
class SetSku:
    """Add a SKU to a launch, or replace the one of that code (its titles and cap)."""

    launch_slug: str
    sku: Sku


@dataclass(frozen=True, kw_only=True)
class SetLimit:
    launch_slug: str
    per_customer_limit: int


@dataclass(frozen=True, kw_only=True)
class AddMilestone:
    launch_slug: str
    key: str
    kind: MilestoneKind
    titles: dict[str, str]


@dataclass(frozen=True)
class RetitleMilestone:
    milestone_id: str
    titles: dict[str, str]


@dataclass(frozen=True)
class RevisePromise:
    """``time`` is as operators write it, read in the launch's zone; ``titles`` and ``bodies``
    replace yaksok's standard wording of the announcing notice."""

    milestone_id: str
    _: KW_ONLY
    time: str | None
    precision: Precision
    reason: LooseTexts = ""
    change_kind: ChangeKind | None = None
    override: LooseTexts | None = None
    titles: dict[str, str] | None = None
    bodies: dict[str, str] | None = None
    next_update_at: datetime | None = None


@dataclass(frozen=True)
class CancelMilestone:
    milestone_id: str
    _: KW_ONLY
    reason: LooseTexts
    override: LooseTexts | None = None
    titles: dict[str, str] | None = None
    bodies: dict[str, str] | None = None


@dataclass(frozen=True)
class RecordOccurrence:
    """``at`` is when the milestone happened; ``None`` means now."""

    milestone_id: str
    _: KW_ONLY
    at: datetime | None = None
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class WriteNotice:
    """A draft; scheduled if ``publish_at`` is given; published at once if ``publish_now``."""

    kind: NoticeKind
    titles: dict[str, str]
    bodies: dict[str, str] = field(default_factory=dict)
    launch_slug: str | None = None
    milestone_ids: tuple[str, ...] = ()
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    claim: Claim | None = None
    next_update_at: datetime | None = None
    cadence_id: str | None = None
    supersedes: str | None = None
    publish_at: datetime | None = None
    publish_now: bool = False

    def __post_init__(self) -> None:
        if self.publish_now and self.publish_at is not None:
            raise InvalidInput(
                f"publish_now and publish_at ({self.publish_at.isoformat()}) contradict each other: "
                "send one of them",
                code=codes.NOTICE_PUBLISH_NOW_WITH_PUBLISH_AT,
            )


@dataclass(frozen=True, kw_only=True)
class Clarify:
    claim: Claim
    titles: dict[str, str]
    bodies: dict[str, str] = field(default_factory=dict)
    launch_slug: str | None = None
    milestone_ids: tuple[str, ...] = ()
    next_update_at: datetime | None = None


@dataclass(frozen=True)
class EditNotice:
    """Change a draft or scheduled notice. A field left at ``KEEP`` stays as it is; ``None``
    clears ``claim`` or ``next_update_at``."""

    notice_id: str
    _: KW_ONLY
    kind: NoticeKind | Keep = KEEP
    titles: dict[str, str] | Keep = KEEP
    bodies: dict[str, str] | Keep = KEEP
    channels: tuple[str, ...] | Keep = KEEP
    claim: Claim | Keep | None = KEEP
    next_update_at: datetime | Keep | None = KEEP


@dataclass(frozen=True)
class ScheduleNotice:
    notice_id: str
    publish_at: datetime


@dataclass(frozen=True, kw_only=True)
class CreateCadence:
    """``weekdays`` is ``daily``, ``weekdays`` or a list such as ``mon,wed,fri``; ``at`` is
    ``HH:MM`` in the launch's zone."""

    launch_slug: str
    weekdays: str
    at: str
    titles: dict[str, str]
    kind: NoticeKind = NoticeKind.SHIPPING_UPDATE


@dataclass(frozen=True)
class EndCadence:
    cadence_id: str
    _: KW_ONLY
    reason: str = ""


# Pre-order


class Reserve(NamedTuple):
    """A customer's reservation request, as its body and ``Idempotency-Key`` header gave it.

    A named tuple, not a frozen dataclass like the other commands: one is made for every request
    at the opening minute (a tenth of the cost), and it crosses to the reservation writer's
    process as it is (msgspec reads and writes named tuples as arrays)."""

    launch_slug: str
    idempotency_key: str
    sku: str
    quantity: int
    contact: str
    pickup_store: str | None = None  # None: delivered to the contact's address
    admission: str | None = None  # the Admission-Token header, when the launch has a waiting room
    language: str = "en"  # what the customer is told in later (ko or en)


def instant(text: str) -> datetime:
    """An instant as ISO 8601 with its offset (``2010-11-09T20:00+09:00``); nothing else."""
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(f"cannot read {text!r} as a time", code=codes.TIME_INVALID) from exc
    if parsed.tzinfo is None:
        raise InvalidInput(f"{text!r} lacks its offset (e.g. +09:00)", code=codes.TIME_INVALID)
    return parsed


@dataclass(frozen=True, kw_only=True)
class BeaconSetting:
    """A drand chain for the waiting room's fallback seed: its URL, and either every field of its
    ``/info`` (public key, genesis, period, scheme) or none, to have them read from ``/info``."""

    url: str
    public_key: str | None = None
    genesis_time: int | None = None
    period: int | None = None
    scheme: str | None = None
    chain_hash: str = ""


@dataclass(frozen=True, kw_only=True)
class ConfigureWaitingRoom:
    launch_slug: str
    enabled: bool
    prequeue_opens: datetime
    admit_per_second: float
    token_minutes: int
    beacon: BeaconSetting | None = None


@dataclass(frozen=True, kw_only=True)
class CancelReservation:
    code: str
    secret: str


# Delivery


@dataclass(frozen=True, kw_only=True)
class Subscribe:
    """Be told of published notices on a channel: a webhook at ``target`` (a URL), or email (an address)."""

    channel: str
    target: str
    language: str = "en"
    launches: tuple[str, ...] = ()  # empty: every launch
    kinds: tuple[NoticeKind, ...] = ()  # empty: every kind
    contact: str = ""  # an email address of the endpoint's owner, told when it keeps failing
    keys: str = ""  # what the channel encrypts to: a browser push subscription's ``p256dh.auth``


@dataclass(frozen=True, kw_only=True)
class RecordBatch:
    """Stock of one SKU that ships (or is ready at a store for pickup) on a date."""

    launch_slug: str
    sku: str
    units: int
    date: date
    kind: BatchKind = BatchKind.SHIP
    store: str | None = None


@dataclass(frozen=True, kw_only=True)
class MoveBatch:
    """A batch's date changed, and why (public: every reservation in it gets a new date)."""

    launch_slug: str
    number: int
    date: date
    reason: str
