"""``yaksok db``: the database schema."""

from __future__ import annotations

import click

from yaksok.cli.options import database_option, readable_sources, redacted, resolve_database
from yaksok.services import databases


@click.group()
def db() -> None:
    """The database schema (Alembic migrations)."""


@db.command("upgrade")
@database_option()
def db_upgrade(database_url: str | None) -> None:
    """Apply every migration not yet applied (safe to run again)."""
    url = resolve_database(database_url)
    with readable_sources():
        revision = databases.upgrade(url)
    click.echo(f"database {redacted(url)} is at schema revision {revision}")
