"""Report summaries: the figures of old weeks and months, kept by retention.

Retention (COACHBOT_RETENTION_MONTHS) deletes old records; a report of a week or
month before then reads the figures kept here instead.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PAYLOAD = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "report_summaries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("figures", PAYLOAD, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_summaries")),
        sa.UniqueConstraint(
            "scope",
            "first_day",
            "last_day",
            "timezone",
            name=op.f("uq_report_summaries_scope_first_day_last_day_timezone"),
        ),
    )
    op.create_index(
        op.f("ix_report_summaries_first_day"), "report_summaries", ["first_day"], unique=False
    )


def downgrade() -> None:
    op.drop_table("report_summaries")
