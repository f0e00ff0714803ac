"""a waiting room's randomness beacon (drand chain and committed round) for its fallback seed

Revision ID: 0018
Revises: 0017
Create Date: 2026-11-30 03:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("waiting_rooms") as batch:
        batch.add_column(sa.Column("beacon", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("waiting_rooms") as batch:
        batch.drop_column("beacon")
