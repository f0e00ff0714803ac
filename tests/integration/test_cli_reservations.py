"""``yaksok reservations export``: a launch's reservations as CSV, through click's runner."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from preorder_launch import ipad_opening_at_20

from yaksok.cli import main
from yaksok.domain.clock import SimulatedClock
from yaksok.domain.commands import CancelReservation, CreateLaunch, Reserve
from yaksok.services import launches
from yaksok.services import reservations as reservation_service
from yaksok.services.runtime import Runtime, counting_ids
from yaksok.store.unit_of_work import Store


def yaksok(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"YAKSOK_DATABASE_URL": None})


@pytest.fixture
def database_url(store: Store) -> str:
    """A URL that reaches the ``store`` fixture's database (on PostgreSQL, its own schema)."""
    url = store.engine.url
    if store.dialect == "postgresql":
        with store.engine.connect() as connection:
            schema = connection.execute(sa.text("select current_schema()")).scalar_one()
        url = url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


def test_reservations_export_has_its_own_help() -> None:
    result = yaksok("reservations", "export", "--help")

    assert result.exit_code == 0 and result.output.startswith("Usage: main reservations export")


def test_reservations_export_writes_the_launch_reservations_as_csv(database_url: str, store: Store) -> None:
    clock = SimulatedClock(datetime(2010, 11, 1, tzinfo=UTC))
    rt = Runtime(store=store, clock=clock, new_id=counting_ids())
    ipad_opening_at_20(rt, per_customer_limit=5)
    clock.advance_to(datetime(2010, 11, 9, 11, tzinfo=UTC))
    asked = [("k1", "a@example.com"), ("k2", "-1+cmd|calc"), ("k3", "c@example.com")]
    made = reservation_service.reserve_batch(
        rt,
        [
            Reserve(launch_slug="ipad", idempotency_key=key, sku="wifi-16", quantity=1, contact=contact)
            for key, contact in asked
        ],
    )
    cancelled = made[2]
    assert isinstance(cancelled, reservation_service.Accepted)
    reservation_service.cancel(
        rt, CancelReservation(code=cancelled.reservation.code, secret=cancelled.secret)
    )

    everything = yaksok("reservations", "export", "ipad", "--db", database_url)
    only_cancelled = yaksok("reservations", "export", "ipad", "--state", "cancelled", "--db", database_url)

    assert everything.exit_code == 0, everything.output
    rows = list(csv.DictReader(io.StringIO(everything.stdout)))
    assert [(r["sequence"], r["contact"], r["state"]) for r in rows] == [
        ("1", "a@example.com", "queued"),
        ("2", "'-1+cmd|calc", "queued"),
        ("3", "c@example.com", "cancelled"),
    ]
    assert (
        cancelled.secret not in everything.stdout
        and cancelled.reservation.secret_hash not in everything.stdout
    )
    assert [r["sequence"] for r in csv.DictReader(io.StringIO(only_cancelled.stdout))] == ["3"]


def test_reservations_export_of_an_unknown_launch_is_a_clear_error(database_url: str) -> None:
    result = yaksok("reservations", "export", "nope", "--db", database_url)

    assert result.exit_code == 1 and "launch.not_found" in result.output


def test_waiting_room_set_and_show_through_the_cli(store: Store, database_url: str) -> None:
    rt = Runtime(store=store, clock=SimulatedClock(datetime(2010, 10, 28, tzinfo=UTC)), new_id=counting_ids())
    launches.create_launch(rt, CreateLaunch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul"))
    made = yaksok(
        "waiting-room",
        "set",
        "ipad",
        "--prequeue-opens",
        "2099-11-02T09:00+09:00",
        "--rate",
        "50",
        "--db",
        database_url,
    )
    assert made.exit_code == 0, made.output
    assert "admits per second: 50" in made.output and "commitment: " in made.output
    shown = yaksok("waiting-room", "show", "ipad", "--db", database_url)
    assert shown.exit_code == 0, shown.output
    assert "enabled: on" in shown.output
    missing = yaksok("waiting-room", "show", "nope", "--db", database_url)
    assert missing.exit_code == 1 and "launch.not_found" in missing.output
