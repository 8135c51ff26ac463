"""Prompt replies: each prompt sent and when it was first answered, for fast reports.

Filled from the event log already recorded: a reply belongs to the operative's
latest prompt of the same item, so a prompt's first reply is the very next event
of that operative and item, if that event is a reply.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "prompt_replies",
        sa.Column("id", ID, nullable=False),
        sa.Column("operative_id", sa.Integer(), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scheduled", sa.Boolean(), nullable=False),
        sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["operative_id"],
            ["operatives.id"],
            name=op.f("fk_prompt_replies_operative_id_operatives"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prompt_replies")),
    )
    op.create_index(
        "ix_prompt_replies_operative_item_sent",
        "prompt_replies",
        ["operative_id", "item", "sent_at"],
    )
    op.create_index("ix_prompt_replies_sent_at", "prompt_replies", ["sent_at"])
    _fill_from_events()


def _fill_from_events() -> None:
    events = sa.table(
        "engagement_events",
        sa.column("id", ID),
        sa.column("type", sa.String()),
        sa.column("operative_id", sa.Integer()),
        sa.column("occurred_at", sa.DateTime(timezone=True)),
        sa.column("payload", sa.JSON()),
    )
    replies = sa.table(
        "prompt_replies",
        sa.column("operative_id"),
        sa.column("item"),
        sa.column("sent_at"),
        sa.column("scheduled"),
        sa.column("first_reply_at"),
    )
    item = events.c.payload["item"].as_string()
    paired = (
        sa.select(
            events.c.type.label("type"),
            events.c.operative_id.label("operative_id"),
            item.label("item"),
            events.c.occurred_at.label("sent_at"),
            sa.case(
                (events.c.payload["via"].as_string() == "schedule", sa.true()), else_=sa.false()
            ).label("scheduled"),
            sa.func.lead(
                sa.case((events.c.type == "answered", events.c.occurred_at)),
            )
            .over(
                partition_by=(events.c.operative_id, item),
                order_by=(events.c.occurred_at, events.c.id),
            )
            .label("first_reply_at"),
        )
        .where(
            events.c.type.in_(["prompt_sent", "answered"]),
            events.c.operative_id.is_not(None),
            item.is_not(None),
        )
        .subquery("paired")
    )
    columns = ["operative_id", "item", "sent_at", "scheduled", "first_reply_at"]
    op.execute(
        replies.insert().from_select(
            columns,
            # In time order, as a live database writes them: reports read by time.
            sa.select(*[paired.c[name] for name in columns])
            .where(paired.c.type == "prompt_sent")
            .order_by(paired.c.sent_at),
        )
    )


def downgrade() -> None:
    op.drop_table("prompt_replies")
