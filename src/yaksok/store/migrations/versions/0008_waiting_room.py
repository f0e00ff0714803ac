"""waiting room: rooms, pre-queue entries, used admissions

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 21:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "waiting_rooms",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("prequeue_opens", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("admit_per_second", sa.Float(), nullable=False),
        sa.Column("token_minutes", sa.Integer(), nullable=False),
        sa.Column("commitment", sa.String(length=64), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("opened_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("prequeue_size", sa.Integer(), nullable=False),
        sa.Column("collapsed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["launch_slug"], ["launches.slug"]),
        sa.PrimaryKeyConstraint("launch_slug"),
    )
    op.create_table(
        "waiting_room_entries",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("joined_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["launch_slug"], ["launches.slug"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("launch_slug", "number", name="uq_waiting_room_entries_launch_number"),
    )
    op.create_index(
        "ix_waiting_room_entries_launch_joined", "waiting_room_entries", ["launch_slug", "joined_at"]
    )
    op.create_table(
        "admissions_used",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("entry_id", sa.String(length=32), nullable=False),
        sa.Column("used_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("launch_slug", "entry_id"),
    )


def downgrade() -> None:
    op.drop_table("admissions_used")
    op.drop_index("ix_waiting_room_entries_launch_joined", table_name="waiting_room_entries")
    op.drop_table("waiting_room_entries")
    op.drop_table("waiting_rooms")
