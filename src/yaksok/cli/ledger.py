"""``yaksok ledger verify``: anyone can check that the public record was not rewritten."""

from __future__ import annotations

import click

from yaksok.cli.options import SourceError, readable_sources
from yaksok.services import audit


@click.group()
def ledger() -> None:
    """The public ledger: a hash-chained, signed record of every public act."""


@ledger.command("verify")
@click.argument("source")
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per HTTP request.")
def verify_command(source: str, timeout: float) -> None:
    """Check that no ledger entry was altered, removed or reordered.

    SOURCE is a yaksok server (http://HOST:PORT, read through its public /ledger endpoints) or a
    database URL (sqlite:///PATH, postgresql://USER@HOST/NAME; only read, never migrated).
    Recomputes the hash chain and checks every signed checkpoint against the ledger's public key;
    recomputes every waiting room's order and every allocation run (from the public reservation
    order: the database's, or the server's GET /launches/{slug}/reservation-order), and on a
    database checks the stored assignment against the last run (docs/allocation.md).

    Exits 0 on an intact ledger, 1 naming the first bad entry, 2 if SOURCE cannot be read.
    """
    with readable_sources():
        if source.startswith(("http://", "https://")):
            result = audit.verify_server(source, timeout)
        elif "://" in source:
            result = audit.verify_database(source)
        else:
            raise SourceError(
                f"{source!r} is neither a server URL (http://...) nor a database URL "
                "(sqlite:///..., postgresql://...)"
            )
    if not result.ok:
        raise click.ClickException(result.describe())
    click.echo(result.describe())
