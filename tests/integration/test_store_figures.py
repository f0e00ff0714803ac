"""Contract tests of what the scorecard counts (reservations, deliveries): SQLite, PostgreSQL
and the in-memory fake agree."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from yaksok.domain.delivery import Delivery, DeliveryStatus
from yaksok.domain.launch import Launch, Sku
from yaksok.domain.notice import Notice, NoticeKind
from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.store import port
from yaksok.store.memory import MemoryStore
from yaksok.store.unit_of_work import Store

T0 = datetime(2010, 11, 19, 1, 0, 0, 250000, tzinfo=UTC)
LAUNCH = Launch(slug="ipad", titles={"en": "iPad"}, zone="Asia/Seoul", skus=(Sku("wifi-16", {"en": "16"}),))
OTHER = Launch(slug="iphone", titles={"en": "iPhone"}, zone="Asia/Seoul")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres), "memory"])
def store(request: pytest.FixtureRequest) -> port.Store:
    """An empty store: each SQL one, migrated, and the fake."""
    if request.param == "memory":
        return MemoryStore()
    sql_store: Store = request.getfixturevalue(f"{request.param}_store")
    return sql_store


def reservation(sequence: int, **fields: object) -> Reservation:
    made = Reservation(
        launch_slug=LAUNCH.slug,
        sequence=sequence,
        code=f"{fields.get('launch_slug', LAUNCH.slug)}-r{sequence}",
        secret_hash="0" * 64,
        idempotency_key=f"key-{sequence}",
        fingerprint="f" * 64,
        sku="wifi-16",
        quantity=1,
        contact=f"c{sequence}@example.com",
        pickup_store=None,
        state=ReservationState.QUEUED,
        created_at=T0,
    )
    return made._replace(**fields)


def test_a_launchs_reservations_are_tallied_by_state_with_units_held_and_arrival_times(
    store: port.Store,
) -> None:
    later = T0 + timedelta(seconds=3)
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.launches.add(OTHER, T0)
        tx.reservations.add_many(
            [
                reservation(1, quantity=2),
                reservation(2, created_at=later),
                reservation(3, state=ReservationState.WAITLISTED, created_at=later),
                reservation(1, launch_slug=OTHER.slug),
            ]
        )
        assert tx.reservations.set_state("ipad-r2", ReservationState.CANCELLED, later)

    with store.read() as tx:
        tally = tx.reservations.tally(LAUNCH.slug)
        empty = tx.reservations.tally("nothing")

    assert dict(tally.by_state) == {ReservationState.QUEUED: 1, ReservationState.WAITLISTED: 1,
                                    ReservationState.CANCELLED: 1}  # fmt: skip
    assert dict(tally.units_held) == {"wifi-16": 2}
    assert tally.first_created == T0
    whole = T0.replace(microsecond=0)
    assert dict(tally.per_second) == {whole: 1, whole + timedelta(seconds=3): 2}
    assert all(second.tzinfo is not None for second in tally.per_second)
    assert (dict(empty.by_state), dict(empty.units_held), empty.first_created, dict(empty.per_second)) == (
        {}, {}, None, {},
    )  # fmt: skip


def notice(notice_id: str, launch_slug: str | None) -> Notice:
    return Notice(id=notice_id, kind=NoticeKind.GENERAL, titles={"en": notice_id}, bodies={},
                  created_at=T0, launch_slug=launch_slug)  # fmt: skip


def delivery(notice_id: str, n: int, channel: str, status: DeliveryStatus, took: float | None) -> Delivery:
    return Delivery(
        id=f"msg_{notice_id}.s_{n}",
        notice_id=notice_id,
        subscription_id=f"s_{n}",
        channel=channel,
        status=status,
        attempts=1,
        publish_at=T0,
        next_attempt_at=None if status is not DeliveryStatus.PENDING else T0,
        delivered_at=None if took is None else T0 + timedelta(seconds=took),
    )


def test_deliveries_are_tallied_per_channel_and_status_with_latencies_for_a_notice_a_launch_or_all(
    store: port.Store,
) -> None:
    delivered, pending, failed = DeliveryStatus.DELIVERED, DeliveryStatus.PENDING, DeliveryStatus.FAILED
    with store.write() as tx:
        tx.launches.add(LAUNCH, T0)
        tx.notices.add(notice("n1", LAUNCH.slug))
        tx.notices.add(notice("n2", None))
        tx.deliveries.add_many(
            [
                delivery("n1", 1, "webhook", delivered, 0.5),
                delivery("n1", 2, "webhook", delivered, 0.125),
                delivery("n1", 3, "webhook", failed, None),
                delivery("n1", 4, "email", pending, None),
                delivery("n2", 1, "email", delivered, 2.0),
            ]
        )

    with store.read() as tx:
        one = tx.deliveries.tally(notice_id="n1")
        of_launch = tx.deliveries.tally(launch_slug=LAUNCH.slug)
        everything = tx.deliveries.tally()
        nothing = tx.deliveries.tally(notice_id="unknown")

    assert {ch: dict(counts) for ch, counts in one.by_status.items()} == {
        "webhook": {delivered: 2, failed: 1},
        "email": {pending: 1},
    }
    assert sorted(one.latencies["webhook"]) == [timedelta(seconds=0.125), timedelta(seconds=0.5)]
    assert "email" not in one.latencies
    assert {ch: dict(counts) for ch, counts in of_launch.by_status.items()} == {
        ch: dict(counts) for ch, counts in one.by_status.items()
    }
    assert sorted(of_launch.latencies["webhook"]) == sorted(one.latencies["webhook"])
    assert {ch: dict(counts) for ch, counts in everything.by_status.items()}["email"] == {
        pending: 1,
        delivered: 1,
    }
    assert list(everything.latencies["email"]) == [timedelta(seconds=2)]
    assert (dict(nothing.by_status), dict(nothing.latencies)) == ({}, {})
