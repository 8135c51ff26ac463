"""The weekly digest for managers, queued through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.core.coaching import Coach
    from bot.core.ports import UnitOfWork


def queue_weekly_digests(coach: Coach, uow: UnitOfWork, now: datetime) -> int:
    """Queue each manager's Monday 08:00 digest; filled in by the reporting work (issue 6)."""
    return 0
