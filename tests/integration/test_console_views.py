"""The console's views of a launch week: the calendar of what is scheduled, the pre-order offer
and its reservations, deliveries and subscribers, and the audit trail, each with its role."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network

import pytest
from console_client import post, signed_in
from preorder_launch import ipad_opening_at_20
from starlette.applications import Starlette

from yaksok.channels.outbound import TransportOptions
from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    CreateCadence,
    Reserve,
    Subscribe,
    WriteNotice,
)
from yaksok.domain.launch import Sku
from yaksok.domain.notice import NoticeKind
from yaksok.services import cadences, lookups, notices, reservations
from yaksok.services import delivery as delivery_service
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

SENT = ("board", "webhook")


@pytest.fixture
def app(sqlite_rt: Runtime) -> Starlette:
    return create_app(sqlite_rt, Settings(database_url="unused", run_scheduler=False))


def published(rt: Runtime, title: str) -> str:
    command = WriteNotice(kind=NoticeKind.GENERAL, titles={"en": title}, channels=SENT, publish_now=True)
    return notices.create_notice(rt, command).id


def ipad_week(rt: Runtime) -> None:
    """The 2010 launch, with an exact opening on 9 November at 20:00 KST and a shipping cadence."""
    sku = Sku(code="wifi-16", titles={"en": "Wi-Fi 16 GB", "ko": "와이파이 16GB"}, cap=2)
    titles = {"en": "iPad", "ko": "아이패드"}
    ipad_opening_at_20(rt, skus=(sku,), titles=titles, opening_titles={"en": "Pre-order opens"})


def test_the_calendar_lists_everything_scheduled_in_time_order_in_the_launch_zone_and_utc(
    app: Starlette, sqlite_rt: Runtime, clock: SimulatedClock
) -> None:
    ipad_week(sqlite_rt)
    cadences.create_cadence(
        sqlite_rt, CreateCadence(launch_slug="ipad", weekdays="daily", at="10:00", titles={"en": "Shipping"})
    )
    clock.advance_to(datetime(2010, 11, 5, tzinfo=UTC))
    notices.create_notice(
        sqlite_rt,
        WriteNotice(
            kind=NoticeKind.GENERAL,
            titles={"en": "Store hours"},
            launch_slug="ipad",
            publish_at=datetime(2010, 11, 8, 3, 0, tzinfo=UTC),
        ),
    )
    client = signed_in(app, sqlite_rt, "viewer")

    page = client.get("/console/calendar?launch=ipad&days=7")

    assert page.status_code == 200
    text = page.text
    order = [
        "2010-11-06 (Sat) 10:00 Asia/Seoul",  # the first cadence slot
        "2010-11-08 (Mon) 12:00 Asia/Seoul",  # the scheduled notice, 03:00 UTC
        "2010-11-08 (Mon) 20:00 Asia/Seoul",  # the 24 h reminder
        "2010-11-09 (Tue) 19:00 Asia/Seoul",  # the 1 h reminder
        "2010-11-09 (Tue) 20:00 Asia/Seoul",  # the promised opening
    ]
    positions = [text.index(when) for when in order]
    assert positions == sorted(positions)
    assert "2010-11-09 11:00 UTC" in text and "Store hours" in text and "24 h" in text
    assert text.count("calendar-cadence") == 7  # a slot a day, 6 Nov to 12 Nov


def test_the_calendar_of_an_unknown_launch_or_a_bad_horizon_is_refused(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    client = signed_in(app, sqlite_rt, "viewer")

    assert client.get("/console/calendar?launch=nope").status_code == 404
    refused = client.get("/console/calendar?days=1000")
    assert refused.status_code == 422 and "invalid.number" in refused.text


def test_an_editor_sets_a_sku_and_the_limit_from_the_launch_page_and_the_ledger_records_both(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    ipad_week(sqlite_rt)
    client = signed_in(app, sqlite_rt, "editor")
    page = "/console/launches/ipad"

    set_sku = post(client, f"{page}/skus", page, code="cell-32", cap="100", title_en="3G 32 GB")
    set_limit = post(client, f"{page}/per-customer-limit", page, per_customer_limit="2")

    assert set_sku.status_code == 303 and set_limit.status_code == 303  # type: ignore[attr-defined]
    launch, _ = lookups.launch(sqlite_rt, "ipad")
    assert [s.code for s in launch.skus] == ["wifi-16", "cell-32"] and launch.per_customer_limit == 2
    kinds = [entry.kind for entry in lookups.ledger_page(sqlite_rt, after=0, limit=100)]
    assert "launch.sku_set" in kinds and "launch.limit_set" in kinds
    shown = client.get(page).text
    assert "cell-32" in shown and "3G 32 GB" in shown


def test_a_cap_that_is_not_a_whole_number_is_refused_and_changes_nothing(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    ipad_week(sqlite_rt)
    client = signed_in(app, sqlite_rt, "editor")
    page = "/console/launches/ipad"

    refused = post(client, f"{page}/skus", page, code="cell-32", cap="-3")

    assert refused.status_code == 422 and "invalid.number" in refused.text  # type: ignore[attr-defined]
    assert [s.code for s in lookups.launch(sqlite_rt, "ipad")[0].skus] == ["wifi-16"]


def test_support_sees_the_reservations_in_line_order_and_exports_them_a_viewer_may_not(
    app: Starlette, sqlite_rt: Runtime, clock: SimulatedClock
) -> None:
    ipad_week(sqlite_rt)
    clock.advance_to(datetime(2010, 11, 9, 11, 0, 1, tzinfo=UTC))
    asked = [f"{name}@example.com" for name in ("ann", "bo", "cy")]
    reservations.reserve_batch(
        sqlite_rt,
        [
            Reserve(launch_slug="ipad", idempotency_key=f"k{i}", sku="wifi-16", quantity=1, contact=contact)
            for i, contact in enumerate(asked)
        ],
    )
    support = signed_in(app, sqlite_rt, "support")

    page = support.get("/console/launches/ipad/reservations")
    waitlisted = support.get("/console/launches/ipad/reservations?state=waitlisted")
    exported = support.get("/console/launches/ipad/reservations.csv")

    assert page.status_code == 200
    assert [page.text.index(contact) for contact in asked] == sorted(page.text.index(c) for c in asked)
    assert "cy@example.com" in waitlisted.text and "ann@example.com" not in waitlisted.text
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["sequence"], r["state"]) for r in rows] == [
        ("1", "queued"),
        ("2", "queued"),
        ("3", "waitlisted"),
    ]
    viewer = signed_in(app, sqlite_rt, "viewer")
    assert viewer.get("/console/launches/ipad/reservations").status_code == 403


def test_a_notice_shows_its_deliveries_per_channel_and_an_editor_pauses_and_resumes_a_subscriber(
    app: Starlette, sqlite_rt: Runtime, clock: SimulatedClock
) -> None:
    ipad_week(sqlite_rt)
    options = TransportOptions(allow=(ip_network("127.0.0.1/32"),))
    made = delivery_service.subscribe(
        sqlite_rt, Subscribe(channel="webhook", target="http://127.0.0.1:9/hook"), options
    )
    notice_id = published(sqlite_rt, "Hello")
    while delivery_service.expand_next(sqlite_rt, "http://127.0.0.1", 100) is not None:
        pass  # every fan-out expanded, so the notice's delivery is pending
    editor = signed_in(app, sqlite_rt, "editor")

    shown = editor.get(f"/console/notices/{notice_id}")
    listed = editor.get("/console/notices")
    subscriber = f"/console/subscribers/{made.id}"
    paused = post(editor, f"{subscriber}/pause", subscriber)
    clock.advance(timedelta(hours=1))
    published(sqlite_rt, "Missed")
    resumed = post(editor, f"{subscriber}/resume", subscriber)

    assert shown.status_code == 200 and "Hello" in shown.text
    assert "<tr><td>webhook</td><td>0</td><td>1</td>" in shown.text
    assert f"/console/notices/{notice_id}" in listed.text
    assert paused.status_code == 303, paused.text  # type: ignore[attr-defined]
    assert resumed.status_code == 303, resumed.text  # type: ignore[attr-defined]
    after = editor.get(resumed.headers["location"])  # type: ignore[attr-defined]
    assert "active" in after.text and "1 notices it chose were published while it was paused" in after.text
    assert editor.get("/console/subscribers?channel=webhook").text.count(made.id) >= 1


def test_only_an_admin_reads_the_audit_trail_filtered_and_exported(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    admin = signed_in(app, sqlite_rt, "admin")
    signed_in(app, sqlite_rt, "editor")  # an operator.created entry for the editor

    page = admin.get("/console/audit?action=operator.created")
    exported = admin.get("/console/audit.csv?action=operator.created")

    assert page.status_code == 200 and "editor@example.com" in page.text
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert {r["action"] for r in rows} == {"operator.created"} and len(rows) == 2
    editor = signed_in(app, sqlite_rt, "support")
    assert editor.get("/console/audit").status_code == 403


def test_the_composer_previews_a_notice_on_every_channel_as_each_would_carry_it(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    ipad_week(sqlite_rt)
    editor = signed_in(app, sqlite_rt, "editor")
    long_body = "매장마다 재고가 다릅니다. " * 40  # longer than one post on every network

    shown = post(
        editor,
        "/console/notices",
        "/console/notices",
        action="preview",
        launch="ipad",
        title_ko="재고 안내",
        title_en="Stock",
        body_ko=long_body + "{{milestone:ipad.pre}}",
        body_en="<b>Stock</b> differs by store.",
    )

    page = shown.text  # type: ignore[attr-defined]
    for channel in (
        "board",
        "atom",
        "email",
        "webhook",
        "webpush",
        "slack",
        "teams",
        "mastodon",
        "bluesky",
        "x",
    ):
        assert f'id="preview-{channel}"' in page, channel
    assert "<strong>Subject:</strong> 재고 안내" in page
    assert (
        "&#34;type&#34;: &#34;notice.published&#34;" in page
        or "&quot;type&quot;: &quot;notice.published&quot;" in page
    )
    assert "&lt;entry&gt;" in page and "<b>Stock</b>" not in page
    lengths = [(int(n), int(limit)) for n, limit in re.findall(r"(\d+) of (\d+)</span>", page)]
    assert len(lengths) > 6 and all(n <= limit for n, limit in lengths)  # Korean threads on 3 networks
    assert "2010-11-09 20:00 KST (11:00 UTC)" in page  # the placeholder rendered, never cut
