"""``yaksok ledger verify http://…`` recomputes allocation runs from the server's public ledger and
its public reservation order (``GET /launches/{slug}/reservation-order``), read over real HTTP."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime

import httpx
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from served_app import served

from yaksok.cli import main
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import RecordBatch
from yaksok.domain.launch import Launch, Sku
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.services import allocation
from yaksok.services.runtime import Runtime
from yaksok.store.unit_of_work import Store

T0 = datetime(2026, 11, 1, tzinfo=UTC)


@pytest.fixture
def server_url(sqlite_store: Store) -> Iterator[str]:
    """A launch with three reservations, one batch and one allocation run, served by uvicorn."""
    rt = Runtime(store=sqlite_store, clock=SimulatedClock(T0))
    with sqlite_store.write() as tx:
        tx.launches.add(Launch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul",
                               skus=(Sku(code="wifi", titles={"en": "W"}),)), T0)  # fmt: skip
        tx.reservations.add_many([_made(i) for i in (1, 2, 3)])
    allocation.record_batch(rt, RecordBatch(launch_slug="ipad", sku="wifi", units=3, date=date(2026, 12, 1)))
    allocation.run_allocation(rt, "ipad")
    with served(rt) as url:
        yield url


def _made(sequence: int) -> Reservation:
    return Reservation(
        launch_slug="ipad", sequence=sequence, code=f"r{sequence}", secret_hash="",
        idempotency_key=f"k{sequence}", fingerprint="", sku="wifi", quantity=1,
        contact=f"c{sequence}@example.com", pickup_store=None, state=ReservationState.QUEUED, created_at=T0,
    )  # fmt: skip


def test_the_public_order_has_no_customer_data_and_hashes_to_the_runs_order_digest(server_url: str) -> None:
    ledger = [json.loads(line) for line in httpx.get(f"{server_url}/ledger").text.splitlines()]
    run = json.loads(next(e for e in ledger if e["kind"] == "allocation.run")["payload"])

    order = httpx.get(f"{server_url}/launches/ipad/reservation-order", params={"through": run["through"]})

    assert order.status_code == 200
    assert order.text == "1,wifi,1,\n2,wifi,1,\n3,wifi,1,"
    assert hashlib.sha256(order.content).hexdigest() == run["order_digest"]
    assert "example.com" not in order.text


def test_remote_verify_recomputes_the_run_and_fails_when_the_order_was_changed_behind_it(
    server_url: str, sqlite_store: Store
) -> None:
    intact = CliRunner().invoke(main, ["ledger", "verify", server_url])
    with sqlite_store.engine.begin() as connection:
        connection.execute(sa.text("UPDATE reservations SET quantity = 2 WHERE sequence = 2"))
    changed = CliRunner().invoke(main, ["ledger", "verify", server_url])

    assert intact.exit_code == 0, intact.output
    assert changed.exit_code == 1
    assert "allocation run 1 of launch 'ipad'" in changed.output
    assert "reservation order differs" in changed.output
