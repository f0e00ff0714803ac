"""Questions through the service layer, on the in-memory store: asking, answering, hiding and
merging, what the ledger and the audit trail keep, and who is to be told."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import timedelta

import pytest

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import CreateLaunch, WriteNotice
from yaksok.domain.errors import InvalidInput, NotFound
from yaksok.domain.notice import NoticeKind
from yaksok.domain.personal_message import AnswerNote, MessageKind
from yaksok.domain.question import QuestionState
from yaksok.services import launches, notices, questions
from yaksok.services.runtime import Runtime

SLUG = "ipad-kt-2010"


@pytest.fixture
def rt(memory_rt: Runtime) -> Runtime:
    launches.create_launch(
        memory_rt, CreateLaunch(slug=SLUG, titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    return memory_rt


def support(rt: Runtime) -> Runtime:
    return dataclasses.replace(rt, actor="t_support")


def ledger(rt: Runtime) -> list[tuple[str, dict[str, object]]]:
    with rt.store.read() as tx:
        return [(e.kind, json.loads(e.payload)) for e in tx.ledger.entries()]


def test_asking_records_the_question_and_ledgers_its_hash_not_its_text(rt: Runtime) -> None:
    asked = questions.ask(rt, questions.Ask(SLUG, "몇 시에 열리나요?", "ko", contact=" a@example.com "))
    assert (asked.state, asked.contact, asked.language) == (QuestionState.OPEN, "a@example.com", "ko")
    kind, data = ledger(rt)[-1]
    assert kind == "question.asked" and "몇 시에" not in str(data)
    assert data["text_sha256"] == hashlib.sha256("몇 시에 열리나요?".encode()).hexdigest()


def test_a_question_on_an_unknown_launch_or_unpublished_notice_is_refused(rt: Runtime) -> None:
    draft = notices.create_notice(
        rt, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "d"}, launch_slug=SLUG)
    )
    for command in (questions.Ask("nope", "hi"), questions.Ask(SLUG, "hi", notice_id=draft.id)):
        with pytest.raises(NotFound):
            questions.ask(rt, command)
    with pytest.raises(InvalidInput) as refused:
        questions.ask(rt, questions.Ask(SLUG, "hi", contact="nobody"))
    assert refused.value.code == "subscription.address_invalid"
    assert questions.questions(rt) == []


def test_an_official_answer_tells_the_askers_with_a_contact_of_it_and_its_merged_questions(
    rt: Runtime, clock: SimulatedClock
) -> None:
    first = questions.ask(rt, questions.Ask(SLUG, "Price?", contact="a@example.com"))
    second = questions.ask(rt, questions.Ask(SLUG, "How much?", "ko", contact="b@example.com"))
    third = questions.ask(rt, questions.Ask(SLUG, "Cost?"))
    for merged in (second, third):
        questions.merge(support(rt), merged.id, first.id)
    clock.advance(timedelta(minutes=25))
    done = questions.answer(support(rt), first.id, "629,000 won.")
    assert [q.contact for q in done.tell] == ["a@example.com", "b@example.com"]
    assert {q.id: q.state for q in questions.questions(rt)} == dict.fromkeys(
        (first.id, second.id, third.id), QuestionState.ANSWERED
    )
    with rt.store.read() as tx:
        told = {m.contact: m for m in tx.personal_messages.for_launch(SLUG)}
    assert sorted(told) == ["a@example.com", "b@example.com"]  # in the outbox, for the delivery worker
    korean = told["b@example.com"]
    assert korean.language == "ko" and korean.kind is MessageKind.ANSWER and korean.due_at == rt.clock.now()
    assert korean.about == AnswerNote(second.id, "How much?", "629,000 won.", f"/launches/{SLUG}#{second.id}")
    assert questions.figures(rt, SLUG).to_dict()["first_answer_minutes_median"] == 25.0


def test_a_staff_reply_tells_nobody_and_leaves_the_question_open(rt: Runtime) -> None:
    asked = questions.ask(rt, questions.Ask(SLUG, "Price?", contact="a@example.com"))
    done = questions.answer(support(rt), asked.id, "Looking into it.", official=False)
    assert done.tell == () and done.question.state is QuestionState.OPEN


def test_hiding_audits_the_reason_and_ledgers_neither_reason_nor_text(rt: Runtime) -> None:
    asked = questions.ask(rt, questions.Ask(SLUG, "rude words here"))
    questions.hide(support(rt), asked.id, "insults")
    kind, data = ledger(rt)[-1]
    assert kind == "question.hidden" and "rude" not in str(data) and "insults" not in str(data)
    with rt.store.read() as tx:
        audit = tx.audit.entries(limit=10)
    assert any(e.action == "question.hidden_reason" and e.details["reason"] == "insults" for e in audit)
    assert questions.public_questions(rt, launch_slug=SLUG) == []


def test_the_public_never_gets_a_contact(rt: Runtime) -> None:
    questions.ask(rt, questions.Ask(SLUG, "Price?", contact="a@example.com"))
    assert [q.contact for q in questions.public_questions(rt, launch_slug=SLUG)] == [""]
