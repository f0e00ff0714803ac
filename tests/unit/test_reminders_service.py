"""Reminders through the scheduler tick, on the in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import AddMilestone, CancelMilestone, CreateLaunch, RevisePromise
from yaksok.domain.launch import MilestoneKind
from yaksok.domain.notice import Notice, NoticeKind
from yaksok.services import launches, upkeep
from yaksok.services.runtime import Runtime

SLUG = "ipad-kt-2010"
PREORDER = f"{SLUG}.preorder-opens"
AT = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 KST
H = timedelta(hours=1)


@pytest.fixture
def promised(memory_rt: Runtime) -> Runtime:
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
    launches.revise_promise(memory_rt, RevisePromise(PREORDER, time="2010-11-09T20:00", precision="exact"))
    return memory_rt


def reminders(rt: Runtime) -> list[Notice]:
    return upkeep.tick(rt).reminded


def test_the_tick_sends_a_reminder_once_in_the_standard_wording(
    promised: Runtime, clock: SimulatedClock
) -> None:
    clock.advance_to(AT - 24 * H)

    [reminder] = reminders(promised)
    assert (
        reminder.titles["en"] == "Reminder: iPad — Pre-orders open in 24 h — 2010-11-09 20:00 KST (11:00 UTC)"
    )
    assert reminder.titles["ko"].startswith("[알림] 아이패드 — 예약 판매 시작: 24시간 후")
    assert reminder.kind is NoticeKind.ANNOUNCEMENT and reminder.channels == ("email", "webhook", "webpush")
    assert reminder.milestone_ids == (PREORDER,)
    assert reminders(promised) == []
    clock.advance(H)
    assert reminders(promised) == []


def test_the_scheduler_wakes_for_the_next_reminder(promised: Runtime, clock: SimulatedClock) -> None:
    clock.advance_to(AT - 30 * H)

    assert upkeep.next_due(promised) == AT - 24 * H


def test_a_reminder_missed_while_down_goes_out_late_and_says_so(
    promised: Runtime, clock: SimulatedClock
) -> None:
    clock.advance_to(AT - 20 * H)

    [reminder] = reminders(promised)
    assert reminder.titles["en"].startswith("Reminder (sent late): iPad — Pre-orders open in 20 h —")
    assert "4 h later than planned" in reminder.bodies["en"]


def test_a_reminder_missed_until_after_the_milestone_is_never_sent(
    promised: Runtime, clock: SimulatedClock
) -> None:
    clock.advance_to(AT + timedelta(minutes=1))

    assert reminders(promised) == []


def test_a_moved_promise_moves_its_pending_reminders(promised: Runtime, clock: SimulatedClock) -> None:
    clock.advance_to(AT - 24 * H)
    [first] = reminders(promised)
    launches.revise_promise(
        promised, RevisePromise(PREORDER, time="2010-11-13T20:00", precision="exact", reason="Stock")
    )
    moved = AT + 96 * H

    clock.advance_to(AT - H)
    assert reminders(promised) == []  # the old time's 1 h reminder is no longer derived
    clock.advance_to(moved - 72 * H)
    [second] = reminders(promised)
    assert second.id != first.id
    assert second.titles["en"].endswith("in 72 h — 2010-11-13 20:00 KST (11:00 UTC)")


def test_a_cancelled_milestone_is_never_reminded(promised: Runtime, clock: SimulatedClock) -> None:
    clock.advance_to(AT - 30 * H)
    launches.cancel_milestone(promised, CancelMilestone(PREORDER, reason="Not this year"))

    clock.advance_to(AT - H)
    assert reminders(promised) == []
