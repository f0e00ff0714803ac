"""The waiting room's fair shuffle, as docs/waiting-room.md specifies it (``yaksok-shuffle-v1``).

Anyone can reimplement it from the document and the ledger: the seed is SHA-256 over a fixed
label, the revealed secret and the hash of the closed pre-queue list; a stream of 64-bit words
comes from SHA-256(seed || counter); ``uniform(n)`` rejects the words that would bias it; and a
Fisher-Yates pass from the last place down takes one ``uniform`` per place. No ``random``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence

ALGORITHM = "yaksok-shuffle-v1"
_SEED_LABEL = b"yaksok-shuffle-v1\0"
_WORD = 1 << 64


def commitment(secret: bytes) -> str:
    """What the ledger holds before the pre-queue opens: SHA-256 of the secret, in hex."""
    return hashlib.sha256(secret).hexdigest()


def list_hash(entry_ids: Sequence[str]) -> str:
    """SHA-256 (hex) of the closed list: the entry ids in arrival order, each ended by ``\\n``."""
    return hashlib.sha256("".join(f"{entry}\n" for entry in entry_ids).encode()).hexdigest()


def seed(secret: bytes, closed_list_hash: str) -> bytes:
    """SHA-256(label || secret || the 32 bytes of the list hash)."""
    return hashlib.sha256(_SEED_LABEL + secret + bytes.fromhex(closed_list_hash)).digest()


def words(seed_bytes: bytes) -> Iterator[int]:
    """Unsigned 64-bit big-endian words: SHA-256(seed || counter as 8 bytes big-endian), four
    words per block, counter from 0."""
    counter = 0
    while True:
        block = hashlib.sha256(seed_bytes + counter.to_bytes(8, "big")).digest()
        for start in range(0, 32, 8):
            yield int.from_bytes(block[start : start + 8], "big")
        counter += 1


def uniform(stream: Iterator[int], n: int) -> int:
    """An integer in [0, n), unbiased: words at or above the largest multiple of n are skipped."""
    if not 1 <= n <= _WORD:
        raise ValueError("uniform(n) needs 1 <= n <= 2**64")
    limit = _WORD - _WORD % n
    while True:
        word = next(stream)
        if word < limit:
            return word % n


def shuffled(items: Sequence[str], seed_bytes: bytes) -> list[str]:
    """Fisher-Yates: for i from len-1 down to 1, swap place i with place uniform(i + 1)."""
    order = list(items)
    stream = words(seed_bytes)
    for i in range(len(order) - 1, 0, -1):
        j = uniform(stream, i + 1)
        order[i], order[j] = order[j], order[i]
    return order
