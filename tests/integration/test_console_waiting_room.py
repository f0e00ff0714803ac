"""The console's waiting room page: what visitors see now, the pre-queue's figures, the
commitment and beacon, and the settings form (editors; without JavaScript, with CSRF)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from console_client import post, signed_in
from preorder_launch import ipad_opening_at_20
from starlette.applications import Starlette

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.services import lookups, waiting_room
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

PAGE = "/console/launches/ipad/waiting-room"
SETTINGS = {
    "enabled": "on",
    "prequeue_opens": "2010-11-09T10:00",
    "admit_per_second": "50",
    "token_minutes": "15",
}


@pytest.fixture
def app(sqlite_rt: Runtime, clock: SimulatedClock) -> Starlette:
    ipad_opening_at_20(sqlite_rt)
    clock.advance_to(datetime(2010, 11, 9, 0, 0, tzinfo=UTC))
    return create_app(sqlite_rt, Settings(database_url="unused", run_scheduler=False))


def test_an_editor_sets_up_a_room_and_follows_its_pre_queue_to_the_opening(
    app: Starlette, sqlite_rt: Runtime, clock: SimulatedClock
) -> None:
    client = signed_in(app, sqlite_rt, "editor")
    assert "This launch has no waiting room" in client.get(PAGE).text

    saved = post(client, PAGE, PAGE, **SETTINGS)

    assert saved.status_code == 303  # type: ignore[attr-defined]
    room = waiting_room.settings_of(sqlite_rt, "ipad")
    assert room.prequeue_opens == datetime(2010, 11, 9, 1, 0, tzinfo=UTC)  # 10:00 in Seoul
    assert (room.admit_per_second, room.token_minutes, room.enabled) == (50.0, 15, True)
    kinds = [entry.kind for entry in lookups.ledger_page(sqlite_rt, after=0, limit=100)]
    assert "waiting_room.committed" in kinds
    page = client.get(PAGE).text
    assert "not open yet" in page and room.commitment in page and 'value="2010-11-09T10:00"' in page

    clock.advance_to(datetime(2010, 11, 9, 2, 0, tzinfo=UTC))
    kim = waiting_room.join(sqlite_rt, "ipad", "kim@example.com")
    waiting_room.join(sqlite_rt, "ipad", "lee@example.com")
    assert kim.code is not None
    waiting_room.confirm(sqlite_rt, "ipad", kim.token, kim.code)
    page = client.get(PAGE).text
    assert "pre-queue open" in page and "2 joined, 1 confirmed" in page

    clock.advance_to(datetime(2010, 11, 9, 11, 0, 5, tzinfo=UTC))
    assert waiting_room.open_due(sqlite_rt) == ["ipad"]
    opened = client.get(PAGE).text
    assert "admitting" in opened and "1 places; 0 duplicates of a contact collapsed" in opened
    assert "Save the waiting room" not in opened  # settings stay once the pre-queue has closed
    korean = client.get(PAGE, headers={"Accept-Language": "ko"}).text
    assert "대기실" in korean


def test_bad_settings_are_refused_and_change_nothing_and_a_viewer_sees_no_form(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    editor = signed_in(app, sqlite_rt, "editor")
    bad_rate = post(editor, PAGE, PAGE, **{**SETTINGS, "admit_per_second": "lots"})
    no_rate = post(editor, PAGE, PAGE, **{**SETTINGS, "admit_per_second": "0"})
    bad_time = post(editor, PAGE, PAGE, **{**SETTINGS, "prequeue_opens": "tomorrow"})
    past = post(editor, PAGE, PAGE, **{**SETTINGS, "prequeue_opens": "2010-11-08T10:00"})
    bad_beacon = post(editor, PAGE, PAGE, **{**SETTINGS, "beacon_url": "ftp://beacon.example"})
    viewer = signed_in(app, sqlite_rt, "viewer")
    page = viewer.get(PAGE).text
    forbidden = post(viewer, PAGE, PAGE, **SETTINGS)

    assert [r.status_code for r in (bad_rate, no_rate, bad_time, past, bad_beacon)] == [422] * 5  # type: ignore[attr-defined]
    assert waiting_room.room_of(sqlite_rt, "ipad") is None
    assert "Save the waiting room" not in page and "This launch has no waiting room" in page
    assert forbidden.status_code == 403  # type: ignore[attr-defined]
    assert waiting_room.room_of(sqlite_rt, "ipad") is None
