"""Questions: customers ask on a launch or one of its notices (public, rate-limited per address;
JSON here, the page form in ``web/pages/questions.py`` on the same paths); support staff list,
answer, hide and merge them through the admin API, with the same services as the console."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from yaksok.config import Settings
from yaksok.domain import codes
from yaksok.domain.errors import NotFound
from yaksok.domain.question import (
    LANGUAGES,
    MAX_ANSWER_CHARS,
    MAX_QUESTION_CHARS,
    MAX_REASON_CHARS,
    Question,
    QuestionState,
)
from yaksok.services import lookups, questions
from yaksok.services.auth import Role
from yaksok.services.live import question_url
from yaksok.services.runtime import Runtime
from yaksok.web.api.body import decode, is_json, read_limited
from yaksok.web.api.operation import Call, Doc, DocumentedRoute, operation
from yaksok.web.api.responses import Instant, Out
from yaksok.web.api.schemas import Body
from yaksok.web.errors import REQUEST_UNSUPPORTED_MEDIA_TYPE, UnsupportedMediaType
from yaksok.web.pages import questions as page

PREFIX = "/api/v1"
Language = Annotated[str, Meta(description=f"the question's language: {', '.join(LANGUAGES)}")]


class NewQuestion(Body):
    """A customer's question: plain text (never markup), its language, and optionally an email
    address told of the official answer (private: shown nowhere)."""

    text: Annotated[str, Meta(min_length=1, max_length=MAX_QUESTION_CHARS * 4)]
    language: Language = "en"
    contact: Annotated[str, Meta(max_length=254)] = ""


class AnswerBody(Body):
    text: Annotated[str, Meta(min_length=1, max_length=MAX_ANSWER_CHARS * 4)]
    official: Annotated[bool, Meta(description="an official answer is marked, mailed and live")] = True


class HideBody(Body):
    reason: Annotated[str, Meta(min_length=1, max_length=MAX_REASON_CHARS, description="why (audit trail)")]


class MergeBody(Body):
    into: Annotated[str, Meta(min_length=1, max_length=32, description="the similar question's id")]


class AnswerOut(Out):
    id: str
    text: str
    official: bool
    answered_at: Instant


class PublicQuestionOut(Out):
    """A question as anyone may see it: never its contact."""

    id: str
    launch: str
    notice: str | None
    text: Annotated[str, Meta(description="plain text: escape it wherever it is shown")]
    language: str
    state: QuestionState
    asked_at: Instant
    merged_into: str | None
    url: str
    answers: list[AnswerOut]


class QuestionOut(PublicQuestionOut):
    """A question as support staff see it: with the asker's contact and why it was hidden."""

    contact: str
    hidden_reason: str
    hidden_at: Instant | None


def _answers(question: Question) -> list[AnswerOut]:
    return [AnswerOut(id=a.id, text=a.text, official=a.official, answered_at=a.answered_at.isoformat())
            for a in question.answers]  # fmt: skip


def public_view(question: Question) -> PublicQuestionOut:
    return PublicQuestionOut(
        id=question.id, launch=question.launch_slug, notice=question.notice_id, text=question.text,
        language=question.language, state=question.state, asked_at=question.asked_at.isoformat(),
        merged_into=question.merged_into, url=question_url(question), answers=_answers(question),
    )  # fmt: skip


def question_view(question: Question) -> QuestionOut:
    return QuestionOut(
        **msgspec.structs.asdict(public_view(question)),
        contact=question.contact,
        hidden_reason=question.hidden_reason,
        hidden_at=None if question.hidden_at is None else question.hidden_at.isoformat(),
    )


_DECODER = msgspec.json.Decoder(NewQuestion)


async def _ask(request: Request, slug: str, notice_id: str | None, back: str) -> Response:
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/x-www-form-urlencoded"):
        return await page.ask_from_form(request, slug, notice_id, back)
    rt: Runtime = request.app.state.rt
    settings: Settings = request.app.state.settings
    request.app.state.public_writes.take_for(request.scope.get("client"))
    raw = await read_limited(request, settings.max_body_bytes)
    if not is_json(content_type):
        raise UnsupportedMediaType(
            "send the question as application/json (or the page's form)", code=REQUEST_UNSUPPORTED_MEDIA_TYPE
        )
    body = decode(_DECODER, raw)
    command = questions.Ask(slug, body.text, body.language, notice_id, body.contact)
    asked = await run_in_threadpool(questions.ask, rt, command)
    return Response(msgspec.json.encode(public_view(asked)), status_code=201, media_type="application/json")


async def ask_on_launch(request: Request) -> Response:
    slug = request.path_params["slug"]
    return await _ask(request, slug, None, f"/launches/{slug}")


async def ask_on_notice(request: Request) -> Response:
    notice_id = request.path_params["notice_id"]
    rt: Runtime = request.app.state.rt
    notice = await run_in_threadpool(lookups.notice, rt, notice_id)
    if notice.launch_slug is None:
        raise NotFound(f"notice {notice_id!r} belongs to no launch", code=codes.NOTICE_NOT_FOUND)
    return await _ask(request, notice.launch_slug, notice_id, f"/notices/{notice_id}")


async def public_list(request: Request) -> Response:
    rt: Runtime = request.app.state.rt
    found = await run_in_threadpool(questions.public_questions, rt, launch_slug=request.path_params["slug"])
    return Response(msgspec.json.encode([public_view(q) for q in found]), media_type="application/json")


def list_questions(call: Call[None]) -> list[QuestionOut]:
    found = questions.questions(
        call.rt,
        launch_slug=call.id_param("launch", codes.LAUNCH_NOT_FOUND),
        notice_id=call.id_param("notice", codes.NOTICE_NOT_FOUND),
        state=call.enum_param("state", QuestionState),
        limit=call.int_param("limit", 200, 1, 1000),
    )
    return [question_view(q) for q in found]


def get_question(call: Call[None]) -> QuestionOut:
    return question_view(questions.question(call.rt, call.path["question_id"]))


def hide(call: Call[HideBody]) -> QuestionOut:
    return question_view(questions.hide(call.rt, call.path["question_id"], call.body.reason))


def merge(call: Call[MergeBody]) -> QuestionOut:
    return question_view(questions.merge(call.rt, call.path["question_id"], call.body.into))


def answer_question(call: Call[AnswerBody]) -> QuestionOut:
    done = questions.answer(call.rt, call.path["question_id"], call.body.text, official=call.body.official)
    return question_view(done.question)


_LIST_QUERY = (
    ("launch", "only questions on this launch (slug)"),
    ("notice", "only questions on this notice"),
    ("state", "only questions in this state: open, answered or hidden"),
    ("limit", "at most this many, newest first (1-1000, default 200)"),
)


def routes() -> list[BaseRoute]:
    question = f"{PREFIX}/questions/{{question_id}}"
    return [
        DocumentedRoute("/launches/{slug}/questions", ask_on_launch, method="POST", doc=Doc(
            "Ask a question on a launch (JSON; the page's form is answered with a page)", "questions",
            None, body=NewQuestion, status=201, reply=PublicQuestionOut)),
        DocumentedRoute("/launches/{slug}/questions", public_list, method="GET", doc=Doc(
            "A launch's questions not hidden, newest first, with their answers", "questions", None,
            reply=list[PublicQuestionOut])),
        DocumentedRoute("/notices/{notice_id}/questions", ask_on_notice, method="POST", doc=Doc(
            "Ask a question on a published notice of a launch (JSON, or the page's form)", "questions",
            None, body=NewQuestion, status=201, reply=PublicQuestionOut)),
        operation("GET", f"{PREFIX}/questions", list_questions, role=Role.SUPPORT, tag="questions",
                  summary="Customers' questions, newest first, with contacts", query=_LIST_QUERY),
        operation("GET", question, get_question, role=Role.SUPPORT, tag="questions", summary="A question"),
        operation("POST", f"{question}/answer", answer_question, role=Role.SUPPORT, tag="questions",
                  summary="Answer a question; an official answer is mailed to its asker and goes live",
                  body=AnswerBody),
        operation("POST", f"{question}/hide", hide, role=Role.SUPPORT, tag="questions",
                  summary="Hide a question for abuse, saying why (audit trail)", body=HideBody),
        operation("POST", f"{question}/merge", merge, role=Role.SUPPORT, tag="questions",
                  summary="Merge a question into a similar one: it gets that one's answers", body=MergeBody),
    ]  # fmt: skip
