"""Admin tokens and roles. Deny by default: every admin action names the role it needs."""

from __future__ import annotations

import hashlib
import secrets
from enum import IntEnum

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput
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
                f"unknown role {name!r}; choose admin, editor, support or viewer", code=codes.INVALID_ROLE
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


def token_role(rt: Runtime, token: str) -> Role | None:
    """The role a bearer token grants; None if the token is unknown or revoked. The web layer
    checks it against the role each action needs."""
    with rt.store.read() as tx:
        stored = tx.tokens.role_for(_hash(token))
    return None if stored is None else Role.named(stored)
