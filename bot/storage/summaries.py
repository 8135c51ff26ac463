"""Kept report summaries: the figures of a week or month whose records retention deleted.

:class:`KeptReports` is what the unit of work hands the core as ``uow.reports``:
the SQL aggregates of :class:`SqlReports`, except that a period reaching back
before the day records are kept in full from is read from the kept summary of
that very week or month when there is one (the same figures it showed before
the records went), and is marked ``kept_from`` either way, so the manager is told.
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.jobs.retention import scope_key
from bot.core.reports.ports import (
    Activity,
    CommitmentFigures,
    Figures,
    Membership,
    Period,
    Scope,
    TopicFigures,
    Weekly,
)
from bot.storage.models import ReportSummaryRow
from bot.storage.reporting import SqlReports

WEEK = "week"
MONTH = "month"


def unit_of(period: Period) -> str:
    return WEEK if period.days == 7 and period.first.weekday() == 0 else MONTH


def encode(figures: Figures) -> dict[str, Any]:
    """Figures as JSON: counts, rates' parts and medians; no names, no words."""
    return {
        "membership": asdict(figures.membership),
        "weekly": {
            "total": asdict(figures.weekly.total),
            "weeks": [[monday.isoformat(), asdict(week)] for monday, week in figures.weekly.weeks],
        },
        "topics": [asdict(topic) for topic in figures.topics],
        "streaks": list(figures.streaks),
        "commitments": asdict(figures.commitments),
    }


def decode(data: dict[str, Any]) -> Figures:
    weekly = data["weekly"]
    return Figures(
        Membership(**data["membership"]),
        Weekly(
            Activity(**weekly["total"]),
            tuple(
                (date.fromisoformat(monday), Activity(**week)) for monday, week in weekly["weeks"]
            ),
        ),
        tuple(TopicFigures(**topic) for topic in data["topics"]),
        tuple(int(count) for count in data["streaks"]),
        CommitmentFigures(**data["commitments"]),
    )


def kept_from(session: Session) -> date | None:
    """The day records are kept in full from: the day after the last week summarised."""
    last = session.scalar(
        select(func.max(ReportSummaryRow.last_day)).where(ReportSummaryRow.unit == WEEK)
    )
    if last is None:
        return None
    if isinstance(last, str):  # SQLite hands back an aggregate of dates as text
        last = date.fromisoformat(last)
    return last + timedelta(days=1)


def find(session: Session, key: str, period: Period) -> Figures | None:
    data = session.scalar(
        select(ReportSummaryRow.figures).where(
            ReportSummaryRow.scope == key,
            ReportSummaryRow.first_day == period.first,
            ReportSummaryRow.last_day == period.last,
            ReportSummaryRow.timezone == period.timezone,
        )
    )
    return decode(data) if data is not None else None


def keep(session: Session, key: str, period: Period, figures: Figures, now: datetime) -> None:
    session.add(
        ReportSummaryRow(
            scope=key,
            unit=unit_of(period),
            first_day=period.first,
            last_day=period.last,
            timezone=period.timezone,
            figures=encode(figures),
            created_at=now,
        )
    )
    session.flush()


class KeptReports(SqlReports):
    """The report queries, reading kept summaries for periods whose records are gone."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self._kept_from: date | None = None
        self._looked = False

    def kept_from(self) -> date | None:
        if not self._looked:
            self._kept_from, self._looked = kept_from(self._session), True
        return self._kept_from

    def figures(self, scope: Scope, period: Period) -> Figures:
        since = self.kept_from()
        if since is None or period.first >= since:
            return super().figures(scope, period)
        kept = find(self._session, scope_key(scope), period)
        if kept is not None:
            return replace(kept, kept_from=since, summary=True)
        return replace(super().figures(scope, period), kept_from=since)

    def weekly(self, scope: Scope, period: Period) -> Weekly:
        since = self.kept_from()
        if since is not None and period.first < since:
            kept = find(self._session, scope_key(scope), period)
            if kept is not None:
                return kept.weekly
        return super().weekly(scope, period)
