"""The waiting room's commitment to a beacon round, kept after the opening it depends on.

The round committed to is the first after the pre-queue's close, the launch's pre-order opening;
when that opening moves (a promise changed) or the beacon changes, the commitment is recorded
again with the new round, before the close (docs/waiting-room.md).
"""

from __future__ import annotations

from yaksok.domain import beacon, shuffle
from yaksok.domain.ledger import JSON
from yaksok.domain.waiting_room import COMMITTED, Room, opening_at
from yaksok.services import ledger
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction


def round_for(tx: Transaction, slug: str, chain: beacon.Chain | None) -> int | None:
    """The round to commit to: the first after the launch's opening (None without one)."""
    opens = opening_at(tx.milestones.for_launch(slug))
    return None if chain is None or opens is None else chain.first_round_after(opens)


def record_commitment(tx: Transaction, rt: Runtime, room: Room) -> None:
    """``waiting_room.committed``: the secret's hash, and the beacon and its round if any."""
    data: dict[str, JSON] = {
        "launch": room.launch_slug,
        "commitment": room.commitment,
        "algorithm": shuffle.ALGORITHM,
    }
    if room.beacon is not None:
        data["beacon"] = beacon_json(room.beacon, room.beacon_round)
    ledger.record(tx, rt, COMMITTED, data)


def beacon_json(chain: beacon.Chain | None, number: int | None) -> JSON:
    """The chain and round as the ledger names them (None without a beacon)."""
    return None if chain is None else {**chain.to_json(), "round": number, "algorithm": beacon.ALGORITHM}


def follow_opening(tx: Transaction, rt: Runtime, slug: str) -> None:
    """After the launch's opening changed: commit to the round after the new opening, if the
    room names a beacon and has not opened (call with the launch claimed)."""
    room = tx.waiting_rooms.get(slug)
    if room is None or room.beacon is None or room.opened_at is not None:
        return
    number = round_for(tx, slug, room.beacon)
    if number == room.beacon_round:
        return
    tx.waiting_rooms.set_settings(
        slug,
        enabled=room.enabled,
        prequeue_opens=room.prequeue_opens,
        admit_per_second=room.admit_per_second,
        token_minutes=room.token_minutes,
        beacon=room.beacon,
        beacon_round=number,
    )
    moved = tx.waiting_rooms.get(slug)
    assert moved is not None
    record_commitment(tx, rt, moved)
