"""API tokens: only a hash of each token is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping

from yaksok.domain.administration import TokenRecord
from yaksok.store import port
from yaksok.store.tables import api_tokens

_RECORD = (
    api_tokens.c.id,
    api_tokens.c.role,
    api_tokens.c.label,
    api_tokens.c.created_at,
    api_tokens.c.revoked_at,
    api_tokens.c.launches,
)


class TokenRepository(port.TokenRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(
        self,
        token_id: str,
        token_hash: str,
        role: str,
        label: str,
        now: datetime,
        launches: tuple[str, ...] | None = None,
    ) -> None:
        row: dict[str, object] = {
            "id": token_id,
            "token_hash": token_hash,
            "role": role,
            "label": label,
            "created_at": now,
        }
        if launches is not None:  # left out when unlimited: a database before 0015 has no such column
            row["launches"] = list(launches)
        self._db.execute(insert(api_tokens).values(row))

    def role_for(self, token_hash: str) -> str | None:
        active = self.active_for(token_hash)
        return None if active is None else active.role

    def active_for(self, token_hash: str) -> TokenRecord | None:
        """The unrevoked token with this hash, if any."""
        query = select(*_RECORD).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
        )
        row = self._db.execute(query).mappings().first()
        return None if row is None else _record(row)

    def get(self, token_id: str) -> TokenRecord | None:
        row = self._db.execute(select(*_RECORD).where(api_tokens.c.id == token_id)).mappings().first()
        return None if row is None else _record(row)

    def list(self) -> list[TokenRecord]:
        """Every token, revoked ones too, oldest first (never a hash)."""
        query = select(*_RECORD).order_by(api_tokens.c.created_at, api_tokens.c.id)
        return [_record(row) for row in self._db.execute(query).mappings()]

    def revoke(self, token_id: str, now: datetime) -> bool:
        """Revoke an active token; False when it was not active (already revoked or unknown)."""
        query = update(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        return self._db.execute(query.values(revoked_at=now)).rowcount == 1


def _record(row: RowMapping) -> TokenRecord:
    return TokenRecord(
        id=row["id"],
        role=row["role"],
        label=row["label"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        launches=None if row["launches"] is None else tuple(row["launches"]),
    )
