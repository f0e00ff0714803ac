"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 12:01:16.850993
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("created_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_table(
        "launches",
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("market", sa.String(length=32), nullable=False),
        sa.Column("skus", sa.JSON(), nullable=False),
        sa.Column("per_customer_limit", sa.Integer(), nullable=False),
        sa.Column("policy", sa.JSON(), nullable=False),
        sa.Column("created_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("slug"),
    )
    # The ledger itself first: tools that look for the first table named like 'ledger' find it.
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.String(length=128), nullable=False),
        sa.Column("key_id", sa.String(length=64), nullable=False),
        sa.Column("signed_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("private_key", sa.Text(), nullable=False),
        sa.Column("public_key", sa.Text(), nullable=False),
        sa.Column("created_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "cadences",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("weekdays", sa.String(length=32), nullable=False),
        sa.Column("local_time", sa.String(length=8), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("last_slot_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["launch_slug"],
            ["launches.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "milestones",
        sa.Column("id", sa.String(length=140), nullable=False),
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("occurred_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("occurrence_recorded_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("occurrence_note", sa.Text(), nullable=False),
        sa.Column("broken_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["launch_slug"],
            ["launches.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_milestones_launch_slug"), ["launch_slug"], unique=False)

    op.create_table(
        "notices",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("launch_slug", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("titles", sa.JSON(), nullable=False),
        sa.Column("bodies", sa.JSON(), nullable=False),
        sa.Column("milestone_ids", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("publish_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("published_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("supersedes", sa.String(length=64), nullable=True),
        sa.Column("claim", sa.JSON(), nullable=True),
        sa.Column("overridden", sa.JSON(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("next_update_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("cadence_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["launch_slug"],
            ["launches.slug"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notices_launch_slug"), ["launch_slug"], unique=False)
        batch_op.create_index("ix_notices_published_at", ["published_at"], unique=False)
        batch_op.create_index("ix_notices_state_publish_at", ["state", "publish_at"], unique=False)

    op.create_table(
        "promise_versions",
        sa.Column("milestone_id", sa.String(length=140), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.Column("local_time", sa.String(length=32), nullable=True),
        sa.Column("precision", sa.String(length=16), nullable=False),
        sa.Column("made_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("change_kind", sa.String(length=16), nullable=True),
        sa.Column("notice_id", sa.String(length=64), nullable=True),
        sa.Column("overridden", sa.JSON(), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["milestone_id"],
            ["milestones.id"],
        ),
        sa.PrimaryKeyConstraint("milestone_id", "version"),
    )


def downgrade() -> None:
    op.drop_table("promise_versions")
    with op.batch_alter_table("notices", schema=None) as batch_op:
        batch_op.drop_index("ix_notices_state_publish_at")
        batch_op.drop_index("ix_notices_published_at")
        batch_op.drop_index(batch_op.f("ix_notices_launch_slug"))

    op.drop_table("notices")
    with op.batch_alter_table("milestones", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_milestones_launch_slug"))

    op.drop_table("milestones")
    op.drop_table("cadences")
    op.drop_table("signing_keys")
    op.drop_table("ledger_checkpoints")
    op.drop_table("ledger_entries")
    op.drop_table("launches")
    op.drop_table("api_tokens")
