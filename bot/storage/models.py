"""SQLAlchemy tables. Only ``bot.storage`` imports this module."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC; always gives back an aware datetime, even on SQLite."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Payload = JSON().with_variant(JSONB(), "postgresql")

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class CohortRow(Base):
    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    invite_code: Mapped[str] = mapped_column(String(64), unique=True)
    workshop_date: Mapped[date | None] = mapped_column(Date)
    created_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OperativeRow(Base):
    __tablename__ = "operatives"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="operative")
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    timezone: Mapped[str] = mapped_column(String(64))
    prompt_time: Mapped[time] = mapped_column(Time)
    #: Bit n set means weekday n (Monday = 0) is a working day.
    working_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    paused_until: Mapped[date | None] = mapped_column(Date)
    awaiting: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    trade: Mapped[str | None] = mapped_column(String(32))
    #: Whether they chose daily scenarios; NULL: their role decides (see Coach).
    daily_prompts: Mapped[bool | None] = mapped_column(Boolean)


class EventRow(Base):
    __tablename__ = "engagement_events"
    __table_args__ = (
        Index("ix_engagement_events_operative_time", "operative_id", "occurred_at"),
        Index("ix_engagement_events_type_time", "type", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    type: Mapped[str] = mapped_column(String(32))
    operative_id: Mapped[int | None] = mapped_column(
        ForeignKey("operatives.id", ondelete="CASCADE")
    )
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(Payload, default=dict)


class PromptReplyRow(Base):
    """One row per prompt sent, with when it was first answered.

    A read model of the event log, written in the same transaction as the events
    (see ``SqlEventLog``): reports read a prompt and its first reply from one row
    instead of pairing events up by their JSON payloads, the costliest part of a
    summary on a large log. A reply belongs to the operative's latest prompt of the
    same item sent at or before it."""

    __tablename__ = "prompt_replies"
    __table_args__ = (
        Index("ix_prompt_replies_operative_item_sent", "operative_id", "item", "sent_at"),
        Index("ix_prompt_replies_sent_at", "sent_at"),
        # A group's median reply time reads its members' prompts of the period.
        Index("ix_prompt_replies_operative_sent", "operative_id", "sent_at"),
        Index("ix_prompt_replies_operative_day", "operative_id", "prompt_day"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    operative_id: Mapped[int] = mapped_column(ForeignKey("operatives.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(64))
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: Sent by the daily schedule (not asked for with /practice): counts for streaks.
    scheduled: Mapped[bool] = mapped_column(Boolean)
    first_reply_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The streak rule's running state (bot.core.policy.streaks.PromptDay), kept on each
    # scheduled prompt as it is written, so that a streak needs one row, not a history.
    #: The operative's local date of a scheduled prompt; None for /practice.
    prompt_day: Mapped[date | None] = mapped_column(Date)
    #: Whether that day's prompt (any of that day's, if several) was answered that day.
    answered_that_day: Mapped[bool] = mapped_column(Boolean, default=False)
    #: Answered, and unanswered, prompt days in a row just before this one.
    run_before: Mapped[int] = mapped_column(Integer, default=0)
    misses_before: Mapped[int] = mapped_column(Integer, default=0)


class ContentGapRow(Base):
    """A message the coach couldn't answer. Shown to facilitators without who sent it."""

    __tablename__ = "content_gaps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(500))
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    #: Kept only so that erasing a person erases their messages too.
    operative_id: Mapped[int | None] = mapped_column(
        ForeignKey("operatives.id", ondelete="CASCADE"), index=True
    )
    topic_guess: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class OutboxRow(Base):
    """What must be sent. Written before sending, so a restart loses nothing."""

    __tablename__ = "outbox"
    __table_args__ = (
        # One prompt (reminder, check-in...) per operative per local date, whatever happens.
        UniqueConstraint("kind", "operative_id", "local_date", "ref"),
        Index("ix_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    operative_id: Mapped[int] = mapped_column(ForeignKey("operatives.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    local_date: Mapped[date] = mapped_column(Date)
    ref: Mapped[str] = mapped_column(String(64), default="")
    prompt_id: Mapped[str | None] = mapped_column(String(40))
    #: What the operative's next reply answers once this is delivered (``awaiting``).
    awaits: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    buttons: Mapped[list[list[list[str]]]] = mapped_column(Payload, default=list)
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: Sends whose outcome was never known (a crash mid-send, a lost answer): each one
    #: may have arrived, so the send that followed may be a duplicate.
    unconfirmed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FollowUpRow(Base):
    """A facilitator's message to a cohort: drafted, previewed, then queued to the outbox."""

    __tablename__ = "follow_ups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    #: draft, queued, reported (the author has had the delivery counts), cancelled.
    status: Mapped[str] = mapped_column(String(16))
    send_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CommitmentRow(Base):
    """ "One thing I'll do differently", from the post-workshop sequence."""

    __tablename__ = "commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operative_id: Mapped[int] = mapped_column(
        ForeignKey("operatives.id", ondelete="CASCADE"), unique=True
    )
    cohort_id: Mapped[int | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(String(500))
    share_name: Mapped[bool] = mapped_column(default=False)
    #: kept, partly or not_yet, from the day-7 check-in; None until then.
    outcome: Mapped[str | None] = mapped_column(String(16))
    outcome_note: Mapped[str | None] = mapped_column(String(500))
    reflection: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ReportSummaryRow(Base):
    """The figures a report showed for one week or calendar month, kept when the
    records behind them are deleted (see ``bot.core.jobs.retention``). Counts only."""

    __tablename__ = "report_summaries"
    __table_args__ = (UniqueConstraint("scope", "first_day", "last_day", "timezone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: ``all``, or the cohort ids reported on together, sorted: ``3`` or ``3,7``.
    scope: Mapped[str] = mapped_column(Text)
    #: ``week`` (Monday to Sunday) or ``month``.
    unit: Mapped[str] = mapped_column(String(8))
    first_day: Mapped[date] = mapped_column(Date, index=True)
    last_day: Mapped[date] = mapped_column(Date)
    timezone: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(Payload)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SeenUpdateRow(Base):
    """A Telegram update already taken in: its id only (nothing a person wrote), kept
    for as long as Telegram might send it again, then pruned."""

    __tablename__ = "seen_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


# -- rollups: what reports read instead of the event log (see bot.storage.rollups) ------


class RollupZoneRow(Base):
    """The time zone the rollups' weeks are in (one row): the deployment's, when the
    rollups were first built. Reports in another zone are computed from the records."""

    __tablename__ = "report_rollup_zone"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    zone: Mapped[str] = mapped_column(String(64))


class WeekRollupRow(Base):
    """One operative's prompts and replies in one week (weeks as day numbers of their
    Monday, in the rollup zone). Prompts are counted in the week they were sent, and
    as answered there once they have a reply; replies in the week they came."""

    __tablename__ = "report_weeks"
    __table_args__ = (
        # PostgreSQL keeps rows in the order written, so a period's rows lie together
        # by week: read by week and hashed against the operatives, rather than a seek
        # per operative, each on its own page (see migration 0014).
        Index("ix_report_weeks_week", "week").ddl_if(dialect="postgresql"),
        {"sqlite_with_rowid": False},
    )

    operative_id: Mapped[int] = mapped_column(
        ForeignKey("operatives.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Daily prompts (sent by the schedule), and how many of them have a reply.
    prompts: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    #: Practice scenarios (/practice), and how many of them have a reply.
    practice: Mapped[int] = mapped_column(Integer, default=0)
    practice_answered: Mapped[int] = mapped_column(Integer, default=0)
    #: Replies given this week (``answered`` events).
    replies: Mapped[int] = mapped_column(Integer, default=0)


class TopicRollupRow(Base):
    """One operative's replies in one topic in one week, by verdict."""

    __tablename__ = "report_topic_weeks"
    __table_args__ = (
        # PostgreSQL keeps rows in the order written, so a period's rows lie together
        # by week: read by week and hashed against the operatives, rather than a seek
        # per operative, each on its own page (see migration 0014).
        Index("ix_report_topic_weeks_week", "week").ddl_if(dialect="postgresql"),
        {"sqlite_with_rowid": False},
    )

    operative_id: Mapped[int] = mapped_column(
        ForeignKey("operatives.id", ondelete="CASCADE"), primary_key=True
    )
    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    strong: Mapped[int] = mapped_column(Integer, default=0)
    partial: Mapped[int] = mapped_column(Integer, default=0)
    concern: Mapped[int] = mapped_column(Integer, default=0)


class DelayRollupRow(Base):
    """How many daily prompts sent in a week were first answered after exactly this
    many seconds, everyone together: the median comes from these counts."""

    __tablename__ = "report_reply_delays"
    __table_args__ = ({"sqlite_with_rowid": False},)

    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    seconds: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    replies: Mapped[int] = mapped_column(Integer, default=0)


class DelayMinuteRollupRow(Base):
    """The same counts by whole minute, to find the median's minute in a few rows."""

    __tablename__ = "report_reply_minutes"
    __table_args__ = ({"sqlite_with_rowid": False},)

    week: Mapped[int] = mapped_column(Integer, primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True)
    replies: Mapped[int] = mapped_column(Integer, default=0)


class DayRollupRow(Base):
    """The counts of :class:`WeekRollupRow` for one day (a day number in the rollup
    zone): what a period that isn't whole weeks reads for its first and last days."""

    __tablename__ = "report_days"
    __table_args__ = (
        # PostgreSQL keeps rows in the order written, so a period's rows lie together
        # by day: read by day and hashed against the operatives, rather than a seek
        # per operative, each on its own page (see migration 0014).
        Index("ix_report_days_day", "day").ddl_if(dialect="postgresql"),
        {"sqlite_with_rowid": False},
    )

    operative_id: Mapped[int] = mapped_column(
        ForeignKey("operatives.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    prompts: Mapped[int] = mapped_column(Integer, default=0)
    answered: Mapped[int] = mapped_column(Integer, default=0)
    practice: Mapped[int] = mapped_column(Integer, default=0)
    practice_answered: Mapped[int] = mapped_column(Integer, default=0)
    replies: Mapped[int] = mapped_column(Integer, default=0)


class DayTopicRollupRow(Base):
    """One operative's replies in one topic on one day, by verdict."""

    __tablename__ = "report_topic_days"
    __table_args__ = (
        # PostgreSQL keeps rows in the order written, so a period's rows lie together
        # by day: read by day and hashed against the operatives, rather than a seek
        # per operative, each on its own page (see migration 0014).
        Index("ix_report_topic_days_day", "day").ddl_if(dialect="postgresql"),
        {"sqlite_with_rowid": False},
    )

    operative_id: Mapped[int] = mapped_column(
        ForeignKey("operatives.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(40), primary_key=True)
    answers: Mapped[int] = mapped_column(Integer, default=0)
    strong: Mapped[int] = mapped_column(Integer, default=0)
    partial: Mapped[int] = mapped_column(Integer, default=0)
    concern: Mapped[int] = mapped_column(Integer, default=0)


class DayDelayRollupRow(Base):
    """:class:`DelayRollupRow` by the day the prompts were sent."""

    __tablename__ = "report_day_delays"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    seconds: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    replies: Mapped[int] = mapped_column(Integer, default=0)


class DayMinuteRollupRow(Base):
    """:class:`DelayMinuteRollupRow` by the day the prompts were sent."""

    __tablename__ = "report_day_minutes"
    __table_args__ = ({"sqlite_with_rowid": False},)

    day: Mapped[int] = mapped_column(Integer, primary_key=True)
    minute: Mapped[int] = mapped_column(Integer, primary_key=True)
    replies: Mapped[int] = mapped_column(Integer, default=0)


class StatusChangeRow(Base):
    """Each enrolled, paused, resumed, stopped or unreachable event, as the status it
    set: who was active at the end of a period is one index seek per person."""

    __tablename__ = "status_changes"
    __table_args__ = (
        Index("ix_status_changes_operative_time", "operative_id", "changed_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    operative_id: Mapped[int] = mapped_column(ForeignKey("operatives.id", ondelete="CASCADE"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(16))
