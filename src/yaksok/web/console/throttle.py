"""Sign-in attempts, counted per account and per address, so passwords cannot be guessed at speed.

The counts live in this process's memory: with several processes each counts its own share
(docs/console.md says so), and a restart forgets them.
"""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta

WINDOW = timedelta(minutes=15)
PER_ACCOUNT = 5  # failed sign-ins to one account within WINDOW
PER_ADDRESS = 20  # failed sign-ins from one client address within WINDOW, whatever the account


class SignInThrottle:
    def __init__(self) -> None:
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def allows(self, email: str, address: str, now: datetime) -> bool:
        """Whether another attempt for ``email`` from ``address`` may be tried at ``now``."""
        with self._lock:
            return (
                self._recent(f"account:{email.strip().lower()}", now) < PER_ACCOUNT
                and self._recent(f"address:{address}", now) < PER_ADDRESS
            )

    def failed(self, email: str, address: str, now: datetime) -> None:
        with self._lock:
            for key in (f"account:{email.strip().lower()}", f"address:{address}"):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, email: str) -> None:
        with self._lock:
            self._failures.pop(f"account:{email.strip().lower()}", None)

    def _recent(self, key: str, now: datetime) -> int:
        failures = self._failures.get(key)
        if failures is None:
            return 0
        while failures and now - failures[0] >= WINDOW:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return len(failures)
