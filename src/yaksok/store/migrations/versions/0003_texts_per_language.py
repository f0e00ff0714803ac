"""reasons and justifications per language

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 15:00:00.000000

A promise change's reason and an override's justification become ``{ko, en}`` texts, like
titles. Texts written before were single strings; they are kept as English (``{"en": old}``),
an empty one becomes ``{}``. Downgrading keeps the English text, else the Korean.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COLUMNS = (
    ("promise_versions", "reason"),
    ("promise_versions", "justification"),
    ("notices", "justification"),
)


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column in COLUMNS:
        as_json = (
            f"CASE WHEN trim({column}) = '' THEN '{{}}'::json ELSE json_build_object('en', {column}) END"
            if postgresql
            else f"CASE WHEN trim({column}) = '' THEN '{{}}' ELSE json_object('en', {column}) END"
        )
        if postgresql:
            op.alter_column(table, column, type_=sa.JSON(), postgresql_using=as_json)
        else:  # SQLite keeps the stored text through the table copy: convert it in place
            op.execute(f"UPDATE {table} SET {column} = {as_json}")
            with op.batch_alter_table(table) as batch_op:
                batch_op.alter_column(column, type_=sa.JSON(), existing_nullable=False)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    for table, column in COLUMNS:
        if postgresql:
            as_text = f"coalesce({column} ->> 'en', {column} ->> 'ko', '')"
            op.alter_column(table, column, type_=sa.Text(), postgresql_using=as_text)
        else:
            as_text = f"coalesce(json_extract({column}, '$.en'), json_extract({column}, '$.ko'), '')"
            op.execute(f"UPDATE {table} SET {column} = {as_text}")
            with op.batch_alter_table(table) as batch_op:
                batch_op.alter_column(column, type_=sa.Text(), existing_nullable=False)
