"""Who a notice reaches: a change of promise reaches every follower of its launch."""

from __future__ import annotations

from datetime import UTC, datetime

from yaksok.domain.notice import Notice, NoticeKind
from yaksok.domain.subscription import Recipient

NOW = datetime(2010, 11, 1, tzinfo=UTC)


def notice(kind: NoticeKind, launch: str | None = "ipad") -> Notice:
    return Notice("n1", kind, {"en": "x"}, {}, NOW, launch_slug=launch, channels=("webhook",))


def shipping_only(launches: tuple[str, ...] = ()) -> Recipient:
    return Recipient(
        "s1", "webhook", "https://example.com/h", "whsec_x", "en", launches, (NoticeKind.SHIPPING_UPDATE,)
    )


def test_a_subscriber_filtered_to_shipping_updates_still_gets_changes_and_apologies_of_a_launch() -> None:
    assert shipping_only().wants(notice(NoticeKind.CHANGE))
    assert shipping_only().wants(notice(NoticeKind.APOLOGY))


def test_a_kind_filter_still_holds_back_other_kinds() -> None:
    assert not shipping_only().wants(notice(NoticeKind.ANNOUNCEMENT))
    assert not shipping_only().wants(notice(NoticeKind.GENERAL))


def test_a_change_of_another_launch_does_not_pass_a_launch_filter() -> None:
    assert not shipping_only(launches=("galaxy-tab",)).wants(notice(NoticeKind.CHANGE))
