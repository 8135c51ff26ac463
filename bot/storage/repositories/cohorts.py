"""Workshop cohorts (groups), their invite codes and members."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import (
    func,
    select,
    update,
)

from bot.core.model import (
    Cohort,
)
from bot.storage.models import (
    CohortRow,
    OperativeRow,
)
from bot.storage.repositories.base import Repository


def _cohort(row: CohortRow) -> Cohort:
    return Cohort(
        id=row.id,
        name=row.name,
        invite_code=row.invite_code,
        workshop_date=row.workshop_date,
        created_by=row.created_by,
        closed_at=row.closed_at,
        created_at=row.created_at,
    )


class SqlCohorts(Repository):
    def add(self, cohort: Cohort) -> Cohort:
        row = CohortRow(
            name=cohort.name,
            invite_code=cohort.invite_code,
            workshop_date=cohort.workshop_date,
            created_by=cohort.created_by,
            closed_at=cohort.closed_at,
            created_at=cohort.created_at,
        )
        self._session.add(row)
        self._session.flush()
        cohort.id = row.id
        return cohort

    def by_code(self, invite_code: str) -> Cohort | None:
        row = self._session.scalars(
            select(CohortRow).where(CohortRow.invite_code == invite_code)
        ).one_or_none()
        return _cohort(row) if row else None

    def by_id(self, cohort_id: int) -> Cohort | None:
        row = self._session.get(CohortRow, cohort_id)
        return _cohort(row) if row else None

    def all(self) -> list[Cohort]:
        return [
            _cohort(row) for row in self._session.scalars(select(CohortRow).order_by(CohortRow.id))
        ]

    def close(self, cohort_id: int, when: datetime) -> None:
        self._session.execute(
            update(CohortRow).where(CohortRow.id == cohort_id).values(closed_at=when)
        )

    def member_counts(self, cohort_ids: Iterable[int]) -> dict[int, int]:
        rows = self._session.execute(
            select(OperativeRow.cohort_id, func.count())
            .where(OperativeRow.cohort_id.in_(list(cohort_ids)))
            .group_by(OperativeRow.cohort_id)
        )
        return {int(cohort_id): int(count) for cohort_id, count in rows if cohort_id is not None}

    def created_by(self, telegram_id: int) -> list[Cohort]:
        rows = self._session.scalars(
            select(CohortRow).where(CohortRow.created_by == telegram_id).order_by(CohortRow.id)
        )
        return [_cohort(row) for row in rows]
