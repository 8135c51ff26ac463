"""Report figures from the rollups (``bot.storage.rollups``): a few rows per operative.

Used for every period in the rollup zone (the deployment's): the weeks it covers
whole (Monday to Sunday) are read by week, and the days of a partial week at either
end (a month, a date range, "this week") by day, so a period reads at most six days
at each end by day. A period in another zone (a manager elsewhere) is computed from
the records (``bot.storage.reporting``), with the same definitions; the tests check
that both give the same figures.

Each query starts from the operatives in scope (their current role and group)
and seeks their rows of the period's weeks (or days) by primary key, so its cost
follows the number of operatives, not the length of the history. The median reply
time for everyone comes from the delay counts: the counts by minute find the minute
of the middle reply, and only that minute's counts by second are read.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from bot.core.model import Role
from bot.core.reports.ports import (
    Activity,
    Period,
    Scope,
    TopicFigures,
    Weekly,
)
from bot.storage import rollups
from bot.storage.models import (
    DayDelayRollupRow,
    DayMinuteRollupRow,
    DayRollupRow,
    DayTopicRollupRow,
    DelayMinuteRollupRow,
    DelayRollupRow,
    OperativeRow,
    PromptReplyRow,
    TopicRollupRow,
    WeekRollupRow,
)

EPOCH = date(1970, 1, 1)
#: Keys of the figures for the whole period (weeks are their Monday's day number).
TOTAL = -1


def day_number(day: date) -> int:
    return (day - EPOCH).days


def in_scope(scope: Scope) -> ColumnElement[bool]:
    condition = OperativeRow.role == Role.OPERATIVE.value
    if scope.cohort_ids is not None:
        condition = and_(condition, OperativeRow.cohort_id.in_(sorted(scope.cohort_ids)))
    return condition


def positive(column: Any) -> ColumnElement[int]:
    return func.sum(case((column > 0, 1), else_=0))


@dataclass(frozen=True)
class Span:
    """A period's days as the rollups hold them: the whole weeks it covers (the first
    and last Monday, or None), and the days of its partial weeks (first and last day,
    with their week's Monday), all as day numbers."""

    weeks: tuple[int, int] | None
    days: tuple[tuple[int, int, int], ...]

    @classmethod
    def of(cls, period: Period) -> Span:
        first, last = day_number(period.first), day_number(period.last)
        whole = [
            day_number(monday)
            for monday in period.weeks
            if day_number(monday) >= first and day_number(monday) + 6 <= last
        ]
        days = []
        for monday in period.weeks:
            start = day_number(monday)
            if start in whole:
                continue
            days.append((max(start, first), min(start + 6, last), start))
        return cls((whole[0], whole[-1]) if whole else None, tuple(days))


class RollupReports:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._zone: str | None = None

    def _rows(self, query: Executable) -> Iterator[tuple[Any, ...]]:
        for row in self._session.execute(query):
            yield tuple(row)

    def covers(self, period: Period) -> bool:
        """Any period in the rollup zone."""
        if self._zone is None:
            self._zone = rollups.rollup_zone(self._session)
        return period.timezone == self._zone

    def activity(
        self, scope: Scope, period: Period, gaps: dict[int, int], *, full: bool
    ) -> tuple[Weekly, tuple[TopicFigures, ...]]:
        """Weekly activity and (if ``full``) topics. Streaks are not here: the reports
        read them with the one streak rule (``SqlReports._streaks``) for every period."""
        span = Span.of(period)
        counts = self._counts(scope, span)
        medians = self._medians(scope, period, span)
        mondays = [day_number(monday) for monday in period.weeks]

        def activity(key: int, index: int) -> Activity:
            values = counts.get(key, (0,) * 7)
            return Activity(
                prompts=values[0],
                prompted=values[1],
                replies=values[2],
                median_reply_seconds=medians.get(key),
                active=values[6],
                gaps=gaps.get(index, 0),
                practice=values[3],
                practising=values[4],
                practice_answered=values[5],
            )

        weekly = Weekly(
            activity(TOTAL, -1),
            tuple(
                (monday, activity(key, index))
                for index, (monday, key) in enumerate(zip(period.weeks, mondays, strict=True))
            ),
        )
        if not full:
            return weekly, ()
        return weekly, self._topics(scope, span)

    def _parts(self, scope: Scope, span: Span, weekly: Any, daily: Any, *columns: str) -> Any:
        """Each operative in scope with their rows of the span: (op, week, columns...),
        whole weeks from ``weekly`` and each partial week's days from ``daily``, summed
        into one row per operative for that week. One statement, or a union of them."""
        parts: list[Select[Any]] = []
        if span.weeks is not None:
            parts.append(
                select(
                    OperativeRow.id.label("op"),
                    weekly.week.label("week"),
                    *(getattr(weekly, name).label(name) for name in columns),
                )
                .select_from(OperativeRow)
                .join(
                    weekly,
                    and_(weekly.operative_id == OperativeRow.id, weekly.week.between(*span.weeks)),
                )
                .where(in_scope(scope))
            )
        for first, last, monday in span.days:
            parts.append(
                select(
                    OperativeRow.id.label("op"),
                    literal(monday).label("week"),
                    *(func.sum(getattr(daily, name)).label(name) for name in columns),
                )
                .select_from(OperativeRow)
                .join(
                    daily,
                    and_(daily.operative_id == OperativeRow.id, daily.day.between(first, last)),
                )
                .where(in_scope(scope))
                .group_by(OperativeRow.id)
            )
        if len(parts) == 1:
            return parts[0].subquery("rows")
        return union_all(*parts).subquery("rows")

    def _counts(self, scope: Scope, span: Span) -> dict[int, tuple[int, ...]]:
        """(prompts, prompted, answered, practice, practising, practice answered, active)
        by week and for the whole period."""
        w = self._parts(
            scope,
            span,
            WeekRollupRow,
            DayRollupRow,
            "prompts",
            "answered",
            "practice",
            "practice_answered",
            "replies",
        ).c
        found: dict[int, tuple[int, ...]] = {}
        per_week = select(
            w.week,
            func.sum(w.prompts),
            positive(w.prompts),
            func.sum(w.answered),
            func.sum(w.practice),
            positive(w.practice),
            func.sum(w.practice_answered),
            positive(w.replies),
        ).group_by(w.week)
        for week, *values in self._rows(per_week):
            found[int(week)] = tuple(int(value or 0) for value in values)
        per_operative = (
            select(
                func.sum(w.prompts).label("prompts"),
                func.sum(w.answered).label("answered"),
                func.sum(w.practice).label("practice"),
                func.sum(w.practice_answered).label("practice_answered"),
                func.sum(w.replies).label("replies"),
            )
            .group_by(w.op)
            .subquery("per_operative")
        )
        p = per_operative.c
        total = select(
            func.sum(p.prompts),
            positive(p.prompts),
            func.sum(p.answered),
            func.sum(p.practice),
            positive(p.practice),
            func.sum(p.practice_answered),
            positive(p.replies),
        )
        for row in self._rows(total):
            found[TOTAL] = tuple(int(value or 0) for value in row)
        return found

    def _topics(self, scope: Scope, span: Span) -> tuple[TopicFigures, ...]:
        parts: list[Select[Any]] = []
        verdicts = ("answers", "strong", "partial", "concern")
        if span.weeks is not None:
            t = TopicRollupRow
            parts.append(
                select(OperativeRow.id.label("op"), t.topic, *(getattr(t, v) for v in verdicts))
                .select_from(OperativeRow)
                .join(t, and_(t.operative_id == OperativeRow.id, t.week.between(*span.weeks)))
                .where(in_scope(scope), t.answers > 0)
            )
        for first, last, _ in span.days:
            d = DayTopicRollupRow
            parts.append(
                select(OperativeRow.id.label("op"), d.topic, *(getattr(d, v) for v in verdicts))
                .select_from(OperativeRow)
                .join(d, and_(d.operative_id == OperativeRow.id, d.day.between(first, last)))
                .where(in_scope(scope), d.answers > 0)
            )
        rows = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery("topic_rows")
        query = select(
            rows.c.topic,
            func.sum(rows.c.answers),
            func.count(rows.c.op.distinct()),
            func.sum(rows.c.strong),
            func.sum(rows.c.partial),
            func.sum(rows.c.concern),
        ).group_by(rows.c.topic)
        found = sorted(self._rows(query), key=lambda row: str(row[0]))
        return tuple(
            TopicFigures(str(row[0]), *(int(value or 0) for value in row[1:])) for row in found
        )

    # -- medians -----------------------------------------------------------------

    def _medians(self, scope: Scope, period: Period, span: Span) -> dict[int, float]:
        """The median delay from a daily prompt to its first reply, by week and overall."""
        if scope.cohort_ids is not None:
            return self._medians_of_members(scope, period)
        # Everyone: the counts kept for everyone, less those of staff (few of them).
        staff = self._staff_delays(period)
        coarse: dict[int, Counter[int]] = {}
        m, dm = DelayMinuteRollupRow, DayMinuteRollupRow
        minute_parts: list[Any] = []
        if span.weeks is not None:
            minute_parts.append(
                select(m.week, m.minute, m.replies).where(
                    m.week.between(*span.weeks), m.replies != 0
                )
            )
        for first, last, monday in span.days:
            minute_parts.append(
                select(literal(monday), dm.minute, dm.replies).where(
                    dm.day.between(first, last), dm.replies != 0
                )
            )
        for week, minute, replies in self._rows(union_all(*minute_parts)):
            coarse.setdefault(int(week), Counter())[int(minute)] += int(replies)
        for (week, second), count in staff.items():
            coarse.setdefault(week, Counter())[second // 60] -= count
        coarse[TOTAL] = sum(coarse.values(), Counter())
        # Which minutes hold the middle replies, for each week and overall.
        wanted: dict[int, set[int]] = {}
        for key, minutes in coarse.items():
            wanted[key] = set(_middle_minutes(minutes))
        pairs = {(week, minute) for week in coarse if week != TOTAL for minute in wanted[week]}
        pairs |= {(week, minute) for week in coarse if week != TOTAL for minute in wanted[TOTAL]}
        fine: dict[int, Counter[int]] = {}
        if pairs:
            d, dd = DelayRollupRow, DayDelayRollupRow
            whole = span.weeks or (0, -1)
            edges = {monday: (first, last) for first, last, monday in span.days}
            conditions = [
                and_(d.week == week, d.seconds.between(60 * minute, 60 * minute + 59))
                for week, minute in sorted(pairs)
                if whole[0] <= week <= whole[1]
            ]
            fine_parts: list[Any] = []
            if conditions:
                fine_parts.append(
                    select(d.week, d.seconds, d.replies).where(or_(*conditions), d.replies != 0)
                )
            day_conditions = [
                (
                    week,
                    and_(
                        dd.day.between(*edges[week]),
                        dd.seconds.between(60 * minute, 60 * minute + 59),
                    ),
                )
                for week, minute in sorted(pairs)
                if week in edges
            ]
            for week, condition in day_conditions:
                fine_parts.append(
                    select(literal(week), dd.seconds, dd.replies).where(condition, dd.replies != 0)
                )
            for week, second, replies in self._rows(union_all(*fine_parts)):
                fine.setdefault(int(week), Counter())[int(second)] += int(replies)
        for (week, second), count in staff.items():
            if (week, second // 60) in pairs:
                fine.setdefault(week, Counter())[second] -= count
        medians: dict[int, float] = {}
        for key, minutes in coarse.items():
            weeks = list(fine.values()) if key == TOTAL else [fine.get(key, Counter())]
            middle: Counter[int] = Counter()
            for counts in weeks:
                middle.update({s: n for s, n in counts.items() if s // 60 in wanted[key]})
            median = _median(minutes, middle)
            if median is not None:
                medians[key] = median
        return medians

    def _prompt_delays(
        self, condition: ColumnElement[bool], period: Period
    ) -> Iterator[tuple[int, int]]:
        """(rollup week, delay) of the daily prompts of the period answered, of whom
        ``condition`` picks."""
        row = PromptReplyRow
        zone = ZoneInfo(period.timezone)
        query = (
            select(row.sent_at, row.first_reply_at)
            .select_from(OperativeRow)
            .join(
                row,
                and_(
                    row.operative_id == OperativeRow.id,
                    row.sent_at >= period.start,
                    row.sent_at < period.end,
                ),
            )
            .where(condition, row.scheduled == true(), row.first_reply_at.is_not(None))
        )
        for sent, first in self._rows(query):
            week = rollups.monday(rollups.day_of(sent, zone))
            yield week, rollups.epoch_seconds(first) - rollups.epoch_seconds(sent)

    def _staff_delays(self, period: Period) -> Counter[tuple[int, int]]:
        # Their ids first: a handful, each sought in the prompts by the index on
        # (operative, sent), rather than every prompt of the period checked for staff.
        staff = list(
            self._session.scalars(
                select(OperativeRow.id).where(OperativeRow.role != Role.OPERATIVE.value)
            )
        )
        if not staff:
            return Counter()
        return Counter(self._prompt_delays(OperativeRow.id.in_(staff), period))

    def _medians_of_members(self, scope: Scope, period: Period) -> dict[int, float]:
        by_week: dict[int, list[int]] = {}
        for week, delay in self._prompt_delays(in_scope(scope), period):
            by_week.setdefault(week, []).append(delay)
        medians = {week: float(statistics.median(delays)) for week, delays in by_week.items()}
        everything = [delay for delays in by_week.values() for delay in delays]
        if everything:
            medians[TOTAL] = float(statistics.median(everything))
        return medians


def _middle_minutes(minutes: Counter[int]) -> Iterable[int]:
    """The minutes holding the middle one or two of the counted delays."""
    total = sum(minutes.values())
    if total <= 0:
        return []
    ranks = {(total + 1) // 2, (total + 2) // 2}
    found, seen = [], 0
    for minute in sorted(minutes):
        before, seen = seen, seen + minutes[minute]
        if any(before < rank <= seen for rank in ranks):
            found.append(minute)
    return found


def _median(minutes: Counter[int], seconds: Counter[int]) -> float | None:
    """The median from the counts by minute, and by second within the middle minutes."""
    total = sum(minutes.values())
    if total <= 0:
        return None
    values: list[int] = []
    for rank in ((total + 1) // 2, (total + 2) // 2):
        below = 0
        for minute in sorted(minutes):
            if below + minutes[minute] >= rank:
                break
            below += minutes[minute]
        for second in sorted(seconds):
            if second // 60 != minute:
                continue
            below += seconds[second]
            if below >= rank:
                values.append(second)
                break
    return sum(values) / len(values) if len(values) == 2 else None
