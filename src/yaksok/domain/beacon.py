"""A public randomness beacon (drand) as the waiting room's fallback seed (docs/waiting-room.md).

The commitment names a drand chain and the first round whose time is after the pre-queue closes,
so nobody, the operator included, knows that round's randomness at the commitment or the close.
When the reveal of the secret is missing or wrong, that round, verified against the chain's
public key, seeds the shuffle instead (``yaksok-shuffle-v1-beacon``).

The BLS pairing check itself is passed in (``VerifySignature``): this module stays standard
library only; ``yaksok.channels.drand.verify_signature`` is the one used.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from yaksok.domain import codes
from yaksok.domain.errors import InvalidInput

ALGORITHM = "yaksok-shuffle-v1-beacon"
_SEED_LABEL = b"yaksok-shuffle-v1-beacon\0"
CHAINED = "pedersen-bls-chained"  # drand's "default" chain: key on G1, signatures on G2
UNCHAINED = "pedersen-bls-unchained"
G1_UNCHAINED = "bls-unchained-g1-rfc9380"  # drand's "quicknet": key on G2, signatures on G1
SCHEMES = (CHAINED, UNCHAINED, G1_UNCHAINED)
G1_BYTES, G2_BYTES = 48, 96  # a compressed point of each group

VerifySignature = Callable[[str, bytes, bytes, bytes], bool]
"""``verify(scheme, public_key, message, signature)``: the BLS12-381 check of that drand scheme."""


def sizes(scheme: str) -> tuple[int, int]:
    """The bytes of the scheme's public key and of its signatures."""
    return (G2_BYTES, G1_BYTES) if scheme == G1_UNCHAINED else (G1_BYTES, G2_BYTES)


@dataclass(frozen=True, kw_only=True)
class Chain:
    """A drand chain as its ``/info`` describes it, and where to read its rounds."""

    url: str  # the HTTP API of the chain: GET {url}/info, GET {url}/public/{round}
    public_key: str  # hex
    genesis_time: int  # Unix seconds of round 1
    period: int  # seconds between rounds
    scheme: str
    chain_hash: str = ""  # hex, as /info gives it (informative: the key is what verifies)

    def round_time(self, number: int) -> datetime:
        """When round ``number`` is published: genesis + (number - 1) x period."""
        return datetime.fromtimestamp(self.genesis_time + (number - 1) * self.period, UTC)

    def first_round_after(self, at: datetime) -> int:
        """The first round whose time is strictly after ``at``."""
        elapsed = at.timestamp() - self.genesis_time
        if elapsed < 0:
            return 1
        return math.floor(elapsed / self.period) + 2

    def to_json(self) -> dict[str, str | int]:
        return {
            "url": self.url,
            "chain_hash": self.chain_hash,
            "public_key": self.public_key,
            "scheme": self.scheme,
            "genesis_time": self.genesis_time,
            "period": self.period,
        }


def chain_from_json(data: object) -> Chain | None:
    """The chain a ``to_json`` dict describes (the store's column, a commitment); None for none."""
    if not isinstance(data, dict):
        return None
    return Chain(
        url=str(data["url"]),
        chain_hash=str(data.get("chain_hash", "")),
        public_key=str(data["public_key"]),
        scheme=str(data["scheme"]),
        genesis_time=int(data["genesis_time"]),
        period=int(data["period"]),
    )


def check_url(url: str) -> None:
    """A beacon is read over http(s), from a URL without query or fragment."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise InvalidInput(
            f"a beacon URL is http(s)://host/path, not {url!r}", code=codes.WAITING_ROOM_BEACON_INVALID
        )


def check_chain(chain: Chain) -> None:
    """The URL, a 48-byte hex public key, a supported scheme, a positive period and genesis."""
    check_url(chain.url)
    if chain.scheme not in SCHEMES:
        raise InvalidInput(
            f"the beacon scheme is {' or '.join(SCHEMES)}, not {chain.scheme!r}",
            code=codes.WAITING_ROOM_BEACON_INVALID,
        )
    key_bytes, _ = sizes(chain.scheme)
    if _hex_length(chain.public_key) != key_bytes:
        group = "G2" if key_bytes == G2_BYTES else "G1"
        raise InvalidInput(
            f"the public key of a {chain.scheme} beacon is {key_bytes} bytes in hex (a {group} point), "
            f"not {chain.public_key[:20]!r}…",
            code=codes.WAITING_ROOM_BEACON_INVALID,
        )
    if not 1 <= chain.period <= 86_400 or chain.genesis_time <= 0:
        raise InvalidInput(
            f"the beacon period is 1-86400 s and its genesis a positive Unix time, not "
            f"{chain.period} s and {chain.genesis_time}",
            code=codes.WAITING_ROOM_BEACON_INVALID,
        )


def _hex_length(text: str) -> int:
    try:
        return len(bytes.fromhex(text))
    except ValueError:
        return -1


@dataclass(frozen=True, kw_only=True)
class Round:
    """One round as the beacon publishes it (``GET {url}/public/{round}``), hex strings."""

    number: int
    signature: str
    previous_signature: str
    randomness: str

    def to_json(self) -> dict[str, str | int]:
        return {
            "round": self.number,
            "signature": self.signature,
            "previous_signature": self.previous_signature,
            "randomness": self.randomness,
        }


def message(scheme: str, number: int, previous_signature: bytes) -> bytes:
    """What the chain signs for a round: SHA-256(previous signature || round as 8 bytes
    big-endian) when chained, SHA-256(round as 8 bytes big-endian) when unchained."""
    prefix = previous_signature if scheme == CHAINED else b""
    return hashlib.sha256(prefix + number.to_bytes(8, "big")).digest()


def round_problem(chain: Chain, committed: int, got: Round, verify: VerifySignature) -> str:
    """Why ``got`` is not the committed round of ``chain``, signed by its key; '' when it is."""
    if got.number != committed:
        return f"is round {got.number}, not the committed round {committed}"
    try:
        signature = bytes.fromhex(got.signature)
        previous = bytes.fromhex(got.previous_signature)
        randomness = bytes.fromhex(got.randomness)
    except ValueError:
        return "has a signature or randomness that is not hex"
    _, signature_bytes = sizes(chain.scheme)
    if len(signature) != signature_bytes:
        return f"has a signature of {len(signature)} bytes, not {signature_bytes}"
    signed = message(chain.scheme, got.number, previous)
    if not verify(chain.scheme, bytes.fromhex(chain.public_key), signed, signature):
        return "has a signature that does not verify against the committed public key"
    if randomness != hashlib.sha256(signature).digest():
        return "has a randomness that is not the SHA-256 of its signature"
    return ""


def seed(randomness: bytes, closed_list_hash: str) -> bytes:
    """SHA-256("yaksok-shuffle-v1-beacon" || 0x00 || randomness || the 32 bytes of the list hash)."""
    return hashlib.sha256(_SEED_LABEL + randomness + bytes.fromhex(closed_list_hash)).digest()
