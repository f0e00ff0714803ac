"""``GET /``: the notice board, newest first, under each launch's upcoming milestones and any
apology still owed for a broken promise."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from yaksok.channels.render import format_instant, launch_url
from yaksok.domain.notice import NoticeKind
from yaksok.services import queries, questions
from yaksok.web.pages import i18n, labels
from yaksok.web.pages import questions as questions_page
from yaksok.web.pages.launch import MilestoneView, by_promised_time, milestone_view
from yaksok.web.pages.notice import notice_views
from yaksok.web.pages.subscribe import subscribe_form
from yaksok.web.pages.templating import render, runtime

BOARD_SIZE = 50
BOARD_QUESTIONS = 10  # the newest questions, answered or not; each launch page shows its own


@dataclass(frozen=True)
class LaunchSummary:
    title: str
    url: str
    upcoming: list[MilestoneView]
    content_note: str = ""  # when its texts are shown in another language than the page's


@dataclass(frozen=True)
class OwedView:
    line: str
    due: str
    overdue: bool
    url: str


def _summaries(board: queries.Board, lang: str) -> list[LaunchSummary]:
    summaries = []
    for launch in sorted(board.launches.values(), key=lambda launch: launch.slug):
        milestones = sorted(
            (
                m
                for m in board.milestones.values()
                if m.launch_slug == launch.slug and m.occurrence is None and not m.cancelled
            ),
            key=by_promised_time,
        )
        views = [milestone_view(m, launch, lang, board.now) for m in milestones]
        note = i18n.content_note(launch, lang)
        summaries.append(LaunchSummary(launch.title(lang), launch_url("", launch.slug), views, note))
    return summaries


def _owed(board: queries.Board, lang: str) -> list[OwedView]:
    """Only what is still owed: once the apology is out, the banner goes."""
    t = i18n.STRINGS[lang]
    views = []
    for owed in board.owed:
        if owed.published:
            continue
        zone = owed.launch.zone
        line = t["owed_line"].format(
            milestone=owed.milestone.title(lang, owed.launch.languages),
            launch=owed.launch.title(lang),
            broke_at=format_instant(owed.broke_at, zone, lang),
        )
        due = t["owed_due"].format(due_by=format_instant(owed.due_by, zone, lang))
        url = f"{launch_url('', owed.launch.slug)}#m-{owed.milestone.key}"
        views.append(OwedView(line, due, board.now > owed.due_by, url))
    return views


@dataclass(frozen=True)
class KindFilter:
    label: str
    url: str
    current: bool


def _kind_filters(kind: NoticeKind | None, lang: str) -> list[KindFilter]:
    filters = [KindFilter(i18n.STRINGS[lang]["all_kinds"], f"/?lang={lang}", kind is None)]
    for each in NoticeKind:
        label = labels.NOTICE_KINDS[lang][each.value]
        filters.append(KindFilter(label, f"/?kind={each.value}&lang={lang}", kind is each))
    return filters


def _kind(request: Request) -> NoticeKind | None:
    """``?kind=`` narrows the board to one kind of notice; an unknown kind shows everything."""
    raw = request.query_params.get("kind", "")
    return NoticeKind(raw) if raw in NoticeKind.__members__.values() else None


def _page(request: Request) -> int:
    """``?page=N`` (from 1) pages back through older notices; anything else is the first page."""
    raw = request.query_params.get("page", "1")
    return int(raw) if raw.isdigit() and 1 <= int(raw) <= 10_000 else 1


def _older_url(kind: NoticeKind | None, page: int, lang: str) -> str:
    kind_part = f"kind={kind.value}&" if kind is not None else ""
    return f"/?{kind_part}page={page + 1}&lang={lang}"


def board_page(request: Request) -> Response:
    lang = i18n.choose_lang(request)
    kind, page = _kind(request), _page(request)
    # One notice more than the page shows tells whether there are older ones.
    board = queries.board(runtime(request), kind=kind, limit=BOARD_SIZE + 1, offset=(page - 1) * BOARD_SIZE)
    older = len(board.notices) > BOARD_SIZE
    return render(
        request,
        "board.html",
        lang,
        launches=_summaries(board, lang),
        owed=_owed(board, lang),
        notices=notice_views(board.notices[:BOARD_SIZE], lang, board.milestones, board.launches),
        kind_filters=_kind_filters(kind, lang),
        older_url=_older_url(kind, page, lang) if older else None,
        newest_url=f"/?{f'kind={kind.value}&' if kind else ''}lang={lang}" if page > 1 else None,
        subscribe=subscribe_form(request, lang, launches=board.launches),
        q=questions_page.WORDS[lang],
        questions=questions_page.question_views(
            questions.public_questions(runtime(request), limit=BOARD_QUESTIONS), board.launches, lang
        ),
    )
