"""``yaksok reservations``: a launch's reservations, for support (customer data)."""

from __future__ import annotations

import sys

import click

from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
from yaksok.domain.reservation import ReservationState
from yaksok.services import reservations as reservation_service

STATES = [state.value for state in ReservationState]


@click.group()
def reservations() -> None:
    """A launch's reservations (customer data: keep exports private)."""


@reservations.command("export")
@click.argument("slug")
@click.option("--state", type=click.Choice(STATES), help="Only reservations in this state.")
@database_option()
def reservations_export(slug: str, state: str | None, database_url: str | None) -> None:
    """Write the launch SLUG's reservations to standard output as CSV, in sequence order:
    sequence, code, state, sku, quantity, contact, pickup_store, created_at, cancelled_at, language.

    Never a secret or its hash; a cell starting with = + - @ gets a leading apostrophe."""
    chosen = None if state is None else ReservationState(state)
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        written = reservation_service.export_csv(rt, slug, sys.stdout, chosen)
    click.echo(f"{written} reservations exported", err=True)
