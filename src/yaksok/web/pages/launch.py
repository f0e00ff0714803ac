"""``GET /launches/{slug}``: each milestone's promise, countdown, outcome and full promise history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from yaksok.channels import when
from yaksok.channels.render import describe_milestone, format_instant, notice_url
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.promise import Precision, PromiseVersion
from yaksok.domain.reservation import PreorderState, PreorderStatus, preorder_status
from yaksok.domain.scorecard import VersionOutcome, milestone_outcomes
from yaksok.domain.texts import pick_text
from yaksok.domain.waiting_room import Room
from yaksok.services import queries, questions, waiting_room
from yaksok.web.pages import i18n, labels
from yaksok.web.pages import questions as questions_page
from yaksok.web.pages.notice import notice_views
from yaksok.web.pages.subscribe import subscribe_form
from yaksok.web.pages.templating import html_page, render, runtime


@dataclass(frozen=True)
class VersionView:
    version: int
    promised: str
    announced: str
    change: str
    reason: str
    overrides: list[str]
    justification: str
    notice_url: str
    outcome: str
    outcome_label: str


@dataclass(frozen=True)
class MilestoneView:
    id: str
    anchor: str
    title: str
    promised: str
    precision: str
    precision_label: str
    # ISO instant for the local-time line and countdown; empty unless an exact time still lies ahead.
    countdown_iso: str
    outcome: str
    outcome_label: str
    occurred: str
    history: list[VersionView]


def milestone_view(milestone: Milestone, launch: Launch, lang: str, now: datetime) -> MilestoneView:
    outcomes = milestone_outcomes(milestone, launch.policy, now)
    by_version = {o.version.version: o for o in outcomes}
    promise = milestone.promise
    precision = promise.precision.value if promise else Precision.UNANNOUNCED.value
    outcome = _milestone_outcome(milestone, outcomes)
    return MilestoneView(
        id=milestone.id,
        anchor=f"m-{milestone.key}",
        title=milestone.title(lang, launch.languages),
        promised=describe_milestone(milestone, lang),
        precision=precision,
        precision_label=labels.PRECISIONS[lang][precision],
        countdown_iso=_countdown_target(milestone),
        outcome=outcome,
        outcome_label=labels.OUTCOMES[lang][outcome],
        occurred=format_instant(milestone.occurrence.at, launch.zone, lang) if milestone.occurrence else "",
        history=[_version_view(v, by_version.get(v.version), launch, lang) for v in milestone.versions],
    )


def _countdown_target(milestone: Milestone) -> str:
    """Only an exact time still to come is worth counting down to; a day has no moment to count to."""
    promise = milestone.promise
    if promise is None or promise.at is None or promise.precision is not Precision.EXACT:
        return ""
    if milestone.cancelled or milestone.occurrence is not None:
        return ""
    return promise.at.isoformat()


def _milestone_outcome(milestone: Milestone, outcomes: list[VersionOutcome]) -> str:
    """The verdict on the milestone as a whole: the judgement of its last promise with a time."""
    if milestone.cancelled:
        return "cancelled"
    return outcomes[-1].outcome.value if outcomes else "none"


def _version_view(
    version: PromiseVersion, outcome: VersionOutcome | None, launch: Launch, lang: str
) -> VersionView:
    change = version.change_kind.value if version.change_kind else ""
    verdict = outcome.outcome.value if outcome else ""
    return VersionView(
        version=version.version,
        promised=when.describe(version.promise, lang),
        announced=format_instant(version.made_at, launch.zone, lang),
        change=labels.CHANGE_KINDS[lang][change],
        reason=pick_text(version.reason, lang, launch.languages),
        overrides=[labels.RULES[lang].get(rule, rule) for rule in version.overridden],
        justification=pick_text(version.justification, lang, launch.languages),
        notice_url=notice_url("", version.notice_id) if version.notice_id else "",
        outcome=verdict,
        outcome_label=labels.OUTCOMES[lang][verdict] if verdict else "",
    )


@html_page
def launch_page(request: Request) -> Response:
    lang = i18n.choose_lang(request)
    slug = request.path_params["slug"]
    board = queries.board(runtime(request), launch_slug=slug, limit=50)
    launch = board.launches[slug]
    milestones = sorted(board.milestones.values(), key=by_promised_time)
    status = preorder_status(launch, milestones, board.now)
    room = waiting_room.room_of(runtime(request), slug)
    return render(
        request,
        "launch.html",
        lang,
        launch=launch,
        launch_title=launch.title(lang),
        content_note=i18n.content_note(launch, lang),
        milestones=[milestone_view(m, launch, lang, board.now) for m in milestones],
        preorder=None if status is None else preorder_view(status, launch, lang, room),
        notices=notice_views(board.notices, lang, board.milestones, board.launches),
        feeds={"atom": f"/launches/{slug}/feed.atom", "calendar": f"/launches/{slug}/calendar.ics"},
        subscribe=subscribe_form(request, lang, launches=board.launches, chosen=(slug,)),
        q=questions_page.WORDS[lang],
        questions=questions_page.question_views(
            questions.public_questions(runtime(request), launch_slug=slug), board.launches, lang
        ),
        question_form=questions_page.question_form(request, lang, f"/launches/{slug}/questions"),
        asked=request.query_params.get("asked", ""),
    )


def preorder_view(status: PreorderStatus, launch: Launch, lang: str, room: Room | None) -> dict[str, object]:
    """The pre-order's state in words, each time in the launch's zone with UTC beside it."""
    t = i18n.STRINGS[lang]

    at = status.closed_at or status.opens_at
    line = t[f"preorder_{status.state.value}"].format(at=format_instant(at, launch.zone, lang) if at else "")
    offer = [
        (
            pick_text(sku.titles, lang, launch.languages) or sku.code,
            t["preorder_limited"].format(cap=sku.cap) if sku.cap is not None else "",
        )
        for sku in launch.skus
    ]
    limit = t["preorder_limit"].format(limit=launch.per_customer_limit)
    queue = ""
    if room is not None and room.enabled and status.state is not PreorderState.CLOSED:
        queue = t["preorder_queue"].format(at=format_instant(room.prequeue_opens, launch.zone))
    return {"state": status.state.value, "line": line, "offer": offer, "limit": limit, "queue": queue}


_NO_TIME_YET = datetime.max.replace(tzinfo=UTC)


def by_promised_time(milestone: Milestone) -> tuple[datetime, str]:
    """Soonest promise first; milestones with no time yet at the end."""
    promise = milestone.promise
    return (promise.at if promise and promise.at else _NO_TIME_YET, milestone.id)
