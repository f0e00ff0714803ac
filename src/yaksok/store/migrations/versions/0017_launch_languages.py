"""each launch's content languages, the first its primary (existing launches: Korean, English)

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 01:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("launches") as batch:
        batch.add_column(sa.Column("languages", sa.JSON(), nullable=False, server_default='["ko", "en"]'))


def downgrade() -> None:
    with op.batch_alter_table("launches") as batch:
        batch.drop_column("languages")
