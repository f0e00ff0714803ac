"""The personal-message repository's contract, on SQLite, PostgreSQL (when reachable) and the
in-memory fake: the same id is stored once, due messages are claimed oldest first, outcomes are
kept, and the tally counts each kind by status with its latency from the announced hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yaksok.domain.delivery import Delivered, DeliveryStatus, GiveUp, RetryLater
from yaksok.domain.personal_message import MessageKind, PersonalMessage, ShipDate, ship_date_message_id
from yaksok.store import port
from yaksok.store.memory import MemoryStore
from yaksok.store.unit_of_work import Store

SLOT = datetime(2010, 11, 29, 1, 0, tzinfo=UTC)  # 10:00 KST


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> port.Store:
    if request.param == "memory":
        return MemoryStore()
    sql_store: Store = request.getfixturevalue(f"{request.param}_store")
    return sql_store


def message(sequence: int, due_at: datetime = SLOT, date: str | None = "2010-11-30") -> PersonalMessage:
    ship = ShipDate(sequence, f"r{sequence:015x}", date, None, None, "first_scheduled", 1)
    return PersonalMessage(
        id=ship_date_message_id("ipad", sequence, date, due_at),
        launch_slug="ipad",
        kind=MessageKind.SHIP_DATE,
        contact=f"buyer{sequence}@example.com",
        language="ko" if sequence % 2 else "en",
        about=ship,
        due_at=due_at,
        next_attempt_at=due_at,
    )


def test_a_message_is_stored_once_however_often_its_slot_is_run(store: port.Store) -> None:
    with store.write() as tx:
        assert tx.personal_messages.add_many([message(1), message(2)]) == 2
    with store.write() as tx:
        assert tx.personal_messages.add_many([message(1), message(3)]) == 1
    with store.read() as tx:
        stored = tx.personal_messages.for_launch("ipad")
    assert sorted(m.about.sequence for m in stored) == [1, 2, 3]
    assert {m.language for m in stored} == {"ko", "en"}
    assert stored[0].about.date == "2010-11-30" and stored[0].about.reason == "first_scheduled"


def test_only_pending_messages_whose_hour_has_come_are_claimed_oldest_first(store: port.Store) -> None:
    later = message(3, SLOT + timedelta(days=1))
    with store.write() as tx:
        tx.personal_messages.add_many([message(2), message(1), later])
    with store.write() as tx:
        due = tx.personal_messages.claim_due(SLOT, 10)
    assert [m.about.sequence for m in due] == sorted(m.about.sequence for m in due)
    assert {m.about.sequence for m in due} == {1, 2}
    with store.write() as tx:
        assert tx.personal_messages.claim_due(SLOT, 1) == due[:1]


def test_outcomes_are_kept_and_tallied_with_their_latency_from_the_announced_hour(store: port.Store) -> None:
    first, second, third = message(1), message(2), message(3)
    with store.write() as tx:
        tx.personal_messages.add_many([first, second, third])
    sent = SLOT + timedelta(seconds=2)
    changed = [
        first.after(Delivered(sent), sent, jitter=0),
        second.after(RetryLater("451 try later"), sent, jitter=0),
        third.after(GiveUp("550 no such user"), sent, jitter=0),
    ]
    with store.write() as tx:
        tx.personal_messages.save_many(changed)
    with store.read() as tx:
        stored = {m.about.sequence: m for m in tx.personal_messages.for_launch("ipad")}
        tally = tx.personal_messages.tally("ipad")
        elsewhere = tx.personal_messages.tally("galaxy-tab")
    assert stored[1].status is DeliveryStatus.DELIVERED and stored[1].delivered_at == sent
    assert stored[2].status is DeliveryStatus.PENDING and stored[2].attempts == 1
    assert stored[2].next_attempt_at == sent + timedelta(seconds=15)
    assert stored[3].status is DeliveryStatus.FAILED and stored[3].last_error == "550 no such user"
    counts = tally.by_status["ship_date"]
    assert (
        counts[DeliveryStatus.DELIVERED],
        counts[DeliveryStatus.PENDING],
        counts[DeliveryStatus.FAILED],
    ) == (
        1,
        1,
        1,
    )
    assert list(tally.latencies["ship_date"]) == [timedelta(seconds=2)]
    assert not elsewhere.by_status
