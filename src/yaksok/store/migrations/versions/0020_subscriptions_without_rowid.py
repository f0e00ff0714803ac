"""subscriptions kept in id order on SQLite (WITHOUT ROWID): a fan-out reads them a page at a time

A fan-out reads every subscription in id order. In a rowid table each row read that way is a
search of the id index and then one of the table; in a table keyed by its id the page is one
walk along the leaves, which halves the read's cost (docs/benchmarks.md, "Webhook fan-out").
PostgreSQL has no such option and is left as it is.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-30 06:30:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    _rebuild(" WITHOUT ROWID")


def downgrade() -> None:
    _rebuild("")


def _rebuild(suffix: str) -> None:
    """The table made again with its own SQL and ``suffix``, its rows and indexes kept. The rows
    of ``social_credentials``, which refer to it, step aside meanwhile: with foreign keys on
    (and they cannot be turned off inside the migration's transaction), dropping a table that
    rows refer to fails."""
    db = op.get_bind()
    if db.dialect.name != "sqlite":
        return
    found = "SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name = 'subscriptions' AND sql IS NOT NULL"
    table = db.exec_driver_sql(found, ("table",)).scalar_one()
    indexes = db.exec_driver_sql(found, ("index",)).scalars().all()
    table = table.rstrip().removesuffix("WITHOUT ROWID").rstrip()
    opening = table.index("(")
    db.exec_driver_sql("CREATE TEMP TABLE moved_credentials AS SELECT * FROM social_credentials")
    db.exec_driver_sql("DELETE FROM social_credentials")
    db.exec_driver_sql("CREATE TABLE subscriptions_rebuilt " + table[opening:] + suffix)
    db.exec_driver_sql("INSERT INTO subscriptions_rebuilt SELECT * FROM subscriptions")
    db.exec_driver_sql("DROP TABLE subscriptions")
    db.exec_driver_sql("ALTER TABLE subscriptions_rebuilt RENAME TO subscriptions")
    for index in indexes:
        db.exec_driver_sql(index)
    db.exec_driver_sql("INSERT INTO social_credentials SELECT * FROM moved_credentials")
    db.exec_driver_sql("DROP TABLE moved_credentials")
