"""The shape of a scenario: a launch's timeline as steps, each one actor's move and one action."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from enum import StrEnum
from typing import ClassVar

from yaksok.domain.launch import Launch, MilestoneKind
from yaksok.domain.notice import NoticeKind, Verdict
from yaksok.domain.promise import ChangeKind, Promise


class Actor(StrEnum):
    CARRIER = "carrier"
    CHAIRMAN = "chairman"
    PRESS = "press"
    CUSTOMERS = "customers"
    OPERATOR = "operator"  # what a yaksok operator does at that moment


@dataclass(frozen=True)
class Texts:
    """A text in Korean and English, and in Japanese for a launch that publishes in it."""

    ko: str
    en: str
    ja: str = ""

    def __bool__(self) -> bool:
        return bool(self.ko or self.en or self.ja)

    def as_dict(self) -> dict[str, str]:
        """The per-language mapping the domain takes (titles, bodies)."""
        return {lang: text for lang, text in (("ko", self.ko), ("en", self.en), ("ja", self.ja)) if text}

    def joined(self, separator: str = " / ") -> str:
        """One line for single-language fields (a claim, a note)."""
        return separator.join(dict.fromkeys(t for t in (self.ko, self.en, self.ja) if t))


NO_TEXT = Texts("", "")


@dataclass(frozen=True)
class MilestoneSpec:
    key: str
    kind: MilestoneKind
    titles: Texts


@dataclass(frozen=True)
class CadenceSpec:
    """A recurring slot, created at ``created_at`` (the clock's time then)."""

    key: str
    weekdays: tuple[int, ...]
    local_time: time
    kind: NoticeKind
    titles: Texts
    created_at: datetime


@dataclass(frozen=True)
class NoticeSpec:
    """A notice to write. ``milestones`` and ``cadence`` are keys; a cadence notice is the
    update for that cadence's next slot, so it has no ``publish_at`` of its own."""

    kind: NoticeKind
    titles: Texts
    bodies: Texts
    milestones: tuple[str, ...] = ()
    publish_at: datetime | None = None
    next_update_at: datetime | None = None
    cadence: str | None = None


@dataclass(frozen=True)
class ClaimSpec:
    text: Texts
    verdict: Verdict
    source_url: str = ""


@dataclass(frozen=True)
class PromiseAction:
    """Make a new promise version for a milestone; ``notice`` announces it."""

    name: ClassVar[str] = "promise"
    milestone: str
    promise: Promise
    reason: Texts = NO_TEXT
    change_kind: ChangeKind | None = None
    override: Texts | None = None
    notice: NoticeSpec | None = None


@dataclass(frozen=True)
class NoticeAction:
    """Publish a notice now, or schedule it (``publish_at``), or write it for a cadence slot."""

    name: ClassVar[str] = "notice"
    notice: NoticeSpec


@dataclass(frozen=True)
class ClarifyAction:
    """Answer a claim made elsewhere; ``notice`` is the clarification (kind ``clarification``)."""

    name: ClassVar[str] = "clarify"
    claim: ClaimSpec
    notice: NoticeSpec


@dataclass(frozen=True)
class OccurAction:
    """Record when the milestone actually happened."""

    name: ClassVar[str] = "occur"
    milestone: str
    at: datetime
    note: Texts = NO_TEXT


@dataclass(frozen=True)
class CancelAction:
    name: ClassVar[str] = "cancel"
    milestone: str
    reason: Texts
    override: Texts | None = None
    notice: NoticeSpec | None = None


@dataclass(frozen=True)
class CrowdAction:
    """Customers reserve at once: ``reservations`` requests spread over ``seconds``, decided in
    the batches the reservation writer commits, through the same service. ``retried`` of them
    are sent again with the same Idempotency-Key (a reply lost on the way); ``over_limit``
    customers try to reserve past the per-customer limit."""

    name: ClassVar[str] = "crowd"
    reservations: int
    retried: int = 0
    over_limit: int = 0
    seconds: int = 60


@dataclass(frozen=True)
class BatchSpec:
    sku: str
    units: int
    date: date


@dataclass(frozen=True)
class StockAction:
    """Stock batches recorded (numbered in order), then the allocation run: customers hear of
    their dates at the next shipping update slot, not now."""

    name: ClassVar[str] = "stock"
    batches: tuple[BatchSpec, ...]


@dataclass(frozen=True)
class MoveStockAction:
    """A batch's date changes (with the public reason), then the allocation runs again."""

    name: ClassVar[str] = "move_stock"
    batch: int
    date: date
    reason: str


@dataclass(frozen=True)
class AskAction:
    """A customer asks a question on the launch (in one language), known later by ``key``."""

    name: ClassVar[str] = "ask"
    key: str
    text: str
    language: str


@dataclass(frozen=True)
class AnswerAction:
    """Support staff answer the question asked as ``question`` (a key): officially unless said."""

    name: ClassVar[str] = "answer"
    question: str
    text: str
    official: bool = True


@dataclass(frozen=True)
class NoteAction:
    """Narration only: something happened that yaksok takes no part in."""

    name: ClassVar[str] = "note"


Action = (
    PromiseAction
    | NoticeAction
    | ClarifyAction
    | OccurAction
    | CancelAction
    | CrowdAction
    | StockAction
    | MoveStockAction
    | AskAction
    | AnswerAction
    | NoteAction
)
ACTIONS = (
    "promise",
    "notice",
    "clarify",
    "occur",
    "cancel",
    "crowd",
    "stock",
    "move_stock",
    "ask",
    "answer",
    "note",
)


@dataclass(frozen=True)
class Step:
    """One moment of the timeline. ``index`` counts from 1, as error messages do."""

    index: int
    at: datetime
    actor: Actor
    what: Texts
    action: Action

    @property
    def label(self) -> str:
        return step_label(self.index, self.at)


@dataclass(frozen=True)
class Scenario:
    title: Texts
    summary: Texts
    starts_at: datetime
    ends_at: datetime
    launch: Launch
    milestones: tuple[MilestoneSpec, ...]
    cadences: tuple[CadenceSpec, ...]
    steps: tuple[Step, ...]
    source: str = ""

    def milestone_id(self, key: str) -> str:
        return f"{self.launch.slug}.{key}"

    def cadence_id(self, key: str) -> str:
        return f"{self.launch.slug}.{key}"

    def milestone(self, key: str) -> MilestoneSpec:
        for milestone in self.milestones:
            if milestone.key == key:
                return milestone
        raise KeyError(key)

    def cadence(self, key: str) -> CadenceSpec:
        for cadence in self.cadences:
            if cadence.key == key:
                return cadence
        raise KeyError(key)


def step_label(index: int, at: datetime | None) -> str:
    return f"step {index}" if at is None else f"step {index} ({at.isoformat(timespec='minutes')})"
