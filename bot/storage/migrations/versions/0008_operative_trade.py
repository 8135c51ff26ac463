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
    with op.batch_alter_table("operatives") as batch:
        batch.add_column(sa.Column("trade", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("operatives") as batch:
        batch.drop_column("trade")
