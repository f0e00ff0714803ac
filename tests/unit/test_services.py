"""Use cases through the service layer, on the in-memory store: no database (the contract tests in
tests/integration/test_store.py hold the real stores to the same behaviour)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    AddMilestone,
    Clarify,
    CreateCadence,
    CreateLaunch,
    EditNotice,
    RevisePromise,
    WriteNotice,
)
from yaksok.domain.errors import Conflict, NotFound, PolicyViolation
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import Claim, NoticeKind, NoticeState, Verdict
from yaksok.domain.promise import Precision
from yaksok.services import cadences, launches, ledger, notices, queries, upkeep
from yaksok.services.runtime import Runtime
from yaksok.store.memory import MemoryStore

SLUG = "ipad-kt-2010"
PREORDER = f"{SLUG}.preorder-opens"


@pytest.fixture
def launch(memory_rt: Runtime) -> Runtime:
    launches.create_launch(
        memory_rt, CreateLaunch(slug=SLUG, titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
    )
    launches.add_milestone(
        memory_rt,
        AddMilestone(
            launch_slug=SLUG,
            key="preorder-opens",
            kind=MilestoneKind.PREORDER_OPENS,
            titles={"ko": "예약 판매 시작", "en": "Pre-orders open"},
        ),
    )
    return memory_rt


def ledger_kinds(rt: Runtime) -> list[str]:
    with rt.store.read() as tx:
        return [entry.kind for entry in tx.ledger.entries()]


def test_a_promise_is_announced_by_a_published_notice_in_the_same_transaction(launch: Runtime) -> None:
    version, notice = launches.revise_promise(
        launch, RevisePromise(PREORDER, time="2010-11-09", precision=Precision.DAY)
    )

    assert notice.state is NoticeState.PUBLISHED and notice.kind is NoticeKind.ANNOUNCEMENT
    assert version.notice_id == notice.id
    assert ledger_kinds(launch)[-2:] == ["promise.made", "notice.published"]


def test_a_refused_change_writes_nothing(launch: Runtime, clock: SimulatedClock) -> None:
    launches.revise_promise(launch, RevisePromise(PREORDER, time="2010-11-09", precision=Precision.DAY))
    clock.advance_to(datetime(2010, 11, 9, 7, 30, tzinfo=UTC))
    before = ledger_kinds(launch)

    with pytest.raises(PolicyViolation) as caught:
        launches.revise_promise(
            launch, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT)
        )

    assert caught.value.code == "policy.lead_time"
    assert ledger_kinds(launch) == before
    with launch.store.read() as tx:
        assert len(tx.notices.all()) == 1


def test_an_override_is_shown_on_the_notice_and_recorded_in_the_ledger(
    launch: Runtime, clock: SimulatedClock
) -> None:
    launches.revise_promise(launch, RevisePromise(PREORDER, time="2010-11-09", precision=Precision.DAY))
    clock.advance_to(datetime(2010, 11, 9, 7, 30, tzinfo=UTC))

    _, notice = launches.revise_promise(
        launch,
        RevisePromise(
            PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT, override="The 9th was promised."
        ),
    )

    assert notice.overridden == ("policy.lead_time",) and notice.justification == {
        "en": "The 9th was promised."
    }
    assert "policy.override" in ledger_kinds(launch)


def test_a_scheduled_notice_goes_out_at_its_time_and_a_missed_one_says_how_late(
    launch: Runtime, clock: SimulatedClock
) -> None:
    at = clock.now() + timedelta(hours=1)
    notice = notices.create_notice(
        launch, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Hello"}, launch_slug=SLUG, publish_at=at)
    )
    clock.advance_to(at - timedelta(seconds=1))
    assert upkeep.tick(launch).published == []

    clock.advance_to(at + timedelta(minutes=7))  # the service was down for a while
    [published] = upkeep.tick(launch).published

    assert published.id == notice.id and published.lateness == timedelta(minutes=7)
    with launch.store.read() as tx:
        head = tx.ledger.head()
    assert head is not None and head.data["lateness_seconds"] == 420.0


def test_a_published_notice_cannot_be_edited_only_superseded(launch: Runtime) -> None:
    notice = notices.create_notice(
        launch, WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "v1"}, publish_now=True)
    )

    with pytest.raises(Conflict) as caught:
        notices.edit_notice(launch, EditNotice(notice.id, titles={"en": "v2"}))
    correction = notices.create_notice(
        launch,
        WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "v2"}, supersedes=notice.id, publish_now=True),
    )

    assert caught.value.code == "notice.immutable"
    assert queries.notice_page(launch, notice.id).superseded_by == correction


def test_a_clarification_carries_its_claim_and_verdict(launch: Runtime) -> None:
    notice = notices.clarify(
        launch,
        Clarify(
            claim=Claim("Pre-orders at 9 AM", Verdict.FALSE, "https://news.example/a"),
            titles={"en": "No time has been announced"},
            launch_slug=SLUG,
        ),
    )
    with launch.store.read() as tx:
        head = tx.ledger.head()
    assert notice.kind is NoticeKind.CLARIFICATION
    assert head is not None and head.data["claim"]["verdict"] == "false"


def test_unknown_ids_are_not_found_errors(launch: Runtime) -> None:
    with pytest.raises(NotFound):
        launches.revise_promise(
            launch, RevisePromise("nope.nope", time=None, precision=Precision.UNANNOUNCED)
        )
    with pytest.raises(NotFound):
        notices.publish_notice(launch, "n_missing")


def test_a_broken_promise_is_recorded_once_and_the_board_owes_an_apology(
    launch: Runtime, clock: SimulatedClock
) -> None:
    launches.revise_promise(
        launch, RevisePromise(PREORDER, time="2010-11-09T20:00", precision=Precision.EXACT)
    )
    clock.advance_to(datetime(2010, 11, 9, 11, 6, tzinfo=UTC))

    first, second = upkeep.tick(launch).broken, upkeep.tick(launch).broken

    assert len(first) == 1 and second == []
    [owed] = queries.board(launch).owed
    assert not owed.published
    notices.create_notice(
        launch,
        WriteNotice(
            kind=NoticeKind.APOLOGY,
            titles={"en": "Sorry"},
            launch_slug=SLUG,
            milestone_ids=(PREORDER,),
            publish_now=True,
        ),
    )
    assert queries.board(launch).owed[0].published


def test_each_cadence_slot_gets_exactly_one_notice(launch: Runtime, clock: SimulatedClock) -> None:
    clock.advance_to(datetime(2010, 11, 8, 0, 0, tzinfo=UTC))  # Monday 09:00 KST
    cadence = cadences.create_cadence(
        launch,
        CreateCadence(launch_slug=SLUG, weekdays="weekdays", at="10:00", titles={"en": "Shipping update"}),
    )
    written = notices.create_notice(
        launch,
        WriteNotice(
            kind=NoticeKind.SHIPPING_UPDATE,
            titles={"en": "Batch 1 leaves Friday"},
            launch_slug=SLUG,
            cadence_id=cadence.id,
        ),
    )
    clock.advance_to(datetime(2010, 11, 9, 2, 0, tzinfo=UTC))  # Tuesday 11:00 KST: two slots passed

    published = upkeep.tick(launch).published

    assert next(n.id for n in published) == written.id
    assert "No change" in published[1].bodies["en"] and "2010-11-10 10:00 KST" in published[1].bodies["en"]
    assert upkeep.tick(launch).published == []


def test_checkpoints_verify_and_a_truncated_ledger_is_caught(
    launch: Runtime, memory_store: MemoryStore
) -> None:
    seq = ledger.checkpoint(launch)
    assert seq is not None and ledger.verify_store(launch).ok
    with launch.store.read() as tx:
        memory_store.replace_ledger([entry for entry in tx.ledger.entries() if entry.seq != seq])

    result = ledger.verify_store(launch)

    assert not result.ok and result.bad_checkpoint == seq
