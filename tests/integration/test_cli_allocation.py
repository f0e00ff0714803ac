"""``yaksok stock`` and ``yaksok allocate`` through click's runner, and ``yaksok bench allocate --json``."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner, Result

from yaksok.cli import main
from yaksok.domain.launch import Launch, Sku
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.store.unit_of_work import Store

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def yaksok(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), env={"YAKSOK_DATABASE_URL": None})


def test_stock_add_list_move_and_allocate_work_from_the_command_line(sqlite_store: Store) -> None:
    url = sqlite_store.engine.url.render_as_string(hide_password=False)
    with sqlite_store.write() as tx:
        tx.launches.add(Launch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul",
                               skus=(Sku(code="wifi", titles={"en": "W"}),)), T0)  # fmt: skip
        tx.reservations.add_many(
            [
                Reservation(
                    launch_slug="ipad",
                    sequence=i,
                    code=f"r{i}",
                    secret_hash="",
                    idempotency_key=f"k{i}",
                    fingerprint="",
                    sku="wifi",
                    quantity=1,
                    contact=f"c{i}",
                    pickup_store=None,
                    state=ReservationState.QUEUED,
                    created_at=T0,
                )
                for i in (1, 2, 3)
            ]
        )

    added = yaksok(
        "stock", "add", "ipad", "--sku", "wifi", "--units", "2", "--date", "2026-12-01", "--db", url
    )
    refused = yaksok(
        "stock", "add", "ipad", "--sku", "nope", "--units", "2", "--date", "2026-12-01", "--db", url
    )
    moved = yaksok("stock", "move", "ipad", "1", "--date", "2026-12-03", "--reason", "customs", "--db", url)
    listed = yaksok("stock", "list", "ipad", "--db", url)
    ran = yaksok("allocate", "ipad", "--db", url)

    assert added.exit_code == 0, added.output
    assert added.output == "1\twifi\t2\t2026-12-01\tship\n"
    assert refused.exit_code != 0 and "no SKU 'nope'" in refused.output
    assert moved.exit_code == 0, moved.output
    assert listed.output == "1\twifi\t2\t2026-12-03\tship\n"
    assert ran.exit_code == 0, ran.output
    assert ran.output.startswith(
        "run 1: 2 of 3 reservations scheduled (2 of 3 units), 2 dates changed, 0 passes"
    )


def test_bench_allocate_ends_with_one_json_object_naming_its_figures() -> None:
    result = CliRunner().invoke(main, ["bench", "allocate", "--reservations", "2000", "--json"])

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["reservations"] == 2000
    assert figures["seconds"] > 0 and figures["baseline_seconds"] > 0
    assert figures["baseline_same_assignment"] is True
    assert figures["baseline_measured_reservations"] == 2000
