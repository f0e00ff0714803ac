"""The console's stock page: batches recorded and moved, allocation run, the last run's summary;
forms without JavaScript, with CSRF, each action with its role."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from console_client import post, signed_in
from preorder_launch import ipad_opening_at_20
from starlette.applications import Starlette

from yaksok.config import Settings
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import (
    CreateCadence,
    RecordBatch,
    Reserve,
)
from yaksok.services import allocation, cadences, lookups, reservations
from yaksok.services.runtime import Runtime
from yaksok.web.app import create_app

PAGE = "/console/launches/ipad/stock"


@pytest.fixture
def app(sqlite_rt: Runtime, clock: SimulatedClock) -> Starlette:
    ipad_opening_at_20(sqlite_rt)
    clock.advance_to(datetime(2010, 11, 9, 11, 0, 1, tzinfo=UTC))
    reservations.reserve_batch(
        sqlite_rt,
        [
            Reserve(launch_slug="ipad", idempotency_key=k, sku="wifi-16", quantity=1, contact=f"{k}@x.org")
            for k in "ab"
        ],
    )
    return create_app(sqlite_rt, Settings(database_url="unused", run_scheduler=False))


def test_an_editor_records_and_moves_a_batch_and_runs_allocation_from_the_stock_page(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    client = signed_in(app, sqlite_rt, "editor")

    added = post(client, PAGE, PAGE, sku="wifi-16", units="1", date="2010-11-30", kind="ship", store="")
    moved = post(client, f"{PAGE}/date", PAGE, number="1", date="2010-12-02", reason="customs")
    ran = post(client, "/console/launches/ipad/allocations", PAGE)

    assert [r.status_code for r in (added, moved, ran)] == [303, 303, 303]  # type: ignore[attr-defined]
    run = allocation.last_run(sqlite_rt, "ipad")
    assert run is not None and (run.scheduled, run.reservations) == (1, 2)
    shown = client.get(PAGE).text
    assert "2010-12-02" in shown and run.assignment_hash in shown
    kinds = [entry.kind for entry in lookups.ledger_page(sqlite_rt, after=0, limit=100)]
    assert {"stock.batch_recorded", "stock.batch_moved", "allocation.run"} <= set(kinds)
    korean = client.get(PAGE, headers={"Accept-Language": "ko"}).text
    assert "배정 실행" in korean


def test_a_bad_batch_is_refused_and_a_viewer_sees_the_page_without_its_forms(
    app: Starlette, sqlite_rt: Runtime
) -> None:
    editor = signed_in(app, sqlite_rt, "editor")
    refused = post(editor, PAGE, PAGE, sku="wifi-16", units="0", date="2010-11-30", kind="ship")
    no_csrf = editor.post(
        PAGE, data={"sku": "wifi-16", "units": "1", "date": "2010-11-30"}, follow_redirects=False
    )
    viewer = signed_in(app, sqlite_rt, "viewer")
    page = viewer.get(PAGE).text
    forbidden = post(viewer, "/console/launches/ipad/allocations", PAGE)

    assert refused.status_code == 422  # type: ignore[attr-defined]
    assert no_csrf.status_code == 403
    assert allocation.batches_of(sqlite_rt, "ipad") == []
    assert "No stock batch yet" in page and "Run allocation" not in page
    assert forbidden.status_code == 403  # type: ignore[attr-defined]


def test_the_stock_page_shows_what_customers_were_told_personally(
    app: Starlette, sqlite_rt: Runtime, clock: SimulatedClock
) -> None:
    client = signed_in(app, sqlite_rt, "viewer")
    assert "Nobody has been told anything personally yet." in client.get(PAGE).text
    shipping = CreateCadence(launch_slug="ipad", weekdays="daily", at="10:00", titles={"en": "Shipping"})
    cadences.create_cadence(sqlite_rt, shipping)
    allocation.record_batch(
        sqlite_rt, RecordBatch(launch_slug="ipad", sku="wifi-16", units=2, date=date(2010, 11, 30))
    )
    allocation.run_allocation(sqlite_rt, "ipad")
    clock.advance_to(datetime(2010, 11, 10, 1, 0, tzinfo=UTC))  # the next 10:00 KST slot
    cadences.run_cadences(sqlite_rt)

    told = client.get(PAGE).text

    assert "Ship date" in told and "<td>2</td>" in told  # both customers' emails wait in the outbox
