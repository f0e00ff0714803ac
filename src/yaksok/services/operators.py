"""Operator accounts: people who sign in to the console, with the roles admin tokens have.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's second recommended
parameter set); only the hash is stored. Signing in answers the same ``Actor`` a token does,
so the console and the admin API decide with the same role check (``auth.permits``).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import replace

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from yaksok.domain import codes
from yaksok.domain.administration import Operator
from yaksok.domain.errors import Conflict, InvalidInput
from yaksok.services import audit_trail, scope
from yaksok.services.auth import Actor, Role
from yaksok.services.runtime import Runtime

_HASHER = PasswordHasher()
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # argon2 hashes any length; a bound keeps a sign-in from being a heavy request


# Verified against when the email is unknown, so an unknown account takes as long as a wrong password.
@functools.cache
def _decoy() -> str:
    """A hash to check an unknown email's password against, so that it takes as long as a known
    one's; made on the first such sign-in, not at every import (an argon2 hash takes ~0.1 s)."""
    return _HASHER.hash("not anyone's password")


def _email(raw: str) -> str:
    email = raw.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidInput(f"{raw!r} is not an email address", code=codes.INVALID_EMAIL)
    return email


def create_operator(
    rt: Runtime,
    email: str,
    role: str,
    password: str,
    *,
    launches: Sequence[str] | None = None,
    actor: str | None = None,
) -> Operator:
    """A new operator account with ``role``, limited to ``launches`` if they are given; recorded
    in the audit trail, without the password."""
    scope.require_all(rt, "making an operator account")
    granted = Role.named(role)
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidInput(
            f"a password needs {MIN_PASSWORD} to {MAX_PASSWORD} characters", code=codes.INVALID_PASSWORD
        )
    operator = Operator(
        rt.new_id("o"), _email(email), granted.name.lower(), _HASHER.hash(password), rt.clock.now()
    )
    with rt.store.write() as tx:
        operator = replace(operator, launches=scope.chosen(tx, launches))
        if not tx.operators.add(operator):
            raise Conflict(f"an operator {operator.email!r} already exists", code=codes.OPERATOR_EXISTS)
        details: dict[str, object] = {"operator": operator.id, "email": operator.email, "role": operator.role}
        if operator.launches is not None:
            details["launches"] = list(operator.launches)
        audit_trail.record(tx, rt, "operator.created", details, actor=actor)
    return operator


def sign_in(rt: Runtime, email: str, password: str) -> Actor | None:
    """The operator these credentials are for; None when the email is unknown or the password
    wrong (the caller does not learn which)."""
    with rt.store.read() as tx:
        operator = tx.operators.by_email(email.strip().lower())
    if operator is None:
        _verifies(_decoy(), password)
        return None
    if not _verifies(operator.password_hash, password):
        return None
    return _actor(operator)


def operator_actor(rt: Runtime, operator_id: str) -> Actor | None:
    """A signed-in operator as they are now (their current role); None if the account is gone."""
    with rt.store.read() as tx:
        operator = tx.operators.get(operator_id)
    return None if operator is None else _actor(operator)


def _actor(operator: Operator) -> Actor:
    limited = None if operator.launches is None else frozenset(operator.launches)
    return Actor(operator.id, Role.named(operator.role), limited)


def _verifies(password_hash: str, password: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
