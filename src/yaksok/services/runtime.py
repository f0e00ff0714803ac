"""What every use case needs: the store, the clock, ids, and who to tell after a publication."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from yaksok.domain.clock import Clock, SystemClock
from yaksok.domain.notice import Notice
from yaksok.store.port import Store


def random_ids(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(6)}"


def counting_ids() -> Callable[[str], str]:
    """Deterministic ids (n_0001, n_0002, ...) for replays, so their URLs are stable."""
    counters: dict[str, itertools.count[int]] = {}

    def new_id(prefix: str) -> str:
        return f"{prefix}_{next(counters.setdefault(prefix, itertools.count(1))):04d}"

    return new_id


@dataclass
class Runtime:
    store: Store
    clock: Clock = field(default_factory=SystemClock)
    new_id: Callable[[str], str] = random_ids
    # Called after commit, in the publishing thread, for each published notice (live updates
    # listen here) with its ledger seq, the ledger seq of the notice published just before it
    # (None for the first) and the notice itself.
    on_publish: list[Callable[[int, int | None, Notice], None]] = field(default_factory=list)
    # Who acts, for the audit trail: the admin token's or signed-in operator's id, set per
    # request by the admin API and the console; None for the command line and the scheduler.
    actor: str | None = None
    # The launches that actor is limited to (services.scope); None: every launch, and always for
    # the command line, the scheduler and the public pages.
    scope: frozenset[str] | None = None
    # The proposal being carried out after its approval (services.reviews): the change is not
    # held for review again, and its ledger entries say it was reviewed.
    reviewed: str | None = None
    # Called after commit for each official answer to a customer's question (live updates
    # listen here, and read the answer from the store in ledger order).
    on_answer: list[Callable[[], None]] = field(default_factory=list)

    def published(self, seq: int, previous_seq: int | None, notice: Notice) -> None:
        for listener in self.on_publish:
            listener(seq, previous_seq, notice)

    def answered(self) -> None:
        for listener in self.on_answer:
            listener()
