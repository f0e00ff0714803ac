"""The command line: thin commands that parse, call a service and print.

Commands are grouped by subject, one module each: running (``serve``), the ledger (``ledger``),
replays and the demo (``replay``), benchmarks (``bench``); the database and tokens live here.
"""

from __future__ import annotations

import click
from alembic.runtime.migration import MigrationContext

from yaksok.cli.bench import bench
from yaksok.cli.ledger import ledger
from yaksok.cli.options import connect, database_option, redacted, resolve_database, yaksok_errors
from yaksok.cli.replay import demo, replay
from yaksok.cli.serve import serve, worker
from yaksok.services import auth
from yaksok.services.runtime import Runtime

ROLES = [role.name.lower() for role in sorted(auth.Role, reverse=True)]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yaksok")
def main() -> None:
    """yaksok (약속): hold a product launch on time and in the open.

    Every date and time announced ahead, every change announced with its reason, every channel
    saying the same thing at the same moment, and a public ledger of which promises were kept.
    """


@main.group()
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


@main.group()
def token() -> None:
    """Bearer tokens for the admin API (/api/v1)."""


@token.command("create")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES, case_sensitive=False),
    help="What the token may do; each role includes the ones after it.",
)
@click.option("--label", default="", help="A note on whose token this is.")
@database_option()
def token_create(role: str, label: str, database_url: str | None) -> None:
    """Create a token and print it once, alone on the last line; only its hash is stored."""
    store = connect(resolve_database(database_url))
    try:
        with yaksok_errors():
            secret = auth.create_token(Runtime(store=store), role, label)
    finally:
        store.close()
    click.echo(f"{role} token created; it is shown only this once:", err=True)
    click.echo(secret)


for command in (serve, worker, demo, replay, ledger, bench):
    main.add_command(command)
