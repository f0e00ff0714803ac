"""Operator commands and the notice edit they lead to: what a command refuses, what an edit keeps."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from yaksok.domain.commands import EditNotice, WriteNotice
from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.domain.notice import KEEP, Claim, Notice, NoticeKind, Verdict

CREATED = datetime(2010, 11, 1, tzinfo=UTC)
LATER = datetime(2010, 11, 2, tzinfo=UTC)


def clarification() -> Notice:
    return Notice(
        id="n1",
        kind=NoticeKind.CLARIFICATION,
        titles={"en": "No time has been announced"},
        bodies={"en": "Pre-orders open on the 9th."},
        created_at=CREATED,
        claim=Claim("Pre-orders at 9 AM", Verdict.FALSE),
        next_update_at=LATER,
    )


def test_a_notice_cannot_be_both_published_now_and_scheduled() -> None:
    with pytest.raises(InvalidInput) as refused:
        WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Hello"}, publish_now=True, publish_at=LATER)

    assert refused.value.code == "notice.publish_now_with_publish_at"
    assert "2010-11-02T00:00:00+00:00" in refused.value.message


def test_a_notice_may_be_published_now_or_scheduled_or_left_a_draft() -> None:
    now = WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Hello"}, publish_now=True)
    later = WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Hello"}, publish_at=LATER)
    draft = WriteNotice(kind=NoticeKind.GENERAL, titles={"en": "Hello"})

    assert (now.publish_now, later.publish_at, draft.publish_at) == (True, LATER, None)


def test_an_edit_command_keeps_every_field_it_does_not_name() -> None:
    command = EditNotice("n1", titles={"en": "New title"})

    assert command.titles == {"en": "New title"}
    assert (command.kind, command.bodies, command.channels) == (KEEP, KEEP, KEEP)
    assert (command.claim, command.next_update_at) == (KEEP, KEEP)


def test_an_edit_changes_the_fields_given_and_keeps_the_others() -> None:
    notice = clarification()

    edited = notice.edit(titles={"en": "Still no time announced"}, channels=("board",))

    assert edited.titles == {"en": "Still no time announced"} and edited.channels == ("board",)
    assert (edited.bodies, edited.claim, edited.next_update_at) == (notice.bodies, notice.claim, LATER)


def test_none_clears_the_next_update_time_where_keep_leaves_it() -> None:
    notice = clarification()

    assert notice.edit(next_update_at=None).next_update_at is None
    assert notice.edit(next_update_at=KEEP).next_update_at == LATER


def test_clearing_the_claim_of_a_clarification_is_refused_as_the_domain_refuses_it() -> None:
    with pytest.raises(InvalidInput) as refused:
        clarification().edit(claim=None)

    assert refused.value.code == "invalid.claim"


def test_a_general_notice_may_become_a_clarification_when_given_its_claim() -> None:
    general = Notice(id="n1", kind=NoticeKind.GENERAL, titles={"en": "Hello"}, bodies={}, created_at=CREATED)

    edited = general.edit(kind=NoticeKind.CLARIFICATION, claim=Claim("A rumour", Verdict.UNCONFIRMED))

    assert edited.kind is NoticeKind.CLARIFICATION and edited.claim == Claim("A rumour", Verdict.UNCONFIRMED)


def test_a_published_notice_refuses_every_edit() -> None:
    published = clarification().publish(CREATED)

    with pytest.raises(Conflict) as refused:
        published.edit(titles={"en": "Too late"})

    assert refused.value.code == "notice.immutable"
