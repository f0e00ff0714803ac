"""Request bodies of the admin API, as msgspec Structs: decoding validates them, and their
JSON Schema is what ``/openapi.json`` publishes. Unknown fields are refused.

Texts are the domain's to judge (languages, slugs, zones); these types only make sure every
value has the right shape and a size the database can hold. A body's ``to_command`` turns it
into the command (``domain.commands``) that its route hands to a service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar

import msgspec
from msgspec import UNSET, Meta, UnsetType

from yaksok.domain import commands
from yaksok.domain.launch import MilestoneKind, Sku
from yaksok.domain.notice import (
    CHANNELS,
    DEFAULT_CHANNELS,
    KEEP,
    Claim,
    Keep,
    NoticeKind,
    Verdict,
    notice_channels,
)
from yaksok.domain.policy import Policy
from yaksok.domain.promise import ChangeKind, Precision
from yaksok.domain.texts import DEFAULT_LANGUAGES

Instant = Annotated[
    datetime, Meta(tz=True, description="ISO 8601 instant with offset, e.g. 2010-11-09T11:00:00Z")
]
Texts = Annotated[dict[str, str], Meta(description="text per language: ko, en, ja (the launch's languages)")]
LooseTexts = Annotated[
    str | dict[str, str],
    Meta(description="text per language {ko, en, ja}, or one string taken as English (else the primary)"),
]
Languages = Annotated[
    list[Annotated[str, Meta(max_length=8)]],
    Meta(max_length=8, description="the languages its texts are in (ko, en, ja), the first its primary"),
]
Channels = Annotated[
    list[str],
    Meta(
        description=f"where the notice goes, any of {', '.join(CHANNELS)} "
        f"(default {', '.join(DEFAULT_CHANNELS)}); the calendar holds milestones, not notices"
    ),
]
Hours = Annotated[float, Meta(ge=0, le=24 * 366 * 5)]
Minutes = Annotated[float, Meta(ge=0, le=60 * 24 * 366)]
Short = Annotated[str, Meta(max_length=200)]
RoleName = Literal["admin", "editor", "support", "viewer"]
PromiseTime = Annotated[
    str,
    Meta(
        pattern=r"^(19|2[0-9])[0-9]{2}-[0-9]{2}",
        description="2010-11-09T20:00 (wall time in the launch's zone), an instant with offset, "
        "2010-11-09 (precision day) or 2010-11 (precision month)",
    ),
]


def _check_value(value: Any, where: str) -> None:
    """Refuse what the databases cannot store: NUL characters, instants outside 1900-2999."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError(f"{where} contains a NUL character")
    if isinstance(value, datetime) and not 1900 <= value.year <= 2999:
        raise ValueError(f"{where} must be between the years 1900 and 2999")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_value(key, where)
            _check_value(item, where)
    if isinstance(value, list):
        for item in value:
            _check_value(item, where)


_T = TypeVar("_T")


def _kept(value: _T | UnsetType) -> _T | Keep:
    """A field left out of an edit is kept as it is."""
    return KEEP if isinstance(value, UnsetType) else value


class Body(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            _check_value(getattr(self, name), name)


class PolicyFields(Body):
    """Any field left out keeps the default policy's value."""

    min_lead_hours: Hours | UnsetType = UNSET
    min_change_lead_hours: Hours | UnsetType = UNSET
    tolerance_minutes: Minutes | UnsetType = UNSET
    apology_within_hours: Hours | UnsetType = UNSET
    reason_required: bool | UnsetType = UNSET

    def given(self) -> dict[str, float | bool]:
        values = {name: getattr(self, name) for name in self.__struct_fields__}
        return {name: value for name, value in values.items() if value is not UNSET}


class SkuFields(Body):
    code: Annotated[str, Meta(min_length=1, max_length=64)]
    titles: Texts = {}
    cap: Annotated[int, Meta(ge=0, description="pre-order units at most; more are waitlisted")] | None = None


class SkuSetting(Body):
    """A SKU's titles and cap; the code is in the path."""

    titles: Texts = {}
    cap: Annotated[int, Meta(ge=0, description="pre-order units at most; more are waitlisted")] | None = None

    def to_command(self, launch_slug: str, code: str) -> commands.SetSku:
        return commands.SetSku(launch_slug=launch_slug, sku=Sku(code=code, titles=self.titles, cap=self.cap))


class ReviewSetting(Body):
    """Whether operators' promise changes and notices for the launch wait for a second operator."""

    required: bool


class Rejection(Body):
    reason: Annotated[str, Meta(min_length=1, max_length=2000, description="why, for the proposer")]


class ReminderOffsets(Body):
    """How long before each exactly promised milestone the launch's subscribers are reminded."""

    hours: Annotated[
        list[Annotated[float, Meta(gt=0, le=1440)]],
        Meta(max_length=10, description="hours before the promised time, e.g. [72, 24, 1]; [] for none"),
    ]


class LimitSetting(Body):
    per_customer_limit: Annotated[int, Meta(ge=1, le=1_000_000)]

    def to_command(self, launch_slug: str) -> commands.SetLimit:
        return commands.SetLimit(launch_slug=launch_slug, per_customer_limit=self.per_customer_limit)


class LanguagesSetting(Body):
    languages: Languages

    def to_command(self, slug: str) -> commands.SetLanguages:
        return commands.SetLanguages(slug=slug, languages=tuple(self.languages))


class BeaconFields(Body):
    """A drand chain: its URL alone (the rest read from its /info), or every field of its /info."""

    url: Annotated[
        str, Meta(max_length=500, description="the chain's HTTP API: {url}/info, {url}/public/{round}")
    ]
    public_key: Annotated[
        str | None, Meta(description="hex: 48 bytes (G1), or 96 (G2) for bls-unchained-g1-rfc9380")
    ] = None
    genesis_time: Annotated[int | None, Meta(description="Unix seconds of round 1")] = None
    period: Annotated[int | None, Meta(description="seconds between rounds")] = None
    scheme: Annotated[
        str | None,
        Meta(
            description="pedersen-bls-chained, pedersen-bls-unchained or bls-unchained-g1-rfc9380 (quicknet)"
        ),
    ] = None
    chain_hash: Annotated[str, Meta(max_length=64, description="hex; checked against /info if read")] = ""

    def to_setting(self) -> commands.BeaconSetting:
        return commands.BeaconSetting(
            url=self.url,
            public_key=self.public_key,
            genesis_time=self.genesis_time,
            period=self.period,
            scheme=self.scheme,
            chain_hash=self.chain_hash,
        )


class WaitingRoomSetting(Body):
    enabled: bool
    prequeue_opens: Annotated[str, Meta(description="ISO 8601 instant with its offset")]
    admit_per_second: Annotated[float, Meta(ge=0.01, le=100_000)]
    token_minutes: Annotated[int, Meta(ge=1, le=1440)] = 10
    beacon: Annotated[
        BeaconFields | None, Meta(description="a randomness beacon for the fallback seed; null: none")
    ] = None

    def to_command(self, launch_slug: str) -> commands.ConfigureWaitingRoom:
        return commands.ConfigureWaitingRoom(
            launch_slug=launch_slug,
            enabled=self.enabled,
            prequeue_opens=commands.instant(self.prequeue_opens),
            admit_per_second=self.admit_per_second,
            token_minutes=self.token_minutes,
            beacon=None if self.beacon is None else self.beacon.to_setting(),
        )


class NewLaunch(Body):
    slug: str
    titles: Texts
    zone: Annotated[str, Meta(description="IANA time zone, e.g. Asia/Seoul")]
    market: Annotated[str, Meta(max_length=32)] = ""
    skus: list[SkuFields] = []
    per_customer_limit: Annotated[int, Meta(ge=1, le=1_000_000)] = 1
    policy: PolicyFields | None = None
    languages: Languages = msgspec.field(default_factory=lambda: list(DEFAULT_LANGUAGES))

    def to_command(self) -> commands.CreateLaunch:
        return commands.CreateLaunch(
            slug=self.slug,
            titles=self.titles,
            zone=self.zone,
            market=self.market,
            skus=tuple(Sku(code=sku.code, titles=sku.titles, cap=sku.cap) for sku in self.skus),
            per_customer_limit=self.per_customer_limit,
            policy=Policy() if self.policy is None else Policy.from_dict(self.policy.given()),
            languages=tuple(self.languages),
        )


class Retitle(Body):
    """The new titles replace every language of the old ones."""

    titles: Texts

    def of_launch(self, slug: str) -> commands.RetitleLaunch:
        return commands.RetitleLaunch(slug, self.titles)

    def of_milestone(self, milestone_id: str) -> commands.RetitleMilestone:
        return commands.RetitleMilestone(milestone_id, self.titles)


class NewMilestone(Body):
    key: str
    kind: MilestoneKind
    titles: Texts

    def to_command(self, launch_slug: str) -> commands.AddMilestone:
        return commands.AddMilestone(
            launch_slug=launch_slug, key=self.key, kind=self.kind, titles=self.titles
        )


class PromiseRevision(Body):
    precision: Precision
    time: PromiseTime | None = None
    reason: LooseTexts = ""
    change_kind: ChangeKind | None = None
    override: Annotated[
        str | dict[str, str] | None,
        Meta(description="public justification for breaking the policy: {ko, en} or one string (English)"),
    ] = None
    titles: Texts | None = None
    bodies: Texts | None = None
    next_update_at: Instant | None = None

    def to_command(self, milestone_id: str) -> commands.RevisePromise:
        return commands.RevisePromise(
            milestone_id,
            time=self.time,
            precision=self.precision,
            reason=self.reason,
            change_kind=self.change_kind,
            override=self.override,
            titles=self.titles,
            bodies=self.bodies,
            next_update_at=self.next_update_at,
        )


class Cancellation(Body):
    reason: LooseTexts
    override: LooseTexts | None = None

    def to_command(self, milestone_id: str) -> commands.CancelMilestone:
        return commands.CancelMilestone(milestone_id, reason=self.reason, override=self.override)


class OccurrenceReport(Body):
    at: Instant | None = None
    note: str = ""

    def to_command(self, milestone_id: str) -> commands.RecordOccurrence:
        return commands.RecordOccurrence(milestone_id, at=self.at, note=self.note)


class ClaimFields(Body):
    text: str
    verdict: Verdict
    source_url: Annotated[str, Meta(max_length=2000)] = ""

    def to_claim(self) -> Claim:
        return Claim(text=self.text, verdict=self.verdict, source_url=self.source_url)


class NoticeFields(Body):
    kind: NoticeKind
    titles: Texts
    bodies: Texts = {}
    launch: str | None = None
    milestones: list[str] = []
    channels: Channels | None = None
    claim: ClaimFields | None = None
    next_update_at: Instant | None = None
    cadence: str | None = None
    publish_at: Instant | None = None

    def write(self, *, supersedes: str | None, publish_now: bool) -> commands.WriteNotice:
        return commands.WriteNotice(
            kind=self.kind,
            titles=self.titles,
            bodies=self.bodies,
            launch_slug=self.launch,
            milestone_ids=tuple(self.milestones),
            channels=DEFAULT_CHANNELS if self.channels is None else notice_channels(self.channels),
            claim=None if self.claim is None else self.claim.to_claim(),
            next_update_at=self.next_update_at,
            cadence_id=self.cadence,
            supersedes=supersedes,
            publish_at=self.publish_at,
            publish_now=publish_now,
        )


class Correction(NoticeFields):
    """A notice that supersedes a published one: published now unless ``publish_at`` is given."""

    def to_command(self, notice_id: str) -> commands.WriteNotice:
        return self.write(supersedes=notice_id, publish_now=self.publish_at is None)


class NewNotice(NoticeFields):
    supersedes: str | None = None
    publish_now: bool = False

    def to_command(self) -> commands.WriteNotice:
        return self.write(supersedes=self.supersedes, publish_now=self.publish_now)


class NoticeEdit(Body):
    """Fields left out stay as they are; ``null`` clears an optional one."""

    kind: NoticeKind | UnsetType = UNSET
    titles: Texts | UnsetType = UNSET
    bodies: Texts | UnsetType = UNSET
    channels: Channels | UnsetType = UNSET
    claim: ClaimFields | UnsetType | None = UNSET
    next_update_at: Instant | UnsetType | None = UNSET

    def to_command(self, notice_id: str) -> commands.EditNotice:
        channels = KEEP if self.channels is UNSET else notice_channels(self.channels)
        claim = KEEP if self.claim is UNSET else None if self.claim is None else self.claim.to_claim()
        return commands.EditNotice(
            notice_id,
            kind=_kept(self.kind),
            titles=_kept(self.titles),
            bodies=_kept(self.bodies),
            channels=channels,
            claim=claim,
            next_update_at=_kept(self.next_update_at),
        )


class Schedule(Body):
    publish_at: Instant

    def to_command(self, notice_id: str) -> commands.ScheduleNotice:
        return commands.ScheduleNotice(notice_id, self.publish_at)


class NewClarification(Body):
    claim: ClaimFields
    titles: Texts
    bodies: Texts = {}
    launch: str | None = None
    milestones: list[str] = []
    next_update_at: Instant | None = None

    def to_command(self) -> commands.Clarify:
        return commands.Clarify(
            claim=self.claim.to_claim(),
            titles=self.titles,
            bodies=self.bodies,
            launch_slug=self.launch,
            milestone_ids=tuple(self.milestones),
            next_update_at=self.next_update_at,
        )


class NewCadence(Body):
    weekdays: Annotated[str, Meta(description="daily, weekdays, or a list such as mon,wed,fri")]
    at: Annotated[str, Meta(pattern=r"^[0-9]{2}:[0-9]{2}$", description="HH:MM in the launch's zone")]
    titles: Texts
    kind: NoticeKind = NoticeKind.SHIPPING_UPDATE

    def to_command(self, launch_slug: str) -> commands.CreateCadence:
        return commands.CreateCadence(
            launch_slug=launch_slug, weekdays=self.weekdays, at=self.at, titles=self.titles, kind=self.kind
        )


class CadenceEnd(Body):
    reason: Annotated[str, Meta(max_length=2000, description="why the updates stop (public)")] = ""

    def to_command(self, cadence_id: str) -> commands.EndCadence:
        return commands.EndCadence(cadence_id, reason=self.reason)


class NewToken(Body):
    role: RoleName
    label: Short = ""
    launches: (
        Annotated[list[Short], Meta(max_length=100, description="the launch slugs the token may act on")]
        | None
    ) = None  # null or absent: every launch


class ReplayRequest(Body):
    """Send again every notice published since ``since`` that the subscription chose."""

    since: Annotated[str, Meta(max_length=64, description="an ISO 8601 time with its zone")]


class NewSubscription(Body):
    """A public subscription: who to tell (a webhook URL or an email address), of what, in which language."""

    url: Annotated[str, Meta(max_length=2000, description="the webhook's http(s) URL (channel webhook)")] = ""
    address: Annotated[
        str,
        Meta(max_length=254, description="the email address (channel email), confirmed by a link"),
    ] = ""
    channel: Literal["webhook", "email"] = "webhook"
    language: Literal["ko", "en", "ja"] = "en"
    launches: Annotated[list[Short], Meta(max_length=100, description="launch slugs; none: all")] = []
    kinds: Annotated[list[NoticeKind], Meta(description="notice kinds; none: every kind")] = []
    contact: Annotated[
        str,
        Meta(max_length=254, description="an email address of a webhook's owner, told if it keeps failing"),
    ] = ""
