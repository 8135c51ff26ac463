"""SQL aggregation for the managers' reports, on SQLite and PostgreSQL alike.

Every figure is computed by the database (GROUP BY, window functions, a median
by row numbers); Python only merges a handful of aggregate rows. Local days and
weeks are integer day numbers: seconds since the epoch plus the zone's UTC
offset, divided by 86,400. The offsets come from ``zoneinfo`` as a small CASE
over the clock changes in the range, so summer time is exact on both engines.
Prompts and their first replies come from the ``prompt_replies`` read model (one
row per prompt), not from pairing events up: that pairing was most of the cost.

Nothing here ever selects what a person typed: no content gap text, no
commitment text, no payload other than item, topic, verdict and via.

Why one long module: each report's SQL is spelled out once for both engines, next
to the helpers that fold local days and weeks; the per-week rollups it reads are
in :mod:`bot.storage.rollup_reports`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    null,
    or_,
    select,
    true,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import Executable

from bot.core.model import EventType, Role, Status
from bot.core.policy.streaks import LAPSE_DAYS, PromptDay, streak
from bot.core.reports.ports import (
    STREAK_BANDS,
    Activity,
    CommitmentFigures,
    Figures,
    Membership,
    Period,
    PersonFigures,
    Recipient,
    Scope,
    TopicFigures,
    Weekly,
)
from bot.storage.models import (
    CohortRow,
    CommitmentRow,
    ContentGapRow,
    EventRow,
    OperativeRow,
    PromptReplyRow,
    StatusChangeRow,
)
from bot.storage.rollup_reports import RollupReports

DAY = 86_400
EPOCH = date(1970, 1, 1)
#: Replies that come this long after the period still count for its last prompts.
REPLY_GRACE = timedelta(days=2)

_STATUS_EVENTS = {
    EventType.ENROLLED.value: Status.ACTIVE.value,
    EventType.RESUMED.value: Status.ACTIVE.value,
    EventType.PAUSED.value: Status.PAUSED.value,
    EventType.STOPPED.value: Status.STOPPED.value,
    EventType.UNREACHABLE.value: Status.UNREACHABLE.value,
}
_PROMPT = EventType.PROMPT_SENT.value
_ANSWER = EventType.ANSWERED.value


def day_number(day: date) -> int:
    return (day - EPOCH).days


@lru_cache(maxsize=256)
def zone_segments(zone: str, low: datetime, high: datetime) -> tuple[tuple[int, int], ...]:
    """The zone's UTC offset over [low, high): ((from epoch second, offset seconds), ...),
    the first starting at ``low``. Clock changes are found to the second."""
    tz = ZoneInfo(zone)

    def offset(second: int) -> int:
        moment = datetime.fromtimestamp(second, UTC).astimezone(tz)
        delta = moment.utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    start, stop = int(low.timestamp()), int(high.timestamp())
    segments = [(start, offset(start))]
    step = 6 * 3600
    at = start
    while at < stop:
        nxt = min(at + step, stop)
        if offset(nxt) != segments[-1][1]:
            lo, hi = at, nxt  # offset(lo) is the current one, offset(hi) the next
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if offset(mid) == segments[-1][1]:
                    lo = mid
                else:
                    hi = mid
            segments.append((hi, offset(hi)))
        at = nxt
    return tuple(segments)


def _offset(
    seconds: ColumnElement[int], zone: str, low: datetime, high: datetime
) -> ColumnElement[int]:
    segments = zone_segments(zone, low, high)
    if len(segments) == 1:
        return literal(segments[0][1], Integer)
    whens = [
        (seconds < literal(begins, BigInteger), literal(before, Integer))
        for (_, before), (begins, _) in pairwise(segments)
    ]
    return case(*whens, else_=literal(segments[-1][1], Integer))


def _aware(moment: datetime | str) -> datetime:
    """A UTC timestamp from an aggregate (SQLite may hand back its text)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


class SqlReports:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._rollups = RollupReports(session)

    # -- building blocks -------------------------------------------------------

    def _rows(self, query: Executable) -> Iterator[tuple[Any, ...]]:
        for row in self._session.execute(query):
            yield tuple(row)

    @property
    def _dialect(self) -> str:
        return self._session.get_bind().dialect.name

    def _by_name(self, column: Any) -> Any:
        """Names in code-point order on both engines (PostgreSQL's locale would skip
        punctuation), so that a listing is the same wherever it comes from."""
        return column.collate("C") if self._dialect == "postgresql" else column

    def _seconds(self, column: Any) -> ColumnElement[int]:
        """Whole seconds since the epoch of a UTC timestamp column."""
        if self._dialect == "sqlite":
            if sqlite3.sqlite_version_info >= (3, 38, 0):
                return cast(func.unixepoch(column), BigInteger)
            return cast(func.strftime("%s", column), BigInteger)
        return cast(func.floor(extract("epoch", column)), BigInteger)

    @staticmethod
    def _in_scope(scope: Scope) -> ColumnElement[bool]:
        condition = OperativeRow.role == Role.OPERATIVE.value
        if scope.cohort_ids is not None:
            condition = and_(condition, OperativeRow.cohort_id.in_(sorted(scope.cohort_ids)))
        return condition

    @staticmethod
    def _local_day(
        seconds: ColumnElement[int],
        zones: Sequence[str],
        zone_column: Any,
        low: datetime,
        high: datetime,
    ) -> ColumnElement[int]:
        """The local day number of an epoch second, in the zone named by ``zone_column``
        (one of ``zones``) or, without a column, in ``zones[0]``."""
        if zone_column is None or len(zones) == 1:
            offset = _offset(seconds, zones[0], low, high)
        else:
            offset = case(
                *[(zone_column == zone, _offset(seconds, zone, low, high)) for zone in zones],
                else_=literal(0, Integer),
            )
        return (seconds + offset) // DAY

    def _week(
        self, seconds: ColumnElement[int], period: Period, low: datetime, high: datetime
    ) -> ColumnElement[int]:
        """Which week of the period (0, 1, ...) an epoch second falls in."""
        local = self._local_day(seconds, [period.timezone], None, low, high)
        return (local - day_number(period.weeks[0])) // 7

    def _zones(self, scope: Scope) -> list[str]:
        rows = self._session.scalars(
            select(OperativeRow.timezone).where(self._in_scope(scope)).distinct()
        )
        return sorted(rows) or ["UTC"]

    # -- everything a summary shows ----------------------------------------------

    def figures(self, scope: Scope, period: Period) -> Figures:
        membership = self._membership(scope, period)
        weekly, topics, streaks = self._activity(scope, period, membership.enrolled)
        commitments = self._commitments(scope, period)
        return Figures(membership, weekly, topics, streaks, commitments)

    def weekly(self, scope: Scope, period: Period) -> Weekly:
        weekly, _, _ = self._activity(scope, period, 0, full=False)
        return weekly

    def _membership(self, scope: Scope, period: Period) -> Membership:
        """Operatives in scope by the end of the period, and each one's status then: the
        latest status change before the end (one index seek each), or, for data from
        before the event log, their stored status."""
        start, end = period.start, period.end
        change = StatusChangeRow
        latest = (
            select(change.status)
            .where(change.operative_id == OperativeRow.id, change.changed_at < end)
            .order_by(change.changed_at.desc(), change.id.desc())
            .limit(1)
            .correlate(OperativeRow)
            .scalar_subquery()
        )
        everyone = (
            select(
                func.coalesce(latest, OperativeRow.status).label("status"),
                OperativeRow.created_at.label("created_at"),
            )
            .where(self._in_scope(scope), OperativeRow.created_at < end)
            # Once per operative (as a plain subquery, SQLite would seek once per use).
            .cte("everyone")
            .prefix_with("MATERIALIZED")
        )

        def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        query = select(
            func.count(),
            count(everyone.c.created_at >= start),
            count(everyone.c.status == Status.PAUSED.value),
            count(everyone.c.status == Status.STOPPED.value),
            count(everyone.c.status == Status.UNREACHABLE.value),
        ).select_from(everyone)
        return Membership(*(int(value or 0) for value in next(self._rows(query))))

    def _of_scope(self, operative_id: ColumnElement[Any], scope: Scope) -> ColumnElement[bool]:
        """Events of operatives in scope, as a filter on their operative id: cheaper on
        SQLite than a join (for everyone, only the few staff are left out)."""
        if scope.cohort_ids is None:
            staff = select(OperativeRow.id).where(OperativeRow.role != Role.OPERATIVE.value)
            return and_(operative_id.is_not(None), operative_id.not_in(staff))
        return operative_id.in_(select(OperativeRow.id).where(self._in_scope(scope)))

    def _between(self, scope: Scope, types: Sequence[str], start: datetime, end: datetime) -> Any:
        return and_(
            EventRow.type.in_(list(types)) if len(types) > 1 else EventRow.type == types[0],
            EventRow.occurred_at >= start,
            EventRow.occurred_at < end,
            self._of_scope(EventRow.operative_id.expression, scope),
        )

    def _firsts(self, scope: Scope, since: datetime, until: datetime) -> Any:
        """Every prompt sent in [since, until), with its first reply (whenever it came):
        ``op``, ``sent_s`` (the prompt's epoch second), ``scheduled`` (whether the daily
        schedule sent it) and ``first_s`` (the first reply's epoch second, or NULL). One
        row each, from the prompt replies read model."""
        row = PromptReplyRow
        return (
            select(
                row.operative_id.label("op"),
                self._seconds(row.sent_at).label("sent_s"),
                row.scheduled.label("scheduled"),
                self._seconds(row.first_reply_at).label("first_s"),
            )
            .where(
                row.sent_at >= since,
                row.sent_at < until,
                self._of_scope(row.operative_id.expression, scope),
            )
            .cte("firsts")
            .prefix_with("MATERIALIZED")
        )

    def _activity(
        self, scope: Scope, period: Period, enrolled: int, *, full: bool = True
    ) -> tuple[Weekly, tuple[TopicFigures, ...], tuple[int, ...]]:
        """Weekly activity and (if ``full``) topics: from the rollups for whole weeks in
        their zone, otherwise from the records in one statement. Streaks, for every
        period, by the one streak rule (:meth:`_streak_bands`)."""
        start, end = period.start, period.end
        since = start
        until = end + REPLY_GRACE
        low, high = since - timedelta(days=1), until + timedelta(days=1)
        start_s, end_s = int(start.timestamp()), int(end.timestamp())

        if self._rollups.covers(period):
            gaps = dict(self._gaps(scope, period, low, high))
            gaps[-1] = sum(gaps.values())
            weekly, topics = self._rollups.activity(scope, period, gaps, full=full)
            return weekly, topics, self._streak_bands(scope, period, enrolled, full=full)

        def week(seconds: ColumnElement[int]) -> ColumnElement[int]:
            return self._week(seconds, period, low, high)

        # Prompts (each with its first reply, if any) in the week they were sent.
        firsts = self._firsts(scope, since, until)
        prompt_s = firsts.c.sent_s
        in_period = (prompt_s >= start_s, prompt_s < end_s)
        sent = (
            select(
                firsts.c.op,
                week(prompt_s).label("wk"),
                (firsts.c.first_s - prompt_s).label("delay"),
            )
            .where(*in_period, firsts.c.scheduled == true())
            .subquery("sent")
        )
        # Practice scenarios, counted apart from the daily prompts.
        practised = (
            select(
                firsts.c.op,
                week(prompt_s).label("wk"),
                firsts.c.first_s.label("first_s"),
            )
            .where(*in_period, firsts.c.scheduled != true())
            .subquery("practised")
        )
        replied = select(sent.c.wk, sent.c.delay).where(sent.c.delay.is_not(None))
        # Medians by row number: one window each (a count() window would be another pass).
        counted = replied.subquery("counted_replies")
        per_week = (
            select(counted.c.wk, func.count().label("n"))
            .group_by(counted.c.wk)
            .subquery("per_week")
        )
        weekly_replied = replied.subquery("weekly_replied")
        ranked = select(
            weekly_replied.c.wk,
            weekly_replied.c.delay,
            func.row_number()
            .over(partition_by=weekly_replied.c.wk, order_by=weekly_replied.c.delay)
            .label("rn"),
        ).subquery("ranked")
        overall_replied = replied.subquery("overall_replied")
        overall = select(
            overall_replied.c.delay,
            func.row_number().over(order_by=overall_replied.c.delay).label("rn"),
        ).subquery("overall")
        replies = select(func.count()).select_from(replied.subquery("all_replied"))
        # Replies in the period: who was active, and (for the full figures) topics.
        answer_columns: list[ColumnElement[Any]] = [
            EventRow.operative_id.label("op"),
            week(self._seconds(EventRow.occurred_at)).label("wk"),
        ]
        if full:
            answer_columns += [
                EventRow.payload["topic"].as_string().label("topic"),
                EventRow.payload["verdict"].as_string().label("verdict"),
            ]
        answers = (
            select(*answer_columns)
            .where(self._between(scope, [_ANSWER], start, end))
            .cte("answers")
            .prefix_with("MATERIALIZED")
        )

        def middle(rn: Any, n: Any) -> ColumnElement[bool]:
            return or_(rn == (n + 1) // 2, rn == (n + 2) // 2)

        nothing = cast(null(), Integer)

        def row(section: str, key: Any, topic: Any, *values: ColumnElement[Any]) -> Select[Any]:
            filled = [*values, *[nothing] * (5 - len(values))]
            return select(
                literal(section).label("section"),
                key.label("key") if hasattr(key, "label") else literal(key).label("key"),
                topic.label("topic") if topic is not None else cast(null(), String).label("topic"),
                *[value.label(f"v{index}") for index, value in enumerate(filled)],
            )

        parts = [
            row(
                "prompts",
                sent.c.wk,
                None,
                func.count(),
                func.count(sent.c.op.distinct()),
                func.count(sent.c.delay),
            ).group_by(sent.c.wk),
            row(
                "prompts",
                -1,
                None,
                func.count(),
                func.count(sent.c.op.distinct()),
                func.count(sent.c.delay),
            ).select_from(sent),
            row(
                "practice",
                practised.c.wk,
                None,
                func.count(),
                func.count(practised.c.op.distinct()),
                func.count(practised.c.first_s),
            ).group_by(practised.c.wk),
            row(
                "practice",
                -1,
                None,
                func.count(),
                func.count(practised.c.op.distinct()),
                func.count(practised.c.first_s),
            ).select_from(practised),
            row("active", answers.c.wk, None, func.count(answers.c.op.distinct())).group_by(
                answers.c.wk
            ),
            row("active", -1, None, func.count(answers.c.op.distinct())).select_from(answers),
            row("median", ranked.c.wk, None, func.avg(ranked.c.delay))
            .select_from(ranked)
            .join(per_week, per_week.c.wk == ranked.c.wk)
            .where(middle(ranked.c.rn, per_week.c.n))
            .group_by(ranked.c.wk),
            row("median", -1, None, func.avg(overall.c.delay))
            .select_from(overall)
            .where(middle(overall.c.rn, replies.scalar_subquery())),
        ]
        if full:

            def verdicts(name: str) -> ColumnElement[Any]:
                return func.sum(case((answers.c.verdict == name, 1), else_=0))

            parts.append(
                row(
                    "topic",
                    0,
                    answers.c.topic,
                    func.count(),
                    func.count(answers.c.op.distinct()),
                    verdicts("strong"),
                    verdicts("partial"),
                    verdicts("concern"),
                )
                .where(answers.c.topic.is_not(None))
                .group_by(answers.c.topic)
            )
        found: dict[tuple[str, int, str | None], tuple[Any, ...]] = {}
        for section, key, topic, *values in self._rows(union_all(*parts)):
            found[(str(section), int(key), topic)] = tuple(values)
        gaps = dict(self._gaps(scope, period, low, high))
        gaps[-1] = sum(gaps.values())

        def number(section: str, key: int, index: int = 0) -> int:
            values = found.get((section, key, None))
            return int(values[index] or 0) if values else 0

        def activity(key: int) -> Activity:
            median = found.get(("median", key, None))
            return Activity(
                prompts=number("prompts", key),
                prompted=number("prompts", key, 1),
                replies=number("prompts", key, 2),
                median_reply_seconds=float(median[0]) if median and median[0] is not None else None,
                active=number("active", key),
                gaps=gaps.get(key, 0),
                practice=number("practice", key),
                practising=number("practice", key, 1),
                practice_answered=number("practice", key, 2),
            )

        weekly = Weekly(
            activity(-1),
            tuple((monday, activity(index)) for index, monday in enumerate(period.weeks)),
        )
        topics = tuple(
            TopicFigures(str(topic), *(int(value or 0) for value in values))
            for (section, _, topic), values in sorted(found.items(), key=lambda kv: str(kv[0][2]))
            if section == "topic"
        )
        return weekly, topics, self._streak_bands(scope, period, enrolled, full=full)

    def _streak_bands(
        self, scope: Scope, period: Period, enrolled: int, *, full: bool
    ) -> tuple[int, ...]:
        """Operatives per streak band on the period's last day (none worked out unless
        ``full``: then everyone enrolled is in the lowest band)."""
        counts = [0] * len(STREAK_BANDS)
        if full:
            # Operatives whose latest prompt days read alike have the same streak: the
            # rule runs once for each kind (a few hundred), not once for each person.
            for day, answered, run_before, operatives in self._rows(
                select(
                    *(latest := self._latest_prompt_days(scope, period)).c[1:4],
                    func.count(),
                ).group_by(*latest.c[1:4])
            ):
                days = streak([PromptDay(day, bool(answered), int(run_before))], period.last)
                band = max(i for i, lower in enumerate(STREAK_BANDS) if days >= lower)
                counts[band] += int(operatives)
        counts[0] = enrolled - sum(counts[1:])
        return tuple(counts)

    def _latest_prompt_days(self, scope: Scope, period: Period) -> Any:
        """Each operative in scope with their latest prompt day on or before the period's
        last day (``op``, ``day``, ``answered``, ``run_before``, ``misses_before``): one
        index seek per operative, however long their history. A prompt day that old
        has lapsed (:data:`LAPSE_DAYS`) is left out: its streak is 0."""
        row = PromptReplyRow
        latest_row = (
            select(row.id)
            .where(
                row.operative_id == OperativeRow.id,
                row.prompt_day.is_not(None),
                row.prompt_day <= period.last,
                row.prompt_day > period.last - timedelta(days=LAPSE_DAYS),
            )
            .order_by(row.prompt_day.desc(), row.id.desc())
            .limit(1)
            .correlate(OperativeRow)
            .scalar_subquery()
        )
        latest = (
            select(OperativeRow.id.label("op"), latest_row.label("row_id"))
            .where(self._in_scope(scope))
            .subquery("latest_row")
        )
        return (
            select(
                latest.c.op,
                row.prompt_day.label("day"),
                row.answered_that_day.label("answered"),
                row.run_before,
                row.misses_before,
            )
            .join(row, row.id == latest.c.row_id)
            .subquery("latest_prompt_days")
        )

    def _streaks(self, scope: Scope, period: Period) -> dict[int, int]:
        """Each operative's streak on the period's last day, by the one streak rule
        (:func:`bot.core.policy.streaks.streak`), from their latest prompt day."""
        found: dict[int, int] = {}
        latest = self._latest_prompt_days(scope, period)
        for op, day, answered, run_before, misses_before in self._rows(select(latest)):
            last = PromptDay(day, bool(answered), int(run_before), int(misses_before))
            if days := streak([last], period.last):
                found[int(op)] = days
        return found

    def _gaps(
        self, scope: Scope, period: Period, low: datetime, high: datetime
    ) -> Iterable[tuple[int, int]]:
        week = self._week(self._seconds(ContentGapRow.created_at), period, low, high)
        inner = select(week.label("wk")).where(
            ContentGapRow.created_at >= period.start, ContentGapRow.created_at < period.end
        )
        if scope.cohort_ids is not None:
            inner = inner.where(ContentGapRow.cohort_id.in_(sorted(scope.cohort_ids)))
        gaps = inner.subquery("gap_weeks")
        for wk, count in self._rows(select(gaps.c.wk, func.count()).group_by(gaps.c.wk)):
            yield int(wk), int(count)

    def _commitments(self, scope: Scope, period: Period) -> CommitmentFigures:
        def outcome(name: str) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((CommitmentRow.outcome == name, 1), else_=0)), 0)

        query = (
            select(func.count(), outcome("kept"), outcome("partly"), outcome("not_yet"))
            .select_from(CommitmentRow)
            .join(OperativeRow, OperativeRow.id == CommitmentRow.operative_id)
            .where(self._in_scope(scope), CommitmentRow.created_at < period.end)
        )
        return CommitmentFigures(*(int(value or 0) for value in next(self._rows(query))))

    # -- individuals (facilitators, own cohorts only) --------------------------

    def people(self, scope: Scope, period: Period) -> Iterator[PersonFigures]:
        end = period.end
        streak_of = self._streaks(scope, period)
        in_period = and_(
            EventRow.occurred_at >= period.start,
            EventRow.occurred_at < end,
            EventRow.operative_id == OperativeRow.id,
        )

        def counted(type_: str) -> Any:
            return (
                select(func.count())
                .where(EventRow.type == type_, in_period)
                .correlate(OperativeRow)
                .scalar_subquery()
            )

        last_reply = (
            select(func.max(EventRow.occurred_at))
            .where(EventRow.type == _ANSWER, in_period)
            .correlate(OperativeRow)
            .scalar_subquery()
        )
        query = (
            select(
                OperativeRow.id,
                OperativeRow.display_name,
                CohortRow.name,
                OperativeRow.status,
                counted(_PROMPT),
                counted(_ANSWER),
                last_reply,
            )
            .select_from(OperativeRow)
            .outerjoin(CohortRow, CohortRow.id == OperativeRow.cohort_id)
            .where(self._in_scope(scope), OperativeRow.created_at < end)
            .order_by(CohortRow.name, self._by_name(OperativeRow.display_name), OperativeRow.id)
            .execution_options(yield_per=500)
        )
        zone = ZoneInfo(period.timezone)
        for op, name, cohort, status, prompts, replies, last in self._rows(query):
            yield PersonFigures(
                name=str(name),
                cohort=cohort,
                status=str(status),
                prompts=int(prompts),
                replies=int(replies),
                streak=streak_of.get(int(op), 0),
                last_reply=_aware(last).astimezone(zone).date() if last is not None else None,
            )

    # -- the weekly digest -----------------------------------------------------

    def digest_recipients(self) -> list[Recipient]:
        rows = self._session.execute(
            select(OperativeRow.id, OperativeRow.telegram_id, OperativeRow.timezone)
            .where(
                OperativeRow.role == Role.MANAGER.value,
                OperativeRow.status == Status.ACTIVE.value,
            )
            .order_by(OperativeRow.telegram_id)
        )
        return [Recipient(int(op), int(telegram), str(zone)) for op, telegram, zone in rows]
