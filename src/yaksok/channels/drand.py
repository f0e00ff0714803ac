"""A drand randomness beacon over its HTTP API, and the BLS check of its rounds.

``GET {url}/info`` describes the chain (public key, genesis, period, scheme, hash);
``GET {url}/public/{round}`` gives a round ``{round, randomness, signature, previous_signature}``.
Rounds are verified in ``channels.bls`` (loaded only then).

Like a webhook, a beacon is never read from a private, loopback or link-local address unless
``YAKSOK_WEBHOOK_ALLOW_HOSTS`` allows it (server-side request forgery: an editor names the URL).
The host is resolved and checked before each request, the request goes to the address checked
(a name cannot be re-pointed in between), and each redirect is checked the same way.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Sequence
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from yaksok.channels.webhook import resolved_addresses
from yaksok.domain.beacon import Chain, Round
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
    """The BLS signature check of drand's ``scheme`` (``channels.bls``; about 0.4 s, pure Python)."""
    from yaksok.channels import bls  # py_ecc takes ~0.3 s to import: only checking a round needs it

    return bls.verify(scheme, public_key, message, signature)


def valid_public_key(scheme: str, public_key: bytes) -> bool:
    """Whether the bytes are a point of the subgroup a key of ``scheme`` must be in (``channels.bls``)."""
    from yaksok.channels import bls  # as above: loaded when a beacon is set or a round checked

    return bls.valid_key(scheme, public_key)


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
        addresses = resolved_addresses(host, port)
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
