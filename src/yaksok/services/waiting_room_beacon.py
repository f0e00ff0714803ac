"""The waiting room's randomness beacon: the chain it names, the round it commits to, the draw.

The round committed to is the first after the pre-queue's close, the launch's pre-order opening;
when that opening moves (a promise changed) or the beacon changes, the commitment is recorded
again with the new round, before the close. At the opening, only when the reveal failed, that
round is fetched and verified outside any transaction (``fetch_drawn``: it may wait a period),
then recorded, and seeds the order (``drawn_order``) (docs/waiting-room.md).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from yaksok.channels import drand
from yaksok.domain import beacon, codes, shuffle
from yaksok.domain.commands import BeaconSetting
from yaksok.domain.errors import InvalidInput
from yaksok.domain.ledger import JSON
from yaksok.domain.subscription import IPNetwork
from yaksok.domain.waiting_room import (
    BEACON_DRAWN,
    BEACON_UNAVAILABLE,
    COMMITTED,
    Order,
    Room,
    beacon_order,
    beacon_usable,
    opening_at,
)
from yaksok.services import ledger
from yaksok.services.runtime import Runtime
from yaksok.store.port import Transaction

BEACON_GRACE_SECONDS = 5.0  # how long past its time a round may take to appear at the beacon


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
    if room is None or room.beacon is None or room.opened_at is not None or room.closed_seq is not None:
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


def chain_of(setting: BeaconSetting | None, allow: Sequence[IPNetwork] = ()) -> beacon.Chain | None:
    """The chain the setting names: as given, or read from its ``/info`` when only the URL is
    (from an address ``allow`` permits, if private)."""
    if setting is None:
        return None
    beacon.check_url(setting.url)
    given = (setting.public_key, setting.genesis_time, setting.period, setting.scheme)
    if all(value is None for value in given):
        try:
            chain = drand.fetch_info(setting.url, allow)
        except drand.BeaconRefused as error:
            raise InvalidInput(str(error), code=codes.WAITING_ROOM_BEACON_INVALID) from error
        except drand.BeaconUnavailable as error:
            raise InvalidInput(str(error), code=codes.WAITING_ROOM_BEACON_UNREACHABLE) from error
        if setting.chain_hash and setting.chain_hash != chain.chain_hash:
            raise InvalidInput(
                f"the beacon at {setting.url} serves the chain {chain.chain_hash}, not {setting.chain_hash}",
                code=codes.WAITING_ROOM_BEACON_INVALID,
            )
    elif any(value is None for value in given):
        raise InvalidInput(
            "give the beacon's public key, genesis time, period and scheme together, or only its URL "
            "to have them read from its /info",
            code=codes.WAITING_ROOM_BEACON_INVALID,
        )
    else:
        chain = beacon.Chain(
            url=setting.url.rstrip("/"),
            chain_hash=setting.chain_hash,
            public_key=str(setting.public_key).lower(),
            genesis_time=int(setting.genesis_time or 0),
            period=int(setting.period or 0),
            scheme=str(setting.scheme),
        )
    beacon.check_chain(chain)
    if not drand.valid_public_key(chain.scheme, bytes.fromhex(chain.public_key)):
        group = "G2" if chain.scheme == beacon.G1_UNCHAINED else "G1"
        raise InvalidInput(
            f"the beacon public key is not a point of BLS12-381's {group} group",
            code=codes.WAITING_ROOM_BEACON_INVALID,
        )
    return chain


@dataclass(frozen=True)
class Drawn:
    """The committed round as fetched and verified outside any transaction: ``got`` when it may
    seed the order, otherwise ``reason`` (for ``waiting_room.beacon_unavailable``)."""

    number: int | None
    got: beacon.Round | None
    reason: str


def ready_at(room: Room) -> datetime | None:
    """When the committed round should be out at the beacon: its time plus the grace."""
    if room.beacon is None or room.beacon_round is None:
        return None
    return room.beacon.round_time(room.beacon_round) + timedelta(seconds=BEACON_GRACE_SECONDS)


def fetch_drawn(
    rt: Runtime,
    room: Room,
    closed_at: datetime,
    stop: threading.Event | None = None,
    allow: Sequence[IPNetwork] = (),
) -> Drawn | None:
    """The room's committed round, fetched and verified; call it outside any transaction: it waits
    for the round until its time plus the grace (at most one period plus the grace). None if
    ``stop`` was set while it waited: the room stays closed and unordered for the next start."""
    chain, number = room.beacon, room.beacon_round
    reason = beacon_usable(chain, number, closed_at)
    if reason:
        return Drawn(number, None, reason)
    assert chain is not None and number is not None
    # The round is published at most one period after the close: wait for it, not longer.
    due = (chain.round_time(number) - rt.clock.now()).total_seconds()
    patience = min(max(due, 0.0), float(chain.period)) + BEACON_GRACE_SECONDS
    try:
        got = drand.fetch_round(chain, number, patience=patience, stop=stop, allow=allow)
    except drand.Stopped:
        return None
    except drand.BeaconUnavailable as error:
        return Drawn(number, None, str(error))
    problem = beacon.round_problem(chain, number, got, drand.verify_signature)
    if problem:
        return Drawn(number, None, f"the round the beacon served {problem}")
    return Drawn(number, got, "")


def drawn_order(tx: Transaction, rt: Runtime, room: Room, arrival: list[str], drawn: Drawn) -> Order | None:
    """The order the drawn round seeds, recorded with the round; or None, recording why the round
    could not be used (the order then stays arrival). No network: the round was fetched before."""
    reason = drawn.reason
    if drawn.number != room.beacon_round:  # settings are frozen once closed: a safeguard
        reason = f"the round fetched ({drawn.number}) is not the committed round ({room.beacon_round})"
    if not reason and drawn.got is not None:
        randomness = bytes.fromhex(drawn.got.randomness)
        seed = beacon.seed(randomness, shuffle.list_hash(arrival)).hex()
        ledger.record(tx, rt, BEACON_DRAWN, {"launch": room.launch_slug, **drawn.got.to_json(), "seed": seed})
        return beacon_order(arrival, randomness)
    ledger.record(
        tx, rt, BEACON_UNAVAILABLE, {"launch": room.launch_slug, "round": room.beacon_round, "reason": reason}
    )
    return None
