"""operator scopes: tokens and operator accounts limited to some launches

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-30 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("launches", sa.JSON(), nullable=True))
    with op.batch_alter_table("operators") as batch:
        batch.add_column(sa.Column("launches", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operators") as batch:
        batch.drop_column("launches")
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("launches")
