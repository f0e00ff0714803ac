"""web push: the VAPID key pair, and push subscriptions found by endpoint

Revision ID: 0011
Revises: 0007
Create Date: 2026-11-29 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vapid_keys",
        sa.Column("id", sa.String(length=16), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("created_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # A browser subscribes, and unsubscribes, by its endpoint: found without a scan.
    op.create_index("ix_subscriptions_target", "subscriptions", ["channel", "target"])


def downgrade() -> None:
    op.drop_index("ix_subscriptions_target", table_name="subscriptions")
    op.drop_table("vapid_keys")
