"""Questions in the domain: plain text, states, hiding, merging and the response times."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.question import (
    MAX_QUESTION_CHARS,
    Question,
    QuestionState,
    StaffAnswer,
    check_question,
    question_figures,
    response_time,
)

T0 = datetime(2010, 11, 9, 3, 0, tzinfo=UTC)


def asked(qid: str = "q1", minutes: int = 0, launch: str = "ipad") -> Question:
    return Question(
        id=qid, launch_slug=launch, text="When?", language="ko", asked_at=T0 + timedelta(minutes=minutes)
    )


def reply(question: Question, minutes: int, *, official: bool = True) -> StaffAnswer:
    return StaffAnswer(
        f"a-{question.id}-{minutes}",
        question.id,
        "t_1",
        "At 20:00.",
        official,
        T0 + timedelta(minutes=minutes),
    )


def test_a_question_is_kept_as_plain_text_with_its_line_breaks_and_without_control_characters() -> None:
    text, language = check_question("  <b>When</b>?\r\nAt what time?\x00\x07  ", "en")
    assert (text, language) == ("<b>When</b>?\nAt what time?", "en")


@pytest.mark.parametrize(
    ("text", "language", "code"),
    [
        ("   \n\t ", "en", "question.empty"),
        ("x" * (MAX_QUESTION_CHARS + 1), "en", "question.too_long"),
        ("hello", "fr", "invalid.language"),
    ],
)
def test_an_empty_oversized_or_unknown_language_question_is_refused_with_its_code(
    text: str, language: str, code: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_question(text, language)
    assert refused.value.code == code


@given(st.text(max_size=3000))
def test_whatever_is_accepted_has_no_control_character_but_line_breaks_and_tabs_and_fits(text: str) -> None:
    try:
        cleaned, _ = check_question(text, "en")
    except InvalidInput:
        return
    assert 0 < len(cleaned) <= MAX_QUESTION_CHARS
    assert all(c in "\n\t" or (ord(c) >= 32 and not 0x7F <= ord(c) < 0xA0) for c in cleaned)


def test_an_official_answer_marks_the_question_answered_and_a_staff_reply_does_not() -> None:
    question = asked()
    assert question.answered(reply(question, 5, official=False)).state is QuestionState.OPEN
    assert question.answered(reply(question, 5)).state is QuestionState.ANSWERED


def test_a_hidden_question_needs_a_reason_and_can_be_neither_answered_nor_hidden_again() -> None:
    with pytest.raises(InvalidInput):
        asked().hidden("   ", T0)
    hidden = asked().hidden("spam", T0)
    assert (hidden.state, hidden.hidden_reason, hidden.public) == (QuestionState.HIDDEN, "spam", False)
    for act in (lambda: hidden.answered(reply(hidden, 1)), lambda: hidden.hidden("again", T0)):
        with pytest.raises(Conflict) as refused:
            act()
        assert refused.value.code == "question.hidden"


def test_questions_merge_only_into_another_visible_unmerged_question_of_the_same_launch() -> None:
    first, second = asked("q1"), asked("q2", 3)
    for into, question in [
        (first, first),
        (asked("q3", launch="other"), second),
        (first.hidden("x", T0), second),
    ]:
        with pytest.raises(Conflict) as refused:
            question.merged(into, T0)
        assert refused.value.code == "question.merge_invalid"
    merged = second.merged(first, T0 + timedelta(minutes=4))
    with pytest.raises(Conflict) as refused:
        merged.answered(reply(merged, 5))
    assert refused.value.code == "question.merged"


def test_a_question_merged_into_an_answered_one_is_answered_at_the_merge() -> None:
    first = asked("q1")
    first = first.answered(reply(first, 10))
    late = asked("q2", 30).merged(first, T0 + timedelta(minutes=50))
    assert late.state is QuestionState.ANSWERED
    assert response_time(late, first) == timedelta(minutes=20)


def test_the_scorecard_counts_time_to_first_official_answer_and_what_is_still_open() -> None:
    questions = []
    for n, minutes in enumerate([15, 20, 100]):
        question = asked(f"q{n}")
        staff_note = reply(question, 1, official=False)
        questions.append(question.answered(staff_note).answered(reply(question, minutes)))
    questions += [asked("open"), asked("spam").hidden("spam", T0)]
    figures = question_figures(questions)
    assert figures.to_dict() == {
        "asked": 4,
        "answered": 3,
        "unanswered": 1,
        "first_answer_minutes_median": 20.0,
        "first_answer_minutes_p90": 100.0,
    }


def test_no_question_gives_no_times_rather_than_zero() -> None:
    figures = question_figures([])
    assert (figures.first_answer_minutes_median, figures.first_answer_minutes_p90, figures.unanswered) == (
        None,
        None,
        0,
    )


def test_only_the_first_official_answer_counts_however_many_follow() -> None:
    question = asked()
    twice = question.answered(reply(question, 30)).answered(replace(reply(question, 90), id="later"))
    assert response_time(twice) == timedelta(minutes=30)
