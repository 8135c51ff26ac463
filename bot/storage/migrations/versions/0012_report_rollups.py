"""Report rollups: per operative and week, per delay, and status changes.

Reports read these instead of the event log, so a summary costs the same whatever
the history (issue 15). Filled here from the records already kept, with the very
arithmetic that keeps them when events are recorded (``bot.storage.rollups``), a
thousand operatives at a time. The weeks are in ``COACHBOT_TIMEZONE`` (default
Europe/London), stored in ``report_rollup_zone``.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

from __future__ import annotations

import os
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

from bot.storage import rollups

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _operative() -> sa.Column[int]:
    return sa.Column(
        "operative_id",
        sa.Integer(),
        sa.ForeignKey("operatives.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "report_rollup_zone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("zone", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_rollup_zone")),
    )
    op.create_table(
        "report_weeks",
        _operative(),
        sa.Column("week", sa.Integer(), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("prompts", "answered", "practice", "practice_answered", "replies")
        ),
        sa.PrimaryKeyConstraint("operative_id", "week", name=op.f("pk_report_weeks")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_topic_weeks",
        _operative(),
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=40), nullable=False),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in ("answers", "strong", "partial", "concern")
        ),
        sa.PrimaryKeyConstraint(
            "operative_id", "week", "topic", name=op.f("pk_report_topic_weeks")
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_reply_delays",
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.BigInteger(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", "seconds", name=op.f("pk_report_reply_delays")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "report_reply_minutes",
        sa.Column("week", sa.Integer(), nullable=False),
        sa.Column("minute", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("week", "minute", name=op.f("pk_report_reply_minutes")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "status_changes",
        sa.Column("id", ID, nullable=False),
        _operative(),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_changes")),
    )
    op.create_index(
        "ix_status_changes_operative_time",
        "status_changes",
        ["operative_id", "changed_at", "id"],
    )
    # A group's median reply time reads its members' prompts of the period.
    op.create_index(
        "ix_prompt_replies_operative_sent", "prompt_replies", ["operative_id", "sent_at"]
    )
    zone = os.environ.get("COACHBOT_TIMEZONE") or rollups.DEFAULT_ZONE
    op.execute(
        sa.table("report_rollup_zone", sa.column("id"), sa.column("zone"))
        .insert()
        .values(id=1, zone=zone)
    )
    # Their tables by day come with 0013, which fills them the same way.
    rollups.fill(op.get_bind(), ZoneInfo(zone), days=False)


def downgrade() -> None:
    op.drop_index("ix_prompt_replies_operative_sent", table_name="prompt_replies")
    for table in (
        "status_changes",
        "report_reply_minutes",
        "report_reply_delays",
        "report_topic_weeks",
        "report_weeks",
        "report_rollup_zone",
    ):
        op.drop_table(table)
