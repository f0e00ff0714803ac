"""What an audit entry says it changed, and which entries a filter picks (pure domain)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from yaksok.domain.administration import AuditEntry, AuditFilter

T0 = datetime(2010, 11, 9, 11, 0, tzinfo=UTC)


def entry(
    action: str, details: dict[str, object], *, actor: str | None = "o_1", at: datetime = T0
) -> AuditEntry:
    return AuditEntry(1, at, actor, action, details)


def test_an_entry_names_its_launch_directly_or_through_its_milestone() -> None:
    assert entry("launch.retitled", {"launch": "ipad"}).launch == "ipad"
    assert entry("promise.changed", {"milestone": "ipad.preorder"}).launch == "ipad"
    assert entry("token.created", {"token": "t_1"}).launch is None


def test_the_old_value_is_kept_apart_from_the_new_ones_and_the_ledger_seq() -> None:
    changed = entry(
        "launch.limit_set", {"launch": "ipad", "per_customer_limit": 2, "previous": 1, "ledger_seq": 7}
    )
    reminders = entry("launch.reminders_set", {"offsets_hours": [24.0], "previous_hours": [72.0, 24.0, 1.0]})

    assert (changed.before, changed.after) == (1, {"launch": "ipad", "per_customer_limit": 2})
    assert reminders.before == [72.0, 24.0, 1.0]
    assert entry("launch.created", {"launch": "ipad"}).before is None


def test_a_filter_picks_by_operator_action_prefix_launch_and_half_open_time_range() -> None:
    sku = entry("launch.sku_set", {"launch": "ipad"})
    chosen = AuditFilter(
        actor="o_1", action="launch.", launch="ipad", since=T0, until=T0 + timedelta(hours=1)
    )

    assert chosen.matches(sku)
    assert not AuditFilter(actor="o_2").matches(sku)
    assert not AuditFilter(action="promise.").matches(sku)
    assert not AuditFilter(launch="galaxy-tab").matches(sku)
    assert not AuditFilter(until=T0).matches(sku)  # until is excluded
    assert not AuditFilter(actor="o_1").matches(entry("token.created", {}, actor=None))


@given(st.integers(min_value=-600, max_value=600), st.integers(min_value=0, max_value=600))
def test_an_entry_is_in_a_time_range_exactly_when_its_time_lies_in_it(offset: int, width: int) -> None:
    since = T0 + timedelta(minutes=offset)
    until = since + timedelta(minutes=width)

    picked = AuditFilter(since=since, until=until).matches(entry("x", {}))

    assert picked == (since <= T0 < until)
