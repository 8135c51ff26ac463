"""Facilitators' follow-up messages to a cohort."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    select,
    update,
)

from bot.core.model import (
    FollowUp,
    FollowUpStatus,
)
from bot.storage.models import (
    FollowUpRow,
)
from bot.storage.repositories.base import Repository


def _follow_up(row: FollowUpRow) -> FollowUp:
    return FollowUp(
        id=row.id,
        cohort_id=row.cohort_id,
        author_id=row.author_id,
        text=row.text,
        status=FollowUpStatus(row.status),
        send_at=row.send_at,
        created_at=row.created_at,
    )


class SqlFollowUps(Repository):
    def add(self, follow_up: FollowUp) -> FollowUp:
        row = FollowUpRow(
            cohort_id=follow_up.cohort_id,
            author_id=follow_up.author_id,
            text=follow_up.text,
            status=follow_up.status.value,
            send_at=follow_up.send_at,
            created_at=follow_up.created_at,
        )
        self._session.add(row)
        self._session.flush()
        follow_up.id = row.id
        return follow_up

    def get(self, follow_up_id: int) -> FollowUp | None:
        row = self._session.get(FollowUpRow, follow_up_id)
        return _follow_up(row) if row else None

    def set_status(
        self, follow_up_id: int, status: FollowUpStatus, send_at: datetime | None = None
    ) -> None:
        values: dict[str, object] = {"status": status.value}
        if send_at is not None:
            values["send_at"] = send_at
        self._session.execute(
            update(FollowUpRow).where(FollowUpRow.id == follow_up_id).values(**values)
        )

    def with_status(self, status: FollowUpStatus) -> list[FollowUp]:
        rows = self._session.scalars(
            select(FollowUpRow).where(FollowUpRow.status == status.value).order_by(FollowUpRow.id)
        )
        return [_follow_up(row) for row in rows]
