"""social: accounts' credentials (apart from subscriptions) and the posts notices became

Revision ID: 0010
Revises: 0007
Create Date: 2026-11-29 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "social_credentials",
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["subscription_id"], ["subscriptions.id"]),
        sa.PrimaryKeyConstraint("subscription_id"),
    )
    op.create_table(
        "social_posts",
        sa.Column("notice_id", sa.String(length=64), nullable=False),
        sa.Column("subscription_id", sa.String(length=64), nullable=False),
        sa.Column("network", sa.String(length=32), nullable=False),
        sa.Column("post_ids", sa.JSON(), nullable=False),
        sa.Column("urls", sa.JSON(), nullable=False),
        sa.Column("cids", sa.JSON(), nullable=False),
        sa.Column("posted_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notice_id", "subscription_id"),
    )


def downgrade() -> None:
    op.drop_table("social_posts")
    op.drop_table("social_credentials")
