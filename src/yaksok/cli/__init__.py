"""The command line: thin commands that parse, call a service and print.

One module per command group: running (``serve``: serve, worker), the ledger (``ledger``),
replays and the demo (``replay``), benchmarks (``bench``), the database (``db``), tokens
(``tokens``), operator accounts (``users``), subscribers (``subscriptions``) and reservations
(``reservations``); what they share is in ``options``.
"""

from __future__ import annotations

import click

from yaksok.cli.bench import bench
from yaksok.cli.db import db
from yaksok.cli.launches import launches
from yaksok.cli.ledger import ledger
from yaksok.cli.replay import demo, replay
from yaksok.cli.reservations import reservations
from yaksok.cli.serve import serve, worker
from yaksok.cli.social import social
from yaksok.cli.stock import allocate, stock
from yaksok.cli.subscriptions import subscriptions
from yaksok.cli.tokens import token
from yaksok.cli.users import user
from yaksok.cli.waiting_room import waiting_room


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="yaksok")
def main() -> None:
    """yaksok (약속): hold a product launch on time and in the open.

    Every date and time announced ahead, every change announced with its reason, every channel
    saying the same thing at the same moment, and a public ledger of which promises were kept.
    """


for command in (
    serve,
    worker,
    demo,
    replay,
    ledger,
    bench,
    db,
    token,
    user,
    subscriptions,
    reservations,
    launches,
    social,
    waiting_room,
    stock,
    allocate,
):
    main.add_command(command)
