"""When a failing endpoint's owner is warned and when it is disabled (pure: times passed in)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from yaksok.domain.delivery import Failing, failing

T0 = datetime(2010, 11, 1, tzinfo=UTC)


def test_a_first_failure_starts_a_streak() -> None:
    assert failing(None, None, None, T0) == Failing(T0)


def test_a_delivery_since_the_streak_began_starts_a_new_one() -> None:
    later = T0 + timedelta(days=4)
    assert failing(T0, None, T0 + timedelta(days=1), later) == Failing(later)


def test_the_owner_is_warned_once_after_3_days_and_it_is_disabled_after_5() -> None:
    assert failing(T0, None, None, T0 + timedelta(days=2, hours=23)) == Failing(T0)
    assert failing(T0, None, None, T0 + timedelta(days=3)) == Failing(T0, warn=True)
    assert failing(T0, T0 + timedelta(days=3), None, T0 + timedelta(days=4)) == Failing(T0)
    assert failing(T0, T0 + timedelta(days=3), None, T0 + timedelta(days=5)) == Failing(T0, disable=True)
    assert Failing(T0).disables_at == T0 + timedelta(days=5)
