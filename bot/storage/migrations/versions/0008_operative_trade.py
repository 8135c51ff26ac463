"""Operatives' trade, so that scenarios written for one trade go only to it.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("operatives")}
    if "trade" not in columns:  # left in place by a downgrade on SQLite (see below)
        op.add_column("operatives", sa.Column("trade", sa.String(length=32), nullable=True))


def downgrade() -> None:
    # SQLite can only drop a column by rebuilding the table, and dropping the old
    # operatives table would cascade to every row that refers to an operative. An
    # unused column is harmless there, so it stays.
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("operatives", "trade")
