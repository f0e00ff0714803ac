"""Admin tokens and roles. Deny by default: every admin action names the role it needs."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import IntEnum

from yaksok.domain import codes
from yaksok.domain.administration import TokenRecord
from yaksok.domain.errors import Conflict, InvalidInput, NotFound
from yaksok.services import audit_trail, scope
from yaksok.services.runtime import Runtime


class Role(IntEnum):
    """Each role can do everything the roles below it can."""

    VIEWER = 1
    SUPPORT = 2
    EDITOR = 3
    ADMIN = 4

    @classmethod
    def named(cls, name: str) -> Role:
        try:
            return cls[name.upper()]
        except KeyError:
            raise InvalidInput(
                f"unknown role {name!r}; choose admin, editor, support or viewer", code=codes.INVALID_ROLE
            ) from None


@dataclass(frozen=True)
class Actor:
    """Who makes an admin request: the token's id (or the signed-in operator's), its role, and the
    launches it is limited to (None: every launch; see ``services.scope``)."""

    token_id: str
    role: Role
    launches: frozenset[str] | None = None


@dataclass(frozen=True)
class IssuedToken:
    """A token just made: ``secret`` is shown this once and never stored."""

    id: str
    secret: str
    role: Role
    label: str
    launches: tuple[str, ...] | None = None


def permits(actor: Actor, needed: Role) -> bool:
    """Whether ``actor`` (a token's or a signed-in operator's) may take an action needing ``needed``:
    the one role check the admin API and the console share."""
    return actor.role >= needed


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    rt: Runtime,
    role: str,
    label: str = "",
    *,
    launches: Sequence[str] | None = None,
    actor: str | None = None,
) -> IssuedToken:
    """A new bearer token, limited to ``launches`` if they are given; only its hash is stored, so
    it is shown once. Recorded in the audit trail (not the public ledger: who holds a token is
    not a public act)."""
    scope.require_all(rt, "making a token")
    granted = Role.named(role)
    token_id = rt.new_id("t")
    secret = f"yk_{granted.name.lower()}_{secrets.token_urlsafe(24)}"
    with rt.store.write() as tx:
        limited = scope.chosen(tx, launches)
        tx.tokens.add(token_id, _hash(secret), granted.name.lower(), label, rt.clock.now(), limited)
        details: dict[str, object] = {"token": token_id, "role": granted.name.lower(), "label": label}
        if limited is not None:
            details["launches"] = list(limited)
        audit_trail.record(tx, rt, "token.created", details, actor=actor)
    return IssuedToken(token_id, secret, granted, label, limited)


def list_tokens(rt: Runtime) -> list[TokenRecord]:
    """Every token, revoked ones too, oldest first: never a secret or its hash."""
    scope.require_all(rt, "listing tokens")
    with rt.store.read() as tx:
        return tx.tokens.list()


def revoke_token(rt: Runtime, token_id: str, *, actor: str | None = None) -> TokenRecord:
    """Revoke a token: from now on it is refused. Recorded in the audit trail."""
    scope.require_all(rt, "revoking a token")
    now = rt.clock.now()
    with rt.store.write() as tx:
        token = tx.tokens.get(token_id)
        if token is None:
            raise NotFound(f"no token {token_id!r}", code=codes.TOKEN_NOT_FOUND)
        if not tx.tokens.revoke(token_id, now):
            raise Conflict(f"token {token_id!r} is already revoked", code=codes.TOKEN_REVOKED)
        details = {"token": token_id, "role": token.role, "state": "revoked", "previous": {"state": "active"}}
        audit_trail.record(tx, rt, "token.revoked", details, actor=actor)
    return replace(token, revoked_at=now)


def token_holder(rt: Runtime, token: str) -> Actor | None:
    """Who a bearer token speaks for (its id and role); None if it is unknown or revoked. The
    web layer checks the role against the one each action needs."""
    with rt.store.read() as tx:
        stored = tx.tokens.active_for(_hash(token))
    if stored is None:
        return None
    limited = None if stored.launches is None else frozenset(stored.launches)
    return Actor(stored.id, Role.named(stored.role), limited)


def token_role(rt: Runtime, token: str) -> Role | None:
    """The role a bearer token grants; None if the token is unknown or revoked."""
    holder = token_holder(rt, token)
    return None if holder is None else holder.role
