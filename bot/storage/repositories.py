"""Repositories: domain objects in, domain objects out; SQL stays in here."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.core.model import Cohort, ContentGap, EngagementEvent, Operative, Role, Status
from bot.storage.models import CohortRow, ContentGapRow, EventRow, OperativeRow


def days_to_mask(days: frozenset[int]) -> int:
    return sum(1 << day for day in days)


def mask_to_days(mask: int) -> frozenset[int]:
    return frozenset(day for day in range(7) if mask & (1 << day))


def _operative(row: OperativeRow) -> Operative:
    return Operative(
        id=row.id,
        telegram_id=row.telegram_id,
        display_name=row.display_name,
        role=Role(row.role),
        cohort_id=row.cohort_id,
        timezone=row.timezone,
        prompt_time=row.prompt_time,
        working_days=mask_to_days(row.working_days),
        status=Status(row.status),
        paused_until=row.paused_until,
        awaiting=row.awaiting,
        created_at=row.created_at,
    )


def _copy_into(row: OperativeRow, operative: Operative) -> None:
    row.telegram_id = operative.telegram_id
    row.display_name = operative.display_name
    row.role = operative.role.value
    row.cohort_id = operative.cohort_id
    row.timezone = operative.timezone
    row.prompt_time = operative.prompt_time
    row.working_days = days_to_mask(operative.working_days)
    row.status = operative.status.value
    row.paused_until = operative.paused_until
    row.awaiting = operative.awaiting
    if operative.created_at is not None:
        row.created_at = operative.created_at


class SqlOperatives:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _row(self, telegram_id: int) -> OperativeRow | None:
        return self._session.scalars(
            select(OperativeRow).where(OperativeRow.telegram_id == telegram_id)
        ).one_or_none()

    def get(self, telegram_id: int) -> Operative | None:
        row = self._row(telegram_id)
        return _operative(row) if row else None

    def add(self, operative: Operative) -> Operative:
        row = OperativeRow()
        _copy_into(row, operative)
        self._session.add(row)
        self._session.flush()
        operative.id = row.id
        operative.created_at = row.created_at
        return operative

    def save(self, operative: Operative) -> None:
        row = self._row(operative.telegram_id)
        if row is None:
            raise LookupError("no such operative")
        _copy_into(row, operative)

    def erase(self, telegram_id: int) -> bool:
        row = self._row(telegram_id)
        if row is None:
            return False
        self._session.execute(delete(EventRow).where(EventRow.operative_id == row.id))
        self._session.execute(delete(ContentGapRow).where(ContentGapRow.operative_id == row.id))
        self._session.delete(row)
        return True


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


class SqlCohorts:
    def __init__(self, session: Session) -> None:
        self._session = session

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

    def created_by(self, telegram_id: int) -> list[Cohort]:
        rows = self._session.scalars(
            select(CohortRow).where(CohortRow.created_by == telegram_id).order_by(CohortRow.id)
        )
        return [_cohort(row) for row in rows]


class SqlEventLog:
    def __init__(self, session: Session) -> None:
        self._session = session

    def record(self, event: EngagementEvent) -> None:
        self._session.add(
            EventRow(
                type=event.type,
                operative_id=event.operative_id,
                occurred_at=event.occurred_at,
                payload=event.payload,
            )
        )

    def of(self, operative_id: int, type_: str | None = None) -> list[EngagementEvent]:
        query = select(EventRow).where(EventRow.operative_id == operative_id)
        if type_ is not None:
            query = query.where(EventRow.type == type_)
        rows = self._session.scalars(query.order_by(EventRow.occurred_at, EventRow.id))
        return [EngagementEvent(r.type, r.operative_id, r.occurred_at, r.payload) for r in rows]


class SqlContentGaps:
    def __init__(self, session: Session) -> None:
        self._session = session

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
