"""The public ledger: an append-only, hash-chained record of every public act.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's canonical JSON
(seq, at, kind and payload), so altering, removing or reordering any stored entry breaks
the chain at that entry. Checkpoints sign (seq, hash) with Ed25519 elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeAlias

GENESIS_HASH = "0" * 64

JSON: TypeAlias = "str | int | float | bool | Sequence[JSON] | Mapping[str, JSON] | None"
"""Any value JSON can carry: what an entry's payload is made of."""


def canonical_json(value: JSON) -> str:
    """One byte-exact JSON text per value: sorted keys, no spaces, UTF-8 kept."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def format_instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_instant(stamp: str) -> datetime:
    """The instant a ledger entry's ``at`` names (``format_instant`` read back)."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def entry_hash(prev_hash: str, seq: int, at: str, kind: str, payload: str) -> str:
    body = canonical_json({"at": at, "kind": kind, "payload": payload, "seq": seq})
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True)
class LedgerEntry:
    seq: int
    at: str
    kind: str
    payload: str
    prev_hash: str
    hash: str

    @classmethod
    def after(
        cls, previous: LedgerEntry | None, at: datetime, kind: str, data: Mapping[str, JSON]
    ) -> LedgerEntry:
        seq = 1 if previous is None else previous.seq + 1
        prev_hash = GENESIS_HASH if previous is None else previous.hash
        stamp, payload = format_instant(at), canonical_json(dict(data))
        return cls(seq, stamp, kind, payload, prev_hash, entry_hash(prev_hash, seq, stamp, kind, payload))

    @property
    def data(self) -> dict[str, JSON]:
        loaded: dict[str, JSON] = json.loads(self.payload)
        return loaded

    def to_dict(self) -> dict[str, int | str]:
        return {
            "seq": self.seq,
            "at": self.at,
            "kind": self.kind,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True)
class Checkpoint:
    """A signature of the ledger head at ``seq``, made with the signing key ``key_id``."""

    seq: int
    hash: str
    signature: str  # base64 Ed25519 signature of checkpoint_message(seq, hash)
    key_id: str
    signed_at: datetime


@dataclass(frozen=True)
class SigningKey:
    """The Ed25519 key pair that signs checkpoints, in PEM; ``id`` is the public key's fingerprint."""

    id: str
    private_pem: str = field(repr=False)
    public_pem: str
    created_at: datetime


@dataclass(frozen=True)
class ChainReport:
    count: int
    head_hash: str
    bad_seq: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.bad_seq is None


def verify_chain(entries: Iterable[LedgerEntry]) -> ChainReport:
    """Walk the chain from seq 1; report the first entry that does not fit."""
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    for entry in entries:
        if entry.seq != expected_seq:
            what = "missing" if entry.seq > expected_seq else "out of order or duplicated"
            return ChainReport(
                count, prev_hash, expected_seq, f"entry {expected_seq} is {what} (found seq {entry.seq} next)"
            )
        if entry.prev_hash != prev_hash:
            return ChainReport(
                count, prev_hash, entry.seq, f"entry {entry.seq} does not follow entry {entry.seq - 1}"
            )
        recomputed = entry_hash(prev_hash, entry.seq, entry.at, entry.kind, entry.payload)
        if recomputed != entry.hash:
            return ChainReport(count, prev_hash, entry.seq, f"entry {entry.seq} was altered")
        try:
            canonical = canonical_json(json.loads(entry.payload)) == entry.payload
        except ValueError:
            canonical = False
        if not canonical:
            return ChainReport(count, prev_hash, entry.seq, f"entry {entry.seq} payload is not canonical")
        expected_seq, prev_hash, count = entry.seq + 1, entry.hash, count + 1
    return ChainReport(count, prev_hash)


def checkpoint_message(seq: int, head_hash: str) -> bytes:
    """The bytes a ledger checkpoint signs."""
    return f"yaksok-ledger-checkpoint:{seq}:{head_hash}".encode()
