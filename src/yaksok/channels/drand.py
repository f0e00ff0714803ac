"""A drand randomness beacon over its HTTP API, and the BLS check of its rounds.

``GET {url}/info`` describes the chain (public key, genesis, period, scheme, hash);
``GET {url}/public/{round}`` gives a round ``{round, randomness, signature, previous_signature}``.
Rounds are verified with ``py_ecc``'s ``G2Basic``: BLS12-381 with the public key on G1 and the
signature on G2, the ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_`` that drand's
``pedersen-bls-chained`` and ``pedersen-bls-unchained`` schemes sign with.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
from eth_typing import BLSPubkey, BLSSignature  # py_ecc's own argument types
from py_ecc.bls.ciphersuites import G2Basic

from yaksok.domain.beacon import Chain, Round

TIMEOUT = 5.0  # seconds, for one request
_RETRY_EVERY = 0.5  # seconds between tries while a round is not out yet


class BeaconUnavailable(Exception):
    """The beacon could not be read, or answered something that is not a drand document."""


class Stopped(Exception):
    """The process is stopping: the round was not waited for (nothing is to be concluded)."""


def verify_signature(public_key: bytes, message: bytes, signature: bytes) -> bool:
    """The BLS signature check drand's G1-key, G2-signature schemes need (about 0.4 s, pure Python)."""
    try:
        return bool(G2Basic.Verify(BLSPubkey(public_key), message, BLSSignature(signature)))
    except (ValueError, AssertionError, TypeError):  # not a point on the curve, or not in its group
        return False


def valid_public_key(public_key: bytes) -> bool:
    """Whether the bytes are a G1 point of the right subgroup (what a chain's key must be)."""
    try:
        return bool(G2Basic.KeyValidate(BLSPubkey(public_key)))
    except (ValueError, AssertionError, TypeError):
        return False


def fetch_info(url: str) -> Chain:
    """The chain that ``{url}/info`` describes, with ``url`` as where to read its rounds."""
    body = _get_json(f"{url.rstrip('/')}/info")
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


def fetch_round(chain: Chain, number: int, *, patience: float, stop: threading.Event | None = None) -> Round:
    """Round ``number`` of ``chain``; asked again every half second for up to ``patience``
    seconds while the beacon has not published it yet (404, 425) or cannot be reached, unless
    ``stop`` is set meanwhile (``Stopped``)."""
    url = f"{chain.url}/public/{number}"
    give_up = time.monotonic() + patience
    while True:
        try:
            body = _get_json(url)
            return Round(
                number=int(body["round"]),
                signature=str(body["signature"]),
                previous_signature=str(body.get("previous_signature", "")),
                randomness=str(body["randomness"]),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise BeaconUnavailable(f"{url} is not a drand round ({error!r})") from error
        except BeaconUnavailable:
            if time.monotonic() + _RETRY_EVERY > give_up:
                raise
            if stop is None:
                time.sleep(_RETRY_EVERY)
            elif stop.wait(_RETRY_EVERY):
                raise Stopped(f"stopped while waiting for {url}") from None


def _get_json(url: str) -> dict[str, Any]:
    try:
        response = httpx.get(url, timeout=TIMEOUT, follow_redirects=True)
    except httpx.HTTPError as error:
        raise BeaconUnavailable(f"{url} could not be read: {error.__class__.__name__}") from error
    if response.status_code != 200:
        raise BeaconUnavailable(f"{url} answered {response.status_code}")
    try:
        body = response.json()
    except ValueError as error:
        raise BeaconUnavailable(f"{url} did not answer JSON") from error
    if not isinstance(body, dict):
        raise BeaconUnavailable(f"{url} did not answer a JSON object")
    return body
