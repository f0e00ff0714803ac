from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yaksok.domain.errors import InvalidInput
from yaksok.domain.notice import CHANNELS, DEFAULT_CHANNELS, Notice, NoticeKind, notice_channels

CREATED = datetime(2010, 11, 1, tzinfo=UTC)


def test_a_notice_goes_to_the_board_the_feed_and_the_live_stream_unless_told_otherwise() -> None:
    notice = Notice(id="n1", kind=NoticeKind.GENERAL, titles={"en": "Hello"}, bodies={}, created_at=CREATED)

    assert notice.channels == DEFAULT_CHANNELS == ("board", "atom", "sse")


def test_every_notice_channel_may_be_asked_for() -> None:
    assert notice_channels(list(CHANNELS)) == CHANNELS


def test_the_calendar_is_not_a_notice_channel() -> None:
    with pytest.raises(InvalidInput) as refused:
        notice_channels(["board", "ics"])

    assert refused.value.code == "invalid.channel"
    assert "the calendar holds milestones, not notices" in refused.value.message


def test_an_unknown_channel_is_refused_naming_the_ones_there_are() -> None:
    with pytest.raises(InvalidInput, match="unknown channel 'fax'; a notice goes to board, atom, sse"):
        notice_channels(["fax"])


def test_a_notice_stored_with_the_calendar_as_a_channel_is_read_without_it() -> None:
    stored = Notice(
        id="n1",
        kind=NoticeKind.GENERAL,
        titles={"en": "Hello"},
        bodies={},
        created_at=CREATED,
        channels=("board", "atom", "ics", "sse"),
    )

    assert stored.channels == ("board", "atom", "sse")
    assert stored.publish(CREATED).channels == ("board", "atom", "sse")
