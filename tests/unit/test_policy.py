from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from yaksok.domain.errors import Conflict, InvalidInput, PolicyViolation
from yaksok.domain.launch import Milestone, MilestoneKind
from yaksok.domain.policy import LATE_CHANGE, LEAD_TIME, REASON_REQUIRED, Override, Policy
from yaksok.domain.promise import Promise

SEOUL = "Asia/Seoul"
POLICY = Policy()
NOW = datetime(2010, 11, 1, tzinfo=UTC)


def milestone() -> Milestone:
    return Milestone(
        id="ipad.preorder",
        launch_slug="ipad",
        key="preorder",
        kind=MilestoneKind.PREORDER_OPENS,
        titles={"en": "Pre-orders open"},
    )


def exact_in(delta: timedelta) -> Promise:
    return Promise.exact(NOW + delta, SEOUL)


def test_an_exact_time_announced_three_days_ahead_is_allowed() -> None:
    _, version = milestone().revise(exact_in(timedelta(hours=72)), policy=POLICY, now=NOW)

    assert version.overridden == ()


def test_an_exact_time_announced_the_same_day_is_refused_for_lead_time() -> None:
    with pytest.raises(PolicyViolation) as caught:
        milestone().revise(exact_in(timedelta(hours=3, minutes=30)), policy=POLICY, now=NOW)

    assert caught.value.code == LEAD_TIME


def test_an_override_with_a_public_justification_allows_it_and_is_recorded_on_the_version() -> None:
    _, version = milestone().revise(
        exact_in(timedelta(hours=3)),
        policy=POLICY,
        now=NOW,
        override=Override({"en": "The chairman promised the 9th publicly; we keep that date."}),
    )

    assert version.overridden == (LEAD_TIME,)
    assert version.justification["en"].startswith("The chairman")


def test_an_override_without_justification_is_itself_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        Override({"en": "   ", "ko": ""})
    assert caught.value.code == "override.justification_required"


def test_a_change_without_a_reason_is_refused() -> None:
    first, _ = milestone().revise(exact_in(timedelta(days=10)), policy=POLICY, now=NOW)

    with pytest.raises(PolicyViolation) as caught:
        first.revise(exact_in(timedelta(days=20)), policy=POLICY, now=NOW)

    assert caught.value.rules == [REASON_REQUIRED]


def test_a_change_less_than_a_day_before_the_old_time_is_a_late_change() -> None:
    first, _ = milestone().revise(exact_in(timedelta(days=5)), policy=POLICY, now=NOW)
    twenty_minutes_before = NOW + timedelta(days=5) - timedelta(minutes=20)

    with pytest.raises(PolicyViolation) as caught:
        first.revise(
            exact_in(timedelta(days=15)), policy=POLICY, now=twenty_minutes_before, reason={"en": "supply"}
        )

    assert caught.value.rules == [LATE_CHANGE]


def test_announcing_the_time_within_a_promised_day_needs_no_reason_and_is_not_a_late_change() -> None:
    day = Promise.parse("2010-11-09", SEOUL, "day")
    first, _ = milestone().revise(day, policy=POLICY, now=NOW)
    that_afternoon = datetime(2010, 11, 9, 7, 30, tzinfo=UTC)

    with pytest.raises(PolicyViolation) as caught:
        first.revise(Promise.parse("2010-11-09T20:00", SEOUL, "exact"), policy=POLICY, now=that_afternoon)

    assert caught.value.rules == [LEAD_TIME]


def test_a_promise_for_a_time_already_past_is_refused() -> None:
    with pytest.raises(InvalidInput) as caught:
        milestone().revise(exact_in(-timedelta(hours=1)), policy=POLICY, now=NOW)
    assert caught.value.code == "promise.in_past"


hours = st.integers(min_value=1, max_value=24 * 30)


@given(lead=hours, min_lead=st.integers(min_value=0, max_value=24 * 10))
def test_lead_time_is_refused_exactly_when_the_lead_is_shorter_than_the_policy(
    lead: int, min_lead: int
) -> None:
    policy = Policy(min_lead=timedelta(hours=min_lead))
    try:
        milestone().revise(exact_in(timedelta(hours=lead)), policy=policy, now=NOW)
        refused = False
    except PolicyViolation as exc:
        refused = LEAD_TIME in exc.rules
    assert refused == (lead < min_lead)


@given(first_lead=hours, change_at=hours, new_lead=hours, reason=st.sampled_from(["", "supply", "  "]))
def test_every_refusal_names_only_rules_that_really_apply_and_an_override_always_admits_it(
    first_lead: int, change_at: int, new_lead: int, reason: str
) -> None:
    setup = Override({"en": "setup"}) if first_lead < 72 else None
    first, _ = milestone().revise(
        exact_in(timedelta(hours=first_lead)), policy=POLICY, now=NOW, override=setup
    )
    when = NOW + timedelta(hours=min(change_at, first_lead - 1) if first_lead > 1 else 0)
    new = Promise.exact(when + timedelta(hours=new_lead), SEOUL)
    assume(new != first.promise)  # re-sending the same promise is refused as unchanged
    try:
        first.revise(new, policy=POLICY, now=when, reason={"en": reason})
        broken: list[str] = []
    except PolicyViolation as exc:
        broken = exc.rules
    old_at = NOW + timedelta(hours=first_lead)
    assert (LEAD_TIME in broken) == (new_lead < 72)
    assert (REASON_REQUIRED in broken) == (not reason.strip())
    assert (LATE_CHANGE in broken) == (old_at - when < timedelta(hours=24))
    override = Override({"en": "public reason"})
    if not broken:
        with pytest.raises(InvalidInput) as caught:
            first.revise(new, policy=POLICY, now=when, reason={"en": reason}, override=override)
        assert caught.value.code == "override.not_needed"
        return
    _, version = first.revise(new, policy=POLICY, now=when, reason={"en": reason}, override=override)
    assert list(version.overridden) == broken


def test_an_override_when_no_rule_is_broken_is_refused_rather_than_dropped() -> None:
    with pytest.raises(InvalidInput) as caught:
        milestone().revise(
            exact_in(timedelta(hours=72)), policy=POLICY, now=NOW, override=Override({"en": "just in case"})
        )

    assert caught.value.code == "override.not_needed"


def test_re_sending_the_current_promise_is_refused_as_unchanged() -> None:
    first, _ = milestone().revise(exact_in(timedelta(hours=80)), policy=POLICY, now=NOW)

    with pytest.raises(Conflict) as caught:
        first.revise(
            exact_in(timedelta(hours=80)), policy=POLICY, now=NOW + timedelta(hours=1), reason={"en": "x"}
        )

    assert caught.value.code == "promise.unchanged"


def test_the_same_time_in_another_precision_is_a_change_not_a_repeat() -> None:
    day = Promise.parse("2010-11-09", SEOUL, "day")
    first, _ = milestone().revise(day, policy=POLICY, now=NOW)

    _, version = first.revise(
        Promise.parse("2010-11", SEOUL, "month"), policy=POLICY, now=NOW, reason={"en": "supply"}
    )

    assert version.version == 2


def test_cancelling_keeps_the_current_promise_and_is_not_a_repeat() -> None:
    first, _ = milestone().revise(exact_in(timedelta(hours=80)), policy=POLICY, now=NOW)

    cancelled, version = first.cancel(policy=POLICY, now=NOW, reason={"en": "no stock"}, zone=SEOUL)

    assert cancelled.cancelled and version.promise == first.promise
