"""``yaksok waiting-room``: a launch's waiting room (docs/waiting-room.md)."""

from __future__ import annotations

import click

from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
from yaksok.config import Settings
from yaksok.domain.beacon import SCHEMES as BEACON_SCHEMES
from yaksok.domain.commands import BeaconSetting, ConfigureWaitingRoom, instant
from yaksok.domain.subscription import allowed_networks
from yaksok.domain.waiting_room import Room
from yaksok.services import waiting_room as room_service


@click.group("waiting-room")
def waiting_room() -> None:
    """A launch's waiting room: a fair pre-queue, then first in, first out at a set rate."""


@waiting_room.command("set")
@click.argument("slug")
@click.option("--on/--off", "enabled", default=True, show_default=True, help="Use the room or not.")
@click.option(
    "--prequeue-opens",
    required=True,
    help="When visitors may join, ISO 8601 with offset (2010-11-02T09:00+09:00).",
)
@click.option("--rate", type=float, required=True, help="Numbers admitted per second after the opening.")
@click.option("--token-minutes", type=int, default=10, show_default=True, help="Life of an admission token.")
@click.option(
    "--beacon",
    "beacon_url",
    metavar="URL",
    help="A drand chain's HTTP API (https://api.drand.sh/CHAIN-HASH) whose round seeds the order if "
    "the secret is not revealed; alone, its /info is read once to fill the key, genesis, period and "
    "scheme. Left out: no beacon.",
)
@click.option(
    "--beacon-public-key",
    metavar="HEX",
    help="The chain's public key (hex: 48 bytes, or 96 for quicknet's scheme), as its /info says.",
)
@click.option("--beacon-genesis", type=int, metavar="UNIX", help="The chain's genesis_time (Unix seconds).")
@click.option(
    "--beacon-period", type=int, metavar="SECONDS", help="The chain's period (seconds between rounds)."
)
@click.option(
    "--beacon-scheme",
    type=click.Choice(BEACON_SCHEMES),
    help="The chain's schemeID.",
)
@click.option(
    "--beacon-chain-hash", default="", metavar="HEX", help="The chain's hash (checked against /info)."
)
@database_option()
def set_command(
    slug: str,
    enabled: bool,
    prequeue_opens: str,
    rate: float,
    token_minutes: int,
    beacon_url: str | None,
    beacon_public_key: str | None,
    beacon_genesis: int | None,
    beacon_period: int | None,
    beacon_scheme: str | None,
    beacon_chain_hash: str,
    database_url: str | None,
) -> None:
    """Configure the launch SLUG's waiting room (recorded in the ledger; the first time, with the
    commitment to the secret that will shuffle its pre-queue, and with the beacon round it falls
    back to when one is named)."""
    beacon = None
    if beacon_url is not None:
        beacon = BeaconSetting(
            url=beacon_url,
            public_key=beacon_public_key,
            genesis_time=beacon_genesis,
            period=beacon_period,
            scheme=beacon_scheme,
            chain_hash=beacon_chain_hash,
        )
    url = resolve_database(database_url)
    with opened(url) as rt, yaksok_errors():
        command = ConfigureWaitingRoom(
            launch_slug=slug,
            enabled=enabled,
            prequeue_opens=instant(prequeue_opens),
            admit_per_second=rate,
            token_minutes=token_minutes,
            beacon=beacon,
        )
        # A beacon on a private network needs YAKSOK_WEBHOOK_ALLOW_HOSTS, as `yaksok serve` does.
        allow = allowed_networks(Settings.from_env(database_url=url).webhook_allow_hosts)
        click.echo(describe(room_service.configure(rt, command, allow=allow)))


@waiting_room.command("show")
@click.argument("slug")
@database_option()
def show_command(slug: str, database_url: str | None) -> None:
    """Show the launch SLUG's waiting room: settings, commitment and pre-queue figures."""
    url = resolve_database(database_url)
    with opened(url) as rt, yaksok_errors():
        click.echo(describe(room_service.settings_of(rt, slug)))


def describe(room: Room) -> str:
    opened_at = "not yet" if room.opened_at is None else room.opened_at.isoformat()
    return "\n".join(
        [
            f"launch: {room.launch_slug}",
            f"enabled: {'on' if room.enabled else 'off'}",
            f"pre-queue opens: {room.prequeue_opens.isoformat()}",
            f"admits per second: {room.admit_per_second:g}",
            f"admission token minutes: {room.token_minutes}",
            f"commitment: {room.commitment}",
            f"opened: {opened_at} (pre-queue {room.prequeue_size}, duplicates collapsed {room.collapsed})",
            f"beacon: {_beacon(room)}",
        ]
    )


def _beacon(room: Room) -> str:
    chain, number = room.beacon, room.beacon_round
    if chain is None:
        return "none"
    at = (
        "no round yet: the opening is not known"
        if number is None
        else f"round {number} at {chain.round_time(number).isoformat()}"
    )
    return f"{chain.url} ({chain.scheme}, every {chain.period} s; {at})"
