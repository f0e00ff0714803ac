"""The scorecard's pre-order and delivery figures, and a notice's delivery figures: one read
transaction each."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yaksok.domain import codes
from yaksok.domain.errors import NotFound
from yaksok.domain.figures import ChannelFigures, PreorderFigures, delivery_figures, preorder_figures
from yaksok.domain.launch import Milestone, MilestoneKind
from yaksok.domain.promise import Precision
from yaksok.domain.question import QuestionFigures, question_figures
from yaksok.services.notices import get_notice
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


@dataclass(frozen=True)
class ScorecardFigures:
    preorder: dict[str, PreorderFigures]  # per launch slug, sorted
    deliveries: dict[str, ChannelFigures]  # per channel, sorted
    launch_deliveries: dict[str, dict[str, ChannelFigures]]  # per launch slug, if asked for
    questions: dict[str, QuestionFigures]  # per launch slug, sorted
    all_questions: QuestionFigures  # every launch in scope together


def scorecard_figures(
    rt: Runtime, launch_slug: str | None = None, *, per_launch: bool = False
) -> ScorecardFigures:
    """Pre-order figures of every launch in scope, delivery figures of the scope's notices (and,
    ``per_launch``, of each launch's notices), all from one read."""
    with rt.store.read() as tx:
        slugs = [launch.slug for launch in tx.launches.list()]
        if launch_slug is not None:
            if launch_slug not in slugs:
                raise NotFound(f"no launch {launch_slug!r}", code=codes.LAUNCH_NOT_FOUND)
            slugs = [launch_slug]
        preorder = {slug: _preorder(tx, slug) for slug in sorted(slugs)}
        deliveries = delivery_figures(tx.deliveries.tally(launch_slug=launch_slug))
        launch_deliveries = {
            slug: delivery_figures(tx.deliveries.tally(launch_slug=slug)) for slug in slugs if per_launch
        }
        asked = {slug: tx.questions.find(launch_slug=slug) for slug in sorted(slugs)}
    per_launch_questions = {slug: question_figures(found) for slug, found in asked.items()}
    every = question_figures([q for found in asked.values() for q in found])
    return ScorecardFigures(preorder, deliveries, launch_deliveries, per_launch_questions, every)


def notice_deliveries(rt: Runtime, notice_id: str) -> dict[str, ChannelFigures]:
    """A notice's delivery figures per channel (empty before it goes to any subscriber)."""
    with rt.store.read() as tx:
        get_notice(tx, notice_id)
        return delivery_figures(tx.deliveries.tally(notice_id=notice_id))


def _preorder(tx: Transaction, slug: str) -> PreorderFigures:
    opens = next((m for m in tx.milestones.for_launch(slug) if m.kind is MilestoneKind.PREORDER_OPENS), None)
    return preorder_figures(tx.reservations.tally(slug), _promised_opening(opens))


def _promised_opening(opens: Milestone | None) -> datetime | None:
    """The exact instant the pre-order was promised to open, if it was."""
    promise = None if opens is None else opens.promise
    if promise is None or promise.precision is not Precision.EXACT:
        return None
    return promise.at
