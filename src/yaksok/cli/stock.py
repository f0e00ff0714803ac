"""``yaksok stock`` and ``yaksok allocate``: stock batches and allocation runs from the command line."""

from __future__ import annotations

from datetime import date

import click

from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
from yaksok.domain.allocation import BatchKind, StockBatch
from yaksok.domain.commands import MoveBatch, RecordBatch
from yaksok.services import allocation


@click.group()
def stock() -> None:
    """Stock batches of a launch (as /api/v1/launches/{slug}/stock-batches)."""


@stock.command("add")
@click.argument("slug")
@click.option("--sku", required=True, help="The SKU's code.")
@click.option("--units", required=True, type=click.IntRange(1, 10_000_000), help="Units in the batch.")
@click.option(
    "--date", "when", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Ship (or pickup) date."
)
@click.option("--pickup-store", default=None, help="For a batch ready at a store: the store (else shipped).")
@database_option()
def stock_add(
    slug: str, sku: str, units: int, when: object, pickup_store: str | None, database_url: str | None
) -> None:
    """Record a batch of SLUG's stock (in the ledger); dates change at the next `yaksok allocate`."""
    kind = BatchKind.PICKUP if pickup_store else BatchKind.SHIP
    day = _day(when)
    command = RecordBatch(launch_slug=slug, sku=sku, units=units, date=day, kind=kind, store=pickup_store)
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        batch = allocation.record_batch(rt, command)
    click.echo(_line(batch))


@stock.command("list")
@click.argument("slug")
@database_option()
def stock_list(slug: str, database_url: str | None) -> None:
    """List SLUG's batches: number, SKU, units, date, kind and store."""
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        batches = allocation.batches_of(rt, slug)
    for batch in batches:
        click.echo(_line(batch))


@stock.command("move")
@click.argument("slug")
@click.argument("number", type=int)
@click.option("--date", "when", required=True, type=click.DateTime(["%Y-%m-%d"]), help="The new date.")
@click.option("--reason", required=True, help="Why the date changed (public).")
@database_option()
def stock_move(slug: str, number: int, when: object, reason: str, database_url: str | None) -> None:
    """Move batch NUMBER of SLUG to another date, with a public reason (in the ledger)."""
    command = MoveBatch(launch_slug=slug, number=number, date=_day(when), reason=reason)
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        batch = allocation.move_batch(rt, command)
    click.echo(_line(batch))


@click.command("allocate")
@click.argument("slug")
@database_option()
def allocate(slug: str, database_url: str | None) -> None:
    """Run allocation for SLUG: reservations in sequence order to batches in date order (as POST
    /api/v1/launches/{slug}/allocations; in the ledger). Prints the run's summary."""
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        report = allocation.run_allocation(rt, slug)
    run = report.run
    click.echo(
        f"run {run.number}: {run.scheduled} of {run.reservations} reservations scheduled "
        f"({report.scheduled_units} of {report.units} units), {run.changed} dates changed, "
        f"{run.passes} passes; assignment {run.assignment_hash[:16]}… (ledger entry {run.ledger_seq})"
    )


def _day(value: object) -> date:
    assert hasattr(value, "date")
    day = value.date()
    assert isinstance(day, date)
    return day


def _line(batch: StockBatch) -> str:
    where = f" at {batch.store}" if batch.store else ""
    return f"{batch.number}\t{batch.sku}\t{batch.units}\t{batch.date.isoformat()}\t{batch.kind.value}{where}"
