"""What live updates (``web/live_hub.py``) ask of the store: the notices published after a ledger
seq, where the ledger stands, and a way to hear of other processes' publications at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from yaksok.channels.render import launch_url, notice_url
from yaksok.domain.notice import Notice
from yaksok.domain.question import Question
from yaksok.services import lookups
from yaksok.services.runtime import Runtime


class PublicationListener(Protocol):
    """Hears of publications committed by any process on the same database."""

    @property
    def listening(self) -> bool:
        """Whether notifications arrive right now (else only polling the store finds news)."""
        ...

    async def run(self, wake: Callable[[], None]) -> None:
        """Call ``wake`` on every publication, and after each (re)connection, until cancelled."""
        ...


def published_after(rt: Runtime, seq: int, limit: int) -> list[tuple[int, Notice]]:
    """Up to ``limit`` notices published after ledger entry ``seq``, with their seqs, in ledger order."""
    with rt.store.read() as tx:
        return tx.notices.published_with_seq(seq, limit)


@dataclass(frozen=True)
class LiveAnswer:
    """An official answer as the live updates carry it (its question's text is not included)."""

    question: str
    launch: str
    notice: str | None
    text: str
    answered_at: str
    url: str


def answered_after(rt: Runtime, seq: int, limit: int) -> list[tuple[int, LiveAnswer]]:
    """Up to ``limit`` official answers ledgered after ``seq``, with their seqs, in ledger order.
    An answer is public like its ledger entry even once its question is hidden (the frame never
    carries the question's text), and leaving none out keeps every page complete up to its end."""
    with rt.store.read() as tx:
        found = tx.questions.answers_with_seq(seq, limit)
    return [
        (
            answer.ledger_seq or 0,
            LiveAnswer(
                question.id,
                question.launch_slug,
                question.notice_id,
                answer.text,
                answer.answered_at.isoformat(),
                question_url(question),
            ),
        )
        for question, answer in found
    ]


def question_url(question: Question, base_url: str = "") -> str:
    """Where a question is shown: on its notice's page, or its launch's."""
    page = (
        notice_url(base_url, question.notice_id)
        if question.notice_id
        else launch_url(base_url, question.launch_slug)
    )
    return f"{page}#{question.id}"


def ledger_head_seq(rt: Runtime) -> int:
    """The seq of the newest ledger entry (0 for an empty ledger)."""
    head = lookups.ledger_head(rt)
    return 0 if head is None else head.seq


def publication_listener(rt: Runtime) -> PublicationListener | None:
    """A listener for every process's publications, or None where the store cannot push them
    (SQLite, or a driver without LISTEN): then polling is the only way."""
    return rt.store.publication_listener()
