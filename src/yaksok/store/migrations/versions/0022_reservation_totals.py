"""a launch's reservations counted as they change: per state, per second, and in blocks of each line

At 100,000 reservations, three reads went through the whole launch:
- the scorecard's pre-order figures counted it by state and by arrival second (84 ms on SQLite);
- a cancellation read every waitlisted reservation to promote the head of one SKU's waitlist
  (0.49 s, holding the launch while the reservation writer waited);
- a customer's place counted the reservations ahead, reading each row (10-21 ms).

``reservation_totals`` (reservations and units per launch, SKU and state) takes the place of
``units_held``; ``reservation_arrivals`` counts them per second; ``reservation_blocks`` counts each
line (a state's reservations, per SKU) in blocks of 1,000 sequences. The writes that change them
keep all three. A place is then the blocks ahead plus a count within its own block, and a line is
read from its first block with anyone in it. (An index on each line served those reads too, but
cost PostgreSQL's batches 4-10%.)

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 19:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yaksok.store.types import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservation_totals",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("reservations", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("launch_slug", "sku", "state"),
    )
    op.execute(
        "INSERT INTO reservation_totals (launch_slug, sku, state, reservations, units) "
        "SELECT launch_slug, sku, state, COUNT(*), SUM(quantity) FROM reservations "
        "GROUP BY launch_slug, sku, state"
    )
    op.drop_table("units_held")
    op.create_table(
        "reservation_arrivals",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("second", UTCDateTime(), nullable=False),
        sa.Column("reservations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("launch_slug", "second"),
    )
    if op.get_bind().dialect.name == "sqlite":  # instants are text there: "YYYY-MM-DD HH:MM:SS.ffffff"
        second = "substr(created_at, 1, 19) || '.000000'"
    else:
        second = "date_trunc('second', created_at)"
    op.execute(
        "INSERT INTO reservation_arrivals (launch_slug, second, reservations) "
        f"SELECT launch_slug, {second}, COUNT(*) FROM reservations GROUP BY launch_slug, {second}"
    )
    op.create_table(
        "reservation_blocks",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("block_start", sa.Integer(), nullable=False),
        sa.Column("reservations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("launch_slug", "state", "sku", "block_start"),
    )
    start = "(sequence / 1000) * 1000"  # tables.LINE_BLOCK, as it was when this was written
    op.execute(
        "INSERT INTO reservation_blocks (launch_slug, state, sku, block_start, reservations) "
        f"SELECT launch_slug, state, sku, {start}, COUNT(*) FROM reservations "
        f"GROUP BY launch_slug, state, sku, {start}"
    )


def downgrade() -> None:
    op.drop_table("reservation_blocks")
    op.drop_table("reservation_arrivals")
    op.create_table(
        "units_held",
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("launch_slug", "sku"),
    )
    op.execute(
        "INSERT INTO units_held (launch_slug, sku, units) SELECT launch_slug, sku, units "
        "FROM reservation_totals WHERE state = 'queued'"
    )
    op.drop_table("reservation_totals")
