"""The audit trail: operator administration, kept apart from the public ledger."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from yaksok.domain.administration import AuditEntry
from yaksok.store import port
from yaksok.store.tables import audit


class AuditRepository(port.AuditRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, at: datetime, actor: str | None, action: str, details: Mapping[str, object]) -> None:
        self._db.execute(insert(audit).values(at=at, actor=actor, action=action, details=dict(details)))

    def entries(self, *, limit: int = 1000) -> list[AuditEntry]:
        """The newest ``limit`` entries, oldest first."""
        newest = select(audit).order_by(audit.c.seq.desc()).limit(limit).subquery()
        rows = self._db.execute(select(newest).order_by(newest.c.seq)).mappings()
        return [
            AuditEntry(
                seq=row["seq"],
                at=row["at"],
                actor=row["actor"],
                action=row["action"],
                details=dict(row["details"]),
            )
            for row in rows
        ]
