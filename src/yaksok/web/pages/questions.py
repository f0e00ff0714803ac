"""Questions on the pages, without script: the form on each launch page and notice page, the list
of answered and open questions, and ``POST /launches/{slug}/questions`` and
``POST /notices/{id}/questions`` as the form sends them (a JSON body goes to the API instead).

A question is plain text: the pages escape it and keep its line breaks, so no markup a customer
writes is ever live. The form carries a signed token (``subscriber_links.form_token``) and is
refused when posted from another site (``Origin``, ``Sec-Fetch-Site``), as the subscribe form is.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from yaksok.channels.render import format_instant
from yaksok.config import Settings
from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput, NotFound, YaksokError
from yaksok.domain.launch import Launch
from yaksok.domain.question import LANGUAGES, MAX_QUESTION_CHARS, Question, QuestionState
from yaksok.services import questions, subscriber_links
from yaksok.services.live import question_url
from yaksok.web import errors
from yaksok.web.pages import i18n
from yaksok.web.pages.i18n import N_, Words
from yaksok.web.pages.subscribe import Choice
from yaksok.web.pages.templating import render, runtime

WORDS = Words(
    {
        "title": N_("Questions"),
        "intro": N_("Ask us anything about this launch: support staff answer here, in the open."),
        "ask": N_("Ask a question"),
        "text": N_("Your question"),
        "limit": N_("Plain text, up to {n} characters."),
        "contact": N_("Your email, to be told when it is answered (optional, never shown)"),
        "language": N_("Language of your question"),
        "button": N_("Ask"),
        "asked": N_("Your question is recorded: it shows below until it is answered."),
        "refused": N_("Question not recorded"),
        "answered": N_("Answered"),
        "open": N_("Waiting for an answer"),
        "official": N_("Official answer"),
        "staff": N_("Reply from staff"),
        "asked_at": N_("Asked {at}"),
        "merged": N_("Answered together with a similar question"),
        "none": N_("No questions yet."),
        "recent": N_("Recent questions"),
        "back": N_("Back"),
        "score_title": N_("Questions answered"),
        "score_asked": N_("Questions asked"),
        "score_answered": N_("Answered officially"),
        "score_unanswered": N_("Still unanswered"),
        "score_median": N_("Time to first official answer (median)"),
        "score_p90": N_("Time to first official answer (90th percentile)"),
        "minutes": N_("{value} min"),
    }
)


@dataclass(frozen=True)
class AnswerView:
    text: Markup
    official: bool
    answered: str


@dataclass(frozen=True)
class QuestionView:
    id: str
    text: Markup
    state: str
    asked: str
    url: str
    merged: bool
    answers: list[AnswerView]
    launch_title: str


@dataclass(frozen=True)
class QuestionForm:
    action: str
    token: str
    text: str
    contact: str
    languages: list[Choice]
    limit: str


def plain(text: str) -> Markup:
    """Customer text as HTML: every character escaped, line breaks kept as ``<br>``."""
    return Markup("<br>").join(escape(line) for line in text.split("\n"))


def question_views(found: list[Question], launches: Mapping[str, Launch], lang: str) -> list[QuestionView]:
    """Open questions first (oldest first), then answered ones (newest first); a question merged
    into another shows that one's answers. Times are in the question's launch's zone."""
    by_id = {q.id: q for q in found}
    views = []
    for q in found:
        target = by_id.get(q.merged_into or "", q)
        launch = launches.get(q.launch_slug)
        zone = launch.zone if launch else "UTC"
        views.append(
            QuestionView(
                id=q.id,
                text=plain(q.text),
                state=q.state.value,
                asked=WORDS[lang]["asked_at"].format(at=format_instant(q.asked_at, zone, lang)),
                url=question_url(q),
                merged=q.merged_into is not None,
                answers=[
                    AnswerView(plain(a.text), a.official, format_instant(a.answered_at, zone, lang))
                    for a in target.answers
                ],
                launch_title=launch.title(lang) if launch else q.launch_slug,
            )
        )
    waiting = [v for v in reversed(views) if v.state == QuestionState.OPEN.value]
    return waiting + [v for v in views if v.state != QuestionState.OPEN.value]


def question_form(
    request: Request, lang: str, action: str, *, text: str = "", contact: str = ""
) -> QuestionForm:
    chosen = lang if lang in LANGUAGES else "en"
    return QuestionForm(
        action=action,
        token=subscriber_links.form_token(runtime(request)),
        text=text,
        contact=contact,
        languages=[Choice(code, i18n.LANGUAGE_NAMES[code], code == chosen) for code in LANGUAGES],
        limit=WORDS[lang]["limit"].format(n=MAX_QUESTION_CHARS),
    )


@dataclass
class _Posted:
    text: str = ""
    contact: str = ""
    language: str = "en"
    token: str = ""


async def _form(request: Request) -> _Posted:
    """The posted form; its bytes must be UTF-8 (``question.encoding``), percent-escaped or not."""
    settings: Settings = request.app.state.settings
    body = await request.body()
    if len(body) > settings.max_body_bytes:
        raise InvalidInput(
            f"the form is larger than {settings.max_body_bytes} bytes",
            code=codes.QUESTION_TOO_LONG,
            details={"max_body_bytes": settings.max_body_bytes},
        )
    posted = _Posted()
    try:
        pairs = parse_qsl(body.decode("ascii", errors="strict"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        raise InvalidInput("the form is not valid UTF-8", code=codes.QUESTION_ENCODING) from None
    for name, value in pairs:
        if name in ("text", "contact", "language", "token"):
            setattr(posted, name, value if name == "text" else value.strip())
    return posted


def _from_this_site(request: Request) -> bool:
    site = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    return (origin is None or origin == site) and request.headers.get("sec-fetch-site") != "cross-site"


async def ask_from_form(request: Request, slug: str, notice_id: str | None, back: str) -> Response:
    """A question from the page form: 303 back to the page, at the question, or the form again
    with the reason it was refused (its 4xx status)."""
    rt = runtime(request)
    lang = i18n.choose_lang(request)
    posted = _Posted(language=lang if lang in LANGUAGES else "en")
    try:
        request.app.state.public_writes.take_for(request.scope.get("client"))
        if not _from_this_site(request):
            raise InvalidInput("this form was sent from another site", code=codes.QUESTION_FORM_STALE)
        posted = await _form(request)
        try:
            await run_in_threadpool(subscriber_links.check_form_token, rt, posted.token)
        except InvalidInput:
            raise InvalidInput(
                "this form is not from this site's page, or too old: reload the page and ask again",
                code=codes.QUESTION_FORM_STALE,
            ) from None
        command = questions.Ask(slug, posted.text, posted.language, notice_id, posted.contact)
        asked = await run_in_threadpool(questions.ask, rt, command)
    except NotFound:
        raise
    except YaksokError as exc:
        return await run_in_threadpool(_refused, request, lang, back, posted, exc)
    return RedirectResponse(f"{back}?asked={asked.id}#{asked.id}", status_code=303)


def _refused(request: Request, lang: str, back: str, posted: _Posted, exc: YaksokError) -> Response:
    return render(
        request,
        "question_refused.html",
        lang,
        status=errors.status_of(type(exc)),
        q=WORDS[lang],
        error=exc.message,
        error_code=exc.code,
        back=back,
        form=question_form(request, lang, request.url.path, text=posted.text, contact=posted.contact),
    )
