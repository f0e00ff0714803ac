"""Plain reads the public views (``queries.py``) do not cover, one read transaction each.

Operators see drafts and scheduled notices too (the admin API puts a token in front of
them); auditors page through the ledger and its signed checkpoints.
"""

from __future__ import annotations

from yaksok.domain.cadence import Cadence
from yaksok.domain.launch import Launch, Milestone
from yaksok.domain.ledger import Checkpoint, LedgerEntry
from yaksok.domain.notice import Notice, NoticeState
from yaksok.services import scope
from yaksok.services.launches import get_launch, get_milestone
from yaksok.services.notices import get_notice
from yaksok.services.runtime import Runtime


def launches(rt: Runtime) -> list[Launch]:
    """Every launch the acting role may see (all of them, unless it is limited to some)."""
    with rt.store.read() as tx:
        found = tx.launches.list()
    return scope.visible(rt, found, lambda launch: launch.slug)


def launch(rt: Runtime, slug: str) -> tuple[Launch, list[Milestone]]:
    """A launch and its milestones, in the order they were added."""
    scope.require_launch(rt, slug)
    with rt.store.read() as tx:
        return get_launch(tx, slug), tx.milestones.for_launch(slug)


def milestone(rt: Runtime, milestone_id: str) -> Milestone:
    with rt.store.read() as tx:
        found = get_milestone(tx, milestone_id)
    scope.require_launch(rt, found.launch_slug)
    return found


def notices(rt: Runtime, *, state: NoticeState | None = None, launch_slug: str | None = None) -> list[Notice]:
    """Every notice, oldest first, optionally of one state and one launch; a role limited to
    some launches sees only theirs."""
    if launch_slug is not None:
        scope.require_launch(rt, launch_slug)
    with rt.store.read() as tx:
        if launch_slug is not None:
            get_launch(tx, launch_slug)
        found = tx.notices.all(launch_slug)
    return [n for n in scope.visible(rt, found, lambda n: n.launch_slug) if state is None or n.state is state]


def notice(rt: Runtime, notice_id: str) -> Notice:
    with rt.store.read() as tx:
        found = get_notice(tx, notice_id)
    if found.launch_slug is not None:  # a notice of no launch may be read by every operator
        scope.require_launch(rt, found.launch_slug)
    return found


def cadences(rt: Runtime, launch_slug: str) -> list[Cadence]:
    scope.require_launch(rt, launch_slug)
    with rt.store.read() as tx:
        get_launch(tx, launch_slug)
        return tx.cadences.active(launch_slug)


def ledger_page(rt: Runtime, *, after: int, limit: int) -> list[LedgerEntry]:
    """Up to ``limit`` ledger entries with seq greater than ``after``, in order."""
    with rt.store.read() as tx:
        return list(tx.ledger.entries(after=after, limit=limit))


def ledger_head(rt: Runtime) -> LedgerEntry | None:
    """The newest ledger entry (None while the ledger is empty)."""
    with rt.store.read() as tx:
        return tx.ledger.head()


def ledger_checkpoints(rt: Runtime) -> list[Checkpoint]:
    """Every signed checkpoint, oldest first."""
    with rt.store.read() as tx:
        return tx.ledger.checkpoints()
