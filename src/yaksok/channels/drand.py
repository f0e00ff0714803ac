"""A drand randomness beacon over its HTTP API, and the BLS check of its rounds.

``GET {url}/info`` describes the chain (public key, genesis, period, scheme, hash);
``GET {url}/public/{round}`` gives a round ``{round, randomness, signature, previous_signature}``.
Rounds are verified with ``py_ecc`` (BLS12-381). drand's ``pedersen-bls-chained`` and
``pedersen-bls-unchained`` schemes have the public key on G1 and sign on G2 with the ciphersuite
``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_`` (``G2Basic``); ``bls-unchained-g1-rfc9380``
(the "quicknet" chain) swaps the groups, key on G2 and signatures on G1, hashed to G1 with
``BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_`` (RFC 9380), which no py_ecc ciphersuite names:
its pairing check is written out here.

Like a webhook, a beacon is never read from a private, loopback or link-local address unless
``YAKSOK_WEBHOOK_ALLOW_HOSTS`` allows it (server-side request forgery: an editor names the URL).
The host is resolved and checked before each request, the request goes to the address checked
(a name cannot be re-pointed in between), and each redirect is checked the same way.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from eth_typing import BLSPubkey, BLSSignature  # py_ecc's own argument types
from py_ecc.bls.ciphersuites import G2Basic
from py_ecc.bls.g2_primitives import pubkey_to_G1, signature_to_G2, subgroup_check
from py_ecc.bls.hash_to_curve import hash_to_G1
from py_ecc.fields import optimized_bls12_381_FQ12 as FQ12
from py_ecc.optimized_bls12_381.optimized_curve import G2, is_inf, neg
from py_ecc.optimized_bls12_381.optimized_pairing import final_exponentiate, pairing

from yaksok.domain.beacon import G1_UNCHAINED, Chain, Round
from yaksok.domain.subscription import IPNetwork, refusal

TIMEOUT = 5.0  # seconds, for one request
_RETRY_EVERY = 0.5  # seconds between tries while a round is not out yet
MAX_REDIRECTS = 3


class BeaconUnavailable(Exception):
    """The beacon could not be read, or answered something that is not a drand document."""


class BeaconRefused(BeaconUnavailable):
    """The beacon's address is one yaksok does not send requests to (see the module's doc)."""


class Stopped(Exception):
    """The process is stopping: the round was not waited for (nothing is to be concluded)."""


def verify_signature(scheme: str, public_key: bytes, message: bytes, signature: bytes) -> bool:
    """The BLS signature check of drand's ``scheme`` (about 0.4 s, pure Python)."""
    try:
        if scheme == G1_UNCHAINED:
            return _verify_on_g1(public_key, message, signature)
        return bool(G2Basic.Verify(BLSPubkey(public_key), message, BLSSignature(signature)))
    except (ValueError, AssertionError, TypeError):  # not a point on the curve, or not in its group
        return False


def valid_public_key(scheme: str, public_key: bytes) -> bool:
    """Whether the bytes are a point of the right subgroup (what a chain's key must be): on G2
    for ``bls-unchained-g1-rfc9380``, on G1 for the others."""
    try:
        if scheme == G1_UNCHAINED:
            return len(public_key) == 96 and _key_on_g2(public_key)
        return bool(G2Basic.KeyValidate(BLSPubkey(public_key)))
    except (ValueError, AssertionError, TypeError):
        return False


_G1_DST = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"


def _key_on_g2(public_key: bytes) -> bool:
    """A G2 point of the prime-order subgroup, not the identity (which every signature would fit)."""
    key = signature_to_G2(BLSSignature(public_key))
    return not is_inf(key) and subgroup_check(key)


def _verify_on_g1(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """e(signature, G2) == e(H(message), public key), with the key on G2 and the signature on G1."""
    if len(public_key) != 96 or len(signature) != 48:
        return False
    if not _key_on_g2(public_key):
        return False
    key = signature_to_G2(BLSSignature(public_key))  # a compressed G2 point, whatever py_ecc names it
    signed = pubkey_to_G1(BLSPubkey(signature))  # likewise a compressed G1 point
    if not subgroup_check(signed):
        return False
    hashed = hash_to_G1(message, _G1_DST, hashlib.sha256)  # type: ignore[arg-type]  # py_ecc types the function as a hash object
    product = pairing(key, hashed, final_exponentiate=False) * pairing(
        neg(G2), signed, final_exponentiate=False
    )
    return bool(final_exponentiate(product) == FQ12.one())


def fetch_info(url: str, allow: Sequence[IPNetwork] = ()) -> Chain:
    """The chain that ``{url}/info`` describes, with ``url`` as where to read its rounds; ``allow``
    names the private networks it may be on."""
    body = _get_json(f"{url.rstrip('/')}/info", allow)
    try:
        return Chain(
            url=url.rstrip("/"),
            chain_hash=str(body.get("hash", "")),
            public_key=str(body["public_key"]),
            genesis_time=int(body["genesis_time"]),
            period=int(body["period"]),
            scheme=str(body.get("schemeID", "pedersen-bls-chained")),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise BeaconUnavailable(f"{url}/info is not a drand chain description ({error!r})") from error


def fetch_round(
    chain: Chain,
    number: int,
    *,
    patience: float,
    stop: threading.Event | None = None,
    allow: Sequence[IPNetwork] = (),
) -> Round:
    """Round ``number`` of ``chain``; asked again every half second for up to ``patience``
    seconds while the beacon has not published it yet (404, 425) or cannot be reached, unless
    ``stop`` is set meanwhile (``Stopped``). A refused address is not asked again."""
    url = f"{chain.url}/public/{number}"
    give_up = time.monotonic() + patience
    while True:
        try:
            body = _get_json(url, allow)
            return Round(
                number=int(body["round"]),
                signature=str(body["signature"]),
                previous_signature=str(body.get("previous_signature", "")),
                randomness=str(body["randomness"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BeaconUnavailable(f"{url} is not a drand round ({error!r})") from error
        except BeaconRefused:
            raise
        except BeaconUnavailable:
            if time.monotonic() + _RETRY_EVERY > give_up:
                raise
            if stop is None:
                time.sleep(_RETRY_EVERY)
            elif stop.wait(_RETRY_EVERY):
                raise Stopped(f"stopped while waiting for {url}") from None


def _get_json(url: str, allow: Sequence[IPNetwork]) -> dict[str, Any]:
    for _ in range(MAX_REDIRECTS + 1):
        response = _get_checked(url, allow)
        if not response.is_redirect:
            break
        url = urljoin(url, response.headers.get("location", ""))
    else:
        raise BeaconUnavailable(f"{url}: more than {MAX_REDIRECTS} redirects")
    if response.status_code != 200:
        raise BeaconUnavailable(f"{url} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        raise BeaconUnavailable(f"{url} did not answer JSON") from error
    if not isinstance(body, dict):
        raise BeaconUnavailable(f"{url} did not answer a JSON object")
    return body


def _get_checked(url: str, allow: Sequence[IPNetwork]) -> httpx.Response:
    """One GET of ``url``, sent to an address of its host that may be reached."""
    parts = urlsplit(url)
    host, scheme = parts.hostname or "", parts.scheme
    if scheme not in ("http", "https") or not host:
        raise BeaconRefused(f"{url[:80]!r} is not an http(s) URL")
    port = parts.port or (443 if scheme == "https" else 80)
    try:
        addresses = [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    except OSError as error:
        raise BeaconUnavailable(f"{url} could not be read: {host} does not resolve ({error})") from error
    for address in addresses:
        why = refusal(address, allow)
        if why is not None:
            raise BeaconRefused(f"a beacon is not read from {host}: {why} (see YAKSOK_WEBHOOK_ALLOW_HOSTS)")
    pinned = f"[{addresses[0]}]" if ipaddress.ip_address(addresses[0]).version == 6 else addresses[0]
    target = parts._replace(netloc=f"{pinned}:{port}").geturl()
    extensions = {"sni_hostname": host} if scheme == "https" else {}  # the certificate is the host's
    headers = {"Host": parts.netloc.rpartition("@")[2]}
    try:
        with httpx.Client(timeout=TIMEOUT) as client:
            return client.get(target, headers=headers, extensions=extensions)
    except httpx.HTTPError as error:
        raise BeaconUnavailable(f"{url} could not be read: {error.__class__.__name__}") from error
