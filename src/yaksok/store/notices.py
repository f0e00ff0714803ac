"""Notices: drafts, scheduled and published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.notice import Claim, Notice, NoticeKind, NoticeState, Reminded, Verdict
from yaksok.store import port
from yaksok.store.tables import notices


def _values(notice: Notice) -> dict[str, Any]:
    claim = notice.claim
    return {
        "launch_slug": notice.launch_slug,
        "kind": notice.kind.value,
        "titles": notice.titles,
        "bodies": notice.bodies,
        "milestone_ids": list(notice.milestone_ids),
        "channels": list(notice.channels),
        "state": notice.state.value,
        "publish_at": notice.publish_at,
        "published_at": notice.published_at,
        "supersedes": notice.supersedes,
        "claim": None if claim is None else claim.to_dict(),
        "overridden": list(notice.overridden),
        "justification": dict(notice.justification),
        "next_update_at": notice.next_update_at,
        "cadence_id": notice.cadence_id,
        "reminder": None if notice.reminder is None else notice.reminder.to_dict(),
        "created_at": notice.created_at,
    }


class NoticeRepository(port.NoticeRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, notice: Notice) -> None:
        self._db.execute(insert(notices).values(id=notice.id, **_values(notice)))

    def save(self, notice: Notice, ledger_seq: int | None = None) -> bool:
        """Write the notice over its stored row; False, writing nothing, when the stored one is
        already published (a published notice never changes, whoever published it first)."""
        values = _values(notice)
        if ledger_seq is not None:
            values["ledger_seq"] = ledger_seq
        query = update(notices).where(
            notices.c.id == notice.id, notices.c.state != NoticeState.PUBLISHED.value
        )
        return self._db.execute(query.values(**values)).rowcount == 1

    def get(self, notice_id: str) -> Notice | None:
        row = self._db.execute(select(notices).where(notices.c.id == notice_id)).mappings().first()
        return None if row is None else _notice(row)

    def claim(self, notice_id: str) -> Notice | None:
        """The notice as it stands, its row locked until the transaction ends: a concurrent
        claimant waits, then sees what this transaction wrote. (PostgreSQL; SQLite writers
        already hold the whole database from BEGIN IMMEDIATE.)"""
        query = select(notices).where(notices.c.id == notice_id).with_for_update(key_share=True)
        row = self._db.execute(query).mappings().first()
        return None if row is None else _notice(row)

    def superseded_by(self, notice_id: str) -> Notice | None:
        """The newest published correction of the notice (there may be several)."""
        query = (
            select(notices)
            .where(notices.c.supersedes == notice_id, notices.c.state == NoticeState.PUBLISHED.value)
            .order_by(notices.c.ledger_seq.desc())
            .limit(1)
        )
        row = self._db.execute(query).mappings().first()
        return None if row is None else _notice(row)

    def published(
        self,
        *,
        launch_slug: str | None = None,
        kind: NoticeKind | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Notice]:
        """Published notices, newest first (skipping the newest ``offset``)."""
        query = select(notices).where(notices.c.state == NoticeState.PUBLISHED.value)
        if launch_slug is not None:
            query = query.where(notices.c.launch_slug == launch_slug)
        if kind is not None:
            query = query.where(notices.c.kind == kind.value)
        query = query.order_by(notices.c.published_at.desc(), notices.c.ledger_seq.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [_notice(row) for row in self._db.execute(query).mappings()]

    def published_with_seq(self, after_seq: int, limit: int = 500) -> list[tuple[int, Notice]]:
        query = (
            select(notices)
            .where(notices.c.state == NoticeState.PUBLISHED.value, notices.c.ledger_seq > after_seq)
            .order_by(notices.c.ledger_seq)
            .limit(limit)
        )
        return [(row["ledger_seq"], _notice(row)) for row in self._db.execute(query).mappings()]

    def published_seq_before(self, seq: int) -> int | None:
        """The ledger seq of the last notice published before ledger entry ``seq``, if any. Exact
        only under the ledger lock, which orders publications: see ``services.notices.publish_in``."""
        query = (
            select(notices.c.ledger_seq)
            .where(notices.c.state == NoticeState.PUBLISHED.value, notices.c.ledger_seq < seq)
            .order_by(notices.c.ledger_seq.desc())
            .limit(1)
        )
        return self._db.execute(query).scalar()

    def all(self, launch_slug: str | None = None) -> list[Notice]:
        query = select(notices).order_by(notices.c.created_at, notices.c.id)
        if launch_slug is not None:
            query = query.where(notices.c.launch_slug == launch_slug)
        return [_notice(row) for row in self._db.execute(query).mappings()]

    def due(self, now: datetime) -> list[Notice]:
        query = (
            select(notices)
            .where(notices.c.state == NoticeState.SCHEDULED.value, notices.c.publish_at <= now)
            .order_by(notices.c.publish_at, notices.c.created_at)
        )
        return [_notice(row) for row in self._db.execute(query).mappings()]

    def next_due_at(self) -> datetime | None:
        query = select(notices.c.publish_at).where(notices.c.state == NoticeState.SCHEDULED.value)
        return self._db.execute(query.order_by(notices.c.publish_at).limit(1)).scalar()

    def pending_for_cadence(self, cadence_id: str) -> list[Notice]:
        return [_notice(row) for row in self._db.execute(_pending_for_cadence(cadence_id)).mappings()]

    def claim_pending_for_cadence(self, cadence_id: str) -> list[Notice]:
        """The cadence's unpublished notices, their rows locked until the transaction ends; one
        published meanwhile by someone else is left out once its publisher commits."""
        query = _pending_for_cadence(cadence_id).with_for_update(key_share=True)
        return [_notice(row) for row in self._db.execute(query).mappings()]

    def last_published_for_cadence(self, cadence_id: str) -> Notice | None:
        query = (
            select(notices)
            .where(notices.c.cadence_id == cadence_id, notices.c.state == NoticeState.PUBLISHED.value)
            .order_by(notices.c.publish_at.desc())
            .limit(1)
        )
        row = self._db.execute(query).mappings().first()
        return None if row is None else _notice(row)

    def latest_published_at(self) -> datetime | None:
        query = select(notices.c.published_at).where(notices.c.state == NoticeState.PUBLISHED.value)
        return self._db.execute(query.order_by(notices.c.published_at.desc()).limit(1)).scalar()


def _pending_for_cadence(cadence_id: str) -> Select[Any]:
    return (
        select(notices)
        .where(notices.c.cadence_id == cadence_id, notices.c.state != NoticeState.PUBLISHED.value)
        .order_by(notices.c.created_at)
    )


def _notice(row: RowMapping) -> Notice:
    claim = row["claim"]
    return Notice(
        id=row["id"],
        kind=NoticeKind(row["kind"]),
        titles=dict(row["titles"]),
        bodies=dict(row["bodies"]),
        created_at=row["created_at"],
        launch_slug=row["launch_slug"],
        milestone_ids=tuple(row["milestone_ids"]),
        channels=tuple(row["channels"]),
        state=NoticeState(row["state"]),
        publish_at=row["publish_at"],
        published_at=row["published_at"],
        supersedes=row["supersedes"],
        claim=None
        if claim is None
        else Claim(
            text=claim["text"], verdict=Verdict(claim["verdict"]), source_url=claim.get("source_url", "")
        ),
        overridden=tuple(row["overridden"]),
        justification=dict(row["justification"]),
        next_update_at=row["next_update_at"],
        cadence_id=row["cadence_id"],
        reminder=None if row["reminder"] is None else Reminded.from_dict(row["reminder"]),
    )
