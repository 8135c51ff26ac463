"""Operatives: the people who talk to the bot, their settings and state."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import (
    Row,
    Table,
    bindparam,
    select,
    update,
)

from bot.core.model import (
    Operative,
    Role,
    Status,
    days_to_mask,
    mask_to_days,
)
from bot.storage.models import (
    OperativeRow,
)
from bot.storage.repositories.base import Repository


def operative_from_row(row: OperativeRow | Row[Any]) -> Operative:
    """From the entity, or a plain row of the table (the same names)."""
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
        trade=row.trade,
        daily_prompts=row.daily_prompts,
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
    row.trade = operative.trade
    row.daily_prompts = operative.daily_prompts
    if operative.created_at is not None:
        row.created_at = operative.created_at


_OPERATIVES = cast(Table, OperativeRow.__table__)
#: Built once: every update starts with it.
_LOCK = (
    select(_OPERATIVES)
    .where(_OPERATIVES.c.telegram_id == bindparam("telegram_id"))
    .with_for_update()
)


class SqlOperatives(Repository):
    def _row(self, telegram_id: int) -> OperativeRow | None:
        query = select(OperativeRow).where(OperativeRow.telegram_id == telegram_id)
        return self._session.scalars(query).one_or_none()

    def get(self, telegram_id: int) -> Operative | None:
        row = self._row(telegram_id)
        return operative_from_row(row) if row else None

    def lock(self, telegram_id: int) -> Operative | None:
        # SELECT ... FOR UPDATE on PostgreSQL. SQLite ignores it: there, one writer at a
        # time is the rule anyway, and a stale write fails rather than wins. Every update
        # starts here: a plain row costs a third of an ORM entity's CPU (``save`` loads
        # the entity when there is a change to write).
        row = self._session.execute(_LOCK, {"telegram_id": telegram_id}).one_or_none()
        return operative_from_row(row) if row else None

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

    def by_id(self, operative_id: int) -> Operative | None:
        row = self._session.get(OperativeRow, operative_id)
        return operative_from_row(row) if row else None

    def set_awaiting_many(self, changes: list[tuple[int, str]]) -> None:
        if changes:
            self._session.execute(
                update(OperativeRow),
                [{"id": operative_id, "awaiting": awaiting} for operative_id, awaiting in changes],
            )

    def with_status(
        self, statuses: Iterable[Status], cohort_id: int | None = None
    ) -> list[Operative]:
        query = select(OperativeRow).where(OperativeRow.status.in_([s.value for s in statuses]))
        if cohort_id is not None:
            query = query.where(OperativeRow.cohort_id == cohort_id)
        rows = self._session.scalars(query.order_by(OperativeRow.id))
        return [operative_from_row(row) for row in rows]
