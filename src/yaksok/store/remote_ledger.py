"""Another yaksok server's public ledger, read over HTTP through its public endpoints only:
``GET /ledger`` (NDJSON, paged), ``GET /ledger/checkpoints`` and the ledger's public key.

Anything that is not what those endpoints promise is a ``SourceUnavailable`` naming the URL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import msgspec

from yaksok.domain.allocation import Line, parse_order
from yaksok.domain.ledger import Checkpoint, LedgerEntry, canonical_json
from yaksok.store.databases import SourceUnavailable, first_line

PAGE = 1000


@dataclass(frozen=True)
class ServerLedger:
    """What a server publishes of its ledger, as read; not yet verified."""

    entries: list[LedgerEntry]
    checkpoints: list[Checkpoint]
    public_pem: str


def read_server_ledger(source: str, timeout: float) -> ServerLedger:
    """Every entry, every signed checkpoint and the public key of the server at ``source``
    (``http://HOST:PORT``, with or without a trailing ``/ledger``); ``timeout`` seconds per request."""
    base = source.rstrip("/").removesuffix("/ledger")
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            entries = list(_entries(client, base))
            checkpoints = _checkpoints(_fetch(client, f"{base}/ledger/checkpoints"))
            public_pem = _fetch(client, f"{base}/.well-known/yaksok-ledger-key").text
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"cannot read the ledger from {base}: {first_line(exc)}") from exc
    return ServerLedger(entries, checkpoints, public_pem)


def _fetch(client: httpx.Client, url: str, params: dict[str, int] | None = None) -> httpx.Response:
    response = client.get(url, params=params)
    if response.status_code != 200:
        raise SourceUnavailable(f"{url} answered {response.status_code}, not the ledger")
    return response


def _entries(client: httpx.Client, base: str) -> Iterator[LedgerEntry]:
    """Page through ``GET /ledger?after=N`` until a page comes back empty."""
    after = 0
    while True:
        response = _fetch(client, f"{base}/ledger", {"after": after, "limit": PAGE})
        page = [_entry(line, base) for line in ndjson_lines(response.text)]
        if not page:
            return
        yield from page
        if page[-1].seq <= after:
            return  # the server does not page forward; the chain check names what is out of order
        after = page[-1].seq


def ndjson_lines(text: str) -> list[str]:
    """The non-blank lines of an NDJSON body. Only ``"\\n"`` ends a line: ``str.splitlines()``
    would also cut at U+0085, U+2028, U+2029 and the like, which JSON carries unescaped."""
    return [line for line in text.split("\n") if line.strip()]


def _entry(line: str, base: str) -> LedgerEntry:
    try:
        raw = json.loads(line)
        payload = raw["payload"]
        return LedgerEntry(
            seq=int(raw["seq"]),
            at=str(raw["at"]),
            kind=str(raw["kind"]),
            # the contract sends the stored text; a server that sends the object gets its canonical form
            payload=payload if isinstance(payload, str) else canonical_json(payload),
            prev_hash=str(raw["prev_hash"]),
            hash=str(raw["hash"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        problem = f"{base}/ledger sent a line that is not a ledger entry: {line[:80]!r}"
        raise SourceUnavailable(problem) from exc


def _checkpoints(response: httpx.Response) -> list[Checkpoint]:
    try:
        return msgspec.json.decode(response.content, type=list[Checkpoint])
    except msgspec.ValidationError as exc:
        raise SourceUnavailable(f"{response.url} did not answer a list of checkpoints: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise SourceUnavailable(f"{response.url} did not answer JSON") from exc


def read_reservation_order(source: str, slug: str, through: int, timeout: float) -> Line | None:
    """The launch's public reservation order through ``through`` from the server at ``source``
    (``GET /launches/{slug}/reservation-order``); None where the server does not publish it."""
    base = source.rstrip("/").removesuffix("/ledger")
    url = f"{base}/launches/{slug}/reservation-order"
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            response = client.get(url, params={"through": through})
    except httpx.HTTPError as exc:
        raise SourceUnavailable(f"cannot read the reservation order from {url}: {first_line(exc)}") from exc
    if response.status_code == 404:
        return None
    if response.status_code != 200:
        raise SourceUnavailable(f"{url} answered {response.status_code}, not the reservation order")
    try:
        return parse_order(response.text)
    except ValueError as exc:
        raise SourceUnavailable(f"{url} sent a line that is not sequence,sku,quantity,store") from exc
