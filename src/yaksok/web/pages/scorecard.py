"""``GET /scorecard`` (numbers and promise-drift charts) and the same numbers as JSON."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from yaksok.channels.render import launch_url
from yaksok.domain import scorecard as scoring
from yaksok.domain.figures import ChannelFigures, PreorderFigures, deliveries_to_dict
from yaksok.domain.question import QuestionFigures
from yaksok.services import figures as reach
from yaksok.services import queries
from yaksok.web.pages import i18n, labels
from yaksok.web.pages import questions as questions_page
from yaksok.web.pages.charts import DriftChart, drift_chart
from yaksok.web.pages.launch import by_promised_time
from yaksok.web.pages.templating import render, runtime


@dataclass(frozen=True)
class Figure:
    label: str
    value: str


@dataclass(frozen=True)
class ChannelCard:
    channel: str
    figures: list[Figure]


@dataclass(frozen=True)
class LaunchCard:
    title: str
    url: str
    json_url: str
    figures: list[Figure]
    charts: list[tuple[str, DriftChart | None]]
    preorder: list[Figure]  # empty while the launch has no reservation
    deliveries: list[ChannelCard]
    questions: list[Figure]


def figures(card: scoring.Scorecard, lang: str) -> list[Figure]:
    """The scorecard's numbers as labelled lines; the values are exactly those of the JSON."""
    words = labels.SCORE_LABELS[lang]
    numbers = card.to_dict()
    promises, apologies = numbers["promises"], numbers["apologies"]
    share = numbers["exact_time_share"]
    rows: list[tuple[str, object]] = [
        *(
            (key, promises[key])
            for key in ("made", "kept", "kept_short_notice", "broken", "revised", "pending")
        ),
        ("exact_time_share", "—" if share is None else f"{share * 100:.0f}%"),
        ("time_not_announced", numbers["time_not_announced"]),
        ("lead_median", _unit(numbers["lead_time_hours"]["median"], words["hours"])),
        ("lead_min", _unit(numbers["lead_time_hours"]["min"], words["hours"])),
        ("late_changes", numbers["late_changes"]),
        ("overrides", numbers["overrides"]),
        ("lateness_median", _unit(numbers["publication_lateness_seconds"]["median"], words["seconds"])),
        ("lateness_max", _unit(numbers["publication_lateness_seconds"]["max"], words["seconds"])),
        ("notices_published", numbers["notices_published"]),
        ("apologies_owed", apologies["owed"]),
        ("apologies_on_time", apologies["on_time"]),
    ]
    return [Figure(words[key], str(value)) for key, value in rows]


def preorder_lines(preorder: PreorderFigures, lang: str) -> list[Figure]:
    """A launch's pre-order figures as labelled lines; the values are those of the JSON."""
    words = labels.SCORE_LABELS[lang]
    held = sorted(preorder.units_held.items())
    rows: list[tuple[str, object]] = [
        (words["accepted"], preorder.accepted),
        (words["queued"], preorder.queued),
        (words["waitlisted"], preorder.waitlisted),
        (words["cancelled"], preorder.cancelled),
        *((words["units_held"].format(sku=sku), units) for sku, units in held),
        (words["peak_per_second"], preorder.peak_per_second),
        (words["first_lateness"], _unit(preorder.first_reservation_lateness_seconds, words["seconds"])),
    ]
    return [Figure(text, str(value)) for text, value in rows]


def delivery_cards(deliveries: dict[str, ChannelFigures], lang: str) -> list[ChannelCard]:
    """Delivery figures per channel as labelled lines; the values are those of the JSON."""
    words, channels = labels.SCORE_LABELS[lang], labels.CHANNELS[lang]
    return [
        ChannelCard(
            channel=channels.get(channel, channel),
            figures=[
                Figure(words["delivered"], str(figures.delivered)),
                Figure(words["pending"], str(figures.pending)),
                Figure(words["failed"], str(figures.failed)),
                Figure(words["latency_p50"], _unit(figures.latency_p50_seconds, words["seconds"])),
                Figure(words["latency_p99"], _unit(figures.latency_p99_seconds, words["seconds"])),
            ],
        )
        for channel, figures in deliveries.items()
    ]


def question_lines(found: QuestionFigures, lang: str) -> list[Figure]:
    """A launch's questions as labelled lines; the values are those of the JSON."""
    words = questions_page.WORDS[lang]
    rows: list[tuple[str, object]] = [
        (words["score_asked"], found.asked),
        (words["score_answered"], found.answered),
        (words["score_unanswered"], found.unanswered),
        (words["score_median"], _unit(found.first_answer_minutes_median, words["minutes"])),
        (words["score_p90"], _unit(found.first_answer_minutes_p90, words["minutes"])),
    ]
    return [Figure(text, str(value)) for text, value in rows]


def _unit(value: float | None, pattern: str) -> str:
    return "—" if value is None else pattern.format(value=f"{value:g}")


def _launch_cards(board: queries.Board, extra: reach.ScorecardFigures, lang: str) -> list[LaunchCard]:
    """Per-launch numbers from the board and the figures already read (launches are never
    removed, so every launch on the board, read first, has its figures)."""
    cards = []
    for launch in sorted(board.launches.values(), key=lambda launch: launch.slug):
        milestones = sorted(
            (m for m in board.milestones.values() if m.launch_slug == launch.slug), key=by_promised_time
        )
        notices = [n for n in board.notices if n.launch_slug == launch.slug]
        card = scoring.compute(launch.slug, [launch], milestones, notices, board.now)
        url = launch_url("", launch.slug)
        charts = [(m.title(lang, launch.languages), drift_chart(m, launch.zone, lang)) for m in milestones]
        preorder = extra.preorder[launch.slug]
        cards.append(
            LaunchCard(
                launch.title(lang),
                url,
                f"{url}/scorecard.json",
                figures(card, lang),
                charts,
                preorder_lines(preorder, lang) if preorder.accepted else [],
                delivery_cards(extra.launch_deliveries[launch.slug], lang),
                question_lines(extra.questions[launch.slug], lang),
            )
        )
    return cards


def scorecard_page(request: Request) -> Response:
    lang = i18n.choose_lang(request)
    card, board = queries.scorecard(runtime(request))
    extra = reach.scorecard_figures(runtime(request), per_launch=True)
    return render(
        request,
        "scorecard.html",
        lang,
        overall=figures(card, lang),
        overall_deliveries=delivery_cards(extra.deliveries, lang),
        score_words=labels.SCORE_LABELS[lang],
        q=questions_page.WORDS[lang],
        launches=_launch_cards(board, extra, lang),
    )


def scorecard_json(request: Request) -> Response:
    slug = request.path_params.get("slug")
    card, _board = queries.scorecard(runtime(request), slug)
    extra = reach.scorecard_figures(runtime(request), slug)
    numbers = {
        **card.to_dict(),
        "preorder": {launch: preorder.to_dict() for launch, preorder in extra.preorder.items()},
        "deliveries": deliveries_to_dict(extra.deliveries),
        "questions": {launch: found.to_dict() for launch, found in extra.questions.items()},
        "question_response_minutes": {
            "median": extra.all_questions.first_answer_minutes_median,
            "p90": extra.all_questions.first_answer_minutes_p90,
        },
    }
    return JSONResponse(numbers, headers={"Cache-Control": "no-cache"})
