"""``yaksok waiting-room``: a launch's waiting room (docs/waiting-room.md)."""

from __future__ import annotations

import click

from yaksok.cli.options import database_option, opened, resolve_database, yaksok_errors
from yaksok.domain.commands import ConfigureWaitingRoom, instant
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
@database_option()
def set_command(
    slug: str, enabled: bool, prequeue_opens: str, rate: float, token_minutes: int, database_url: str | None
) -> None:
    """Configure the launch SLUG's waiting room (recorded in the ledger; the first time, with the
    commitment to the secret that will shuffle its pre-queue)."""
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
        command = ConfigureWaitingRoom(
            launch_slug=slug,
            enabled=enabled,
            prequeue_opens=instant(prequeue_opens),
            admit_per_second=rate,
            token_minutes=token_minutes,
        )
        click.echo(describe(room_service.configure(rt, command)))


@waiting_room.command("show")
@click.argument("slug")
@database_option()
def show_command(slug: str, database_url: str | None) -> None:
    """Show the launch SLUG's waiting room: settings, commitment and pre-queue figures."""
    with opened(resolve_database(database_url)) as rt, yaksok_errors():
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
        ]
    )
