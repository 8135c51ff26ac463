"""Prompt days: the streak rule's running state on each scheduled prompt's row.

A scheduled prompt's row gets its local date (the operative's own time zone), whether
that day's prompt was answered the same day, and the answered and unanswered prompt
days in a row before it (see ``bot.core.policy.streaks``). The coach, the planner and
the reports read a streak from the latest row instead of a whole history.

Filled from the prompts already recorded (``prompt_replies``, itself built from the
event log), each operative's days in order, by the rule's own functions so that the
state matches what recording would have written.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

from bot.core.policy.streaks import PromptDay, carried, local_day

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("prompt_day", sa.Date(), nullable=True),
        sa.Column("answered_that_day", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("run_before", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("misses_before", sa.Integer(), nullable=False, server_default="0"),
    )


INDEX = "ix_prompt_replies_operative_day"


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    present = {column["name"] for column in inspector.get_columns("prompt_replies")}
    for column in _columns():
        if column.name not in present:  # left in place by a downgrade on SQLite (see below)
            op.add_column("prompt_replies", column)
    if INDEX not in {index["name"] for index in inspector.get_indexes("prompt_replies")}:
        op.create_index(INDEX, "prompt_replies", ["operative_id", "prompt_day"])
    _fill()


def _aware(moment: Any) -> datetime:
    assert isinstance(moment, datetime)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _fill() -> None:
    bind = op.get_bind()
    replies = sa.table(
        "prompt_replies",
        sa.column("id", sa.Integer()),
        sa.column("operative_id", sa.Integer()),
        sa.column("sent_at", sa.DateTime(timezone=True)),
        sa.column("scheduled", sa.Boolean()),
        sa.column("first_reply_at", sa.DateTime(timezone=True)),
        sa.column("prompt_day", sa.Date()),
        sa.column("answered_that_day", sa.Boolean()),
        sa.column("run_before", sa.Integer()),
        sa.column("misses_before", sa.Integer()),
    )
    operatives = sa.table("operatives", sa.column("id"), sa.column("timezone"))
    rows = bind.execute(
        sa.select(
            replies.c.id,
            replies.c.operative_id,
            replies.c.sent_at,
            replies.c.first_reply_at,
            operatives.c.timezone,
        )
        .join(operatives, operatives.c.id == replies.c.operative_id)
        .where(replies.c.scheduled == sa.true())
        .order_by(replies.c.operative_id, replies.c.sent_at, replies.c.id)
    )
    # One operative at a time: the rows are in operative order.
    changes: list[dict[str, object]] = []
    current: int | None = None
    days: list[tuple[int, date, bool]] = []

    def flush() -> None:
        chain = {d.day: d for d in carried(PromptDay(day, ok) for _, day, ok in days)}
        for row_id, day, _ in days:
            state = chain[day]
            changes.append(
                {
                    "row_id": row_id,
                    "day": day,
                    "ok": state.answered,
                    "run": state.run_before,
                    "misses": state.misses_before,
                }
            )
        days.clear()

    found: list[tuple[Any, ...]] = [tuple(row) for row in rows]
    for row_id, operative_id, sent_at, first_reply_at, zone in found:
        if operative_id != current:
            flush()
            current = int(operative_id)
        day = local_day(_aware(sent_at), str(zone))
        answered = (
            first_reply_at is not None and local_day(_aware(first_reply_at), str(zone)) == day
        )
        days.append((int(row_id), day, answered))
    flush()
    statement = (
        replies.update()
        .where(replies.c.id == sa.bindparam("row_id"))
        .values(
            prompt_day=sa.bindparam("day"),
            answered_that_day=sa.bindparam("ok"),
            run_before=sa.bindparam("run"),
            misses_before=sa.bindparam("misses"),
        )
    )
    for start in range(0, len(changes), 10_000):
        bind.execute(statement, changes[start : start + 10_000])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="prompt_replies")
    # SQLite can only drop a column by rebuilding the table (see 0008): the columns stay
    # there, unused, and the upgrade fills them again.
    if op.get_bind().dialect.name != "sqlite":
        for column in _columns():
            op.drop_column("prompt_replies", column.name)
