"""Admin tokens and roles. Deny by default: every admin action names the role it needs."""

from __future__ import annotations

import hashlib
import secrets
from enum import IntEnum

from yaksok.domain.errors import Forbidden, InvalidInput, Unauthorized
from yaksok.services import ledger
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
                f"unknown role {name!r}; choose admin, editor, support or viewer", code="invalid.role"
            ) from None


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(rt: Runtime, role: str, label: str = "") -> str:
    """A new bearer token; only its hash is stored, so it is shown once."""
    granted = Role.named(role)
    token_id = rt.new_id("t")
    token = f"yk_{granted.name.lower()}_{secrets.token_urlsafe(24)}"
    with rt.store.write() as tx:
        tx.tokens.add(token_id, _hash(token), granted.name.lower(), label, rt.clock.now())
        ledger.record(
            tx, rt, "token.created", {"token": token_id, "role": granted.name.lower(), "label": label}
        )
    return token


def authorize(rt: Runtime, authorization: str | None, needed: Role) -> Role:
    """Check an ``Authorization: Bearer …`` header against the role an action needs."""
    if not authorization or not authorization.lower().startswith("bearer "):
        raise Unauthorized("this action needs an admin token: Authorization: Bearer <token>")
    token = authorization[7:].strip()
    with rt.store.read() as tx:
        stored = tx.tokens.role_for(_hash(token))
    if stored is None:
        raise Unauthorized("unknown or revoked token", code="auth.invalid_token")
    role = Role.named(stored)
    if role < needed:
        raise Forbidden(f"this action needs the {needed.name.lower()} role; the token has {stored}")
    return role
