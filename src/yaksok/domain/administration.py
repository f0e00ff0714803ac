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

    @property
    def launch(self) -> str | None:
        """The launch the act concerned, named by its details or by its milestone's id
        (``slug.key``); None for administration of every launch (tokens, say)."""
        named = self.details.get("launch")
        if isinstance(named, str):
            return named
        milestone = self.details.get("milestone")
        return milestone.split(".", 1)[0] if isinstance(milestone, str) and "." in milestone else None

    @property
    def before(self) -> object:
        """What the act changed, as it was (None: nothing before it, or nothing it names)."""
        return self.details.get("previous", self.details.get("previous_hours"))

    @property
    def after(self) -> dict[str, object]:
        """What the act set or did, its facts without the old values and the ledger seq."""
        return {k: v for k, v in self.details.items() if k not in _NOT_AFTER}


_NOT_AFTER = frozenset({"previous", "previous_hours", "ledger_seq"})


@dataclass(frozen=True)
class AuditFilter:
    """Which audit entries an admin asks for; an empty field asks for all. ``action`` matches a
    prefix (``promise.`` is every promise act); ``since`` and ``until`` bound ``at`` (until
    excluded)."""

    actor: str = ""
    action: str = ""
    launch: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def matches(self, entry: AuditEntry) -> bool:
        return (
            (not self.actor or (entry.actor or "") == self.actor)
            and (not self.action or entry.action.startswith(self.action))
            and (not self.launch or entry.launch == self.launch)
            and (self.since is None or entry.at >= self.since)
            and (self.until is None or entry.at < self.until)
        )


@dataclass(frozen=True)
class Passkey:
    """An operator's WebAuthn credential: its id and public key as the authenticator gave them
    (base64url), the signature counter last seen, and when it was registered and last used."""

    id: str
    operator_id: str
    public_key: str
    sign_count: int
    created_at: datetime
    last_used_at: datetime | None = None


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
