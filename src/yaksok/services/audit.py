"""Auditing the public ledger from outside: anyone can check that it was not rewritten, reading
it from a yaksok server's public endpoints or straight from its database (never migrated).

Both raise ``SourceUnavailable`` when the source cannot be read at all.
"""

from __future__ import annotations

from dataclasses import replace

from yaksok.domain.allocation import Line
from yaksok.services import allocation, waiting_room
from yaksok.services.ledger import Verification, verify, verify_store
from yaksok.services.runtime import Runtime
from yaksok.store.databases import (
    SourceUnavailable,
    backend,
    open_store,
    redacted,
    schema_revision,
    sqlite_file,
)
from yaksok.store.remote_ledger import read_reservation_order, read_server_ledger


def verify_server(source: str, timeout: float) -> Verification:
    """Verify the ledger the server at ``source`` (``http://HOST:PORT``) publishes."""
    published = read_server_ledger(source, timeout)

    def order_of(slug: str, through: int) -> Line | None:
        return read_reservation_order(source, slug, through, timeout)

    return verify(published.entries, published.checkpoints, published.public_pem, order_of)


def verify_database(url: str) -> Verification:
    """Verify the ledger stored in the database at ``url``, read only."""
    _refuse_missing_sqlite_file(url)
    store = open_store(url, migrate=False)  # the SQL store itself: its schema revision is asked
    try:
        if schema_revision(store, url) is None:
            raise SourceUnavailable(f"no yaksok ledger in {redacted(url)}: it holds no yaksok schema")
        rt = Runtime(store=store)
        result = verify_store(rt)
        if result.ok:  # the pre-queue's numbers in the database must be the ledger's order too
            result = replace(result, waiting_room=waiting_room.check_numbers(rt))
        if result.ok:  # and the stored assignment the last run's
            result = replace(result, allocation=allocation.check_stored(rt))
        return result
    finally:
        store.close()


def _refuse_missing_sqlite_file(url: str) -> None:
    """Opening a missing SQLite file would create an empty one and call its empty ledger intact."""
    if backend(url) != "sqlite":
        return
    path = sqlite_file(url)
    if path is None or not path.is_file():
        raise SourceUnavailable(f"no SQLite database file at {path or '(none given)'}")
