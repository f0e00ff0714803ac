"""Browser push in SQL: the VAPID key (one row, never public) and push subscriptions by endpoint."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from yaksok.domain.push import VapidKey
from yaksok.domain.subscription import Subscription
from yaksok.store import port
from yaksok.store.delivery import _subscription as subscription_from_row
from yaksok.store.tables import subscriptions, vapid_keys

_ONLY = "vapid"


class PushRepository(port.PushRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def vapid_key(self) -> VapidKey | None:
        row = self._db.execute(select(vapid_keys).where(vapid_keys.c.id == _ONLY)).mappings().first()
        if row is None:
            return None
        return VapidKey(
            private_pem=row["private_key"], public_key=row["public_key"], created_at=row["created_at"]
        )

    def add_vapid_key(self, key: VapidKey) -> bool:
        row = {
            "id": _ONLY,
            "private_key": key.private_pem,
            "public_key": key.public_key,
            "created_at": key.created_at,
        }
        insert = postgresql.insert if self._db.dialect.name == "postgresql" else sqlite.insert
        # RETURNING, not rowcount: psycopg's pipeline mode reports no count.
        added = insert(vapid_keys).values(row).on_conflict_do_nothing().returning(vapid_keys.c.id)
        return self._db.execute(added).first() is not None

    def at_endpoint(self, endpoint: str) -> list[Subscription]:
        c = subscriptions.c
        query = (
            select(subscriptions)
            .where(c.channel == "webpush", c.target == endpoint, c.disabled_at.is_(None))
            .order_by(c.id)
        )
        return [subscription_from_row(row) for row in self._db.execute(query).mappings()]
