"""Success answers of the admin API and the public ledger, as msgspec Structs.

Handlers return these and the server encodes them, and ``/openapi.json`` publishes their
JSON Schema, so the documented shape is the one sent. Every field is always sent (``null``
where there is no value), so every field is required. Instants are ``str``, not ``datetime``:
msgspec would write UTC as ``Z``, while the API has always written ``+00:00``.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import NoticeKind, NoticeState, Verdict
from yaksok.domain.promise import ChangeKind, Precision
from yaksok.domain.reservation import ReservationState
from yaksok.domain.review import ProposalAction, ProposalState
from yaksok.web.api.schemas import RoleName, Texts

Instant = Annotated[
    str,
    Meta(
        description="ISO 8601 instant with offset, e.g. 2010-11-09T11:00:00+00:00",
        extra_json_schema={"format": "date-time"},
    ),
]


class Out(msgspec.Struct, kw_only=True):
    """A response body; fields are sent in the order they are declared."""


class PolicyOut(Out):
    min_lead_hours: float
    min_change_lead_hours: float
    tolerance_minutes: float
    apology_within_hours: float
    reason_required: bool
    reminder_offsets_hours: Annotated[
        list[float], Meta(description="subscribers are reminded this long before each exact promise")
    ] = []
    review_required: Annotated[
        bool, Meta(description="operators' promise changes and notices wait for a second operator's approval")
    ] = False


class SkuOut(Out):
    code: str
    titles: Texts
    cap: int | None = None


class LaunchOut(Out):
    slug: str
    titles: Texts
    zone: Annotated[str, Meta(description="IANA time zone, e.g. Asia/Seoul")]
    market: str
    skus: list[SkuOut]
    per_customer_limit: int
    policy: PolicyOut
    url: Annotated[str, Meta(description="the launch's public page")]
    languages: Annotated[list[str], Meta(description="the languages its texts are in, the first its primary")]


class PromiseOut(Out):
    """``at`` and ``local`` are null only for an unannounced promise."""

    at: Instant | None
    zone: str
    precision: Precision
    local: Annotated[Instant | None, Meta(description="the wall time in the promise's zone, with its offset")]
    described: Annotated[str, Meta(description="the wording every channel uses, in English")]
    described_ko: Annotated[str, Meta(description="the same, in Korean")]


class VersionOut(Out):
    milestone: str
    version: int
    promise: PromiseOut
    made_at: Instant
    reason: Texts
    change_kind: ChangeKind | None
    notice: Annotated[str | None, Meta(description="the notice that announced this version")]
    overridden: Annotated[list[str], Meta(description="policy rules overridden, e.g. policy.lead_time")]
    justification: Texts


class OccurrenceOut(Out):
    at: Instant
    recorded_at: Instant
    note: str


class MilestoneOut(Out):
    id: str
    launch: str
    key: str
    kind: MilestoneKind
    titles: Texts
    promise: Annotated[PromiseOut | None, Meta(description="the current promise; null before the first")]
    cancelled: bool
    occurrence: OccurrenceOut | None
    versions: Annotated[list[VersionOut], Meta(description="every promise version, oldest first")]


class LaunchDetailOut(LaunchOut):
    milestones: list[MilestoneOut]


class ClaimOut(Out):
    text: str
    verdict: Verdict
    source_url: str


class NoticeOut(Out):
    id: str
    kind: NoticeKind
    state: NoticeState
    launch: str | None
    milestones: list[str]
    titles: Texts
    bodies: Texts
    channels: list[str]
    publish_at: Instant | None
    published_at: Instant | None
    lateness_seconds: Annotated[
        float | None, Meta(description="how long after publish_at it went out; null until published")
    ]
    supersedes: str | None
    claim: ClaimOut | None
    overridden: list[str]
    justification: Annotated[
        dict[str, str], Meta(description="the public reason for overriding the policy, per language: ko, en")
    ]
    next_update_at: Instant | None
    cadence: str | None
    created_at: Instant
    url: Annotated[str, Meta(description="the notice's public page")]


class RevisionOut(Out):
    """A promise made, changed or cancelled, and the notice that announced it."""

    version: VersionOut
    notice: NoticeOut


class ProposalOut(Out):
    """A change waiting for a second operator's review, or the decision on it."""

    id: str
    launch: str
    action: ProposalAction
    summary: Annotated[str, Meta(description="what it would do, in a line")]
    state: ProposalState
    yours: Annotated[bool, Meta(description="whether the asking token (or operator) proposed it")]
    proposed_at: Instant
    decided_at: Instant | None
    reason: Annotated[str, Meta(description="why it was rejected; empty otherwise")]
    notice: Annotated[str | None, Meta(description="the notice it publishes or schedules")]
    command: Annotated[
        dict[str, Any], Meta(description="the change as it was asked, carried out on approval")
    ]


class HeldOut(ProposalOut):
    """A change held for a second operator's review, answered 202: nothing is published yet."""


class CadenceOut(Out):
    id: str
    launch: str
    weekdays: Annotated[list[str], Meta(description="mon … sun")]
    at: Annotated[str, Meta(description="HH:MM in the launch's zone")]
    zone: str
    titles: Texts
    kind: NoticeKind
    active: Annotated[bool, Meta(description="false once the cadence has ended")]
    next_slot: Annotated[Instant | None, Meta(description="null once the cadence has ended")]


class TokenOut(Out):
    id: Annotated[str, Meta(description="names the token in listings and to revoke it")]
    token: Annotated[str, Meta(description="shown this once; only its hash is kept")]
    role: RoleName
    label: str
    launches: Annotated[list[str] | None, Meta(description="the launches it may act on; null: every launch")]


class TokenRecordOut(Out):
    """A token as listed: never its secret or its hash."""

    id: str
    role: RoleName
    label: str
    created_at: Instant
    revoked_at: Annotated[Instant | None, Meta(description="null while the token works")]
    launches: Annotated[list[str] | None, Meta(description="the launches it may act on; null: every launch")]


class AuditEntryOut(Out):
    """One act of operator administration (not public, unlike the ledger)."""

    seq: int
    at: Instant
    actor: Annotated[str | None, Meta(description="the acting token's id; null from the command line")]
    action: Annotated[str, Meta(examples=["token.created", "token.revoked"])]
    launch: Annotated[str | None, Meta(description="the launch acted on; null: none in particular")]
    details: Annotated[
        dict[str, Any],
        Meta(description="the act's facts; `previous` holds what it replaced, where it replaced anything"),
    ]


class LedgerEntryOut(Out):
    """One line of ``GET /ledger``."""

    seq: int
    at: Annotated[Instant, Meta(description="the instant as hashed, e.g. 2010-11-09T07:00:00.000000Z")]
    kind: Annotated[str, Meta(examples=["promise.changed", "notice.published", "policy.override"])]
    payload: Annotated[str, Meta(description="the canonical JSON text that was hashed")]
    prev_hash: str
    hash: Annotated[
        str, Meta(description="SHA-256 over prev_hash and the canonical (seq, at, kind, payload)")
    ]


class CheckpointOut(Out):
    seq: int
    hash: str
    signature: Annotated[str, Meta(description="Ed25519, base64, over yaksok-ledger-checkpoint:{seq}:{hash}")]
    key_id: str
    signed_at: Instant


class LatencyOut(Out):
    p50: Annotated[float | None, Meta(description="seconds from publish_at, nearest-rank median")]
    p99: Annotated[float | None, Meta(description="seconds from publish_at, nearest-rank 99th percentile")]


class ChannelDeliveriesOut(Out):
    delivered: int
    pending: int
    failed: int
    latency_seconds: LatencyOut


class PersonalMessageOut(Out):
    """One customer told something of their own (customer data: their contact): a ship date
    (``kind`` ship_date: sequence, date, previous, reason) or an answer (``kind`` answer: question)."""

    id: Annotated[str, Meta(description="the same on every attempt (the email's Message-ID)")]
    kind: str
    sequence: int | None
    date: Annotated[str | None, Meta(description="the date told (ISO); null: no longer scheduled")]
    previous: Annotated[str | None, Meta(description="the date told before; null: the first")]
    reason: str | None
    question: Annotated[str | None, Meta(description="the question answered (its id)")]
    contact: str
    language: str
    due_at: Annotated[Instant, Meta(description="the shipping cadence slot it went out at")]
    status: str
    attempts: int
    delivered_at: Instant | None
    last_error: str


class PersonalMessagesOut(Out):
    """What a launch's customers were told personally: figures per kind, and the latest messages."""

    kinds: dict[str, ChannelDeliveriesOut]
    latest: list[PersonalMessageOut]


class NoticeDeliveriesOut(Out):
    """A notice's deliveries to subscribers, per channel (no channel until its fan-out starts)."""

    notice_id: str
    channels: dict[str, ChannelDeliveriesOut]


class SubscriberLinkOut(Out):
    """What following a subscriber's signed link did (a browser gets a small page instead)."""

    id: str  # the subscription's
    status: Annotated[str, Meta(description="subscription confirmed or unsubscribed")]


class SubscriptionOut(Out):
    id: str
    channel: str
    url: str
    language: str
    launches: list[str]
    kinds: list[NoticeKind]
    created_at: Instant
    secret: Annotated[
        str, Meta(description="the whsec_ secret that signs every webhook (Standard Webhooks); shown once")
    ]
    address: Annotated[str, Meta(description="an email subscription's address")] = ""
    confirmed: Annotated[
        bool, Meta(description="false for email until the link sent to the address is followed")
    ] = True


class SubscriberOut(Out):
    """A subscription as operators see it: never its secret."""

    id: str
    channel: str
    target: Annotated[str, Meta(description="a webhook's URL or an email address")]
    language: str
    launches: list[str]
    kinds: list[NoticeKind]
    state: Annotated[str, Meta(examples=["active", "paused", "unconfirmed", "disabled"])]
    created_at: Instant
    disabled_at: Annotated[Instant | None, Meta(description="null unless stopped for good")]
    disabled_reason: str
    paused_at: Annotated[Instant | None, Meta(description="when an operator paused it; null if not")] = None
    contact: Annotated[str, Meta(description="its owner's email address, told if it keeps failing")] = ""
    failing_since: Annotated[
        Instant | None, Meta(description="its first failed attempt since its last delivery; null if none")
    ] = None
    failure_warned_at: Annotated[Instant | None, Meta(description="when its owner was warned")] = None
    disables_at: Annotated[
        Instant | None, Meta(description="when it is disabled if it keeps failing (5 days of failures)")
    ] = None


class SubscriberListOut(Out):
    subscriptions: list[SubscriberOut]
    per_channel: Annotated[dict[str, int], Meta(description="how many of those listed are on each channel")]


class DeliveryRecordOut(Out):
    """One notice's delivery to one subscriber; every attempt carries this id (``webhook-id``)."""

    id: str
    notice_id: str
    channel: str
    status: Annotated[str, Meta(examples=["pending", "delivered", "failed"])]
    attempts: int
    publish_at: Instant
    next_attempt_at: Instant | None
    delivered_at: Instant | None
    last_error: str


class SubscriberHistoryOut(Out):
    subscription: SubscriberOut
    deliveries: list[DeliveryRecordOut]


class ReplayHintOut(Out):
    """How to have what was missed sent: the request to make."""

    method: str
    path: str
    body: dict[str, str]


class ResumedOut(Out):
    subscription: SubscriberOut
    missed: Annotated[
        int,
        Meta(description="notices it chose that were published while it was paused or disabled (not sent)"),
    ]
    missed_since: Annotated[Instant, Meta(description="when it was paused or disabled")]
    replay: Annotated[ReplayHintOut, Meta(description="the request that sends what it missed")]


class ReplayOut(Out):
    id: str
    since: Instant
    queued: Annotated[int, Meta(description="deliveries queued, due now")]
    again: Annotated[
        list[str], Meta(description="delivery ids sent before, sent again with the same webhook-id")
    ]
    new: Annotated[list[str], Meta(description="delivery ids of notices it never got")]


class RotatedSecretOut(Out):
    id: str
    secret: Annotated[str, Meta(description="the new whsec_ secret; shown only this once")]
    previous_valid_until: Annotated[
        Instant, Meta(description="until then every webhook is signed with the old secret too")
    ]


class ReservationOut(Out):
    """A reservation as support sees it: customer data, never its secret or the secret's hash."""

    sequence: Annotated[int, Meta(description="its place in the launch's first-come-first-served line")]
    code: str
    state: ReservationState
    sku: str
    quantity: int
    contact: str
    pickup_store: str | None
    created_at: Instant
    cancelled_at: Instant | None
    language: Annotated[str, Meta(description="what the customer is told in (ko or en)")]


class ReservationPageOut(Out):
    reservations: list[ReservationOut]
    next_after: Annotated[
        int | None, Meta(description="pass as ?after= for the next page; null on the last page")
    ]


class BeaconOut(Out):
    url: str
    chain_hash: str
    public_key: str
    scheme: str
    genesis_time: int
    period: int
    round: int | None  # the committed round: the first after the opening (null while none is known)
    round_time: str | None


class WaitingRoomOut(Out):
    launch: str
    enabled: bool
    prequeue_opens: str
    admit_per_second: float
    token_minutes: int
    commitment: str  # SHA-256 of the secret, as in the ledger
    opened_at: str | None
    prequeue_size: int
    collapsed: int
    beacon: BeaconOut | None
