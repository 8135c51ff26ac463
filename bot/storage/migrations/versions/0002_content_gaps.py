"""Content gaps: messages the coach couldn't answer, for the facilitators' report.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "content_gaps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("operative_id", sa.Integer(), nullable=True),
        sa.Column("topic_guess", sa.String(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_content_gaps_cohort_id_cohorts"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["operative_id"],
            ["operatives.id"],
            name=op.f("fk_content_gaps_operative_id_operatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_gaps")),
    )
    op.create_index(op.f("ix_content_gaps_cohort_id"), "content_gaps", ["cohort_id"])
    op.create_index(op.f("ix_content_gaps_operative_id"), "content_gaps", ["operative_id"])
    op.create_index(op.f("ix_content_gaps_created_at"), "content_gaps", ["created_at"])


def downgrade() -> None:
    op.drop_table("content_gaps")
