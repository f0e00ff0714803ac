"""Passkeys: operators sign in to the console with a WebAuthn credential instead of a password.

An operator registers one from the console's account page once signed in; the sign-in page then
offers it. Each ceremony is two steps: options carrying a fresh challenge (the caller keeps the
challenge, the console in its signed session), then the browser's answer, verified by py_webauthn
against that challenge, this site's origin and relying-party id. User verification is required,
so a passkey stands in for the password, not beside it. Only the credential's id, public key and
signature counter are stored.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from urllib.parse import urlsplit

import webauthn
from webauthn.helpers import bytes_to_base64url
from webauthn.helpers.exceptions import WebAuthnException
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from yaksok.domain import codes
from yaksok.domain.administration import Passkey
from yaksok.domain.errors import InvalidInput, NotFound
from yaksok.services import audit_trail, operators
from yaksok.services.auth import Actor
from yaksok.services.runtime import Runtime

MAX_RESPONSE = 64 * 1024  # a browser's answer is a few kilobytes


@dataclass(frozen=True)
class RelyingParty:
    """The site passkeys are bound to: its host name (the RP id) and its origin."""

    id: str
    origin: str
    name: str = "yaksok console"

    @classmethod
    def of(cls, public_url: str) -> RelyingParty:
        parts = urlsplit(public_url)
        return cls(id=parts.hostname or "localhost", origin=f"{parts.scheme}://{parts.netloc}")


@dataclass(frozen=True)
class Ceremony:
    """Options for the browser (JSON), and the challenge they carry, to keep until its answer."""

    options: str
    challenge: bytes


def registration_options(rt: Runtime, rp: RelyingParty, operator_id: str) -> Ceremony:
    """Options to make a passkey for the signed-in operator (their existing ones excluded)."""
    with rt.store.read() as tx:
        operator = tx.operators.get(operator_id)
        if operator is None:
            raise NotFound(f"no operator {operator_id!r}", code=codes.OPERATOR_NOT_FOUND)
        known = tx.passkeys.of_operator(operator_id)
    options = webauthn.generate_registration_options(
        rp_id=rp.id,
        rp_name=rp.name,
        user_name=operator.email,
        user_id=operator.id.encode(),
        challenge=secrets.token_bytes(32),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=webauthn.base64url_to_bytes(p.id)) for p in known
        ],
    )
    return Ceremony(webauthn.options_to_json(options), options.challenge)


def register(rt: Runtime, rp: RelyingParty, operator_id: str, response: str, challenge: bytes) -> Passkey:
    """Verify the browser's answer to ``registration_options`` and keep the new passkey;
    ``passkey.invalid`` when it does not verify. Noted in the audit trail."""
    if len(response) > MAX_RESPONSE:
        raise InvalidInput("the passkey answer is too long", code=codes.PASSKEY_INVALID)
    try:
        verified = webauthn.verify_registration_response(
            credential=response,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError) as exc:
        raise InvalidInput(f"the passkey does not verify: {exc}", code=codes.PASSKEY_INVALID) from None
    passkey = Passkey(
        id=bytes_to_base64url(verified.credential_id),
        operator_id=operator_id,
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        created_at=rt.clock.now(),
    )
    with rt.store.write() as tx:
        if not tx.passkeys.add(passkey):
            raise InvalidInput("this passkey is already registered", code=codes.PASSKEY_INVALID)
        details = {"operator": operator_id, "passkey": passkey.id[:16]}
        audit_trail.record(tx, rt, "passkey.registered", details, actor=rt.actor or operator_id)
    return passkey


def sign_in_options(rp: RelyingParty) -> Ceremony:
    """Options to sign in with any passkey of this site (the browser offers the ones it holds)."""
    options = webauthn.generate_authentication_options(
        rp_id=rp.id, challenge=secrets.token_bytes(32), user_verification=UserVerificationRequirement.REQUIRED
    )
    return Ceremony(webauthn.options_to_json(options), options.challenge)


def sign_in(rt: Runtime, rp: RelyingParty, response: str, challenge: bytes) -> Actor | None:
    """The operator whose passkey signed ``challenge``; None when the answer does not verify or
    names no passkey registered here (the caller does not learn which)."""
    passkey_id = credential_id(response)
    if passkey_id is None:
        return None
    with rt.store.read() as tx:
        passkey = tx.passkeys.get(passkey_id)
    if passkey is None:
        return None
    try:
        verified = webauthn.verify_authentication_response(
            credential=response,
            expected_challenge=challenge,
            expected_rp_id=rp.id,
            expected_origin=rp.origin,
            credential_public_key=webauthn.base64url_to_bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except (WebAuthnException, ValueError, KeyError, TypeError):
        return None
    with rt.store.write() as tx:
        tx.passkeys.used(passkey.id, verified.new_sign_count, rt.clock.now())
    return operators.operator_actor(rt, passkey.operator_id)


def passkeys_of(rt: Runtime, operator_id: str) -> list[Passkey]:
    with rt.store.read() as tx:
        return tx.passkeys.of_operator(operator_id)


def credential_id(response: str) -> str | None:
    """The passkey id a browser's answer names, if it names one."""
    if len(response) > MAX_RESPONSE:
        return None
    try:
        parsed = json.loads(response)
    except ValueError:
        return None
    found = parsed.get("id") if isinstance(parsed, dict) else None
    return found if isinstance(found, str) and 0 < len(found) <= 512 else None
