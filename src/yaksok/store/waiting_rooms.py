"""Waiting rooms in SQL: a room per launch, its pre-queue entries, the admissions used."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.beacon import Chain, chain_from_json
from yaksok.domain.waiting_room import Entry, Room
from yaksok.store import port
from yaksok.store.tables import admissions_used, waiting_room_entries, waiting_rooms

_R = waiting_rooms.c
_E = waiting_room_entries.c
_ROOM = (
    _R.launch_slug,
    _R.enabled,
    _R.prequeue_opens,
    _R.admit_per_second,
    _R.token_minutes,
    _R.commitment,
    _R.opened_at,
    _R.prequeue_size,
    _R.collapsed,
    _R.beacon,
    _R.closed_seq,
)


class WaitingRoomRepository(port.WaitingRoomRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def get(self, slug: str) -> Room | None:
        row = self._db.execute(select(*_ROOM).where(_R.launch_slug == slug)).mappings().first()
        return None if row is None else _room(row)

    def all(self) -> list[Room]:
        return [_room(row) for row in self._db.execute(select(*_ROOM).order_by(_R.launch_slug)).mappings()]

    def add(self, room: Room, secret: bytes) -> None:
        self._db.execute(
            insert(waiting_rooms).values(
                launch_slug=room.launch_slug,
                enabled=room.enabled,
                prequeue_opens=room.prequeue_opens,
                admit_per_second=room.admit_per_second,
                token_minutes=room.token_minutes,
                commitment=room.commitment,
                secret=secret.hex(),
                opened_at=room.opened_at,
                prequeue_size=room.prequeue_size,
                collapsed=room.collapsed,
                beacon=_beacon_json(room.beacon, room.beacon_round),
                closed_seq=room.closed_seq,
            )
        )

    def set_settings(
        self,
        slug: str,
        *,
        enabled: bool,
        prequeue_opens: datetime,
        admit_per_second: float,
        token_minutes: int,
        beacon: Chain | None = None,
        beacon_round: int | None = None,
    ) -> None:
        self._db.execute(
            update(waiting_rooms)
            .where(_R.launch_slug == slug)
            .values(
                enabled=enabled,
                prequeue_opens=prequeue_opens,
                admit_per_second=admit_per_second,
                token_minutes=token_minutes,
                beacon=_beacon_json(beacon, beacon_round),
            )
        )

    def secret(self, slug: str) -> bytes | None:
        found = self._db.execute(select(_R.secret).where(_R.launch_slug == slug)).scalar()
        return None if found is None else bytes.fromhex(found)

    def set_closed(self, slug: str, seq: int) -> None:
        self._db.execute(update(waiting_rooms).where(_R.launch_slug == slug).values(closed_seq=seq))

    def set_opened(self, slug: str, opened_at: datetime, prequeue_size: int, collapsed: int) -> None:
        self._db.execute(
            update(waiting_rooms)
            .where(_R.launch_slug == slug)
            .values(opened_at=opened_at, prequeue_size=prequeue_size, collapsed=collapsed)
        )

    def add_entry(self, entry: Entry) -> None:
        self._db.execute(
            insert(waiting_room_entries).values(
                id=entry.id,
                launch_slug=entry.launch_slug,
                contact=entry.contact,
                code_hash=entry.code_hash,
                joined_at=entry.joined_at,
                confirmed_at=entry.confirmed_at,
                number=entry.number,
            )
        )

    def entry(self, entry_id: str) -> Entry | None:
        row = self._db.execute(select(waiting_room_entries).where(_E.id == entry_id)).mappings().first()
        return None if row is None else _entry(row)

    def confirm_entry(self, entry_id: str, now: datetime) -> bool:
        query = update(waiting_room_entries).where(_E.id == entry_id, _E.confirmed_at.is_(None))
        return self._db.execute(query.values(confirmed_at=now)).rowcount == 1

    def entries(self, slug: str) -> list[Entry]:
        query = select(waiting_room_entries).where(_E.launch_slug == slug).order_by(_E.joined_at, _E.id)
        return [_entry(row) for row in self._db.execute(query).mappings()]

    def entry_counts(self, slug: str) -> tuple[int, int]:
        query = select(func.count(), func.count(_E.confirmed_at)).where(_E.launch_slug == slug)
        joined, confirmed = self._db.execute(query).one()
        return int(joined), int(confirmed)

    def set_numbers(self, slug: str, numbers: Mapping[str, int]) -> None:
        if not numbers:
            return
        query = (
            update(waiting_room_entries)
            .where(_E.launch_slug == slug, _E.id == bindparam("entry_id"))
            .values(number=bindparam("given"))
        )
        self._db.execute(query, [{"entry_id": key, "given": number} for key, number in numbers.items()])

    def last_number(self, slug: str) -> int:
        found = self._db.execute(select(func.max(_E.number)).where(_E.launch_slug == slug)).scalar()
        return int(found or 0)

    def used_admissions(self, slug: str, entry_ids: Collection[str]) -> set[str]:
        if not entry_ids:
            return set()
        query = select(admissions_used.c.entry_id).where(
            admissions_used.c.launch_slug == slug, admissions_used.c.entry_id.in_(list(entry_ids))
        )
        return set(self._db.execute(query).scalars())

    def use_admissions(self, slug: str, entry_ids: Collection[str], now: datetime) -> None:
        if entry_ids:
            rows = [{"launch_slug": slug, "entry_id": entry, "used_at": now} for entry in entry_ids]
            self._db.execute(insert(admissions_used), rows)


def _room(row: RowMapping) -> Room:
    return Room(
        launch_slug=row["launch_slug"],
        enabled=row["enabled"],
        prequeue_opens=row["prequeue_opens"],
        admit_per_second=float(row["admit_per_second"]),
        token_minutes=row["token_minutes"],
        commitment=row["commitment"],
        opened_at=row["opened_at"],
        prequeue_size=row["prequeue_size"],
        collapsed=row["collapsed"],
        beacon=chain_from_json(row["beacon"]),
        beacon_round=None if row["beacon"] is None else row["beacon"].get("round"),
        closed_seq=row["closed_seq"],
    )


def _beacon_json(chain: Chain | None, number: int | None) -> dict[str, object] | None:
    return None if chain is None else {**chain.to_json(), "round": number}


def _entry(row: RowMapping) -> Entry:
    return Entry(
        id=row["id"],
        launch_slug=row["launch_slug"],
        contact=row["contact"],
        code_hash=row["code_hash"],
        joined_at=row["joined_at"],
        confirmed_at=row["confirmed_at"],
        number=row["number"],
    )
