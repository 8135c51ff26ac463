"""Rollups of the engagement log: written with the events, read by reports instead of them.

A summary of the last four weeks used to read every prompt, reply and status
event of those weeks (and a window over all status events ever): its cost grew
with the log. These tables hold the same facts already counted, one row per
operative and week (or per week and delay), so a report reads a few rows per
operative whatever the history. They are kept in the same transaction as the
events (:class:`bot.storage.repositories.events.SqlEventLog`), and migration 0012
builds them from the events already logged, with this same arithmetic.

Weeks are day numbers (days since 1970-01-01) of their Monday, in the rollup zone
(the deployment's time zone, stored in ``report_rollup_zone``). Operatives' current
role and group are joined at read time, so a new role or group applies to the past
as before. Streaks are not rolled up: reports read them with the one streak rule
from the prompt days kept on ``prompt_replies`` (``bot.storage.prompt_days``).

- ``report_weeks``: prompts (daily, practice) counted in the week they were sent
  and as answered there once they have a reply; replies in the week they came;
- ``report_topic_weeks``: replies by topic and verdict;
- ``report_reply_delays`` and ``report_reply_minutes``: how many daily prompts were
  first answered after each delay, everyone together (the median's source);
- ``report_days``, ``report_topic_days``, ``report_day_delays`` and
  ``report_day_minutes``: the same four by day (day numbers), for the days of a
  period that don't make a whole week (a month, a range, "this week"): a report
  reads whole weeks by week and at most six days at each end by day;
- ``status_changes``: each status event, for who was active at a period's end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Boolean, Connection, Table, column, insert, select, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.model import EventType, Status
from bot.storage.models import (
    DayDelayRollupRow,
    DayMinuteRollupRow,
    DayRollupRow,
    DayTopicRollupRow,
    DelayMinuteRollupRow,
    DelayRollupRow,
    PromptReplyRow,
    RollupZoneRow,
    StatusChangeRow,
    TopicRollupRow,
    UtcDateTime,
    WeekRollupRow,
)

EPOCH = date(1970, 1, 1)
#: The rollup zone when none is stored yet (a database made without migrations).
DEFAULT_ZONE = "Europe/London"
VERDICTS = ("strong", "partial", "concern")
ANSWERED = EventType.ANSWERED.value
STATUS_OF = {
    EventType.ENROLLED.value: Status.ACTIVE.value,
    EventType.RESUMED.value: Status.ACTIVE.value,
    EventType.PAUSED.value: Status.PAUSED.value,
    EventType.STOPPED.value: Status.STOPPED.value,
    EventType.UNREACHABLE.value: Status.UNREACHABLE.value,
}


def day_of(moment: datetime, zone: ZoneInfo) -> int:
    return (moment.astimezone(zone).date() - EPOCH).days


def monday(day: int) -> int:
    """The Monday on or before a day number (1 January 1970 was a Thursday)."""
    return day - (day + 3) % 7


def epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp() // 1)


#: The rollup zone of each database (it never changes once stored): one query less
#: for every event recorded.
_ZONE_OF: dict[str, str] = {}


def rollup_zone(session: Session) -> str:
    """The zone the rollups' weeks are in; stored on first use if it never was."""
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    if database in _ZONE_OF:
        return _ZONE_OF[database]
    zone = session.scalar(select(RollupZoneRow.zone).where(RollupZoneRow.id == 1))
    if zone is None:
        zone = DEFAULT_ZONE
        session.add(RollupZoneRow(id=1, zone=zone))
        session.flush()
        return str(zone)  # cached once it is committed and read back
    _ZONE_OF[database] = str(zone)
    return str(zone)


@dataclass
class Changes:
    """Increments to the rollups, gathered so that a batch makes one upsert per row.
    Every count goes both to its week and to its day (weeks keyed by their Monday)."""

    zone: ZoneInfo
    days: dict[tuple[int, int], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    topics: dict[tuple[int, str, int], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    delays: Counter[tuple[int, int]] = field(default_factory=Counter)
    statuses: list[dict[str, Any]] = field(default_factory=list)

    def day(self, moment: datetime) -> int:
        return day_of(moment, self.zone)

    def week(self, moment: datetime) -> int:
        return monday(self.day(moment))

    def prompt(self, op: int, sent: datetime, scheduled: bool) -> None:
        self.days[(op, self.day(sent))]["prompts" if scheduled else "practice"] += 1

    def reply(self, op: int, at: datetime, topic: str | None, verdict: str | None) -> None:
        self.days[(op, self.day(at))]["replies"] += 1
        if topic is not None:
            counts = self.topics[(op, topic, self.day(at))]
            counts["answers"] += 1
            if verdict in VERDICTS:
                counts[str(verdict)] += 1

    def first_reply(
        self,
        op: int,
        sent: datetime,
        scheduled: bool,
        first: datetime,
        before: datetime | None,
    ) -> None:
        """A prompt's first reply is now ``first`` (it was ``before``, or none)."""
        day = self.day(sent)
        if before is None:
            self.days[(op, day)]["answered" if scheduled else "practice_answered"] += 1
        if not scheduled:
            return
        if before is not None:
            self.delay(day, epoch_seconds(before) - epoch_seconds(sent), -1)
        self.delay(day, epoch_seconds(first) - epoch_seconds(sent), 1)

    def delay(self, day: int, seconds: int, count: int) -> None:
        """``count`` more daily prompts sent on ``day`` first answered after ``seconds``."""
        self.delays[(day, seconds)] += count

    def status(self, op: int, at: datetime, type_: str) -> None:
        self.statuses.append({"operative_id": op, "changed_at": at, "status": STATUS_OF[type_]})

    def apply(
        self, session: Session | Connection, *, weeks: bool = True, days: bool = True
    ) -> None:
        """Write the increments; a migration that made only one level's tables (or
        fills only one) says which."""
        if self.statuses:
            session.execute(insert(StatusChangeRow), self.statuses)
        by_week: dict[tuple[int, int], Counter[str]] = defaultdict(Counter)
        for (op, day), counts in self.days.items():
            by_week[(op, monday(day))].update(counts)
        topic_weeks: dict[tuple[int, str, int], Counter[str]] = defaultdict(Counter)
        for (op, topic, day), counts in self.topics.items():
            topic_weeks[(op, topic, monday(day))].update(counts)
        minutes: Counter[tuple[int, int]] = Counter()
        week_delays: Counter[tuple[int, int]] = Counter()
        week_minutes: Counter[tuple[int, int]] = Counter()
        for (day, seconds), count in self.delays.items():
            minutes[(day, seconds // 60)] += count
            week_delays[(monday(day), seconds)] += count
            week_minutes[(monday(day), seconds // 60)] += count
        sums = ("prompts", "answered", "practice", "practice_answered", "replies")
        verdicts = ("answers", *VERDICTS)
        wanted = {"week": weeks, "day": days}
        for model, key, rows in (
            (WeekRollupRow.__table__, "week", by_week),
            (DayRollupRow.__table__, "day", self.days),
        ):
            if not wanted[key]:
                continue
            _add(
                session,
                model,
                ("operative_id", key),
                [{"operative_id": op, key: at, **n} for (op, at), n in rows.items()],
                sums,
            )
        for model, key, topic_rows in (
            (TopicRollupRow.__table__, "week", topic_weeks),
            (DayTopicRollupRow.__table__, "day", self.topics),
        ):
            if not wanted[key]:
                continue
            _add(
                session,
                model,
                ("operative_id", key, "topic"),
                [
                    {"operative_id": op, "topic": topic, key: at, **n}
                    for (op, topic, at), n in topic_rows.items()
                ],
                verdicts,
            )
        for model, key, unit, delays in (
            (DelayRollupRow.__table__, "week", "seconds", week_delays),
            (DelayMinuteRollupRow.__table__, "week", "minute", week_minutes),
            (DayDelayRollupRow.__table__, "day", "seconds", self.delays),
            (DayMinuteRollupRow.__table__, "day", "minute", minutes),
        ):
            if not wanted[key]:
                continue
            _add(
                session,
                model,
                (key, unit),
                [{key: at, unit: value, "replies": n} for (at, value), n in delays.items() if n],
                ("replies",),
            )


def _add(
    session: Session | Connection,
    table: Any,
    keys: tuple[str, ...],
    rows: list[dict[str, Any]],
    sums: tuple[str, ...],
) -> None:
    """Insert each row, or add its counts to the row already there."""
    if not rows:
        return
    assert isinstance(table, Table)
    rows = [{**{name: 0 for name in sums}, **row} for row in rows]
    bind = session if isinstance(session, Connection) else session.get_bind()
    session.execute(_upsert(bind.dialect.name, table, keys, sums), rows)


@cache
def _upsert(dialect: str, table: Table, keys: tuple[str, ...], sums: tuple[str, ...]) -> Any:
    """The statement for ``_add``, built once: building it costs more than running it."""
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    excluded = insert.excluded
    return insert.on_conflict_do_update(
        index_elements=list(keys),
        set_={name: table.c[name] + excluded[name] for name in sums},
    )


def forget_delays(session: Session, operative_id: int) -> None:
    """Take an operative's reply delays out of the counts kept for everyone (erasure:
    the rest of their rollups go with their operative row)."""
    changes = Changes(ZoneInfo(rollup_zone(session)))
    answered = session.execute(
        select(PromptReplyRow.sent_at, PromptReplyRow.first_reply_at).where(
            PromptReplyRow.operative_id == operative_id,
            PromptReplyRow.scheduled.is_(True),
            PromptReplyRow.first_reply_at.is_not(None),
        )
    )
    for sent, first in answered:
        if first is not None:
            delay = epoch_seconds(first) - epoch_seconds(sent)
            changes.delay(changes.day(sent), delay, -1)
    changes.apply(session)


#: Operatives whose records a migration reads and counts together.
CHUNK = 1_000


def fill(
    connection: Connection,
    zone: ZoneInfo,
    *,
    weeks: bool = True,
    days: bool = True,
    statuses: bool = True,
) -> None:
    """Build the rollups from the records already kept (a migration's work), with the
    arithmetic that keeps them as events are recorded, a thousand operatives at a time.
    Plain tables rather than the models: a migration sees the schema of its revision."""
    stamp = UtcDateTime()
    operatives = table("operatives", column("id"))
    replies = table(
        "prompt_replies",
        column("id"),
        column("operative_id"),
        column("sent_at", stamp),
        column("scheduled", Boolean()),
        column("first_reply_at", stamp),
    )
    events = table(
        "engagement_events",
        column("id"),
        column("type"),
        column("operative_id"),
        column("occurred_at", stamp),
        column("payload", JSON()),
    )
    wanted = [ANSWERED, *STATUS_OF] if statuses else [ANSWERED]
    ids = sorted(int(number) for (number,) in _rows(connection, select(operatives.c.id)))
    for start in range(0, len(ids), CHUNK):
        low, high = ids[start], ids[min(start + CHUNK, len(ids)) - 1]
        changes = Changes(zone)
        for number, sent, scheduled, first in _rows(
            connection,
            select(
                replies.c.operative_id,
                replies.c.sent_at,
                replies.c.scheduled,
                replies.c.first_reply_at,
            )
            .where(replies.c.operative_id.between(low, high))
            .order_by(replies.c.id),
        ):
            changes.prompt(int(number), sent, bool(scheduled))
            if first is not None:
                changes.first_reply(int(number), sent, bool(scheduled), first, None)
        for number, type_, at, payload in _rows(
            connection,
            select(events.c.operative_id, events.c.type, events.c.occurred_at, events.c.payload)
            .where(events.c.operative_id.between(low, high), events.c.type.in_(wanted))
            .order_by(events.c.occurred_at, events.c.id),
        ):
            if type_ in STATUS_OF:
                changes.status(int(number), at, str(type_))
            else:
                payload = payload if isinstance(payload, dict) else {}
                topic, verdict = payload.get("topic"), payload.get("verdict")
                changes.reply(
                    int(number),
                    at,
                    topic if isinstance(topic, str) else None,
                    verdict if isinstance(verdict, str) else None,
                )
        changes.apply(connection, weeks=weeks, days=days)


def _rows(connection: Connection, query: Any) -> Iterator[Any]:
    yield from connection.execute(query)
