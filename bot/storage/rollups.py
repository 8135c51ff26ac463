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
- ``status_changes``: each status event, for who was active at a period's end.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Table, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.model import EventType, Status
from bot.storage.models import (
    DelayMinuteRollupRow,
    DelayRollupRow,
    PromptReplyRow,
    RollupZoneRow,
    StatusChangeRow,
    TopicRollupRow,
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
    """Increments to the rollups, gathered so that a batch makes one upsert per row."""

    zone: ZoneInfo
    weeks: dict[tuple[int, int], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    topics: dict[tuple[int, str, int], Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter)
    )
    delays: Counter[tuple[int, int]] = field(default_factory=Counter)
    minutes: Counter[tuple[int, int]] = field(default_factory=Counter)
    statuses: list[dict[str, Any]] = field(default_factory=list)

    def week(self, moment: datetime) -> int:
        return monday(day_of(moment, self.zone))

    def prompt(self, op: int, sent: datetime, scheduled: bool) -> None:
        self.weeks[(op, self.week(sent))]["prompts" if scheduled else "practice"] += 1

    def reply(self, op: int, at: datetime, topic: str | None, verdict: str | None) -> None:
        self.weeks[(op, self.week(at))]["replies"] += 1
        if topic is not None:
            counts = self.topics[(op, topic, self.week(at))]
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
        week = self.week(sent)
        if before is None:
            self.weeks[(op, week)]["answered" if scheduled else "practice_answered"] += 1
        if not scheduled:
            return
        if before is not None:
            self.delay(week, epoch_seconds(before) - epoch_seconds(sent), -1)
        self.delay(week, epoch_seconds(first) - epoch_seconds(sent), 1)

    def delay(self, week: int, seconds: int, count: int) -> None:
        self.delays[(week, seconds)] += count
        self.minutes[(week, seconds // 60)] += count

    def status(self, op: int, at: datetime, type_: str) -> None:
        self.statuses.append({"operative_id": op, "changed_at": at, "status": STATUS_OF[type_]})

    def apply(self, session: Session | Connection) -> None:
        if self.statuses:
            session.execute(insert(StatusChangeRow), self.statuses)
        _add(
            session,
            WeekRollupRow.__table__,
            ("operative_id", "week"),
            [
                {"operative_id": op, "week": week, **counts}
                for (op, week), counts in self.weeks.items()
            ],
            ("prompts", "answered", "practice", "practice_answered", "replies"),
        )
        _add(
            session,
            TopicRollupRow.__table__,
            ("operative_id", "week", "topic"),
            [
                {"operative_id": op, "topic": topic, "week": week, **counts}
                for (op, topic, week), counts in self.topics.items()
            ],
            ("answers", *VERDICTS),
        )
        _add(
            session,
            DelayRollupRow.__table__,
            ("week", "seconds"),
            [{"week": w, "seconds": s, "replies": n} for (w, s), n in self.delays.items() if n],
            ("replies",),
        )
        _add(
            session,
            DelayMinuteRollupRow.__table__,
            ("week", "minute"),
            [{"week": w, "minute": m, "replies": n} for (w, m), n in self.minutes.items() if n],
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
            changes.delay(changes.week(sent), delay, -1)
    changes.apply(session)
