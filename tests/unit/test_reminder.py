"""Reminders derived from the current promises, with the clock passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from yaksok.domain.launch import Milestone, MilestoneKind
from yaksok.domain.policy import Policy
from yaksok.domain.promise import ChangeKind, Promise, PromiseVersion
from yaksok.domain.reminder import due_reminders, next_reminder_at, reminders_of

AT = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)  # 20:00 KST
MADE = AT - timedelta(days=10)
POLICIES = {"ipad": Policy()}
H = timedelta(hours=1)


def milestone(*versions: tuple[Promise, datetime, ChangeKind | None]) -> Milestone:
    made = tuple(
        PromiseVersion("ipad.preorder", n, promise, made_at, change_kind=kind)
        for n, (promise, made_at, kind) in enumerate(versions, start=1)
    )
    return Milestone(
        "ipad.preorder", "ipad", "preorder", MilestoneKind.PREORDER_OPENS, {"en": "Pre-orders open"}, made
    )


def exact(at: datetime = AT) -> Promise:
    return Promise.exact(at, "Asia/Seoul")


def offsets(now: datetime, *milestones: Milestone) -> list[timedelta]:
    return [r.offset for r in due_reminders(milestones, POLICIES, now)]


def test_an_exact_promise_is_reminded_72_24_and_1_hours_before_by_default() -> None:
    m = milestone((exact(), MADE, None))

    assert [r.due_at for r in reminders_of(m, Policy())] == [AT - 72 * H, AT - 24 * H, AT - H]
    assert offsets(AT - 72 * H - timedelta(seconds=1), m) == []
    assert offsets(AT - 72 * H, m) == [72 * H]
    assert offsets(AT - 2 * H, m) == [24 * H]
    assert offsets(AT - H, m) == [H]


def test_no_reminder_is_due_once_the_milestone_time_has_come() -> None:
    assert offsets(AT, milestone((exact(), MADE, None))) == []


def test_a_day_promise_is_not_reminded() -> None:
    assert reminders_of(milestone((Promise.on_day(AT.date(), "Asia/Seoul"), MADE, None)), Policy()) == []


def test_a_cancelled_milestone_yields_no_reminder() -> None:
    m = milestone((exact(), MADE, None), (exact(), AT - 30 * H, ChangeKind.CANCEL))

    assert offsets(AT - H, m) == []
    assert next_reminder_at([m], POLICIES, AT - 30 * H) is None


def test_when_a_promise_moves_its_reminders_move_with_it_under_a_new_name() -> None:
    before = milestone((exact(), MADE, None))
    moved = milestone((exact(), MADE, None), (exact(AT + 3 * H), AT - 30 * H, ChangeKind.DELAY))

    [old] = due_reminders([before], POLICIES, AT - H)
    [new] = due_reminders([moved], POLICIES, AT - H)
    assert new.offset == 24 * H and new.due_at == AT + 3 * H - 24 * H
    assert new.key != old.key and new.version == 2
    assert next_reminder_at([moved], POLICIES, AT - H) == AT + 2 * H


def test_a_reminder_whose_time_came_before_its_promise_was_made_is_not_derived() -> None:
    m = milestone((exact(), AT - 10 * H, None))

    assert [r.offset for r in reminders_of(m, Policy())] == [H]


def test_a_reminder_missed_while_down_is_sent_late_and_says_so_only_the_nearest() -> None:
    m = milestone((exact(), MADE, None))
    now = AT - 20 * H  # both the 72 h and the 24 h reminders passed

    [reminder] = due_reminders([m], POLICIES, now)
    assert reminder.offset == 24 * H
    assert reminder.lateness(now) == 4 * H
    assert reminder.lateness(reminder.due_at) is None


@given(st.integers(min_value=0, max_value=11 * 24 * 60), st.integers(min_value=1, max_value=4))
def test_a_reminder_is_only_ever_due_before_the_milestone_and_after_its_time(
    minutes: int, version: int
) -> None:
    now = MADE + timedelta(minutes=minutes)
    m = milestone(*[(exact(AT + n * H), MADE, None) for n in range(version)])
    for reminder in due_reminders([m], POLICIES, now):
        assert reminder.due_at <= now < reminder.at
        assert reminder.version == version
