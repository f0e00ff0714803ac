"""Questions and their answers: customers' questions and support staff's answers."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.question import Question, QuestionState, StaffAnswer
from yaksok.store import port
from yaksok.store.tables import question_answers, questions


class QuestionRepository(port.QuestionRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, question: Question) -> None:
        self._db.execute(insert(questions).values(**_row(question)))

    def get(self, question_id: str) -> Question | None:
        row = self._db.execute(select(questions).where(questions.c.id == question_id)).mappings().first()
        return None if row is None else self._with_answers([_question(row)])[0]

    def claim(self, question_id: str) -> Question | None:
        query = select(questions).where(questions.c.id == question_id).with_for_update()
        row = self._db.execute(query).mappings().first()
        return None if row is None else self._with_answers([_question(row)])[0]

    def save(self, question: Question) -> None:
        values = {
            "state": question.state.value,
            "merged_into": question.merged_into,
            "merged_at": question.merged_at,
            "hidden_reason": question.hidden_reason,
            "hidden_at": question.hidden_at,
        }
        self._db.execute(update(questions).where(questions.c.id == question.id).values(**values))

    def add_answer(self, answer: StaffAnswer) -> None:
        self._db.execute(
            insert(question_answers).values(
                id=answer.id,
                question_id=answer.question_id,
                author=answer.author,
                text=answer.text,
                official=answer.official,
                answered_at=answer.answered_at,
                ledger_seq=answer.ledger_seq,
            )
        )

    def find(
        self,
        *,
        launch_slug: str | None = None,
        notice_id: str | None = None,
        state: QuestionState | None = None,
        limit: int | None = None,
    ) -> list[Question]:
        query = select(questions).order_by(questions.c.asked_at.desc(), questions.c.id.desc())
        if launch_slug is not None:
            query = query.where(questions.c.launch_slug == launch_slug)
        if notice_id is not None:
            query = query.where(questions.c.notice_id == notice_id)
        if state is not None:
            query = query.where(questions.c.state == state.value)
        if limit is not None:
            query = query.limit(limit)
        return self._with_answers([_question(row) for row in self._db.execute(query).mappings()])

    def answers_with_seq(self, after_seq: int, limit: int = 500) -> list[tuple[Question, StaffAnswer]]:
        query = (
            select(question_answers)
            .where(question_answers.c.official.is_(True), question_answers.c.ledger_seq > after_seq)
            .order_by(question_answers.c.ledger_seq)
            .limit(limit)
        )
        answers = [_answer(row) for row in self._db.execute(query).mappings()]
        if not answers:
            return []
        ids = {a.question_id for a in answers}
        rows = self._db.execute(select(questions).where(questions.c.id.in_(ids))).mappings()
        found = {q.id: q for q in self._with_answers([_question(row) for row in rows])}
        return [(found[a.question_id], a) for a in answers]

    def answer_seq_before(self, seq: int) -> int | None:
        query = (
            select(question_answers.c.ledger_seq)
            .where(question_answers.c.official.is_(True), question_answers.c.ledger_seq < seq)
            .order_by(question_answers.c.ledger_seq.desc())
            .limit(1)
        )
        found: int | None = self._db.execute(query).scalar()
        return found

    def _with_answers(self, found: list[Question]) -> list[Question]:
        if not found:
            return []
        query = (
            select(question_answers)
            .where(question_answers.c.question_id.in_([q.id for q in found]))
            .order_by(question_answers.c.answered_at, question_answers.c.id)
        )
        by_question: dict[str, list[StaffAnswer]] = defaultdict(list)
        for row in self._db.execute(query).mappings():
            by_question[row["question_id"]].append(_answer(row))
        return [_replace_answers(q, by_question.get(q.id, [])) for q in found]


def _replace_answers(question: Question, answers: list[StaffAnswer]) -> Question:
    return replace(question, answers=tuple(answers))


def _row(question: Question) -> dict[str, object]:
    return {
        "id": question.id,
        "launch_slug": question.launch_slug,
        "notice_id": question.notice_id,
        "text": question.text,
        "language": question.language,
        "contact": question.contact,
        "asked_at": question.asked_at,
        "state": question.state.value,
        "merged_into": question.merged_into,
        "merged_at": question.merged_at,
        "hidden_reason": question.hidden_reason,
        "hidden_at": question.hidden_at,
    }


def _question(row: RowMapping) -> Question:
    return Question(
        id=row["id"],
        launch_slug=row["launch_slug"],
        notice_id=row["notice_id"],
        text=row["text"],
        language=row["language"],
        contact=row["contact"],
        asked_at=row["asked_at"],
        state=QuestionState(row["state"]),
        merged_into=row["merged_into"],
        merged_at=row["merged_at"],
        hidden_reason=row["hidden_reason"],
        hidden_at=row["hidden_at"],
    )


def _answer(row: RowMapping) -> StaffAnswer:
    return StaffAnswer(
        id=row["id"],
        question_id=row["question_id"],
        author=row["author"],
        text=row["text"],
        official=bool(row["official"]),
        answered_at=row["answered_at"],
        ledger_seq=row["ledger_seq"],
    )
