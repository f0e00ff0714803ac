"""Notices: what the launch team tells everyone, on every channel at once.

draft → scheduled → published. A published notice is immutable; a correction is a new
notice that ``supersedes`` it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum, StrEnum
from typing import Final, TypeVar

from yaksok.domain import codes
from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.texts import check_texts, pick_text

# Where a notice can go. The calendar is not among them: it holds milestones, not notices.
CHANNELS = (
    "board",
    "atom",
    "sse",
    "email",
    "webhook",
    "mastodon",
    "bluesky",
    "x",
    "slack",
    "teams",
    "webpush",
)
DEFAULT_CHANNELS = ("board", "atom", "sse")
# What every follower of a launch must hear (a promise, its changes, a clarification of a claim)
# goes to every channel: subscribers, and the launch's social accounts and chat webhooks.
ANNOUNCED_CHANNELS = CHANNELS
# Listed on notices once although nothing of a notice ever reached it; such stored notices are
# read without it.
_NEVER_CARRIED = frozenset({"ics"})


def notice_channels(names: Iterable[str]) -> tuple[str, ...]:
    """The channels an author asks for, each one a notice can go to (``invalid.channel`` if not)."""
    channels = tuple(names)
    for name in channels:
        if name in _NEVER_CARRIED:
            raise InvalidInput(
                f"{name!r} is not a notice channel: the calendar holds milestones, not notices",
                code=codes.INVALID_CHANNEL,
            )
        if name not in CHANNELS:
            raise InvalidInput(
                f"unknown channel {name!r}; a notice goes to {', '.join(CHANNELS)}",
                code=codes.INVALID_CHANNEL,
            )
    return channels


class Keep(Enum):
    """What an edit gives for a field it leaves as it is (``None`` cannot say so: it clears a
    notice's claim or its next update time)."""

    KEEP = "keep"


KEEP: Final = Keep.KEEP
_T = TypeVar("_T")


def _kept(given: _T | Keep, current: _T) -> _T:
    return current if isinstance(given, Keep) else given


class NoticeKind(StrEnum):
    ANNOUNCEMENT = "announcement"
    CHANGE = "change"
    CLARIFICATION = "clarification"
    SHIPPING_UPDATE = "shipping_update"
    APOLOGY = "apology"
    GENERAL = "general"


class NoticeState(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PUBLISHED = "published"


class Verdict(StrEnum):
    FALSE = "false"
    UNCONFIRMED = "unconfirmed"
    CORRECT = "correct"


_URL = re.compile(r"^https?://[^\s<>\"']+$")


@dataclass(frozen=True)
class Claim:
    """A claim made elsewhere (press, rumour) that a clarification answers."""

    text: str
    verdict: Verdict
    source_url: str = ""

    def __post_init__(self) -> None:
        if not self.text.strip():
            raise InvalidInput("a clarification needs the claim's text", code=codes.INVALID_CLAIM)
        if self.source_url and not _URL.match(self.source_url):
            raise InvalidInput("the claim's source must be an http(s) URL", code=codes.INVALID_URL)

    def to_dict(self) -> dict[str, str]:
        return {"text": self.text, "verdict": self.verdict.value, "source_url": self.source_url}


@dataclass(frozen=True)
class Reminded:
    """What a reminder notice reminds of: a milestone's promise (its version and time), and how
    long before it the reminder was due. Webhooks send it as a ``reminder.due`` event."""

    milestone_id: str
    version: int
    at: datetime  # the promised time
    offset_seconds: int  # the reminder was due this long before it

    def to_dict(self) -> dict[str, object]:
        return {
            "milestone_id": self.milestone_id,
            "version": self.version,
            "at": self.at.isoformat(),
            "offset_seconds": self.offset_seconds,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> Reminded:
        return cls(
            milestone_id=str(raw["milestone_id"]),
            version=int(str(raw["version"])),
            at=datetime.fromisoformat(str(raw["at"])),
            offset_seconds=int(str(raw["offset_seconds"])),
        )

    @property
    def due_at(self) -> datetime:
        return self.at - timedelta(seconds=self.offset_seconds)


@dataclass(frozen=True)
class Notice:
    id: str
    kind: NoticeKind
    titles: dict[str, str]
    bodies: dict[str, str]
    created_at: datetime
    launch_slug: str | None = None
    milestone_ids: tuple[str, ...] = ()
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    state: NoticeState = NoticeState.DRAFT
    publish_at: datetime | None = None
    published_at: datetime | None = None
    supersedes: str | None = None
    claim: Claim | None = None
    overridden: tuple[str, ...] = ()
    justification: dict[str, str] = field(default_factory=dict)
    next_update_at: datetime | None = None
    cadence_id: str | None = None
    reminder: Reminded | None = None  # set on a reminder's notice

    def __post_init__(self) -> None:
        check_texts(self.titles, "notice title")
        check_texts(self.bodies, "notice body", required=False)
        check_texts(self.justification, "notice justification", required=False)
        if _NEVER_CARRIED.intersection(self.channels):
            carried = tuple(name for name in self.channels if name not in _NEVER_CARRIED)
            object.__setattr__(self, "channels", carried)  # frozen: set once, while being made
        unknown = set(self.channels) - set(CHANNELS)
        if unknown:
            raise InvalidInput(f"unknown channel {sorted(unknown)[0]!r}", code=codes.INVALID_CHANNEL)
        if (self.kind is NoticeKind.CLARIFICATION) != (self.claim is not None):
            raise InvalidInput(
                "a clarification, and only a clarification, carries a claim and verdict",
                code=codes.INVALID_CLAIM,
            )

    def title(self, lang: str, languages: Sequence[str] | None = None) -> str:
        """The title for a reader of ``lang``, falling back as its launch's ``languages`` say."""
        return pick_text(self.titles, lang, languages)

    def body(self, lang: str, languages: Sequence[str] | None = None) -> str:
        return pick_text(self.bodies, lang, languages)

    @property
    def lateness(self) -> timedelta | None:
        """How long after its scheduled time the notice actually went out."""
        if self.published_at is None or self.publish_at is None:
            return None
        return max(self.published_at - self.publish_at, timedelta(0))

    def _editable(self) -> None:
        if self.state is NoticeState.PUBLISHED:
            raise Conflict(
                "a published notice cannot change; publish a correction that supersedes it",
                code=codes.NOTICE_IMMUTABLE,
            )

    def edit(
        self,
        *,
        kind: NoticeKind | Keep = KEEP,
        titles: dict[str, str] | Keep = KEEP,
        bodies: dict[str, str] | Keep = KEEP,
        channels: tuple[str, ...] | Keep = KEEP,
        claim: Claim | Keep | None = KEEP,
        next_update_at: datetime | Keep | None = KEEP,
    ) -> Notice:
        """The notice with the given fields changed; a field left at ``KEEP`` stays as it is."""
        self._editable()
        return replace(
            self,
            kind=_kept(kind, self.kind),
            titles=_kept(titles, self.titles),
            bodies=_kept(bodies, self.bodies),
            channels=_kept(channels, self.channels),
            claim=_kept(claim, self.claim),
            next_update_at=_kept(next_update_at, self.next_update_at),
        )

    def schedule(self, publish_at: datetime, now: datetime) -> Notice:
        self._editable()
        if publish_at < now:
            raise InvalidInput("a notice cannot be scheduled in the past", code=codes.NOTICE_IN_PAST)
        return replace(self, state=NoticeState.SCHEDULED, publish_at=publish_at)

    def unschedule(self) -> Notice:
        self._editable()
        return replace(self, state=NoticeState.DRAFT, publish_at=None)

    def publish(self, now: datetime) -> Notice:
        """Publish now; a scheduled notice keeps its ``publish_at`` so lateness stays visible."""
        self._editable()
        return replace(self, state=NoticeState.PUBLISHED, published_at=now, publish_at=self.publish_at or now)

    def is_due(self, now: datetime) -> bool:
        return self.state is NoticeState.SCHEDULED and self.publish_at is not None and self.publish_at <= now
