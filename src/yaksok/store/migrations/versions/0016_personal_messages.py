"""personal messages (ship dates, answers: told to one customer) and each reservation's language

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-30 00:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=False, server_default="en"))
    op.create_table(
        "personal_messages",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("about", sa.JSON(), nullable=False),
        sa.Column("due_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_personal_messages_status_next_attempt_at", "personal_messages", ["status", "next_attempt_at"]
    )
    op.create_index("ix_personal_messages_launch_due_at", "personal_messages", ["launch_slug", "due_at"])
    op.create_table(
        "ship_dates_told",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("through_run", sa.Integer(), nullable=False),
        sa.Column("slot_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("launch_slug"),
    )


def downgrade() -> None:
    op.drop_table("ship_dates_told")
    op.drop_index("ix_personal_messages_launch_due_at", table_name="personal_messages")
    op.drop_index("ix_personal_messages_status_next_attempt_at", table_name="personal_messages")
    op.drop_table("personal_messages")
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("language")
