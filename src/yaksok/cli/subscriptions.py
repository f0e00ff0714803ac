"""``yaksok subscriptions``: subscribers, as the admin API lists them."""

from __future__ import annotations

import click

from yaksok.channels.transports import REGISTRY
from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
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


@subscriptions.command("replay")
@click.argument("subscription_id")
@click.option(
    "--since", required=True, help="An ISO 8601 time with its zone, e.g. 2010-11-09T00:00:00+09:00."
)
@database_option()
def subscriptions_replay(subscription_id: str, since: str, database_url: str | None) -> None:
    """Send again every notice published since --since that an active subscription chose
    (POST /api/v1/subscriptions/{id}/replay): one sent before keeps its webhook-id.

    Prints each delivery id queued, then how many, on standard error."""
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        done = subscribers.replay(rt, subscription_id, subscribers.instant(since))
    for delivery_id in done.again:
        click.echo(f"{delivery_id}\tagain")
    for delivery_id in done.new:
        click.echo(f"{delivery_id}\tnew")
    click.echo(
        f"{len(done.again) + len(done.new)} deliveries queued since {done.since.isoformat()}", err=True
    )
