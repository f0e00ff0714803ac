"""What the public pages, feeds and API read: one read transaction per view."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from yaksok.domain import codes
from yaksok.domain import scorecard as scoring
from yaksok.domain.errors import NotFound
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.notice import Notice, NoticeKind, NoticeState
from yaksok.services.runtime import Runtime


@dataclass(frozen=True)
class OwedApology:
    milestone: Milestone
    launch: Launch
    broke_at: datetime
    due_by: datetime
    published: bool


@dataclass(frozen=True)
class Board:
    launches: dict[str, Launch]
    milestones: dict[str, Milestone]
    notices: list[Notice]
    owed: list[OwedApology]
    now: datetime


def _owed(
    launches: dict[str, Launch], milestones: list[Milestone], notices: list[Notice], now: datetime
) -> list[OwedApology]:
    """Broken promises and whether their apology (with reason and new plan) is out yet."""
    owed: dict[str, OwedApology] = {}
    for milestone in milestones:
        launch = launches[milestone.launch_slug]
        for outcome in scoring.milestone_outcomes(milestone, launch.policy, now):
            if outcome.outcome is not scoring.Outcome.BROKEN or outcome.version.promise.at is None:
                continue
            promise = outcome.version.promise
            end = promise.window_end or promise.at
            assert end is not None
            broke_at: datetime = min(end, now)
            later = [v for v in milestone.versions if v.version > outcome.version.version]
            if later:
                broke_at = min(broke_at, later[0].made_at)
            if milestone.occurrence is not None:  # happening early breaks it when it happens
                broke_at = min(broke_at, milestone.occurrence.at)
            published = any(
                n.kind is NoticeKind.APOLOGY
                and milestone.id in n.milestone_ids
                and n.published_at is not None
                and n.published_at >= broke_at - launch.policy.apology_within
                for n in notices
            )
            # the latest broken version of a milestone is the one customers are owed an apology for
            owed[milestone.id] = OwedApology(
                milestone, launch, broke_at, broke_at + launch.policy.apology_within, published
            )
    return list(owed.values())


def board(
    rt: Runtime,
    *,
    launch_slug: str | None = None,
    kind: NoticeKind | None = None,
    limit: int = 200,
    offset: int = 0,
) -> Board:
    """The public view: launches, milestones, published notices (newest first, optionally of one
    kind) and the apologies still owed."""
    now = rt.clock.now()
    with rt.store.read() as tx:
        launches = {launch.slug: launch for launch in tx.launches.list()}
        if launch_slug is not None and launch_slug not in launches:
            raise NotFound(f"no launch {launch_slug!r}", code=codes.LAUNCH_NOT_FOUND)
        milestones = tx.milestones.for_launch(launch_slug) if launch_slug else tx.milestones.all()
        notices = tx.notices.published(launch_slug=launch_slug, kind=kind, limit=limit, offset=offset)
        # every apology, not only the page shown: an older one still settles what is owed
        apologies = tx.notices.published(launch_slug=launch_slug, kind=NoticeKind.APOLOGY)
    return Board(
        launches=launches,
        milestones={m.id: m for m in milestones},
        notices=notices,
        owed=_owed(launches, milestones, apologies, now),
        now=now,
    )


@dataclass(frozen=True)
class NoticePage:
    notice: Notice
    launch: Launch | None
    milestones: dict[str, Milestone]
    supersedes: Notice | None
    superseded_by: Notice | None


def notice_page(rt: Runtime, notice_id: str) -> NoticePage:
    """A published notice with what it corrects and what corrected it. Drafts are not public."""
    with rt.store.read() as tx:
        notice = tx.notices.get(notice_id)
        if notice is None or notice.state is not NoticeState.PUBLISHED:
            raise NotFound(f"no published notice {notice_id!r}", code=codes.NOTICE_NOT_FOUND)
        launch = tx.launches.get(notice.launch_slug) if notice.launch_slug else None
        milestones = {m.id: m for m in tx.milestones.all()}
        supersedes = tx.notices.get(notice.supersedes) if notice.supersedes else None
        return NoticePage(notice, launch, milestones, supersedes, tx.notices.superseded_by(notice.id))


def scorecard(rt: Runtime, launch_slug: str | None = None) -> tuple[scoring.Scorecard, Board]:
    view = board(rt, launch_slug=launch_slug, limit=100_000)
    launches = list(view.launches.values()) if launch_slug is None else [view.launches[launch_slug]]
    card = scoring.compute(launch_slug or "all", launches, view.milestones.values(), view.notices, view.now)
    return card, view


def latest_change(rt: Runtime) -> datetime | None:
    """When anything public last changed: for Last-Modified and ETags."""
    with rt.store.read() as tx:
        head = tx.ledger.head()
    return None if head is None else datetime.fromisoformat(head.at.replace("Z", "+00:00"))


def launches(rt: Runtime) -> dict[str, Launch]:
    """Every launch by slug (what a subscribe form offers)."""
    with rt.store.read() as tx:
        return {launch.slug: launch for launch in tx.launches.list()}
