"""Retention on SQL: summaries of old weeks and months, then deletes in batches of ids.

The policy (what goes when, what is kept instead) is in ``bot.core.jobs.retention``.
Deletes walk the primary key in windows, so each transaction is short and the
bot goes on answering while a first run clears years of records.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from bot.core.model import Delivery, EventType, Role
from bot.core.ports import Record
from bot.core.reports.ports import Period, Scope
from bot.storage import rollups, summaries
from bot.storage.models import (
    ContentGapRow,
    DayRollupRow,
    DayTopicRollupRow,
    EventRow,
    OperativeRow,
    OutboxRow,
    PromptReplyRow,
    ReportSummaryRow,
    StatusChangeRow,
    TopicRollupRow,
    WeekRollupRow,
)
from bot.storage.reporting import SqlReports

#: The events that say what someone's status became; the latest of each person's stays.
STATUS_EVENTS = [
    EventType.ENROLLED.value,
    EventType.PAUSED.value,
    EventType.RESUMED.value,
    EventType.STOPPED.value,
    EventType.UNREACHABLE.value,
]
#: Outbox messages that have reached an end (a pending one, however old, stays).
FINISHED = [
    Delivery.SENT.value,
    Delivery.FAILED.value,
    Delivery.UNREACHABLE.value,
    Delivery.CANCELLED.value,
    Delivery.UNCERTAIN.value,
]


def _aware(value: datetime | str | None) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class SqlRetention:
    def __init__(self, session: Session) -> None:
        self._session = session

    def summarised_until(self) -> date | None:
        return summaries.kept_from(self._session)

    def earliest_activity(self) -> datetime | None:
        found = [
            _aware(self._session.scalar(select(func.min(column))))
            for column in (
                EventRow.occurred_at,
                PromptReplyRow.sent_at,
                ContentGapRow.created_at,
            )
        ]
        moments = [moment for moment in found if moment is not None]
        return min(moments) if moments else None

    def staff_timezones(self) -> set[str]:
        return set(
            self._session.scalars(
                select(OperativeRow.timezone)
                .where(OperativeRow.role != Role.OPERATIVE.value)
                .distinct()
            )
        )

    def has_summary(self, scope_key: str, period: Period) -> bool:
        return bool(
            self._session.scalar(
                select(
                    exists().where(
                        ReportSummaryRow.scope == scope_key,
                        ReportSummaryRow.first_day == period.first,
                        ReportSummaryRow.last_day == period.last,
                        ReportSummaryRow.timezone == period.timezone,
                    )
                )
            )
        )

    def summarise(self, scope_key: str, scope: Scope, period: Period, now: datetime) -> None:
        # The very queries a report runs, on the records as they still are.
        figures = SqlReports(self._session).figures(scope, period)
        summaries.keep(self._session, scope_key, period, figures, now)

    def forget_rollups(self, before: datetime) -> int:
        zone = ZoneInfo(rollups.rollup_zone(self._session))

        def first_week(moment: datetime) -> int:
            """The first week wholly on or after ``moment``'s day (in any zone)."""
            return rollups.monday(rollups.day_of(moment, zone) - 1)

        gone = 0
        # By week, and by day the days of those same weeks.
        for table, counted in (
            (WeekRollupRow, WeekRollupRow.week),
            (TopicRollupRow, TopicRollupRow.week),
            (DayRollupRow, DayRollupRow.day),
            (DayTopicRollupRow, DayTopicRollupRow.day),
        ):
            result = self._session.execute(
                delete(table)
                .where(counted < first_week(before))
                .execution_options(synchronize_session=False)
            )
            gone += int(result.rowcount or 0)  # type: ignore[attr-defined]
        newer = aliased(StatusChangeRow)
        change = StatusChangeRow
        superseded = (
            select(newer.id)
            .where(
                newer.operative_id == change.operative_id,
                newer.changed_at < before,
                or_(
                    newer.changed_at > change.changed_at,
                    and_(newer.changed_at == change.changed_at, newer.id > change.id),
                ),
            )
            .exists()
        )
        result = self._session.execute(
            delete(change)
            .where(change.changed_at < before, superseded)
            .execution_options(synchronize_session=False)
        )
        return gone + int(result.rowcount or 0)  # type: ignore[attr-defined]

    def forget_gap_words(self, before: datetime) -> int:
        result = self._session.execute(
            update(ContentGapRow)
            .where(
                ContentGapRow.created_at < before,
                or_(ContentGapRow.text != "", ContentGapRow.operative_id.is_not(None)),
            )
            .values(text="", operative_id=None)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def _table(self, record: Record, before: datetime) -> tuple[Any, Any]:
        """(the id column, the condition) of the records to delete."""
        if record is Record.EVENTS:
            newer = aliased(EventRow)
            newer_status = (
                select(newer.id)
                .where(
                    newer.operative_id == EventRow.operative_id,
                    newer.type.in_(STATUS_EVENTS),
                    newer.occurred_at < before,
                    or_(
                        newer.occurred_at > EventRow.occurred_at,
                        and_(newer.occurred_at == EventRow.occurred_at, newer.id > EventRow.id),
                    ),
                )
                .exists()
            )
            return EventRow.id, and_(
                EventRow.occurred_at < before,
                or_(EventRow.type.not_in(STATUS_EVENTS), newer_status),
            )
        if record is Record.PROMPTS:
            return PromptReplyRow.id, PromptReplyRow.sent_at < before
        if record is Record.GAPS:
            return ContentGapRow.id, ContentGapRow.created_at < before
        return OutboxRow.id, and_(OutboxRow.created_at < before, OutboxRow.status.in_(FINISHED))

    def id_span(self, record: Record, before: datetime) -> tuple[int, int] | None:
        column, condition = self._table(record, before)
        row = self._session.execute(
            select(func.min(column), func.max(column)).where(condition)
        ).one()
        low: int | None = row[0]
        high: int | None = row[1]
        return None if low is None or high is None else (low, high)

    def delete(self, record: Record, before: datetime, first_id: int, stop_id: int) -> int:
        column, condition = self._table(record, before)
        result = self._session.execute(
            delete(column.table)
            .where(column >= first_id, column < stop_id, condition)
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]
