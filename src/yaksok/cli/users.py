"""``yaksok user``: operator accounts for the console (/console)."""

from __future__ import annotations

import sys

import click

from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
from yaksok.cli.tokens import ROLES
from yaksok.services import operators


@click.group()
def user() -> None:
    """Operator accounts that sign in to the console (/console)."""


@user.command("create")
@click.option("--email", required=True, help="The operator's email; they sign in with it.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(ROLES, case_sensitive=False),
    help="What the operator may do, as an admin token of that role; each role includes the ones after it.",
)
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input instead of prompting for it.",
)
@click.option(
    "--launch",
    "launches",
    multiple=True,
    metavar="SLUG",
    help="Limit the operator to this launch (repeat for several); without it, they may act on every launch.",
)
@database_option()
def user_create(
    email: str, role: str, password_stdin: bool, launches: tuple[str, ...], database_url: str | None
) -> None:
    """Create an operator account (the first one: --role admin). The password is prompted for
    (twice, hidden) or read from standard input; only its argon2 hash is stored."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        made = operators.create_operator(rt, email, role, password, launches=launches or None)
    only = "" if made.launches is None else f", only for {', '.join(made.launches)}"
    click.echo(f"{made.role} {made.email} created ({made.id}{only})")
