"""``yaksok ledger verify``: anyone can check that the public record was not rewritten."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from yaksok.cli.options import SourceError, connect, first_line, redacted
from yaksok.domain.ledger import LedgerEntry, canonical_json
from yaksok.services.ledger import Verification, verify, verify_store
from yaksok.services.runtime import Runtime

PAGE = 1000


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
    Recomputes the hash chain and checks every signed checkpoint against the ledger's public key.

    Exits 0 on an intact ledger, 1 naming the first bad entry, 2 if SOURCE cannot be read.
    """
    if source.startswith(("http://", "https://")):
        result = _from_server(source, timeout)
    elif "://" in source:
        result = _from_database(source)
    else:
        raise SourceError(
            f"{source!r} is neither a server URL (http://...) nor a database URL (sqlite:///..., postgresql://...)"
        )
    if not result.ok:
        raise click.ClickException(result.describe())
    click.echo(result.describe())


# --- a server, through the public endpoints ------------------------------------------------------


def _from_server(source: str, timeout: float) -> Verification:
    base = source.rstrip("/").removesuffix("/ledger")
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            entries = list(_server_entries(client, base))
            checkpoints = _json_list(_fetch(client, f"{base}/ledger/checkpoints"))
            public_pem = _fetch(client, f"{base}/.well-known/yaksok-ledger-key").text
    except httpx.HTTPError as exc:
        raise SourceError(f"cannot read the ledger from {base}: {first_line(exc)}") from exc
    return verify(entries, checkpoints, public_pem)


def _fetch(client: httpx.Client, url: str, params: dict[str, int] | None = None) -> httpx.Response:
    response = client.get(url, params=params)
    if response.status_code != 200:
        raise SourceError(f"{url} answered {response.status_code}, not the ledger")
    return response


def _server_entries(client: httpx.Client, base: str) -> Iterator[LedgerEntry]:
    """Page through ``GET /ledger?after=N`` until a page comes back empty."""
    after = 0
    while True:
        response = _fetch(client, f"{base}/ledger", {"after": after, "limit": PAGE})
        # NDJSON ends lines with "\n" only: str.splitlines() would also cut an entry at U+2028,
        # U+0085 and the like, which JSON carries unescaped inside strings.
        page = [_entry(line, base) for line in response.text.split("\n") if line.strip()]
        if not page:
            return
        yield from page
        if page[-1].seq <= after:
            return  # the server does not page forward; the chain check names what is out of order
        after = page[-1].seq


def _entry(line: str, base: str) -> LedgerEntry:
    try:
        raw = json.loads(line)
        payload = raw["payload"]
        return LedgerEntry(
            seq=int(raw["seq"]),
            at=str(raw["at"]),
            kind=str(raw["kind"]),
            # the contract sends the stored text; a server that sends the object gets its canonical form
            payload=payload if isinstance(payload, str) else canonical_json(payload),
            prev_hash=str(raw["prev_hash"]),
            hash=str(raw["hash"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise SourceError(f"{base}/ledger sent a line that is not a ledger entry: {line[:80]!r}") from exc


def _json_list(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        data = response.json()
    except ValueError as exc:
        raise SourceError(f"{response.url} did not answer JSON") from exc
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise SourceError(f"{response.url} did not answer a list of checkpoints")
    return data


# --- a database, read directly -------------------------------------------------------------------


def _from_database(url: str) -> Verification:
    _refuse_missing_sqlite_file(url)
    store = connect(url, migrate=False)
    try:
        return verify_store(Runtime(store=store))
    except SQLAlchemyError as exc:
        raise SourceError(f"no yaksok ledger in {redacted(url)}: {first_line(exc)}") from exc
    finally:
        store.close()


def _refuse_missing_sqlite_file(url: str) -> None:
    """Opening a missing SQLite file would create an empty one and call its empty ledger intact."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise SourceError(f"cannot read {url!r} as a database URL") from exc
    if parsed.get_backend_name() != "sqlite":
        return
    database = parsed.database or ""
    if database in ("", ":memory:") or not Path(database).is_file():
        raise SourceError(f"no SQLite database file at {database or '(none given)'}")
