"""Questions answered in the open: a customer asks on a launch (or on one of its notices), support
staff answer, and an official answer is public, sent to the asker and timed on the scorecard.

A question is plain text, shown escaped with its line breaks kept: no markup is ever accepted, so
none can be injected. It is ``open`` until its first official answer, then ``answered``; a
question hidden for abuse keeps its (private) reason and is shown to nobody. A question merged
into a similar one is answered by that one's answers, and timed from its own asking.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from statistics import median

from yaksok.domain import codes
from yaksok.domain.errors import Conflict, InvalidInput

MAX_QUESTION_CHARS = 2000
MAX_ANSWER_CHARS = 4000
MAX_REASON_CHARS = 500
LANGUAGES = ("ko", "en", "ja")
_KEPT_CONTROLS = {"\n", "\t"}


class QuestionState(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    HIDDEN = "hidden"


@dataclass(frozen=True)
class StaffAnswer:
    """An answer by support staff; ``author`` is the operator's or token's id (not public)."""

    id: str
    question_id: str
    author: str
    text: str
    official: bool
    answered_at: datetime
    ledger_seq: int | None = None  # the ledger entry that made it public (live updates resume by it)


@dataclass(frozen=True)
class Question:
    """A customer's question. ``contact`` (an email address, optional) is private: only the
    answer is sent there, and it is shown nowhere."""

    id: str
    launch_slug: str
    text: str
    language: str
    asked_at: datetime
    notice_id: str | None = None
    contact: str = ""
    state: QuestionState = QuestionState.OPEN
    merged_into: str | None = None
    merged_at: datetime | None = None
    hidden_reason: str = ""
    hidden_at: datetime | None = None
    answers: tuple[StaffAnswer, ...] = field(default=())

    @property
    def public(self) -> bool:
        return self.state is not QuestionState.HIDDEN

    @property
    def first_official_at(self) -> datetime | None:
        return min((a.answered_at for a in self.answers if a.official), default=None)

    def answered(self, answer: StaffAnswer) -> Question:
        """The question with ``answer`` added: refused if hidden or merged into another one."""
        if self.state is QuestionState.HIDDEN:
            raise Conflict(f"question {self.id!r} is hidden", code=codes.QUESTION_HIDDEN)
        if self.merged_into is not None:
            raise Conflict(
                f"question {self.id!r} was merged into {self.merged_into!r}: answer that one",
                code=codes.QUESTION_MERGED,
            )
        state = QuestionState.ANSWERED if answer.official else self.state
        return replace(self, answers=(*self.answers, answer), state=state)

    def hidden(self, reason: str, at: datetime) -> Question:
        """The question hidden for abuse; ``reason`` is required and kept in the audit trail."""
        if self.state is QuestionState.HIDDEN:
            raise Conflict(f"question {self.id!r} is already hidden", code=codes.QUESTION_HIDDEN)
        why = " ".join(reason.split())
        if not why:
            raise InvalidInput("hiding a question needs a reason", code=codes.INVALID_TEXT_REQUIRED)
        if len(why) > MAX_REASON_CHARS:
            raise InvalidInput(
                f"a reason is at most {MAX_REASON_CHARS} characters", code=codes.QUESTION_TOO_LONG
            )
        return replace(self, state=QuestionState.HIDDEN, hidden_reason=why, hidden_at=at)

    def merged(self, into: Question, at: datetime) -> Question:
        """The question merged into ``into`` (of the same launch, itself neither hidden nor
        merged): answered now if ``into`` already has an official answer."""
        if into.id == self.id or into.launch_slug != self.launch_slug:
            raise Conflict(
                "a question is merged into another question of the same launch",
                code=codes.QUESTION_MERGE_INVALID,
            )
        if into.merged_into is not None or not into.public or not self.public:
            raise Conflict(
                "neither question may be hidden, and the target may not be merged itself",
                code=codes.QUESTION_MERGE_INVALID,
            )
        if self.merged_into is not None:
            raise Conflict(f"question {self.id!r} is already merged", code=codes.QUESTION_MERGE_INVALID)
        state = QuestionState.ANSWERED if into.first_official_at is not None else self.state
        return replace(self, merged_into=into.id, merged_at=at, state=state)


def check_question(text: str, language: str) -> tuple[str, str]:
    """The text as stored (stripped, NFC, no control characters but line breaks and tabs) and its
    language, or ``question.empty``, ``question.too_long``, ``invalid.language``."""
    cleaned = _plain(text)
    if not cleaned:
        raise InvalidInput("the question is empty", code=codes.QUESTION_EMPTY)
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise InvalidInput(
            f"a question is at most {MAX_QUESTION_CHARS} characters; this one has {len(cleaned)}",
            code=codes.QUESTION_TOO_LONG,
            details={"max_chars": MAX_QUESTION_CHARS},
        )
    if language not in LANGUAGES:
        raise InvalidInput(f"language must be one of {', '.join(LANGUAGES)}", code=codes.INVALID_LANGUAGE)
    return cleaned, language


def check_answer(text: str) -> str:
    cleaned = _plain(text)
    if not cleaned:
        raise InvalidInput("the answer is empty", code=codes.INVALID_TEXT_REQUIRED)
    if len(cleaned) > MAX_ANSWER_CHARS:
        raise InvalidInput(
            f"an answer is at most {MAX_ANSWER_CHARS} characters; this one has {len(cleaned)}",
            code=codes.QUESTION_TOO_LONG,
            details={"max_chars": MAX_ANSWER_CHARS},
        )
    return cleaned


def _plain(text: str) -> str:
    normal = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = "".join(
        c for c in normal if c in _KEPT_CONTROLS or unicodedata.category(c) not in ("Cc", "Cs", "Co")
    )
    return kept.strip()


def response_time(question: Question, target: Question | None = None) -> timedelta | None:
    """From the asking to the first official answer (of the question it was merged into, for a
    merged one: no earlier than the merge, when it got that answer)."""
    if target is None:
        first = question.first_official_at
    else:
        first = target.first_official_at
        if first is not None and question.merged_at is not None:
            first = max(first, question.merged_at)
    return None if first is None else max(first - question.asked_at, timedelta(0))


@dataclass(frozen=True)
class QuestionFigures:
    """A launch's questions on the scorecard: time to first official answer and what is open."""

    asked: int
    answered: int
    unanswered: int
    first_answer_minutes_median: float | None
    first_answer_minutes_p90: float | None

    def to_dict(self) -> dict[str, float | int | None]:
        return {
            "asked": self.asked,
            "answered": self.answered,
            "unanswered": self.unanswered,
            "first_answer_minutes_median": self.first_answer_minutes_median,
            "first_answer_minutes_p90": self.first_answer_minutes_p90,
        }


def question_figures(questions: Iterable[Question]) -> QuestionFigures:
    """Figures over the public questions (hidden ones are not counted either way)."""
    shown = [q for q in questions if q.public]
    by_id = {q.id: q for q in shown}
    times = [
        t
        for q in shown
        if (t := response_time(q, by_id.get(q.merged_into) if q.merged_into else None)) is not None
    ]
    minutes = sorted(t / timedelta(minutes=1) for t in times)
    return QuestionFigures(
        asked=len(shown),
        answered=len(times),
        unanswered=sum(1 for q in shown if q.state is QuestionState.OPEN),
        first_answer_minutes_median=round(median(minutes), 1) if minutes else None,
        first_answer_minutes_p90=round(_percentile(minutes, 0.9), 1) if minutes else None,
    )


def _percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values: the smallest value at least ``share`` reach."""
    rank = max(1, -(-len(ordered) * share // 1))
    return ordered[int(rank) - 1]
