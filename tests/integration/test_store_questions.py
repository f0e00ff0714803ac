"""The question repository's contract, on SQLite, PostgreSQL (when reachable) and the in-memory
fake: a question and its answers come back as stored, state changes are kept, listings filter and
keep order, and official answers are found by their ledger seq for the live updates."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from yaksok.domain.launch import Launch
from yaksok.domain.question import Question, QuestionState, StaffAnswer
from yaksok.store import port
from yaksok.store.memory import MemoryStore

T0 = datetime(2010, 11, 9, 3, 20, 15, 123456, tzinfo=UTC)
KST = timezone(timedelta(hours=9))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> port.Store:
    chosen: port.Store = (
        MemoryStore() if request.param == "memory" else request.getfixturevalue(f"{request.param}_store")
    )
    with chosen.write() as tx:
        for slug in ("ipad", "iphone"):
            tx.launches.add(Launch(slug=slug, titles={"en": slug}, zone="Asia/Seoul"), T0)
    return chosen


def question(qid: str, launch: str = "ipad", minutes: int = 0, **more: object) -> Question:
    at = (T0 + timedelta(minutes=minutes)).astimezone(KST)  # stored and read back in UTC
    return replace(
        Question(id=qid, launch_slug=launch, text="몇 시에?\n<b>언제</b>", language="ko", asked_at=at), **more
    )


def answer(aid: str, qid: str, minutes: int, seq: int | None, *, official: bool = True) -> StaffAnswer:
    return StaffAnswer(
        aid, qid, "t_support", "12:00에 알려 드립니다.", official, T0 + timedelta(minutes=minutes), seq
    )


def test_a_question_comes_back_as_stored_with_its_answers_in_order(store: port.Store) -> None:
    with store.write() as tx:
        tx.questions.add(question("q1", contact="a@example.com", notice_id="n_1"))
        tx.questions.add_answer(answer("a2", "q1", 30, 12))
        tx.questions.add_answer(answer("a1", "q1", 10, None, official=False))
    with store.read() as tx:
        found = tx.questions.get("q1")
    assert found is not None
    assert found.asked_at == T0 and found.asked_at.tzinfo is not None
    assert (found.text, found.contact, found.notice_id, found.state) == (
        "몇 시에?\n<b>언제</b>", "a@example.com", "n_1", QuestionState.OPEN,
    )  # fmt: skip
    assert [a.id for a in found.answers] == ["a1", "a2"]
    assert found.answers[1] == answer("a2", "q1", 30, 12)


def test_state_merge_and_hiding_are_kept_and_the_text_is_not_changed_by_a_save(store: port.Store) -> None:
    with store.write() as tx:
        tx.questions.add(question("q1"))
        tx.questions.add(question("q2", minutes=1))
    with store.write() as tx:
        q1 = tx.questions.claim("q1")
        assert q1 is not None
        tx.questions.save(
            replace(q1, text="changed", state=QuestionState.HIDDEN, hidden_reason="spam", hidden_at=T0)
        )
        tx.questions.save(replace(question("q2", minutes=1), merged_into="q1", merged_at=T0))
    with store.read() as tx:
        hidden, merged = tx.questions.get("q1"), tx.questions.get("q2")
    assert hidden is not None and merged is not None
    assert (hidden.text, hidden.state, hidden.hidden_reason, hidden.hidden_at) == (
        "몇 시에?\n<b>언제</b>", QuestionState.HIDDEN, "spam", T0,
    )  # fmt: skip
    assert (merged.merged_into, merged.merged_at) == ("q1", T0)


def test_listings_are_newest_first_and_filter_by_launch_notice_and_state(store: port.Store) -> None:
    with store.write() as tx:
        tx.questions.add(question("q1", minutes=1))
        tx.questions.add(question("q2", minutes=2, notice_id="n_1"))
        tx.questions.add(question("q3", "iphone", minutes=3))
        tx.questions.add(question("q4", minutes=4, state=QuestionState.ANSWERED))
    with store.read() as tx:
        assert [q.id for q in tx.questions.find()] == ["q4", "q3", "q2", "q1"]
        assert [q.id for q in tx.questions.find(launch_slug="ipad", limit=2)] == ["q4", "q2"]
        assert [q.id for q in tx.questions.find(notice_id="n_1")] == ["q2"]
        assert [q.id for q in tx.questions.find(state=QuestionState.OPEN, launch_slug="ipad")] == ["q2", "q1"]
        assert tx.questions.get("nope") is None


def test_official_answers_are_found_by_ledger_seq_and_staff_replies_are_not(store: port.Store) -> None:
    with store.write() as tx:
        tx.questions.add(question("q1"))
        tx.questions.add(question("q2", minutes=1))
        tx.questions.add_answer(answer("a1", "q1", 5, 7))
        tx.questions.add_answer(answer("a2", "q2", 6, 9, official=False))
        tx.questions.add_answer(answer("a3", "q2", 7, 11))
    with store.read() as tx:
        assert [(q.id, a.id) for q, a in tx.questions.answers_with_seq(0)] == [("q1", "a1"), ("q2", "a3")]
        assert [a.id for _, a in tx.questions.answers_with_seq(7)] == ["a3"]
        assert [a.id for _, a in tx.questions.answers_with_seq(0, limit=1)] == ["a1"]
        assert (tx.questions.answer_seq_before(11), tx.questions.answer_seq_before(7)) == (7, None)
        assert tx.questions.answer_seq_before(100) == 11
