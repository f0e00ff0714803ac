"""Operator accounts: emails, roles and password hashes (never a password)."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.engine import Connection, RowMapping
from sqlalchemy.sql.elements import ColumnElement

from yaksok.domain.administration import Operator
from yaksok.store import port
from yaksok.store.tables import operators


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
