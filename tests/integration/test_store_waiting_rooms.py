"""Storage contract for waiting rooms: the same behaviour on SQLite, PostgreSQL and in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from yaksok.domain.errors import Conflict
from yaksok.domain.launch import Launch
from yaksok.domain.waiting_room import Entry, Room
from yaksok.store import port
from yaksok.store.memory import ConstraintViolation, MemoryStore
from yaksok.store.unit_of_work import Store

T0 = datetime(2010, 11, 1, 3, 4, 5, 678000, tzinfo=UTC)
LAUNCH = Launch(slug="ipad", titles={"ko": "아이패드", "en": "iPad"}, zone="Asia/Seoul")
ROOM = Room(
    launch_slug="ipad",
    enabled=True,
    prequeue_opens=T0,
    admit_per_second=2.5,
    token_minutes=10,
    commitment="ab" * 32,
)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> port.Store:
    """An empty store with one launch: each SQL one, migrated, and the fake."""
    chosen: port.Store
    if request.param == "memory":
        chosen = MemoryStore()
    else:
        sql_store: Store = request.getfixturevalue(f"{request.param}_store")
        chosen = sql_store
    with chosen.write() as tx:
        tx.launches.add(LAUNCH, T0)
    return chosen


def _entry(entry_id: str, minutes: int, number: int | None = None) -> Entry:
    return Entry(
        id=entry_id,
        launch_slug="ipad",
        contact=f"{entry_id}@example.com",
        code_hash="c" * 64,
        joined_at=T0 + timedelta(minutes=minutes),
        number=number,
    )


def test_a_room_comes_back_as_stored_with_its_secret_apart(store: port.Store) -> None:
    with store.write() as tx:
        tx.waiting_rooms.add(ROOM, b"\x01" * 32)
    with store.read() as tx:
        assert tx.waiting_rooms.get("ipad") == ROOM
        assert tx.waiting_rooms.get("nope") is None
        assert tx.waiting_rooms.all() == [ROOM]
        assert tx.waiting_rooms.secret("ipad") == b"\x01" * 32


def test_new_settings_keep_the_commitment_and_the_opening_is_recorded(store: port.Store) -> None:
    later = T0 + timedelta(hours=1)
    with store.write() as tx:
        tx.waiting_rooms.add(ROOM, b"\x01" * 32)
        tx.waiting_rooms.set_settings(
            "ipad", enabled=False, prequeue_opens=later, admit_per_second=7.0, token_minutes=3
        )
        tx.waiting_rooms.set_opened("ipad", later, 5, 2)
    with store.read() as tx:
        expected = replace(
            ROOM,
            enabled=False,
            prequeue_opens=later,
            admit_per_second=7.0,
            token_minutes=3,
            opened_at=later,
            prequeue_size=5,
            collapsed=2,
        )
        assert tx.waiting_rooms.get("ipad") == expected
        assert tx.waiting_rooms.secret("ipad") == b"\x01" * 32


def test_entries_list_in_arrival_order_are_confirmed_once_and_numbered(store: port.Store) -> None:
    with store.write() as tx:
        for entry in (_entry("w2", 2), _entry("w1", 1), _entry("w3", 3)):
            tx.waiting_rooms.add_entry(entry)
        assert tx.waiting_rooms.confirm_entry("w1", T0)
        assert not tx.waiting_rooms.confirm_entry("w1", T0)
        assert not tx.waiting_rooms.confirm_entry("nope", T0)
        tx.waiting_rooms.set_numbers("ipad", {"w2": 1, "w1": 2})
    with store.read() as tx:
        entries = tx.waiting_rooms.entries("ipad")
        assert [e.id for e in entries] == ["w1", "w2", "w3"]
        assert [e.number for e in entries] == [2, 1, None]
        assert entries[0].confirmed_at == T0
        assert tx.waiting_rooms.entry("w3") == _entry("w3", 3)
        assert tx.waiting_rooms.entry("nope") is None
        assert tx.waiting_rooms.last_number("ipad") == 2
        assert tx.waiting_rooms.last_number("other") == 0
        assert tx.waiting_rooms.entry_counts("ipad") == (3, 1)
        assert tx.waiting_rooms.entry_counts("other") == (0, 0)


def test_a_number_is_taken_once_per_launch(store: port.Store) -> None:
    with store.write() as tx:
        tx.waiting_rooms.add_entry(_entry("w1", 1, number=1))
    with pytest.raises((Conflict, ConstraintViolation)), store.write() as tx:
        tx.waiting_rooms.add_entry(_entry("w2", 2, number=1))
    with store.read() as tx:
        assert [e.id for e in tx.waiting_rooms.entries("ipad")] == ["w1"]


def test_an_admission_is_used_once(store: port.Store) -> None:
    with store.write() as tx:
        assert tx.waiting_rooms.used_admissions("ipad", {"w1", "w2"}) == set()
        tx.waiting_rooms.use_admissions("ipad", ["w1"], T0)
    with store.read() as tx:
        assert tx.waiting_rooms.used_admissions("ipad", {"w1", "w2"}) == {"w1"}
        assert tx.waiting_rooms.used_admissions("other", {"w1"}) == set()
    with pytest.raises((Conflict, ConstraintViolation)), store.write() as tx:
        tx.waiting_rooms.use_admissions("ipad", ["w2", "w1"], T0)
    with store.read() as tx:
        assert tx.waiting_rooms.used_admissions("ipad", {"w2"}) == set()
