"""Every broken promise owes an apology: a milestone that happens early breaks its promise too."""

from __future__ import annotations

import warnings
from datetime import UTC, datetime

import msgspec

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CreateLaunch, RecordOccurrence, RevisePromise, WriteNotice
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import NoticeKind
from yaksok.domain.promise import Precision
from yaksok.services import launches, notices, queries, upkeep
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

SLUG = "ipad-kt-2010"
PREORDER = f"{SLUG}.preorder-opens"
PROMISED = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 KST
EARLY = datetime(2010, 11, 9, 9, 30, tzinfo=UTC)  # 18:30 KST, 90 minutes early


def open_early(rt: Runtime, clock: SimulatedClock) -> None:
    launches.create_launch(
        rt, CreateLaunch(slug=SLUG, titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        rt,
        AddMilestone(
            launch_slug=SLUG,
            key="preorder-opens",
            kind=MilestoneKind.PREORDER_OPENS,
            titles={"en": "Pre-orders open"},
        ),
    )
    launches.revise_promise(rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT))
    clock.advance_to(EARLY)
    launches.record_occurrence(rt, RecordOccurrence(PREORDER))


def test_an_early_opening_is_recorded_once_as_a_broken_promise(rt: Runtime, clock: SimulatedClock) -> None:
    open_early(rt, clock)

    first, second = upkeep.tick(rt).broken, upkeep.tick(rt).broken

    assert [milestone.id for milestone, _version in first] == [PREORDER] and second == []
    with rt.store.read() as tx:
        [entry] = [e for e in tx.ledger.entries() if e.kind == "promise.broken"]
    assert msgspec.json.decode(entry.payload)["milestone"] == PREORDER


def test_an_early_opening_owes_an_apology_due_from_when_it_opened(rt: Runtime, clock: SimulatedClock) -> None:
    open_early(rt, clock)
    clock.advance_to(datetime(2010, 11, 9, 12, 0, tzinfo=UTC))  # after the promised time

    [owed] = queries.board(rt).owed
    card, _board = queries.scorecard(rt, SLUG)

    assert (owed.broke_at, owed.published) == (EARLY, False)
    assert owed.due_by == datetime(2010, 11, 9, 11, 30, tzinfo=UTC)
    assert card.apologies_owed == 1


def test_the_board_shows_the_apology_owed_for_an_early_opening_until_it_is_published(
    rt: Runtime, clock: SimulatedClock
) -> None:
    open_early(rt, clock)
    clock.advance_to(datetime(2010, 11, 9, 10, 0, tzinfo=UTC))  # 19:00 KST
    web = TestClient(create_app(rt, Settings(database_url="unused", run_scheduler=False)))

    owing = web.get("/", headers={"Accept-Language": "en"}).text
    notices.create_notice(
        rt,
        WriteNotice(
            kind=NoticeKind.APOLOGY,
            titles={"en": "We opened early"},
            launch_slug=SLUG,
            milestone_ids=(PREORDER,),
            publish_now=True,
        ),
    )
    settled = web.get("/", headers={"Accept-Language": "en"}).text

    assert "Apology owed" in owing
    assert "is owed by 2010-11-09 20:30 KST (11:30 UTC)" in owing
    assert "Apology owed" not in settled
