"""The ledger table: appended under a lock, never updated or deleted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.ledger import JSON, Checkpoint, LedgerEntry, SigningKey
from yaksok.store import port
from yaksok.store.tables import ledger_checkpoints, ledger_entries, signing_keys

_LEDGER_LOCK = 0x7961_6B73  # "yaks": one PostgreSQL advisory lock serialises appends


class LedgerRepository(port.LedgerRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection
        self._locked = False

    def append(self, at: datetime, kind: str, data: Mapping[str, JSON]) -> LedgerEntry:
        self.lock()
        entry = LedgerEntry.after(self.head(), at, kind, data)
        self._db.execute(insert(ledger_entries).values(**entry.to_dict()))
        return entry

    def lock(self) -> None:
        """Hold the ledger until the transaction ends: appends, checkpoints and the signing key
        are decided on a head no one else can move. Take row claims first, this last."""
        # SQLite writers already hold the database lock (BEGIN IMMEDIATE); PostgreSQL needs one
        # so that two transactions never chain onto the same head.
        if not self._locked and self._db.dialect.name == "postgresql":
            self._db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LEDGER_LOCK})
        self._locked = True

    def head(self) -> LedgerEntry | None:
        row = self._db.execute(select(ledger_entries).order_by(ledger_entries.c.seq.desc()).limit(1))
        found = row.mappings().first()
        return None if found is None else _entry(found)

    def head_seq(self) -> int:
        # Plain SQL to the driver: the reservation writer reads it once per batch.
        driver: Any = self._db.connection.driver_connection  # sqlite3 or psycopg, this transaction
        return int(driver.execute("SELECT COALESCE(MAX(seq), 0) FROM ledger_entries").fetchone()[0])

    def entries(self, after: int = 0, limit: int | None = None) -> Iterator[LedgerEntry]:
        query = select(ledger_entries).where(ledger_entries.c.seq > after).order_by(ledger_entries.c.seq)
        if limit is not None:
            query = query.limit(limit)
        for row in self._db.execute(query).mappings():
            yield _entry(row)

    def add_checkpoint(self, seq: int, head_hash: str, signature: str, key_id: str, now: datetime) -> None:
        self._db.execute(
            insert(ledger_checkpoints).values(
                seq=seq, hash=head_hash, signature=signature, key_id=key_id, signed_at=now
            )
        )

    def checkpoints(self) -> list[Checkpoint]:
        query = select(ledger_checkpoints).order_by(ledger_checkpoints.c.seq)
        return [_checkpoint(row) for row in self._db.execute(query).mappings()]

    def latest_checkpoint_seq(self) -> int:
        query = select(ledger_checkpoints.c.seq).order_by(ledger_checkpoints.c.seq.desc()).limit(1)
        return self._db.execute(query).scalar() or 0

    def signing_key(self) -> SigningKey | None:
        row = self._db.execute(select(signing_keys).order_by(signing_keys.c.created_at).limit(1)).mappings()
        found = row.first()
        return None if found is None else _signing_key(found)

    def add_signing_key(self, key_id: str, private_pem: str, public_pem: str, now: datetime) -> None:
        self._db.execute(
            insert(signing_keys).values(
                id=key_id, private_key=private_pem, public_key=public_pem, created_at=now
            )
        )


def _entry(row: RowMapping) -> LedgerEntry:
    return LedgerEntry(
        seq=row["seq"],
        at=row["at"],
        kind=row["kind"],
        payload=row["payload"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


def _checkpoint(row: RowMapping) -> Checkpoint:
    return Checkpoint(
        seq=row["seq"],
        hash=row["hash"],
        signature=row["signature"],
        key_id=row["key_id"],
        signed_at=row["signed_at"],
    )


def _signing_key(row: RowMapping) -> SigningKey:
    return SigningKey(
        id=row["id"],
        private_pem=row["private_key"],
        public_pem=row["public_key"],
        created_at=row["created_at"],
    )
