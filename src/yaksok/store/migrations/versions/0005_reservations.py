"""reservations: customers' places in a launch's pre-order

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reservations",
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=255), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("pickup_store", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("cancelled_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["launch_slug"], ["launches.slug"]),
        sa.PrimaryKeyConstraint("code"),
        sa.UniqueConstraint("launch_slug", "sequence", name="uq_reservations_launch_sequence"),
        sa.UniqueConstraint("launch_slug", "idempotency_key", name="uq_reservations_launch_key"),
    )
    op.create_index("ix_reservations_launch_contact", "reservations", ["launch_slug", "contact"])


def downgrade() -> None:
    op.drop_index("ix_reservations_launch_contact", table_name="reservations")
    op.drop_table("reservations")
