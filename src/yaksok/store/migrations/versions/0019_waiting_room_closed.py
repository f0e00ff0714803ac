"""a waiting room's closed pre-queue (its ledger entry), kept while the order waits for the beacon

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-01 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("waiting_rooms") as batch:
        batch.add_column(sa.Column("closed_seq", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("waiting_rooms") as batch:
        batch.drop_column("closed_seq")
