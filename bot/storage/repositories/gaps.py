"""Questions the coach couldn't answer, kept without a name for the facilitators."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    select,
)

from bot.core.model import (
    ContentGap,
)
from bot.storage.models import (
    ContentGapRow,
)
from bot.storage.repositories.base import Repository


class SqlContentGaps(Repository):
    def add(self, gap: ContentGap) -> None:
        self._session.add(
            ContentGapRow(
                text=gap.text,
                cohort_id=gap.cohort_id,
                operative_id=gap.operative_id,
                topic_guess=gap.topic_guess,
                created_at=gap.created_at,
            )
        )

    def recent(self, since: datetime, cohort_ids: list[int] | None) -> list[ContentGap]:
        query = select(ContentGapRow).where(ContentGapRow.created_at >= since)
        if cohort_ids is not None:
            query = query.where(ContentGapRow.cohort_id.in_(cohort_ids))
        rows = self._session.scalars(query.order_by(ContentGapRow.created_at.desc()).limit(200))
        return [
            ContentGap(r.text, r.cohort_id, r.operative_id, r.topic_guess, r.created_at)
            for r in rows
        ]
