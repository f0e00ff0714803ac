"""Customers' questions: unanswered first, answered from the console (support, editor or admin)
through the same services as the admin API; abuse hidden with a reason, similar questions merged."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from yaksok.domain.question import QuestionState
from yaksok.services import questions
from yaksok.services.auth import Role
from yaksok.web.console.session import Visit, console_view
from yaksok.web.pages.questions import plain


@console_view(Role.SUPPORT)
def questions_page(visit: Visit) -> Response:
    launch = visit.request.query_params.get("launch") or None
    every = questions.questions(visit.rt, launch_slug=launch, limit=500)
    waiting = [q for q in reversed(every) if q.state is QuestionState.OPEN and q.merged_into is None]
    merged = [q for q in every if q.state is QuestionState.OPEN and q.merged_into is not None]
    answered = [q for q in every if q.state is QuestionState.ANSWERED][:50]
    hidden = [q for q in every if q.state is QuestionState.HIDDEN][:20]
    return visit.page(
        "console/questions.html",
        waiting=waiting,
        merged=merged,
        answered=answered,
        hidden=hidden,
        plain=plain,
        done=visit.request.query_params.get("done", ""),
    )


def _back(question_id: str) -> Response:
    return RedirectResponse(f"/console/questions?done={question_id}", status_code=303)


@console_view(Role.SUPPORT)
def answer(visit: Visit) -> Response:
    question_id = visit.request.path_params["question_id"]
    official = visit.form.get("official", "on") == "on"
    questions.answer(visit.rt, question_id, visit.form.get("text", ""), official=official)
    return _back(question_id)


@console_view(Role.SUPPORT)
def hide(visit: Visit) -> Response:
    question_id = visit.request.path_params["question_id"]
    questions.hide(visit.rt, question_id, visit.form.get("reason", ""))
    return _back(question_id)


@console_view(Role.SUPPORT)
def merge(visit: Visit) -> Response:
    question_id = visit.request.path_params["question_id"]
    questions.merge(visit.rt, question_id, visit.form.get("into", "").strip())
    return _back(question_id)
