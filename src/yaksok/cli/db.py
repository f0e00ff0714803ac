"""``yaksok db``: the database schema."""

from __future__ import annotations

import click
from alembic.runtime.migration import MigrationContext

from yaksok.cli.options import connect, database_option, redacted, resolve_database


@click.group()
def db() -> None:
    """The database schema (Alembic migrations)."""


@db.command("upgrade")
@database_option()
def db_upgrade(database_url: str | None) -> None:
    """Apply every migration not yet applied (safe to run again)."""
    url = resolve_database(database_url)
    store = connect(url)
    try:
        with store.engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    finally:
        store.close()
    click.echo(f"database {redacted(url)} is at schema revision {revision}")
