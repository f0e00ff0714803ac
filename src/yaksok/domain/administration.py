"""Operator administration: admin tokens, operator accounts and the audit trail of what operators did.

None of this is public. The public ledger records what customers were told; who holds which
token is the operators' own business, kept in the audit trail instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class TokenRecord:
    """A bearer token as stored: never its secret, which is shown once when it is made."""

    id: str
    role: str
    label: str
    created_at: datetime
    revoked_at: datetime | None = None
    # The launches the token may act on, sorted; None: every launch (services.scope).
    launches: tuple[str, ...] | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True)
class AuditEntry:
    """One administrative act: when, by which token (None when from the server's command line),
    what, and its facts."""

    seq: int
    at: datetime
    actor: str | None
    action: str
    details: Mapping[str, object]


@dataclass(frozen=True)
class Operator:
    """A person who signs in to the console: their email (lower-cased, unique), their role and
    an argon2 hash of their password (never the password); ``launches`` limits them to some
    launches (sorted; None: every launch)."""

    id: str
    email: str
    role: str
    password_hash: str
    created_at: datetime
    launches: tuple[str, ...] | None = None
