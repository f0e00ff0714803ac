"""Personal messages in SQL: written in bulk at a cadence slot, claimed a page at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.delivery import DeliveryStatus
from yaksok.domain.figures import DeliveryTally
from yaksok.domain.personal_message import About, AnswerNote, MessageKind, PersonalMessage, ShipDate
from yaksok.store import port
from yaksok.store.delivery import save_attempts
from yaksok.store.tables import personal_messages, ship_dates_told

_T = personal_messages.c
_CHUNK = 1000
_TOLD = ship_dates_told.c


class PersonalMessageRepository(port.PersonalMessageRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add_many(self, messages: Sequence[PersonalMessage]) -> int:
        if not messages:
            return 0
        ids = [m.id for m in messages]
        stored: set[str] = set()
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            stored.update(self._db.execute(select(_T.id).where(_T.id.in_(chunk))).scalars())
        new = [_row(m) for m in messages if m.id not in stored]
        if new:  # DO NOTHING as well: another worker may be adding the same slot's messages
            insert = pg_insert if self._db.dialect.name == "postgresql" else sqlite_insert
            self._db.execute(insert(personal_messages).on_conflict_do_nothing(index_elements=["id"]), new)
        return len(new)

    def claim_due(self, now: datetime, limit: int) -> list[PersonalMessage]:
        query = (
            select(personal_messages)
            .where(and_(_T.status == DeliveryStatus.PENDING.value, _T.next_attempt_at <= now))
            .order_by(_T.next_attempt_at, _T.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_message(row) for row in self._db.execute(query).mappings()]

    def save_many(self, changed: Sequence[PersonalMessage]) -> None:
        save_attempts(self._db, personal_messages, changed)

    def for_launch(self, launch_slug: str, *, limit: int = 100) -> list[PersonalMessage]:
        query = (
            select(personal_messages)
            .where(_T.launch_slug == launch_slug)
            .order_by(_T.due_at.desc(), _T.id)
            .limit(limit)
        )
        return [_message(row) for row in self._db.execute(query).mappings()]

    def tally(self, launch_slug: str | None = None) -> DeliveryTally:
        query = select(_T.kind, _T.status, _T.due_at, _T.delivered_at)
        if launch_slug is not None:
            query = query.where(_T.launch_slug == launch_slug)
        by_status: dict[str, dict[DeliveryStatus, int]] = {}
        latencies: dict[str, list[timedelta]] = {}
        for kind, status, due_at, delivered_at in self._db.execute(query):
            counts = by_status.setdefault(kind, {})
            counts[DeliveryStatus(status)] = counts.get(DeliveryStatus(status), 0) + 1
            if delivered_at is not None:
                latencies.setdefault(kind, []).append(delivered_at - due_at)
        return DeliveryTally(by_status, latencies)

    def count_due_at(self, launch_slug: str, due_at: datetime) -> int:
        query = select(func.count()).where(_T.launch_slug == launch_slug, _T.due_at == due_at)
        return int(self._db.execute(query).scalar_one())

    def told_through(self, launch_slug: str) -> int:
        query = select(_TOLD.through_run).where(_TOLD.launch_slug == launch_slug)
        found = self._db.execute(query).scalar_one_or_none()
        return 0 if found is None else int(found)

    def mark_told(self, launch_slug: str, through_run: int, slot_at: datetime) -> None:
        values = {"through_run": through_run, "slot_at": slot_at}
        changed = self._db.execute(
            update(ship_dates_told).where(_TOLD.launch_slug == launch_slug).values(values)
        )
        if not changed.rowcount:
            self._db.execute(ship_dates_told.insert().values(launch_slug=launch_slug, **values))


def _row(m: PersonalMessage) -> dict[str, object]:
    return {
        "id": m.id,
        "launch_slug": m.launch_slug,
        "kind": m.kind.value,
        "contact": m.contact,
        "language": m.language,
        "about": asdict(m.about),
        "due_at": m.due_at,
        "status": m.status.value,
        "attempts": m.attempts,
        "next_attempt_at": m.next_attempt_at,
        "delivered_at": m.delivered_at,
        "last_error": m.last_error,
    }


def _message(row: RowMapping) -> PersonalMessage:
    return PersonalMessage(
        id=row["id"],
        launch_slug=row["launch_slug"],
        kind=MessageKind(row["kind"]),
        contact=row["contact"],
        language=row["language"],
        about=_about(MessageKind(row["kind"]), row["about"]),
        due_at=row["due_at"],
        status=DeliveryStatus(row["status"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        delivered_at=row["delivered_at"],
        last_error=row["last_error"],
    )


def _about(kind: MessageKind, data: dict[str, object]) -> About:
    if kind is MessageKind.ANSWER:
        return AnswerNote(**data)  # type: ignore[arg-type]
    return ShipDate(**data)  # type: ignore[arg-type]
