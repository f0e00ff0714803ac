"""Public writes limited per client address: a token bucket each, ``burst`` deep, refilled at
``per_second``. Cheap enough for the reservation hot path (a dictionary lookup and a little
arithmetic), and bounded in memory: when it tracks too many addresses it forgets those whose
bucket has filled up again, which is the same as never having seen them."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from yaksok.web.errors import RATE_LIMITED, TooManyRequests

MAX_TRACKED = 100_000


class RateLimit:
    def __init__(self, per_second: float, burst: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_second = per_second
        self.burst = max(burst, 1)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # address: (tokens, at)

    def take(self, address: str) -> None:
        """Take one token for ``address``, or refuse with ``429 rate.limited`` stating when to retry."""
        if self.per_second <= 0:
            return
        now = self._clock()
        tokens, at = self._buckets.get(address, (self.burst, now))
        tokens = min(self.burst, tokens + (now - at) * self.per_second)
        if tokens < 1:
            retry_after = math.ceil((1 - tokens) / self.per_second)
            raise TooManyRequests(
                f"too many requests from this address: at most {self.per_second:g} a second "
                f"(bursts of {self.burst}); retry in {retry_after} s",
                code=RATE_LIMITED,
                details={"retry_after": retry_after, "per_second": self.per_second, "burst": self.burst},
            )
        if len(self._buckets) >= MAX_TRACKED:
            self._forget_full(now)
        self._buckets[address] = (tokens - 1, now)

    def take_for(self, scope_client: tuple[str, int] | list[object] | None) -> None:
        """``take`` for the client of an ASGI scope (``scope["client"]``)."""
        self.take(client_address(scope_client))

    def _forget_full(self, now: float) -> None:
        full = [
            a
            for a, (tokens, at) in self._buckets.items()
            if tokens + (now - at) * self.per_second >= self.burst
        ]
        for address in full:
            del self._buckets[address]


def client_address(scope_client: tuple[str, int] | list[object] | None) -> str:
    """The client's address as the server saw it (behind a trusted proxy, uvicorn puts the
    forwarded one there: ``--forwarded-allow-ips``)."""
    return str(scope_client[0]) if scope_client else "unknown"
