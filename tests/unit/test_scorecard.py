from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yaksok.domain.launch import Launch, Milestone, MilestoneKind
from yaksok.domain.notice import Notice, NoticeKind
from yaksok.domain.policy import Override
from yaksok.domain.promise import Promise
from yaksok.domain.scorecard import Outcome, compute, milestone_outcomes

LAUNCH = Launch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul")
POLICY = LAUNCH.policy
T0 = datetime(2010, 11, 1, tzinfo=UTC)


def fresh() -> Milestone:
    return Milestone(
        id="ipad.preorder",
        launch_slug="ipad",
        key="preorder",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders open"},
    )


def promised(milestone: Milestone, text: str, precision: str, now: datetime, **kw: object) -> Milestone:
    revised, _ = milestone.revise(Promise.parse(text, "Asia/Seoul", precision), policy=POLICY, now=now, **kw)  # type: ignore[arg-type]
    return revised


def test_a_milestone_that_happens_on_time_after_due_notice_is_a_kept_promise() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)
    m = m.occur(datetime(2010, 11, 19, 1, 2, tzinfo=UTC), datetime(2010, 11, 19, 2, tzinfo=UTC))

    [result] = milestone_outcomes(m, POLICY, datetime(2010, 11, 20, tzinfo=UTC))

    assert result.outcome is Outcome.KEPT


def test_happening_outside_the_tolerance_breaks_the_promise() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)
    m = m.occur(datetime(2010, 11, 19, 1, 6, tzinfo=UTC), datetime(2010, 11, 19, 2, tzinfo=UTC))

    [result] = milestone_outcomes(m, POLICY, datetime(2010, 11, 20, tzinfo=UTC))

    assert result.outcome is Outcome.BROKEN


def test_a_time_that_passes_with_nothing_happening_is_broken_and_owes_an_apology() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)
    later = datetime(2010, 11, 19, 3, tzinfo=UTC)

    [result] = milestone_outcomes(m, POLICY, later)
    card = compute("ipad", [LAUNCH], [m], [], later)

    assert result.outcome is Outcome.BROKEN
    assert (card.broken, card.apologies_owed, card.apologies_on_time) == (1, 1, 0)


def test_an_apology_within_the_policy_window_counts_as_on_time() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)
    at = datetime(2010, 11, 19, 2, tzinfo=UTC)
    apology = Notice(
        id="n1",
        kind=NoticeKind.APOLOGY,
        titles={"en": "Sorry"},
        bodies={},
        created_at=at,
        milestone_ids=(m.id,),
    ).publish(at)

    card = compute("ipad", [LAUNCH], [m], [apology], at + timedelta(hours=5))

    assert card.apologies_on_time == 1


def test_a_change_with_due_notice_is_a_revision_not_a_broken_promise() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)
    m = promised(m, "2010-11-26T10:00", "exact", T0 + timedelta(days=2), reason={"en": "supply"})

    outcomes = milestone_outcomes(m, POLICY, T0 + timedelta(days=3))

    assert [o.outcome for o in outcomes] == [Outcome.REVISED, Outcome.PENDING]


def test_the_2010_pattern_scores_a_broken_day_promise_and_a_late_change() -> None:
    m = promised(fresh(), "2010-11-09", "day", datetime(2010, 11, 4, tzinfo=UTC))
    m = promised(
        m,
        "2010-11-09T20:00",
        "exact",
        datetime(2010, 11, 9, 7, 30, tzinfo=UTC),
        override=Override({"en": "chairman"}),
    )
    m = promised(
        m,
        "2010-11",
        "month",
        datetime(2010, 11, 9, 10, 40, tzinfo=UTC),
        reason={"en": "pricing"},
        override=Override({"en": "x"}),
    )

    card = compute("ipad", [LAUNCH], [m], [], datetime(2010, 11, 10, tzinfo=UTC))

    assert card.promises_made == 3
    assert card.broken == 2  # the 9th, and 20:00 pulled 20 minutes before
    assert card.late_changes == 1
    assert card.overrides == 2
    assert card.time_not_announced == 2
    assert card.lead_time_hours["min"] == 3.5


def test_happening_early_breaks_the_promise_and_owes_an_apology_like_any_broken_promise() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)  # 01:00 UTC
    early = datetime(2010, 11, 19, 0, 30, tzinfo=UTC)
    m = m.occur(early, early)

    [result] = milestone_outcomes(m, POLICY, early)
    card = compute("ipad", [LAUNCH], [m], [], early + timedelta(hours=1))

    assert result.outcome is Outcome.BROKEN
    assert m.is_broken(early, POLICY)
    assert (card.broken, card.apologies_owed, card.apologies_on_time) == (1, 1, 0)


def test_happening_late_still_owes_an_apology_once_the_occurrence_is_recorded() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)
    late = datetime(2010, 11, 19, 2, tzinfo=UTC)
    m = m.occur(late, late)

    card = compute("ipad", [LAUNCH], [m], [], late + timedelta(hours=1))

    assert m.is_broken(late, POLICY)
    assert card.apologies_owed == 1


def test_happening_within_the_tolerance_either_side_keeps_the_promise_and_owes_nothing() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)
    at = datetime(2010, 11, 19, 0, 55, tzinfo=UTC)  # five minutes early
    m = m.occur(at, at)

    card = compute("ipad", [LAUNCH], [m], [], at + timedelta(hours=1))

    assert not m.is_broken(at, POLICY)
    assert (card.kept, card.apologies_owed) == (1, 0)


def test_an_apology_for_an_early_opening_is_on_time_within_the_window_from_the_opening() -> None:
    m = promised(fresh(), "2010-11-19T10:00", "exact", T0)
    early = datetime(2010, 11, 18, 20, tzinfo=UTC)  # five hours early
    m = m.occur(early, early)
    apology = Notice(
        id="n1",
        kind=NoticeKind.APOLOGY,
        titles={"en": "Sorry"},
        bodies={},
        created_at=early,
        milestone_ids=(m.id,),
    )

    in_time = compute(
        "ipad", [LAUNCH], [m], [apology.publish(early + timedelta(hours=1))], early + timedelta(hours=9)
    )
    too_late = compute(
        "ipad", [LAUNCH], [m], [apology.publish(early + timedelta(hours=4))], early + timedelta(hours=9)
    )

    assert (in_time.apologies_owed, in_time.apologies_on_time) == (1, 1)
    assert (too_late.apologies_owed, too_late.apologies_on_time) == (1, 0)
