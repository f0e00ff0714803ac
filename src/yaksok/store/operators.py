"""Operator accounts: emails, roles and password hashes (never a password), and their passkeys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from yaksok.domain.administration import Operator, Passkey
from yaksok.store import port
from yaksok.store.tables import operators, passkeys


class OperatorRepository(port.OperatorRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, operator: Operator) -> bool:
        if self.by_email(operator.email) is not None:
            return False
        self._db.execute(
            insert(operators).values(
                id=operator.id,
                email=operator.email,
                role=operator.role,
                password_hash=operator.password_hash,
                created_at=operator.created_at,
                launches=None if operator.launches is None else list(operator.launches),
            )
        )
        return True

    def get(self, operator_id: str) -> Operator | None:
        return self._one(operators.c.id == operator_id)

    def by_email(self, email: str) -> Operator | None:
        return self._one(operators.c.email == email)

    def _one(self, where: ColumnElement[bool]) -> Operator | None:
        row = self._db.execute(select(operators).where(where)).mappings().first()
        return None if row is None else _operator(row)


def _operator(row: RowMapping) -> Operator:
    return Operator(
        id=row["id"],
        email=row["email"],
        role=row["role"],
        password_hash=row["password_hash"],
        created_at=row["created_at"],
        launches=None if row["launches"] is None else tuple(row["launches"]),
    )


class PasskeyRepository(port.PasskeyRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, passkey: Passkey) -> bool:
        if self.get(passkey.id) is not None:
            return False
        self._db.execute(
            insert(passkeys).values(
                id=passkey.id,
                operator_id=passkey.operator_id,
                public_key=passkey.public_key,
                sign_count=passkey.sign_count,
                created_at=passkey.created_at,
                last_used_at=passkey.last_used_at,
            )
        )
        return True

    def get(self, passkey_id: str) -> Passkey | None:
        row = self._db.execute(select(passkeys).where(passkeys.c.id == passkey_id)).mappings().first()
        return None if row is None else _passkey(row)

    def of_operator(self, operator_id: str) -> list[Passkey]:
        query = (
            select(passkeys)
            .where(passkeys.c.operator_id == operator_id)
            .order_by(passkeys.c.created_at, passkeys.c.id)
        )
        return [_passkey(row) for row in self._db.execute(query).mappings()]

    def used(self, passkey_id: str, sign_count: int, now: datetime) -> None:
        query = update(passkeys).where(passkeys.c.id == passkey_id)
        self._db.execute(query.values(sign_count=sign_count, last_used_at=now))


def _passkey(row: RowMapping) -> Passkey:
    return Passkey(
        id=row["id"],
        operator_id=row["operator_id"],
        public_key=row["public_key"],
        sign_count=row["sign_count"],
        created_at=row["created_at"],
        last_used_at=row["last_used_at"],
    )
