"""Reservations in SQL: written in batches by the group-commit writer, read one at a time."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.reservation import Reservation, ReservationState
from yaksok.store import port
from yaksok.store.tables import reservations

_T = reservations.c


class ReservationRepository(port.ReservationRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_many(self, batch: Sequence[Reservation]) -> None:
        if batch:
            self._db.execute(insert(reservations), [_row(reservation) for reservation in batch])

    def last_sequence(self, launch_slug: str) -> int:
        query = select(func.coalesce(func.max(_T.sequence), 0)).where(_T.launch_slug == launch_slug)
        return int(self._db.execute(query).scalar_one())

    def by_keys(self, launch_slug: str, keys: Collection[str]) -> dict[str, Reservation]:
        if not keys:
            return {}
        query = select(reservations).where(_T.launch_slug == launch_slug, _T.idempotency_key.in_(list(keys)))
        return {row["idempotency_key"]: _reservation(row) for row in self._db.execute(query).mappings()}

    def units_by_contact(self, launch_slug: str, contacts: Collection[str]) -> dict[str, int]:
        if not contacts:
            return {}
        query = (
            select(_T.contact, func.sum(_T.quantity))
            .where(
                _T.launch_slug == launch_slug,
                _T.contact.in_(list(contacts)),
                _T.state != ReservationState.CANCELLED.value,
            )
            .group_by(_T.contact)
        )
        return {contact: int(units) for contact, units in self._db.execute(query)}

    def units_held(self, launch_slug: str) -> dict[str, int]:
        query = (
            select(_T.sku, func.sum(_T.quantity))
            .where(_T.launch_slug == launch_slug, _T.state == ReservationState.QUEUED.value)
            .group_by(_T.sku)
        )
        return {sku: int(units) for sku, units in self._db.execute(query)}

    def get(self, code: str) -> Reservation | None:
        row = self._db.execute(select(reservations).where(_T.code == code)).mappings().first()
        return None if row is None else _reservation(row)

    def set_state(self, code: str, state: ReservationState, now: datetime) -> bool:
        cancelled_at = now if state is ReservationState.CANCELLED else None
        query = (
            update(reservations)
            .where(_T.code == code, _T.state != ReservationState.CANCELLED.value)
            .values(state=state.value, cancelled_at=cancelled_at)
        )
        return self._db.execute(query).rowcount == 1

    def for_launch(self, launch_slug: str, state: ReservationState | None = None) -> list[Reservation]:
        query = select(reservations).where(_T.launch_slug == launch_slug).order_by(_T.sequence)
        if state is not None:
            query = query.where(_T.state == state.value)
        return [_reservation(row) for row in self._db.execute(query).mappings()]


def _row(reservation: Reservation) -> dict[str, object]:
    return {
        "code": reservation.code,
        "launch_slug": reservation.launch_slug,
        "sequence": reservation.sequence,
        "secret_hash": reservation.secret_hash,
        "idempotency_key": reservation.idempotency_key,
        "fingerprint": reservation.fingerprint,
        "sku": reservation.sku,
        "quantity": reservation.quantity,
        "contact": reservation.contact,
        "pickup_store": reservation.pickup_store,
        "state": reservation.state.value,
        "created_at": reservation.created_at,
        "cancelled_at": reservation.cancelled_at,
    }


def _reservation(row: RowMapping) -> Reservation:
    return Reservation(
        launch_slug=row["launch_slug"],
        sequence=row["sequence"],
        code=row["code"],
        secret_hash=row["secret_hash"],
        idempotency_key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
        sku=row["sku"],
        quantity=row["quantity"],
        contact=row["contact"],
        pickup_store=row["pickup_store"],
        state=ReservationState(row["state"]),
        created_at=row["created_at"],
        cancelled_at=row["cancelled_at"],
    )
