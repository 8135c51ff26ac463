"""What the managers' reports need from storage: aggregates, computed in the database.

Everything here is plain data. Figures are raw: the privacy floor (no figure for
fewer than five operatives) is applied by :mod:`bot.core.reports.figures`, in one place,
before anything is shown to anyone.

Definitions the storage side follows (and the tests pin down):

- an *operative* is a person with the operative role; their group is their
  current cohort. Managers, facilitators and admins trying the bot are left out;
- a *reply* is an ``answered`` event; its prompt is the latest ``prompt_sent``
  with the same operative and item at or before it; time to reply is the
  difference. A prompt is *answered* if it has at least one reply;
- *active* means at least one reply in the period (or week);
- weeks start on Monday, in the period's time zone; the first and last week of
  a period may be partial;
- *status at the end of the period* comes from the last enrolled, paused,
  resumed, stopped or unreachable event before the end (the stored status if
  there is none);
- a *streak* is the coach's own, :func:`bot.core.policy.streaks.streak`, on the
  period's last day: scheduled prompts answered the same local day (the
  operative's own time zone), most recent first, however long the run; the last
  day's unanswered prompt doesn't break it, and it lapses after
  :data:`STREAK_WINDOW` without a prompt;
- *content gaps* are messages the coach couldn't answer; only their number is
  ever read here, never their text.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.core.policy.streaks import LAPSE_DAYS

#: Lower bounds of the streak bands: 0, 1-2, 3-4, 5-9 and 10 or more days in a row.
STREAK_BANDS: tuple[int, ...] = (0, 1, 3, 5, 10)
#: How long a streak lasts without a prompt day (:data:`bot.core.policy.streaks.LAPSE_DAYS`):
#: retention keeps prompts this much longer than events.
STREAK_WINDOW = timedelta(days=LAPSE_DAYS)


def _local_midnight(day: date, zone: str) -> datetime:
    """Local 00:00 on ``day`` as UTC; where midnight doesn't exist, the first moment after."""
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(zone))
    back = local.astimezone(UTC).astimezone(ZoneInfo(zone))
    if back.replace(tzinfo=None) != local.replace(tzinfo=None):
        local += timedelta(hours=1)
    return local.astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Whole days from ``first`` to ``last`` (both included), in a time zone."""

    first: date
    last: date
    timezone: str

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise ValueError("a period can't end before it starts")
        ZoneInfo(self.timezone)

    @property
    def start(self) -> datetime:
        """The period's first moment, in UTC."""
        return _local_midnight(self.first, self.timezone)

    @property
    def end(self) -> datetime:
        """The moment after the period, in UTC (exclusive)."""
        return _local_midnight(self.last + timedelta(days=1), self.timezone)

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def weeks(self) -> tuple[date, ...]:
        """The Mondays of the weeks the period touches, in order."""
        monday = self.first - timedelta(days=self.first.weekday())
        count = (self.last - monday).days // 7 + 1
        return tuple(monday + timedelta(weeks=number) for number in range(count))

    def week_before_last(self) -> Period:
        """The week before the period's last week (for a week-on-week trend)."""
        monday = self.weeks[-1] - timedelta(weeks=1)
        return Period(monday, monday + timedelta(days=6), self.timezone)


@dataclass(frozen=True)
class Scope:
    """Whose figures: the operatives of some cohorts, or everyone (``cohort_ids`` None)."""

    cohort_ids: frozenset[int] | None = None


@dataclass(frozen=True)
class Membership:
    """Operatives enrolled by the end of the period, and their status at its end."""

    enrolled: int = 0
    #: Of those, how many enrolled during the period.
    joined: int = 0
    paused: int = 0
    stopped: int = 0
    unreachable: int = 0


@dataclass(frozen=True)
class Activity:
    """Prompts, replies and content gaps over the whole period or one week of it.

    Daily prompts (sent by the schedule) and practice scenarios (asked for with
    /practice) are counted apart: a practice scenario is answered almost always and
    at once, so mixed in it would flatter the daily reply rate."""

    #: Daily prompts sent by the schedule.
    prompts: int = 0
    #: Operatives who were sent at least one daily prompt.
    prompted: int = 0
    #: Daily prompts answered (at least one reply).
    replies: int = 0
    #: Median time from a daily prompt to its first reply, over answered ones.
    median_reply_seconds: float | None = None
    #: Operatives with at least one reply (to a daily prompt or a practice scenario).
    active: int = 0
    #: Messages the coach couldn't answer.
    gaps: int = 0
    #: Practice scenarios sent (asked for with /practice).
    practice: int = 0
    #: Operatives who asked for at least one.
    practising: int = 0
    #: Practice scenarios answered (at least one reply).
    practice_answered: int = 0


@dataclass(frozen=True)
class Weekly:
    total: Activity
    #: One entry per week of the period (its Monday), in order, empty weeks included.
    weeks: tuple[tuple[date, Activity], ...]


@dataclass(frozen=True)
class TopicFigures:
    """Replies in a topic during the period, by verdict."""

    topic: str
    answers: int
    #: Operatives who answered in this topic.
    operatives: int
    strong: int
    partial: int
    concern: int


@dataclass(frozen=True)
class CommitmentFigures:
    """Commitments made by the end of the period, and their outcomes so far."""

    made: int = 0
    kept: int = 0
    partly: int = 0
    not_yet: int = 0

    @property
    def with_outcome(self) -> int:
        return self.kept + self.partly + self.not_yet


@dataclass(frozen=True)
class Figures:
    """Everything a summary shows, for one scope and period, before the privacy floor."""

    membership: Membership
    weekly: Weekly
    #: By topic id.
    topics: tuple[TopicFigures, ...]
    #: Operatives enrolled by the end of the period, per band of :data:`STREAK_BANDS`.
    streaks: tuple[int, ...]
    commitments: CommitmentFigures
    #: Set when the period reaches back before the day from which records are kept
    #: in full (see :mod:`bot.core.jobs.retention`): that day.
    kept_from: date | None = None
    #: The figures are a kept summary of this very week or month, exactly as they
    #: were shown before the records went; there are no rows per person.
    summary: bool = False


@dataclass(frozen=True)
class PersonFigures:
    """One operative's figures: only for facilitators, and only for their own cohorts.
    Never anything the operative typed."""

    name: str
    cohort: str | None
    status: str
    prompts: int
    replies: int
    streak: int
    last_reply: date | None


@dataclass(frozen=True)
class Recipient:
    """Someone who gets the weekly digest."""

    operative_id: int
    telegram_id: int
    timezone: str


class ReportQueries(Protocol):
    """Aggregates for a scope and a period, computed by the database."""

    def figures(self, scope: Scope, period: Period) -> Figures: ...

    def weekly(self, scope: Scope, period: Period) -> Weekly:
        """Only the prompts, replies and gaps (for a week-on-week trend)."""
        ...

    def people(self, scope: Scope, period: Period) -> Iterator[PersonFigures]:
        """One row per operative, by name, streamed from the database."""
        ...

    def digest_recipients(self) -> list[Recipient]:
        """Managers who should get the weekly digest: active, by Telegram id."""
        ...
