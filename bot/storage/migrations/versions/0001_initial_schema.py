"""Initial schema: cohorts, operatives and engagement events.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

PAYLOAD = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
EVENT_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("invite_code", sa.String(length=64), nullable=False),
        sa.Column("workshop_date", sa.Date(), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cohorts")),
        sa.UniqueConstraint("invite_code", name=op.f("uq_cohorts_invite_code")),
    )
    op.create_table(
        "operatives",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("prompt_time", sa.Time(), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paused_until", sa.Date(), nullable=True),
        sa.Column("awaiting", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_operatives_cohort_id_cohorts"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operatives")),
        sa.UniqueConstraint("telegram_id", name=op.f("uq_operatives_telegram_id")),
    )
    op.create_index(op.f("ix_operatives_cohort_id"), "operatives", ["cohort_id"])
    op.create_index(op.f("ix_operatives_status"), "operatives", ["status"])
    op.create_table(
        "engagement_events",
        sa.Column("id", EVENT_ID, nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("operative_id", sa.Integer(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", PAYLOAD, nullable=False),
        sa.ForeignKeyConstraint(
            ["operative_id"],
            ["operatives.id"],
            name=op.f("fk_engagement_events_operative_id_operatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_engagement_events")),
    )
    op.create_index(
        "ix_engagement_events_operative_time", "engagement_events", ["operative_id", "occurred_at"]
    )
    op.create_index("ix_engagement_events_type_time", "engagement_events", ["type", "occurred_at"])


def downgrade() -> None:
    op.drop_table("engagement_events")
    op.drop_table("operatives")
    op.drop_table("cohorts")
