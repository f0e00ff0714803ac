"""The waiting room's signed tokens, and the gate the reservation writer keeps with them.

Three tokens, each ``{launch}.{entry}[.{field}].{HMAC}`` under a key derived from the store's
ledger signing key (like reservation codes and subscriber links), so every process of one
deployment accepts them and they survive restarts:

- the *entry token* names a visitor's entry (``purpose entry``);
- the *ticket* carries the entry's number, so a page computes its position without the database;
- the *admission* carries its expiry; it is single-use, which ``Gate`` holds inside the
  reservation writer's batch transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from yaksok.domain import codes
from yaksok.domain.commands import Reserve
from yaksok.domain.errors import Code, Conflict, InvalidInput, YaksokError
from yaksok.services import ledger
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def room_key(tx: Transaction, rt: Runtime) -> bytes:
    stored = tx.ledger.signing_key()
    if stored is None:
        tx.ledger.lock()
        ledger.ensure_signing_key(tx, rt)
        stored = tx.ledger.signing_key()
        assert stored is not None
    return hashlib.sha256(b"yaksok waiting room\0" + stored.private_pem.encode()).digest()


def _sign(key: bytes, purpose: str, payload: str) -> str:
    digest = hmac.digest(key, f"{purpose}\0{payload}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest[:18]).decode()


def _make(key: bytes, purpose: str, *parts: str) -> str:
    payload = ".".join(parts)
    return f"{payload}.{_sign(key, purpose, payload)}"


def _read(key: bytes, purpose: str, token: str, size: int, code: Code[InvalidInput]) -> list[str]:
    payload, _, signature = token.rpartition(".")
    parts = payload.split(".")
    if len(parts) != size or not hmac.compare_digest(signature, _sign(key, purpose, payload)):
        raise InvalidInput("this token is not one yaksok made for this waiting room", code=code)
    return parts


def entry_token(key: bytes, slug: str, entry_id: str) -> str:
    return _make(key, "entry", slug, entry_id)


def ticket(key: bytes, slug: str, entry_id: str, number: int) -> str:
    return _make(key, "ticket", slug, entry_id, str(number))


def admission(key: bytes, slug: str, entry_id: str, expires: datetime) -> str:
    return _make(key, "admission", slug, entry_id, str(int(expires.timestamp())))


def entry_of(key: bytes, slug: str, token: str) -> str:
    """The entry id an entry token names, if it was made for ``slug``."""
    launch, entry_id = _read(key, "entry", token, 2, codes.WAITING_ROOM_TOKEN_INVALID)
    _same_launch(launch, slug, codes.WAITING_ROOM_TOKEN_INVALID)
    return entry_id


def ticket_of(key: bytes, slug: str, token: str) -> tuple[str, int]:
    """The entry id and number a ticket carries, if it was made for ``slug``."""
    launch, entry_id, number = _read(key, "ticket", token, 3, codes.WAITING_ROOM_TOKEN_INVALID)
    _same_launch(launch, slug, codes.WAITING_ROOM_TOKEN_INVALID)
    return entry_id, int(number)


def _same_launch(launch: str, slug: str, code: Code[InvalidInput]) -> None:
    if launch != slug:
        raise InvalidInput(f"this token was made for another launch ({launch!r})", code=code)


@dataclass
class Gate:
    """One batch's admissions for one launch: checked per request, marked used on commit."""

    tx: Transaction
    slug: str
    key: bytes
    now: datetime
    used: set[str]
    taken: list[str] = field(default_factory=list)

    def admit(self, command: Reserve) -> str:
        """The admission's entry id, or the refusal: required, invalid, expired or used."""
        if not command.admission:
            raise _refusal(codes.ADMISSION_REQUIRED, "send the Admission-Token the waiting room gave you")
        launch, entry_id, expiry = _read(self.key, "admission", command.admission, 3, codes.ADMISSION_INVALID)
        _same_launch(launch, self.slug, codes.ADMISSION_INVALID)
        if datetime.fromtimestamp(int(expiry), UTC) <= self.now:
            raise _refusal(codes.ADMISSION_EXPIRED, "this admission has expired; ask the waiting room again")
        if entry_id in self.used:
            raise _refusal(codes.ADMISSION_USED, "this admission was already used for a reservation")
        return entry_id

    def accepted(self, entry_id: str) -> None:
        self.used.add(entry_id)
        self.taken.append(entry_id)

    def commit(self) -> None:
        self.tx.waiting_rooms.use_admissions(self.slug, self.taken, self.now)


def _refusal(code: Code[Conflict], message: str) -> YaksokError:
    return Conflict(message, code=code)


def gate(tx: Transaction, rt: Runtime, slug: str, commands: Sequence[Reserve], now: datetime) -> Gate | None:
    """The launch's gate while its waiting room is on; None (and nothing more read) otherwise."""
    room = tx.waiting_rooms.get(slug)
    if room is None or not room.enabled:
        return None
    key = room_key(tx, rt)
    named = {_entry_named(c.admission) for c in commands if c.admission}
    return Gate(tx, slug, key, now, tx.waiting_rooms.used_admissions(slug, named))


def _entry_named(token: str) -> str:
    parts = token.split(".")
    return parts[1] if len(parts) == 4 else ""
