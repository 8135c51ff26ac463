"""PostgreSQL: the rollups by week and by day indexed on their week or day.

A period's rollup rows were read by one primary-key seek per operative. PostgreSQL
keeps rows in the order they are written, and a week's rows are written during that
week, so each operative's weeks sit on pages of their own: at 5,000,000 events the
topics of four weeks touched 14,000 pages, most outside shared_buffers. Read by
week (a bitmap scan of a few hundred pages) and hashed against the operatives in
scope, the same figures touch about 350. SQLite keeps these tables in primary-key
order (WITHOUT ROWID), so its seeks are already local, and it gets no index.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_report_weeks_week", "report_weeks", "week"),
    ("ix_report_topic_weeks_week", "report_topic_weeks", "week"),
    ("ix_report_days_day", "report_days", "day"),
    ("ix_report_topic_days_day", "report_topic_days", "day"),
)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, column in INDEXES:
        op.create_index(name, table, [column])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name, table, _ in INDEXES:
        op.drop_index(name, table_name=table)
