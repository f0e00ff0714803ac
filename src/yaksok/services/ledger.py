"""The public ledger: recording acts, signing checkpoints, verifying the chain."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from yaksok.channels import drand
from yaksok.domain.allocation_check import OrderSource, check_runs
from yaksok.domain.ledger import JSON, ChainReport, Checkpoint, LedgerEntry, checkpoint_message, verify_chain
from yaksok.domain.waiting_room import check_ledger
from yaksok.services import audit_trail
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def record(
    tx: Transaction, rt: Runtime, kind: str, data: Mapping[str, JSON], *, previous: JSON = None
) -> LedgerEntry:
    """Append a public act to the ledger inside the use case's transaction; an operator's act is
    also noted in the (private) audit trail with who did it, in the same transaction, with
    ``previous`` (what the act replaced, when the ledger's own data does not say) beside it."""
    if rt.reviewed is not None:
        # Who proposed and who approved stay in the audit trail (operators are not public); the
        # ledger says the act was approved by a second operator, and which proposal it was.
        data = {**data, "reviewed": {"proposal": rt.reviewed}}
    entry = tx.ledger.append(rt.clock.now(), kind, data)
    if rt.actor is not None:
        details = {"ledger_seq": entry.seq, **data}
        if previous is not None:
            details["previous"] = previous
        audit_trail.record(tx, rt, kind, details, actor=rt.actor)
    return entry


def ensure_signing_key(tx: Transaction, rt: Runtime) -> None:
    """Make the signing key if there is none yet (call with the ledger locked)."""
    _signing_key(tx, rt)


def _signing_key(tx: Transaction, rt: Runtime) -> tuple[str, Ed25519PrivateKey]:
    stored = tx.ledger.signing_key()
    if stored is not None:
        key = serialization.load_pem_private_key(stored.private_pem.encode(), password=None)
        assert isinstance(key, Ed25519PrivateKey)
        return stored.id, key
    key = Ed25519PrivateKey.generate()
    public_pem = _public_pem(key.public_key())
    key_id = key_fingerprint(public_pem)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    tx.ledger.add_signing_key(key_id, private_pem, public_pem, rt.clock.now())
    return key_id, key


def _public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


def key_fingerprint(public_pem: str) -> str:
    return hashlib.sha256(public_pem.encode()).hexdigest()[:16]


def public_key_pem(rt: Runtime) -> str:
    """The PEM public key that verifies every checkpoint (created on first use)."""
    with rt.store.write() as tx:
        tx.ledger.lock()  # two first uses at once must not make two keys
        _key_id, key = _signing_key(tx, rt)
        return _public_pem(key.public_key())


def checkpoint(rt: Runtime) -> int | None:
    """Sign the ledger head if it moved since the last checkpoint; returns the signed seq."""
    with rt.store.write() as tx:
        tx.ledger.lock()  # one signer at a time, and the head cannot move while it signs
        head = tx.ledger.head()
        if head is None or head.seq <= tx.ledger.latest_checkpoint_seq():
            return None
        key_id, key = _signing_key(tx, rt)
        signature = base64.b64encode(key.sign(checkpoint_message(head.seq, head.hash))).decode()
        tx.ledger.add_checkpoint(head.seq, head.hash, signature, key_id, rt.clock.now())
        return head.seq


@dataclass(frozen=True)
class Verification:
    chain: ChainReport
    checkpoints_checked: int
    bad_checkpoint: int | None = None
    problem: str = ""
    waiting_room: str = ""  # a waiting room whose order is not the recomputed one
    allocation: str = ""  # an allocation run that does not recompute, or a stored assignment

    @property
    def ok(self) -> bool:
        return self.chain.ok and self.bad_checkpoint is None and not self.waiting_room and not self.allocation

    def describe(self) -> str:
        if not self.chain.ok:
            return f"ledger broken at seq {self.chain.bad_seq}: {self.chain.problem}"
        if self.bad_checkpoint is not None:
            return f"checkpoint at seq {self.bad_checkpoint} does not verify: {self.problem}"
        if self.waiting_room:
            return self.waiting_room
        if self.allocation:
            return self.allocation
        return (
            f"ledger intact: {self.chain.count} entries, head {self.chain.head_hash[:16]}…, "
            f"{self.checkpoints_checked} signed checkpoints verified"
        )


def verify(
    entries: Iterable[LedgerEntry],
    checkpoints: Iterable[Checkpoint],
    public_pem: str | None,
    order_of: OrderSource | None = None,
) -> Verification:
    """Check the hash chain, then every checkpoint's signature and that it matches the chain, then
    recompute the waiting rooms' orders and the allocation runs (these from the public reservation
    order ``order_of`` gives; without it only their batches are checked)."""
    entries = list(entries)
    chain = verify_chain(entries)
    if not chain.ok:
        return Verification(chain, 0)
    hashes = {entry.seq: entry.hash for entry in entries}
    public_key = None
    if public_pem:
        loaded = serialization.load_pem_public_key(public_pem.encode())
        assert isinstance(loaded, Ed25519PublicKey)
        public_key = loaded
    checked = 0
    for point in checkpoints:
        seq, head_hash = point.seq, point.hash
        if seq not in hashes:
            return Verification(
                chain, checked, seq, f"entries after seq {chain.count} were removed (truncated)"
            )
        if hashes[seq] != head_hash:
            return Verification(chain, checked, seq, "the signed hash differs from the chain's")
        if public_key is not None:
            try:
                public_key.verify(base64.b64decode(point.signature), checkpoint_message(seq, head_hash))
            except (InvalidSignature, ValueError):
                return Verification(chain, checked, seq, "bad signature")
        checked += 1
    return Verification(
        chain,
        checked,
        waiting_room=check_ledger(entries, drand.verify_signature),
        allocation=check_runs(entries, order_of or _no_order),
    )


def _no_order(slug: str, through: int) -> None:
    return None


def verify_store(rt: Runtime) -> Verification:
    with rt.store.read() as tx:
        entries = list(tx.ledger.entries())
        checkpoints = tx.ledger.checkpoints()
        stored = tx.ledger.signing_key()
        return verify(
            entries, checkpoints, None if stored is None else stored.public_pem, tx.allocations.public_order
        )
