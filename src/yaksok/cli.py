"""The command line: thin commands that parse, call a service and print.

Commands are grouped by subject: running (``cli_serve``), the ledger (``cli_ledger``),
replays and the demo (``cli_replay``); the database and tokens live here.
"""

from __future__ import annotations

import click
from alembic.runtime.migration import MigrationContext

from yaksok.cli_bench import bench
from yaksok.cli_ledger import ledger
from yaksok.cli_options import connect, database_option, redacted, resolve_database, yaksok_errors
from yaksok.cli_replay import demo, replay
from yaksok.cli_serve import serve, worker
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
            made = auth.create_token(Runtime(store=store), role, label)
    finally:
        store.close()
    click.echo(f"{role} token {made.id} created; it is shown only this once:", err=True)
    click.echo(made.secret)


@token.command("list")
@database_option()
def token_list(database_url: str | None) -> None:
    """List every token, revoked ones too, oldest first: id, role, made, revoked, label.

    Never a token's secret or its hash."""
    store = connect(resolve_database(database_url))
    try:
        tokens = auth.list_tokens(Runtime(store=store))
    finally:
        store.close()
    for made in tokens:
        revoked = "-" if made.revoked_at is None else f"{made.revoked_at:%Y-%m-%dT%H:%MZ}"
        click.echo(f"{made.id}\t{made.role}\t{made.created_at:%Y-%m-%dT%H:%MZ}\t{revoked}\t{made.label}")


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@database_option()
def token_revoke(token_id: str, database_url: str | None) -> None:
    """Revoke the token ID (as `yaksok token list` shows it): it is refused from now on."""
    store = connect(resolve_database(database_url))
    try:
        with yaksok_errors():
            auth.revoke_token(Runtime(store=store), token_id)
    finally:
        store.close()
    click.echo(f"token {token_id} revoked")


for command in (serve, worker, demo, replay, ledger, bench):
    main.add_command(command)
