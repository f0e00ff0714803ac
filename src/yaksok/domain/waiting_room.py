"""The waiting room of a pre-order: a fair pre-queue, then first in, first out, at a set rate.

Before the pre-queue opens, yaksok commits in the ledger to a random secret (its SHA-256). Visitors
who arrive before the pre-order opens join the pre-queue, one place per confirmed contact. At the
opening the pre-queue closes: its list (entry ids in arrival order, duplicates of a contact
collapsed to the earliest) is hashed into the ledger, the secret is revealed, and the list is
shuffled with a seed made of both (``domain.shuffle``). The shuffled pre-queue takes numbers
1..k; everyone who arrives later takes the next number. Number n is admitted once
``admitting_up_to`` reaches n. A reveal that is missing, late or wrong makes the order fall
back to arrival order — or, when the commitment named a randomness beacon round
(``domain.beacon``), to the order that round's verified randomness seeds — and the ledger shows why.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from yaksok.domain import beacon, codes, shuffle
from yaksok.domain.commands import ConfigureWaitingRoom
from yaksok.domain.errors import InvalidInput
from yaksok.domain.launch import Milestone, MilestoneKind
from yaksok.domain.ledger import LedgerEntry, parse_instant
from yaksok.domain.promise import Precision

COMMITTED = "waiting_room.committed"
CLOSED = "waiting_room.closed"
REVEALED = "waiting_room.revealed"
ORDERED = "waiting_room.ordered"
BEACON_DRAWN = "waiting_room.beacon"
BEACON_UNAVAILABLE = "waiting_room.beacon_unavailable"
SHUFFLED = "shuffled"
BEACON = "beacon"
ARRIVAL = "arrival"


@dataclass(frozen=True, kw_only=True)
class Room:
    """A launch's waiting room: its settings, its commitment and, once opened, its pre-queue."""

    launch_slug: str
    enabled: bool
    prequeue_opens: datetime
    admit_per_second: float
    token_minutes: int
    commitment: str
    opened_at: datetime | None = None
    prequeue_size: int = 0
    collapsed: int = 0
    beacon: beacon.Chain | None = None  # the fallback seed's chain, if the room names one
    beacon_round: int | None = None  # the round committed to: the first after the opening
    closed_seq: int | None = None  # the ledger entry that closed the pre-queue, once it has closed

    def admitting_up_to(self, now: datetime) -> int:
        """The highest number admitted at ``now``: the first second's share at the opening, then
        ``admit_per_second`` more each second."""
        if self.opened_at is None or now < self.opened_at:
            return 0
        elapsed = (now - self.opened_at).total_seconds()
        return math.floor(self.admit_per_second * (elapsed + 1))

    def admitted_at(self, number: int) -> float | None:
        """Seconds after the opening at which ``number`` is admitted (None before the opening)."""
        if self.opened_at is None:
            return None
        return max(0.0, math.ceil(number / self.admit_per_second - 1))


def opening_at(milestones: Iterable[Milestone]) -> datetime | None:
    """When the pre-order opens, and so the pre-queue closes: the exact promise of the launch's
    ``preorder_opens`` milestone; None while it has none (or it is cancelled)."""
    for milestone in milestones:
        if milestone.kind is MilestoneKind.PREORDER_OPENS and not milestone.cancelled:
            promise = milestone.promise
            if promise is not None and promise.precision is Precision.EXACT and promise.at is not None:
                return promise.at
    return None


def check_settings(command: ConfigureWaitingRoom) -> None:
    """The rate is 0.01-100,000 a second and a token lives 1-1,440 minutes."""
    if not 0.01 <= command.admit_per_second <= 100_000:
        raise InvalidInput(
            f"admit_per_second is 0.01-100000, not {command.admit_per_second}",
            code=codes.WAITING_ROOM_INVALID,
        )
    if not 1 <= command.token_minutes <= 1440:
        raise InvalidInput(
            f"token_minutes is 1-1440, not {command.token_minutes}", code=codes.WAITING_ROOM_INVALID
        )


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One visitor's place: before the opening it counts only once its contact is confirmed."""

    id: str
    launch_slug: str
    contact: str
    code_hash: str
    joined_at: datetime
    confirmed_at: datetime | None = None
    number: int | None = None


def collapsed(entries: Iterable[Entry], closes: datetime | None = None) -> tuple[list[Entry], int]:
    """The closed pre-queue in arrival order: entries confirmed (before ``closes``, the opening,
    when given), the earliest per contact; and how many later confirmed duplicates were dropped."""
    kept: list[Entry] = []
    seen: set[str] = set()
    dropped = 0
    for entry in sorted(entries, key=lambda e: (e.joined_at, e.id)):
        if entry.confirmed_at is None or (closes is not None and entry.confirmed_at >= closes):
            continue
        if entry.contact in seen:
            dropped += 1
            continue
        seen.add(entry.contact)
        kept.append(entry)
    return kept, dropped


@dataclass(frozen=True)
class Order:
    """The pre-queue's admitted order and how it was made (``shuffled`` or ``arrival``)."""

    entry_ids: list[str]
    method: str
    why: str

    @property
    def hash(self) -> str:
        return shuffle.list_hash(self.entry_ids)


def order(arrival: Sequence[str], commitment: str, secret: bytes | None) -> Order:
    """The shuffled pre-queue if ``secret`` is the committed one; otherwise arrival order."""
    if secret is None:
        return Order(list(arrival), ARRIVAL, "the secret was not revealed in time")
    if shuffle.commitment(secret) != commitment:
        return Order(list(arrival), ARRIVAL, "the revealed secret does not match the commitment")
    seed = shuffle.seed(secret, shuffle.list_hash(arrival))
    return Order(shuffle.shuffled(arrival, seed), SHUFFLED, "")


def beacon_order(arrival: Sequence[str], randomness: bytes) -> Order:
    """The pre-queue shuffled with the beacon round's randomness (``yaksok-shuffle-v1-beacon``)."""
    seed = beacon.seed(randomness, shuffle.list_hash(arrival))
    return Order(shuffle.shuffled(arrival, seed), BEACON, "")


def beacon_committed(data: Mapping[str, object]) -> tuple[beacon.Chain | None, int | None]:
    """The chain and round a ``waiting_room.committed`` entry names (None, None without a beacon)."""
    named = data.get("beacon")
    chain = beacon.chain_from_json(named)
    if chain is None or not isinstance(named, dict):
        return None, None
    number = named.get("round")
    return chain, (number if isinstance(number, int) else None)


def beacon_usable(chain: beacon.Chain | None, number: int | None, closed_at: datetime) -> str:
    """Why the committed round cannot seed the order; '' when it can: it must be after the close."""
    if chain is None:
        return "the commitment names no beacon"
    if number is None:
        return "the commitment names no beacon round (the opening was not known when it was made)"
    if chain.round_time(number) <= closed_at:
        return (
            f"the committed beacon round {number} ({chain.round_time(number).isoformat()}) is not "
            f"after the close ({closed_at.isoformat()}): it may have been known"
        )
    return ""


@dataclass
class _Seen:
    commitment: str | None = None
    chain: beacon.Chain | None = None
    round: int | None = None
    closed: list[str] | None = None
    closed_at: datetime | None = None
    secret: bytes | None = None
    drawn: LedgerEntry | None = None  # the waiting_room.beacon entry after the close


def check_ledger(entries: Iterable[LedgerEntry], verify: beacon.VerifySignature | None = None) -> str:
    """Recompute every waiting room's order from the ledger alone; the first problem, or ''.

    Per launch: the last commitment before the close counts; only a reveal (or a beacon round)
    after the close and before the order counts; the ordered entry's hash must be the recomputed
    order's. Without a valid reveal, a beacon round recorded for the committed round must verify
    (``verify``, the BLS check) and then seeds the order; without one the order is arrival."""
    rooms: dict[str, _Seen] = {}
    for entry in entries:
        if not entry.kind.startswith("waiting_room."):
            continue
        data = entry.data
        slug = str(data.get("launch"))
        seen = rooms.setdefault(slug, _Seen())
        where = f"waiting room of launch {slug!r} (ledger entry {entry.seq})"
        if entry.kind == COMMITTED and seen.closed is None:
            seen.commitment = str(data["commitment"])
            seen.chain, seen.round = beacon_committed(data)
        elif entry.kind == CLOSED:
            listed = [str(item) for item in _sequence(data.get("entries"))]
            if shuffle.list_hash(listed) != data.get("list_hash"):
                return f"{where}: the closed list does not hash to its recorded list_hash"
            seen.closed, seen.closed_at, seen.secret, seen.drawn = listed, parse_instant(entry.at), None, None
        elif entry.kind == REVEALED and seen.closed is not None:
            seen.secret = bytes.fromhex(str(data["secret"]))
        elif entry.kind == BEACON_DRAWN and seen.closed is not None:
            seen.drawn = entry
        elif entry.kind == ORDERED:
            if seen.closed is None or seen.commitment is None:
                return f"{where}: an order without a commitment and a closed list before it"
            expected = order(seen.closed, seen.commitment, seen.secret)
            if expected.method == ARRIVAL and seen.drawn is not None:
                drawn, problem = _drawn(seen, verify)
                if problem:
                    return f"waiting room of launch {slug!r} (ledger entry {seen.drawn.seq}): {problem}"
                expected = beacon_order(seen.closed, bytes.fromhex(drawn.randomness))
            if data.get("order_hash") != expected.hash or data.get("method") != expected.method:
                return (
                    f"{where}: the admitted order differs from the one recomputed from the "
                    f"commitment, the closed list and the reveal ({expected.method} order, "
                    f"hash {expected.hash[:16]}…)"
                )
            rooms[slug] = _Seen(commitment=seen.commitment, chain=seen.chain, round=seen.round)
    return ""


def _drawn(seen: _Seen, verify: beacon.VerifySignature | None) -> tuple[beacon.Round, str]:
    """The recorded beacon round, and why it may not seed the order ('' when it may)."""
    assert seen.drawn is not None and seen.closed_at is not None
    data = seen.drawn.data
    number = data.get("round")
    drawn = beacon.Round(
        number=number if isinstance(number, int) else -1,
        signature=str(data.get("signature", "")),
        previous_signature=str(data.get("previous_signature", "")),
        randomness=str(data.get("randomness", "")),
    )
    unusable = beacon_usable(seen.chain, seen.round, seen.closed_at)
    if unusable:
        return drawn, f"a beacon round was used but {unusable}"
    if verify is None:
        return drawn, "a beacon round was used and no BLS verifier was given to check it"
    assert seen.chain is not None and seen.round is not None
    problem = beacon.round_problem(seen.chain, seen.round, drawn, verify)
    return drawn, (f"the beacon round {problem}" if problem else "")


def _sequence(value: object) -> Sequence[object]:
    return value if isinstance(value, list) else []
