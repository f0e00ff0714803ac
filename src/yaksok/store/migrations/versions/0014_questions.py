"""questions answered in the open: customers' questions and support staff's answers

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 00:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import yaksok.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("launch_slug", sa.String(length=64), nullable=False),
        sa.Column("notice_id", sa.String(length=64), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("contact", sa.String(length=254), nullable=False),
        sa.Column("asked_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("merged_into", sa.String(length=32), nullable=True),
        sa.Column("merged_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hidden_reason", sa.Text(), nullable=False),
        sa.Column("hidden_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["launch_slug"], ["launches.slug"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_questions_launch_asked_at", "questions", ["launch_slug", "asked_at"])
    op.create_table(
        "question_answers",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("question_id", sa.String(length=32), nullable=False),
        sa.Column("author", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("official", sa.Boolean(), nullable=False),
        sa.Column("answered_at", yaksok.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ledger_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["question_id"], ["questions.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_question_answers_question", "question_answers", ["question_id"])
    op.create_index("ix_question_answers_ledger_seq", "question_answers", ["ledger_seq"])


def downgrade() -> None:
    op.drop_index("ix_question_answers_ledger_seq", table_name="question_answers")
    op.drop_index("ix_question_answers_question", table_name="question_answers")
    op.drop_table("question_answers")
    op.drop_index("ix_questions_launch_asked_at", table_name="questions")
    op.drop_table("questions")
