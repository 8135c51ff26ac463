"""Report rollups by day, beside those by week: a month, a date range or "this week"
reads whole weeks by week and the days at its ends by day, never the records.

Filled from the records already kept, with the arithmetic that keeps them as events
are recorded (``bot.storage.rollups.fill``), in the zone 0012 stored.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from bot.storage import rollups

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _operative() -> sa.Column[int]:
    return sa.Column(
        "operative_id",
        sa.Integer(),
        sa.ForeignKey("operatives.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "report_days",
        _operative(),
        sa.Column("day", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("prompts", "answered", "practice", "practice_answered", "replies")
        ),
        sa.PrimaryKeyConstraint("operative_id", "day", name=op.f("pk_report_days")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_topic_days",
        _operative(),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("answers", "strong", "partial", "concern")
        ),
        sa.PrimaryKeyConstraint("operative_id", "day", "topic", name=op.f("pk_report_topic_days")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_day_delays",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "seconds", name=op.f("pk_report_day_delays")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_day_minutes",
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "minute", name=op.f("pk_report_day_minutes")),
        sqlite_with_rowid=False,
    )
    connection = op.get_bind()
    zone = connection.execute(sa.text("SELECT zone FROM report_rollup_zone WHERE id = 1")).scalar()
    rollups.fill(
        connection, ZoneInfo(str(zone or rollups.DEFAULT_ZONE)), weeks=False, statuses=False
    )


def downgrade() -> None:
    for name in ("report_day_minutes", "report_day_delays", "report_topic_days", "report_days"):
        op.drop_table(name)
