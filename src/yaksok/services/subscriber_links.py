"""The signed links a subscriber acts on without an account: confirm an email subscription
(double opt-in; the link expires), unsubscribe (RFC 8058 one-click; it does not expire), and
manage what it gets (launches, kinds, language) with the same token as unsubscribing: both are
in every message, and either is as much as holding the mailbox. The public subscribe forms carry
a signed form token, so a form posted from another site is refused.

A link's token is ``{subscription id}[.{expiry}].{HMAC}``, the HMAC under a key derived from the
store's ledger signing key (like reservation codes), so links survive restarts and every process
of one deployment accepts them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from yaksok.channels import email
from yaksok.channels.outbound import Outgoing
from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput, NotFound
from yaksok.domain.notice import NoticeKind
from yaksok.domain.subscription import UNSUBSCRIBED, Subscription
from yaksok.services import ledger
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

# A subscribe form is accepted for this long after its page was shown.
FORM_TOKEN_LIFETIME = timedelta(hours=24)


def link_key(tx: Transaction, rt: Runtime) -> bytes:
    stored = tx.ledger.signing_key()
    if stored is None:
        tx.ledger.lock()
        ledger.ensure_signing_key(tx, rt)
        stored = tx.ledger.signing_key()
        assert stored is not None
    return hashlib.sha256(b"yaksok subscriber links\0" + stored.private_pem.encode()).digest()


def _sign(key: bytes, purpose: str, payload: str) -> str:
    digest = hmac.digest(key, f"{purpose}\0{payload}".encode(), "sha256")
    return base64.urlsafe_b64encode(digest[:24]).decode()


def unsubscribe_token(key: bytes, subscription_id: str) -> str:
    return f"{subscription_id}.{_sign(key, 'unsubscribe', subscription_id)}"


_URL_SAFE = re.compile(r"[A-Za-z0-9_.~-]*").fullmatch


def manage_path_token(key: bytes, subscription_id: str) -> str:
    """The token of a subscription's manage link as its URL's last segment (``email.manage_url``
    quotes it; an id of letters, digits and ``_.~-`` needs no quoting, which a fan-out skips)."""
    token = unsubscribe_token(key, subscription_id)
    return token if _URL_SAFE(subscription_id) else quote(token, safe="")


def manage_tokens(key: bytes) -> Callable[[str], bytes]:
    """``manage_path_token`` as bytes, for the many subscribers of a fan-out: the key is set up
    once (its HMAC state copied per subscriber), and plain ids skip the quoting check's regex."""
    base = hmac.new(key, b"unsubscribe\0", hashlib.sha256)
    encode = base64.urlsafe_b64encode

    def token(subscription_id: str) -> bytes:
        if not (subscription_id.isascii() and subscription_id.replace("_", "").isalnum()):
            return manage_path_token(key, subscription_id).encode()
        raw = subscription_id.encode()
        mac = base.copy()
        mac.update(raw)
        return b"%s.%s" % (raw, encode(mac.digest()[:24]))

    return token


def confirm_token(key: bytes, subscription_id: str, expires: datetime) -> str:
    payload = f"{subscription_id}.{int(expires.timestamp())}"
    return f"{payload}.{_sign(key, 'confirm', payload)}"


def _invalid() -> InvalidInput:
    return InvalidInput(
        "this link is not one yaksok sent, or it has expired", code=codes.SUBSCRIPTION_TOKEN_INVALID
    )


def _checked(key: bytes, purpose: str, token: str) -> str:
    payload, _, signature = token.rpartition(".")
    if not payload or not hmac.compare_digest(signature, _sign(key, purpose, payload)):
        raise _invalid()
    return payload


def confirmation(rt: Runtime, subscription: Subscription, base_url: str, hours: float) -> Outgoing:
    """The confirmation email for a new email subscription, with a link valid for ``hours``."""
    expires = rt.clock.now() + timedelta(hours=hours)
    with rt.store.write() as tx:
        token = confirm_token(link_key(tx, rt), subscription.id, expires)
    url = f"{base_url.rstrip('/')}/subscriptions/confirm/{token}"
    body = email.confirmation_body(subscription.language, url)
    return Outgoing(f"confirm_{subscription.id}", subscription.target, "", body)


def confirm(rt: Runtime, token: str) -> str:
    """Confirm the subscription the link was made for; its id. Confirming twice is no error."""
    with rt.store.write() as tx:
        subscription_id, _, expiry = _checked(link_key(tx, rt), "confirm", token).rpartition(".")
        if datetime.fromtimestamp(int(expiry), UTC) < rt.clock.now():
            raise _invalid()
        if tx.subscriptions.get(subscription_id) is None:
            raise _invalid()
        tx.subscriptions.confirm(subscription_id)
    return subscription_id


def confirm_many(rt: Runtime, subscription_ids: Sequence[str]) -> int:
    """Confirm held subscriptions in one transaction, as each one's link would; how many were held.
    For a caller that holds the addresses' consent already: the fan-out bench's sink."""
    with rt.store.write() as tx:
        return sum(tx.subscriptions.confirm(subscription_id) for subscription_id in subscription_ids)


def unsubscribe(rt: Runtime, token: str) -> str:
    """Stop sending to the subscription the link was made for; its id. Twice is no error."""
    now = rt.clock.now()
    with rt.store.write() as tx:
        subscription_id = _checked(link_key(tx, rt), "unsubscribe", token)
        if tx.subscriptions.get(subscription_id) is None:
            raise _invalid()
        tx.subscriptions.disable(subscription_id, now, UNSUBSCRIBED)
    return subscription_id


def _read_key(rt: Runtime) -> bytes:
    """The link key, read (written only the first time, when no signing key exists yet)."""
    with rt.store.read() as tx:
        stored = tx.ledger.signing_key()
    if stored is None:
        with rt.store.write() as tx:
            return link_key(tx, rt)
    return hashlib.sha256(b"yaksok subscriber links\0" + stored.private_pem.encode()).digest()


def form_token(rt: Runtime) -> str:
    """The hidden token of a subscribe form shown now: its expiry, signed."""
    expires = str(int((rt.clock.now() + FORM_TOKEN_LIFETIME).timestamp()))
    return f"{expires}.{_sign(_read_key(rt), 'form', expires)}"


def check_form_token(rt: Runtime, token: str) -> None:
    """``subscription.form_stale`` unless ``token`` is one a form of this site carried, in time."""
    stale = InvalidInput(
        "this form was not sent from this site's page, or it is too old: reload the page and send it again",
        code=codes.SUBSCRIPTION_FORM_STALE,
    )
    key = _read_key(rt)
    expires, _, signature = token.partition(".")
    if not expires.isdigit() or not hmac.compare_digest(signature, _sign(key, "form", expires)):
        raise stale
    if int(expires) < rt.clock.now().timestamp():
        raise stale


def managed(rt: Runtime, token: str) -> Subscription:
    """The subscription an unsubscribe (manage) link was made for."""
    subscription_id = _checked(_read_key(rt), "unsubscribe", token)
    with rt.store.read() as tx:
        found = tx.subscriptions.get(subscription_id)
    if found is None:
        raise _invalid()
    return found


def change(
    rt: Runtime, token: str, *, launches: Sequence[str], kinds: Sequence[NoticeKind], language: str
) -> Subscription:
    """What the subscriber of the link gets from now on: launches and kinds (none: all), language."""
    with rt.store.write() as tx:
        subscription_id = _checked(link_key(tx, rt), "unsubscribe", token)
        found = tx.subscriptions.get(subscription_id)
        if found is None:
            raise _invalid()
        for slug in launches:
            if not tx.launches.exists(slug):
                raise NotFound(f"no launch {slug!r}", code=codes.LAUNCH_NOT_FOUND)
        changed = replace(
            found,
            launches=tuple(dict.fromkeys(launches)),
            kinds=tuple(dict.fromkeys(kinds)),
            language=language,
        )
        tx.subscriptions.save(changed)
    return changed
