"""The command line: thin commands that parse, call a service and print.

One module per command group: running (``serve``: serve, worker), the ledger (``ledger``),
replays and the demo (``replay``), benchmarks (``bench``), the database (``db``), tokens
(``tokens``), operator accounts (``users``), subscribers (``subscriptions``) and reservations
(``reservations``); what they share is in ``options``.
"""

from __future__ import annotations

import importlib

import click

# Each command's module is imported only when that command runs (or ``--help`` lists them all):
# importing every group's dependencies (the web app, the benches, the channels) took longer than
# a whole replay of the 2010 scenario.
COMMANDS = {
    "serve": "yaksok.cli.serve:serve",
    "worker": "yaksok.cli.serve:worker",
    "demo": "yaksok.cli.replay:demo",
    "replay": "yaksok.cli.replay:replay",
    "ledger": "yaksok.cli.ledger:ledger",
    "bench": "yaksok.cli.bench:bench",
    "db": "yaksok.cli.db:db",
    "token": "yaksok.cli.tokens:token",
    "user": "yaksok.cli.users:user",
    "subscriptions": "yaksok.cli.subscriptions:subscriptions",
    "reservations": "yaksok.cli.reservations:reservations",
    "launches": "yaksok.cli.launches:launches",
    "social": "yaksok.cli.social:social",
    "waiting-room": "yaksok.cli.waiting_room:waiting_room",
    "stock": "yaksok.cli.stock:stock",
    "allocate": "yaksok.cli.stock:allocate",
}


class _Commands(click.Group):
    """The top-level group, loading each command from ``COMMANDS`` when it is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = COMMANDS.get(cmd_name)
        if where is None:
            return None
        module, name = where.split(":")
        command = getattr(importlib.import_module(module), name)
        assert isinstance(command, click.Command) and command.name == cmd_name
        return command


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yaksok")
def main() -> None:
    """yaksok (약속): hold a product launch on time and in the open.

    Every date and time announced ahead, every change announced with its reason, every channel
    saying the same thing at the same moment, and a public ledger of which promises were kept.
    """
