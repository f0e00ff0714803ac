"""``yaksok token``: bearer tokens for the admin API."""

from __future__ import annotations

import click

from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
from yaksok.services import auth

ROLES = [role.name.lower() for role in sorted(auth.Role, reverse=True)]


@click.group()
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
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        secret = auth.create_token(rt, role, label)
    click.echo(f"{role} token created; it is shown only this once:", err=True)
    click.echo(secret)
