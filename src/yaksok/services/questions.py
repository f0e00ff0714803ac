"""Questions answered in the open: customers ask (page form or API), support staff answer, hide
abuse (saying why) and merge similar questions into one answer. Asking, answering, hiding and
merging are public acts, in the ledger; a hidden question's text is not (only its hash, from the
asking). The asker's contact is private: the official answer is mailed there, nowhere else.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, replace
from datetime import datetime

from yaksok.channels import email
from yaksok.domain import codes
from yaksok.domain.errors import NotFound
from yaksok.domain.notice import NoticeState
from yaksok.domain.personal_message import AnswerNote, MessageKind, PersonalMessage, answer_message_id
from yaksok.domain.question import (
    Question,
    QuestionFigures,
    QuestionState,
    StaffAnswer,
    check_answer,
    check_question,
    question_figures,
)
from yaksok.services import audit_trail, ledger, personal_messages
from yaksok.services.launches import get_launch
from yaksok.services.live import question_url
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

log = logging.getLogger(__name__)

PAGE_SIZE = 50  # questions a public page shows


@dataclass(frozen=True)
class Ask:
    """A customer's question, as the form or the API sent it."""

    launch_slug: str
    text: str
    language: str = "en"
    notice_id: str | None = None
    contact: str = ""


@dataclass(frozen=True)
class Answered:
    """An answer given, with the questions whose askers are to be told (contacts, languages)."""

    question: Question
    answer: StaffAnswer
    tell: tuple[Question, ...]


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _found(found: Question | None, question_id: str) -> Question:
    if found is None:
        raise NotFound(f"no question {question_id!r}", code=codes.QUESTION_NOT_FOUND)
    return found


def ask(rt: Runtime, command: Ask) -> Question:
    """Record a customer's question on a launch (or on one of its published notices). The
    ledger keeps when it was asked and the text's hash, so a hidden question's text never is."""
    text, language = check_question(command.text, command.language)
    contact = email.check_address(command.contact) if command.contact.strip() else ""
    now = rt.clock.now()
    with rt.store.write() as tx:
        get_launch(tx, command.launch_slug)
        if command.notice_id is not None:
            notice = tx.notices.get(command.notice_id)
            published = notice is not None and notice.state is NoticeState.PUBLISHED
            if not published or notice is None or notice.launch_slug != command.launch_slug:
                raise NotFound(
                    f"no published notice {command.notice_id!r} of launch {command.launch_slug!r}",
                    code=codes.NOTICE_NOT_FOUND,
                )
        question = Question(
            id=rt.new_id("q"),
            launch_slug=command.launch_slug,
            notice_id=command.notice_id,
            text=text,
            language=language,
            contact=contact,
            asked_at=now,
        )
        tx.questions.add(question)
        ledger.record(tx, rt, "question.asked", {
            "question": question.id, "launch": question.launch_slug, "notice": question.notice_id,
            "language": language, "asked_at": now.isoformat(), "text_sha256": _digest(text),
        })  # fmt: skip
    return question


def answer(rt: Runtime, question_id: str, text: str, *, official: bool = True) -> Answered:
    """StaffAnswer a question (support, editor or admin). An official answer marks the question (and
    those merged into it) answered, goes out on the live updates and is to be mailed to askers
    who left a contact (a personal message in the same transaction, sent by the delivery worker)."""
    assert rt.actor is not None, "a question is answered by an operator"
    cleaned = check_answer(text)
    now = rt.clock.now()
    with rt.store.write() as tx:
        question = _found(tx.questions.claim(question_id), question_id)
        draft = StaffAnswer(rt.new_id("qa"), question.id, rt.actor, cleaned, official, now)
        question.answered(draft)  # refused here if hidden or merged
        entry = ledger.record(tx, rt, "question.answered", {
            "question": question.id, "answer": draft.id, "launch": question.launch_slug,
            "notice": question.notice_id, "official": official, "text": cleaned,
            "answered_at": now.isoformat(), "question_sha256": _digest(question.text),
        })  # fmt: skip
        given = replace(draft, ledger_seq=entry.seq)
        tx.questions.add_answer(given)
        answered = question.answered(given)
        tx.questions.save(answered)
        tell: list[Question] = []
        if official:
            tell = [answered, *_merged_into(tx, answered)]
            tx.live_events.announce(entry.seq)  # other processes' live updates read it
            tx.after_commit.append(rt.answered)
        with_contact = tuple(q for q in tell if q.contact)
        personal_messages.tell(tx, [_answer_message(asked, given, now) for asked in with_contact])
    return Answered(answered, given, with_contact)


def _answer_message(asked: Question, answer: StaffAnswer, now: datetime) -> PersonalMessage:
    """The official answer for one asker, in their language, through the delivery worker's outbox
    (retried like a notice's email if their server refuses it for now)."""
    note = AnswerNote(asked.id, asked.text, answer.text, question_url(asked))
    return PersonalMessage(
        id=answer_message_id(answer.id, asked.id),
        launch_slug=asked.launch_slug,
        kind=MessageKind.ANSWER,
        contact=asked.contact,
        language=asked.language,
        about=note,
        due_at=now,
    )


def _merged_into(tx: Transaction, target: Question) -> list[Question]:
    """The questions merged into ``target``, now answered with it."""
    merged = [q for q in tx.questions.find(launch_slug=target.launch_slug) if q.merged_into == target.id]
    done = []
    for question in merged:
        if question.state is QuestionState.OPEN:
            question = replace(question, state=QuestionState.ANSWERED)
            tx.questions.save(question)
        if question.public:
            done.append(question)
    return done


def hide(rt: Runtime, question_id: str, reason: str) -> Question:
    """Hide a question for abuse: shown to nobody from now on. The reason is in the audit trail;
    the ledger says which question was hidden and when, never its text."""
    assert rt.actor is not None, "a question is hidden by an operator"
    now = rt.clock.now()
    with rt.store.write() as tx:
        question = _found(tx.questions.claim(question_id), question_id)
        hidden = question.hidden(reason, now)
        tx.questions.save(hidden)
        details = {"question": hidden.id, "launch": hidden.launch_slug, "hidden_at": now.isoformat()}
        ledger.record(tx, rt, "question.hidden", details)
        audit_trail.record(
            tx, rt, "question.hidden_reason", {**details, "reason": hidden.hidden_reason}, actor=rt.actor
        )
    return hidden


def merge(rt: Runtime, question_id: str, into_id: str) -> Question:
    """Merge a question into a similar one of the same launch: its asker gets that one's answer."""
    assert rt.actor is not None, "questions are merged by an operator"
    now = rt.clock.now()
    with rt.store.write() as tx:
        question = _found(tx.questions.claim(question_id), question_id)
        into = _found(tx.questions.claim(into_id), into_id)
        merged = question.merged(into, now)
        tx.questions.save(merged)
        ledger.record(tx, rt, "question.merged", {
            "question": merged.id, "into": into.id, "launch": merged.launch_slug,
            "merged_at": now.isoformat(),
        })  # fmt: skip
    return merged


def questions(
    rt: Runtime,
    *,
    launch_slug: str | None = None,
    notice_id: str | None = None,
    state: QuestionState | None = None,
    limit: int | None = None,
) -> list[Question]:
    """Every question for operators (contacts and hidden ones included), newest first."""
    with rt.store.read() as tx:
        return tx.questions.find(launch_slug=launch_slug, notice_id=notice_id, state=state, limit=limit)


def question(rt: Runtime, question_id: str) -> Question:
    with rt.store.read() as tx:
        return _found(tx.questions.get(question_id), question_id)


def public_questions(
    rt: Runtime, *, launch_slug: str | None = None, notice_id: str | None = None, limit: int = PAGE_SIZE
) -> list[Question]:
    """What the public pages show: questions not hidden, newest first, without any contact."""
    with rt.store.read() as tx:
        found = tx.questions.find(launch_slug=launch_slug, notice_id=notice_id, limit=limit * 2)
    return [replace(q, contact="") for q in found if q.public][:limit]


def figures(rt: Runtime, launch_slug: str) -> QuestionFigures:
    """The launch's time to first official answer (median, p90) and what is still unanswered."""
    with rt.store.read() as tx:
        return question_figures(tx.questions.find(launch_slug=launch_slug))
