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
@click.option(
    "--launch",
    "launches",
    multiple=True,
    metavar="SLUG",
    help="Limit the token to this launch (repeat for several); without it, it may act on every launch.",
)
@database_option()
def token_create(role: str, label: str, launches: tuple[str, ...], database_url: str | None) -> None:
    """Create a token and print it once, alone on the last line; only its hash is stored."""
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        made = auth.create_token(rt, role, label, launches=launches or None)
    click.echo(f"{role} token {made.id} created; it is shown only this once:", err=True)
    click.echo(made.secret)


@token.command("list")
@database_option()
def token_list(database_url: str | None) -> None:
    """List every token, revoked ones too, oldest first: id, role, made, revoked, launches (`*`:
    every launch), label.

    Never a token's secret or its hash."""
    with opened(resolve_database(database_url)) as rt:
        tokens = auth.list_tokens(rt)
    for made in tokens:
        revoked = "-" if made.revoked_at is None else f"{made.revoked_at:%Y-%m-%dT%H:%MZ}"
        launches = "*" if made.launches is None else ",".join(made.launches)
        made_at = f"{made.created_at:%Y-%m-%dT%H:%MZ}"
        click.echo(f"{made.id}\t{made.role}\t{made_at}\t{revoked}\t{launches}\t{made.label}")


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@database_option()
def token_revoke(token_id: str, database_url: str | None) -> None:
    """Revoke the token ID (as `yaksok token list` shows it): it is refused from now on."""
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        auth.revoke_token(rt, token_id)
    click.echo(f"token {token_id} revoked")
