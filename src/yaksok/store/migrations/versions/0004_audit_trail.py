"""audit trail for operator administration

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00.000000

Making and revoking admin tokens is operator administration, not a public act: from now on it
is recorded in the non-public ``audit`` table instead of the public ledger. The ledger is
append-only, so the ``token.created`` entries it already holds stay where they are; each
existing token's creation is also copied into the new trail, so the trail covers every token.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    audit = op.create_table(
        "audit",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=32), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    tokens = sa.table(
        "api_tokens",
        sa.column("id", sa.String()),
        sa.column("role", sa.String()),
        sa.column("label", sa.String()),
        sa.column("created_at", yaksok.store.types.UTCDateTime(timezone=True)),
    )
    made = op.get_bind().execute(sa.select(tokens).order_by(tokens.c.created_at, tokens.c.id))
    op.bulk_insert(
        audit,
        [
            {
                "at": row.created_at,
                "actor": None,
                "action": "token.created",
                "details": {"token": row.id, "role": row.role, "label": row.label},
            }
            for row in made
        ],
    )


def downgrade() -> None:
    op.drop_table("audit")
