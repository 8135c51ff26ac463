"""Whether someone chose to get the daily scenarios: facilitators, managers and admins
don't unless they turn them on; NULL means the role decides.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("operatives")}
    if "daily_prompts" not in columns:  # left in place by a downgrade on SQLite (see below)
        op.add_column("operatives", sa.Column("daily_prompts", sa.Boolean(), nullable=True))


def downgrade() -> None:
    # As in 0008: SQLite would have to rebuild the operatives table, cascading to every
    # row that refers to an operative; an unused column is harmless, so it stays there.
    if op.get_bind().dialect.name != "sqlite":
        op.drop_column("operatives", "daily_prompts")
