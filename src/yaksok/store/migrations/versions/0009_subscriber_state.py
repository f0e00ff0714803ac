"""subscriber state: awaiting confirmation, paused and a rotation's previous secret in their own
columns (they were packed into disabled_at/disabled_reason and secret); the owner's contact and
how long an endpoint has been failing; and what a reminder's notice reminds of (notices.reminder)

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-29 21:10:00.000000
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_AWAITING, _PAUSED = "awaiting confirmation", "paused"


def _table() -> sa.TableClause:
    utc = yaksok.store.types.UTCDateTime(timezone=True)
    return sa.table(
        "subscriptions",
        sa.column("id", sa.String()),
        sa.column("secret", sa.String()),
        sa.column("disabled_at", utc),
        sa.column("disabled_reason", sa.Text()),
        sa.column("awaiting_confirmation", sa.Boolean()),
        sa.column("paused_at", utc),
        sa.column("previous_secret", sa.String()),
        sa.column("previous_secret_until", utc),
    )


def upgrade() -> None:
    utc = yaksok.store.types.UTCDateTime(timezone=True)
    with op.batch_alter_table("subscriptions") as batch:
        batch.add_column(
            sa.Column("awaiting_confirmation", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.add_column(sa.Column("paused_at", utc, nullable=True))
        batch.add_column(
            sa.Column("previous_secret", sa.String(length=128), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("previous_secret_until", utc, nullable=True))
        batch.add_column(sa.Column("contact", sa.Text(), nullable=False, server_default=""))
        batch.add_column(sa.Column("failing_since", utc, nullable=True))
        batch.add_column(sa.Column("failure_warned_at", utc, nullable=True))
    op.add_column("notices", sa.Column("reminder", sa.JSON(), nullable=True))
    t = _table()
    db = op.get_bind()
    db.execute(
        t.update()
        .where(t.c.disabled_reason == _AWAITING)
        .values(awaiting_confirmation=True, disabled_at=None, disabled_reason="")
    )
    db.execute(
        t.update()
        .where(t.c.disabled_reason == _PAUSED)
        .values(paused_at=t.c.disabled_at, disabled_at=None, disabled_reason="")
    )
    # A rotation was stored as "new old until" (until in Unix seconds).
    for id_, packed in db.execute(sa.select(t.c.id, t.c.secret).where(t.c.secret.like("% %"))).all():
        new, old, until = packed.split()
        db.execute(
            t.update()
            .where(t.c.id == id_)
            .values(
                secret=new,
                previous_secret=old,
                previous_secret_until=datetime.fromtimestamp(int(until), UTC),
            )
        )
    # The defaults only filled the rows already there; the application writes every column.
    with op.batch_alter_table("subscriptions") as batch:
        batch.alter_column("awaiting_confirmation", server_default=None, existing_type=sa.Boolean())
        batch.alter_column("previous_secret", server_default=None, existing_type=sa.String(length=128))
        batch.alter_column("contact", server_default=None, existing_type=sa.Text())


def downgrade() -> None:
    t = _table()
    db = op.get_bind()
    rows = db.execute(
        sa.select(t.c.id, t.c.secret, t.c.previous_secret, t.c.previous_secret_until).where(
            t.c.previous_secret != ""
        )
    ).all()
    for id_, secret, previous, until in rows:
        if until is not None:
            db.execute(
                t.update().where(t.c.id == id_).values(secret=f"{secret} {previous} {int(until.timestamp())}")
            )
    db.execute(
        t.update()
        .where(t.c.paused_at.is_not(None), t.c.disabled_at.is_(None))
        .values(disabled_at=t.c.paused_at, disabled_reason=_PAUSED)
    )
    db.execute(
        t.update()
        .where(t.c.awaiting_confirmation.is_(True), t.c.disabled_at.is_(None))
        .values(disabled_at=datetime.now(UTC), disabled_reason=_AWAITING)
    )
    with op.batch_alter_table("subscriptions") as batch:
        for name in (
            "failure_warned_at",
            "failing_since",
            "contact",
            "previous_secret_until",
            "previous_secret",
            "paused_at",
            "awaiting_confirmation",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("reminder")
