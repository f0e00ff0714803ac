"""operator scopes: tokens and operator accounts limited to some launches; operators' passkeys

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-30 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("launches", sa.JSON(), nullable=True))
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("launches", sa.JSON(), nullable=True))
    op.create_table(
        "passkeys",
        sa.Column("id", sa.String(length=512), nullable=False),
        sa.Column("operator_id", sa.String(length=32), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("sign_count", sa.Integer(), nullable=False),
        sa.Column("created_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["operator_id"], ["operators.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_passkeys_operator_id", "passkeys", ["operator_id"])


def downgrade() -> None:
    op.drop_index("ix_passkeys_operator_id", table_name="passkeys")
    op.drop_table("passkeys")
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("launches")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("launches")
