"""``yaksok subscriptions``: subscribers, as the admin API lists them."""

from __future__ import annotations

import click

from yaksok.channels.transports import REGISTRY
from yaksok.cli.options import database_option, opened, resolve_database
from yaksok.domain.subscription import STATES
from yaksok.services import subscribers


@click.group()
def subscriptions() -> None:
    """Subscribers and webhook endpoints (GET /api/v1/subscriptions)."""


@subscriptions.command("list")
@click.option("--channel", type=click.Choice(list(REGISTRY)), help="Only subscribers on this channel.")
@click.option("--state", type=click.Choice(STATES), help="Only subscribers in this state.")
@database_option()
def subscriptions_list(channel: str | None, state: str | None, database_url: str | None) -> None:
    """List subscribers in id order, tab-separated: id, channel, state, language, made, target.

    Never a secret. How many are on each channel goes to standard error."""
    with opened(resolve_database(database_url)) as rt:
        found = subscribers.listing(rt, channel=channel, state=state)
    for s in found.subscriptions:
        click.echo(
            f"{s.id}\t{s.channel}\t{s.state}\t{s.language}\t{s.created_at:%Y-%m-%dT%H:%MZ}\t{s.target}"
        )
    counts = ", ".join(f"{name} {n}" for name, n in found.per_channel.items()) or "none"
    click.echo(f"{len(found.subscriptions)} subscriptions ({counts})", err=True)
