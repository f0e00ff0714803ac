"""two-person review: proposals waiting for a second operator

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29 22:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("command", sa.JSON(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("proposed_by", sa.String(length=32), nullable=False),
        sa.Column("proposed_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=32), nullable=True),
        sa.Column("decided_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("notice_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["launch_slug"], ["launches.slug"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_proposals_state_proposed_at", "proposals", ["state", "proposed_at"])


def downgrade() -> None:
    op.drop_index("ix_proposals_state_proposed_at", table_name="proposals")
    op.drop_table("proposals")
