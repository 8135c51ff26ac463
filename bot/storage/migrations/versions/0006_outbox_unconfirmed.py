"""Outbox: count the sends whose outcome was never known (possible duplicates).

A message caught mid-send by a crash, or whose answer from Telegram was lost, is
sent again rather than dropped; ``unconfirmed`` counts how often that happened to
it, so duplicates are counted, not guessed. Messages an older version marked
``uncertain`` stay as they were.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("unconfirmed", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("unconfirmed")
