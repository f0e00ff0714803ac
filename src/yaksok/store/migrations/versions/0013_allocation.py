"""stock batches and allocation: batches, current assignment, ship-date history, runs

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stock_batches",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("store", sa.String(length=64), nullable=True),
        sa.Column("ship_date", sa.Date(), nullable=False),
        sa.Column("recorded_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["launch_slug"], ["launches.slug"]),
        sa.PrimaryKeyConstraint("launch_slug", "number"),
    )
    op.create_table(
        "allocations",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("ship_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("launch_slug", "sequence"),
    )
    op.create_table(
        "ship_date_changes",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("run", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("old_date", sa.Date(), nullable=True),
        sa.Column("new_date", sa.Date(), nullable=True),
        sa.Column("batch", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reason_batch", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("launch_slug", "run", "sequence"),
    )
    op.create_index("ix_ship_date_changes_launch_sequence", "ship_date_changes", ["launch_slug", "sequence"])
    op.create_table(
        "allocation_runs",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("ran_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=False),
        sa.Column("batch_dates", sa.JSON(), nullable=False),
        sa.Column("reservations", sa.Integer(), nullable=False),
        sa.Column("scheduled", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("passes", sa.Integer(), nullable=False),
        sa.Column("assignment_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["launch_slug"], ["launches.slug"]),
        sa.PrimaryKeyConstraint("launch_slug", "number"),
    )


def downgrade() -> None:
    op.drop_table("allocation_runs")
    op.drop_index("ix_ship_date_changes_launch_sequence", table_name="ship_date_changes")
    op.drop_table("ship_date_changes")
    op.drop_table("allocations")
    op.drop_table("stock_batches")
