"""API tokens: only a hash of each token is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from yaksok.store import port
from yaksok.store.tables import api_tokens


class TokenRepository(port.TokenRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, token_id: str, token_hash: str, role: str, label: str, now: datetime) -> None:
        self._db.execute(
            insert(api_tokens).values(
                id=token_id, token_hash=token_hash, role=role, label=label, created_at=now
            )
        )

    def role_for(self, token_hash: str) -> str | None:
        query = select(api_tokens.c.role).where(
            api_tokens.c.token_hash == token_hash, api_tokens.c.revoked_at.is_(None)
        )
        return self._db.execute(query).scalar()
