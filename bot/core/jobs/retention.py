"""How long the bot keeps what it records, and what it keeps after that.

    retention = Retention(uow_factory, clock, months=24, timezone="Europe/London")
    done = retention.run()          # idempotent; the bot runs it once a day

- Engagement events (prompt sent, answered, verdict, paused...) are kept for
  ``months`` (``COACHBOT_RETENTION_MONTHS``, 24 by default). Before they go,
  every whole week and calendar month they touch is summarised: the figures a
  report shows for it (counts only, never a name or a word typed), for everyone,
  for each group, and for each facilitator's groups together. Asked for again,
  such a week or month shows exactly the figures it showed before.
- Each person's latest status change (enrolled, paused, stopped...) is kept while
  they are enrolled: reports need it to know who was active later on.
- Prompts and their first replies stay four weeks longer: a streak lapses after
  four weeks without a prompt, so a streak on any day kept in full is still there.
- The words of unanswered questions (content gaps) go after 12 months: only the
  fact that a question went unanswered, its week and group, stays for the counts.
- Outbox messages that have reached an end go with the events of their time, and
  so do each person's report rollups, by week and by day (the counts kept for
  everyone stay).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.core.model import Cohort
from bot.core.ports import Clock, Record, UnitOfWorkFactory
from bot.core.reports.ports import STREAK_WINDOW, Period, Scope

DEFAULT_MONTHS: Final = 24
#: The words of a question the coach couldn't answer are kept this long.
GAP_WORDS_MONTHS: Final = 12
#: Rows deleted per transaction, so the bot keeps answering while retention runs.
BATCH: Final = 5_000


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    first = date(year, month + 1, 1)
    return min(first + timedelta(days=day.day - 1), next_month(first) - timedelta(days=1))


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def boundary_day(now: datetime, months: int, timezone: str) -> date:
    """The Monday (local) on or before the day ``months`` months ago: records from
    before it are summarised and deleted. A Monday, so no week is cut in two."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return monday_of(months_before(today, months))


def scope_key(scope: Scope) -> str:
    """How a scope is named in the summaries: ``all``, or its cohort ids, sorted."""
    if scope.cohort_ids is None:
        return "all"
    return ",".join(str(cohort_id) for cohort_id in sorted(scope.cohort_ids))


@dataclass(frozen=True)
class RetentionDone:
    """What one run did."""

    #: Records from before this local day are now kept only as summaries.
    kept_from: date
    summaries: int = 0
    events: int = 0
    prompts: int = 0
    gaps: int = 0
    gap_words: int = 0
    outbox: int = 0
    rollups: int = 0

    def line(self) -> str:
        return (
            f"kept in full from {self.kept_from}: {self.summaries} week and month summaries "
            f"written; deleted {self.events} events, {self.prompts} prompt records, "
            f"{self.gaps} unanswered questions, {self.outbox} outbox messages and "
            f"{self.rollups} report rows per person (by week and day); "
            f"forgot the words of {self.gap_words} older unanswered questions"
        )


@dataclass
class Retention:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    months: int = DEFAULT_MONTHS
    #: The deployment's time zone: weeks and months are summarised in it (and in the
    #: zones of managers and facilitators, whose reports use their own).
    timezone: str = "Europe/London"

    def run(self) -> RetentionDone:
        now = self.clock()
        kept_from = boundary_day(now, self.months, self.timezone)
        gap_words = self._forget_gap_words(now)
        with self.uow_factory() as uow:
            zones = sorted({self.timezone} | uow.retention.staff_timezones())
            done_until = uow.retention.summarised_until()
            earliest = uow.retention.earliest_activity()
            cohorts = uow.cohorts.all()
        summaries = 0
        if earliest is not None and (done_until is None or done_until < kept_from):
            start = done_until or earliest.astimezone(ZoneInfo(self.timezone)).date()
            for period in self._units(start, kept_from, zones, first_run=done_until is None):
                summaries += self._summarise(period, cohorts)
        # The earliest local midnight of the boundary day in any zone reports use:
        # nothing a kept-in-full period needs is deleted.
        cut = min(Period(kept_from, kept_from, zone).start for zone in zones)
        return RetentionDone(
            kept_from,
            summaries,
            events=self._delete(Record.EVENTS, cut),
            prompts=self._delete(Record.PROMPTS, cut - STREAK_WINDOW),
            gaps=self._delete(Record.GAPS, cut),
            gap_words=gap_words,
            outbox=self._delete(Record.OUTBOX, cut),
            rollups=self._forget_rollups(cut),
        )

    def _forget_rollups(self, before: datetime) -> int:
        with self.uow_factory() as uow:
            count = uow.retention.forget_rollups(before)
            uow.commit()
        return count

    def _forget_gap_words(self, now: datetime) -> int:
        day = months_before(now.astimezone(UTC).date(), GAP_WORDS_MONTHS)
        with self.uow_factory() as uow:
            count = uow.retention.forget_gap_words(datetime.combine(day, datetime.min.time(), UTC))
            uow.commit()
        return count

    @staticmethod
    def _units(start: date, until: date, zones: list[str], *, first_run: bool) -> Iterator[Period]:
        """Each whole week and calendar month from ``start`` that begins before ``until``.
        After the first run ``start`` is the last run's boundary, and a month that began
        before it was summarised then."""
        for zone in zones:
            monday = monday_of(start)
            while monday < until:
                yield Period(monday, monday + timedelta(days=6), zone)
                monday += timedelta(weeks=1)
            month = first_of_month(start) if first_run or start.day == 1 else next_month(start)
            while month < until:
                yield Period(month, next_month(month) - timedelta(days=1), zone)
                month = next_month(month)

    def _summarise(self, period: Period, cohorts: list[Cohort]) -> int:
        """Keep this week's or month's figures for every scope a report can ask for."""
        written = 0
        with self.uow_factory() as uow:
            for scope in _scopes(cohorts, period):
                key = scope_key(scope)
                if not uow.retention.has_summary(key, period):
                    uow.retention.summarise(key, scope, period, self.clock())
                    written += 1
            uow.commit()
        return written

    def _delete(self, record: Record, before: datetime) -> int:
        with self.uow_factory() as uow:
            span = uow.retention.id_span(record, before)
        if span is None:
            return 0
        deleted = 0
        low, high = span
        for first in range(low, high + 1, BATCH):
            with self.uow_factory() as uow:
                deleted += uow.retention.delete(record, before, first, first + BATCH)
                uow.commit()
        return deleted


def _scopes(cohorts: list[Cohort], period: Period) -> list[Scope]:
    """Everyone; each group that existed by the end of the period; and each facilitator's
    groups together (as /summary shows a facilitator with more than one)."""
    end = period.end
    scopes = [Scope()]
    by_creator: dict[int, set[int]] = {}
    for cohort in cohorts:
        if cohort.id is None:
            continue
        if cohort.created_at is None or cohort.created_at < end:
            scopes.append(Scope(frozenset({cohort.id})))
        if cohort.created_by is not None:
            by_creator.setdefault(cohort.created_by, set()).add(cohort.id)
    scopes.extend(Scope(frozenset(ids)) for ids in by_creator.values() if len(ids) > 1)
    return scopes
