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
