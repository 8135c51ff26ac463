"""When each operative is due a prompt, a reminder or a gentle check-in. Pure policy.

Everything is decided in the operative's own time zone, so clock changes and
other zones need no special cases: 08:00 is 08:00 local on the day the clocks
go forward as on any other.

    >>> window_opens(date(2026, 3, 29), time(8), "Europe/London")
    datetime.datetime(2026, 3, 29, 7, 0, tzinfo=datetime.timezone.utc)
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.core.model import Operative, Status

# The streak rule lives in its own module; these names stay importable from here.
from bot.core.policy.streaks import PromptDay as PromptDay
from bot.core.policy.streaks import misses_in_a_row as misses_in_a_row
from bot.core.policy.streaks import streak as streak

#: Nothing is ever sent outside these local hours.
QUIET_UNTIL = time(7, 0)
QUIET_FROM = time(20, 0)
#: A reminder comes this long after an unanswered prompt, if it still fits the day.
REMINDER_AFTER = timedelta(hours=3)
#: The last moment a reminder may go (it must be read before quiet hours).
LAST_REMINDER = time(19, 30)
#: After this many unanswered prompts in a row, ask once about fewer prompts.
MISSES_BEFORE_CHECK_IN = 3
SNOOZE = timedelta(hours=1)


def local_now(operative: Operative, now: datetime) -> datetime:
    return now.astimezone(ZoneInfo(operative.timezone))


def at_local(day: date, moment: time, zone: str) -> datetime:
    """A local wall-clock time on a day, as UTC. Times that don't exist (a spring-forward
    gap) move forward past the gap; times that happen twice take the first."""
    local = datetime.combine(day, moment, tzinfo=ZoneInfo(zone))
    round_trip = local.astimezone(UTC).astimezone(ZoneInfo(zone))
    if round_trip.replace(tzinfo=None) != local.replace(tzinfo=None):
        local = local + timedelta(hours=1)
    return local.astimezone(UTC)


def window_opens(day: date, prompt_time: time, zone: str) -> datetime:
    """When the prompt for ``day`` may go: the chosen time, but never before 07:00."""
    return at_local(day, max(prompt_time, QUIET_UNTIL), zone)


def window_closes(day: date, zone: str) -> datetime:
    return at_local(day, QUIET_FROM, zone)


def is_paused_on(operative: Operative, day: date) -> bool:
    if operative.status is not Status.PAUSED:
        return False
    return operative.paused_until is None or day < operative.paused_until


def is_working_day(operative: Operative, day: date) -> bool:
    """A day the operative gets a prompt: one of their days, and not paused."""
    if operative.status not in (Status.ACTIVE, Status.PAUSED):
        return False
    return day.weekday() in operative.working_days and not is_paused_on(operative, day)


def first_working_day(operative: Operative, day: date) -> date | None:
    """The first of the operative's working days on or after ``day``, whatever their
    status (a pause that ends on a Sunday picks up on their Monday); None if they have
    no working days."""
    for offset in range(7):
        candidate = day + timedelta(days=offset)
        if candidate.weekday() in operative.working_days:
            return candidate
    return None


def prompt_due(operative: Operative, now: datetime) -> date | None:
    """The local date whose prompt is due now, or None: a working day, at or after the
    chosen time, and before quiet hours begin. The caller checks it wasn't sent already."""
    local = local_now(operative, now)
    day = local.date()
    if not is_working_day(operative, day):
        return None
    if now < window_opens(day, operative.prompt_time, operative.timezone):
        return None
    if now >= window_closes(day, operative.timezone):
        return None
    return day


def send_now_time(operative: Operative, now: datetime) -> datetime | None:
    """For "send now": now, or 07:00 if it is early; None if today is not possible."""
    local = local_now(operative, now)
    day = local.date()
    if not is_working_day(operative, day) or now >= window_closes(day, operative.timezone):
        return None
    return max(now, at_local(day, QUIET_UNTIL, operative.timezone))


class NotNow(enum.StrEnum):
    """Why "send now" can't send an operative today's prompt."""

    DAY_OFF = "day off"
    PAUSED = "paused"
    EVENING = "evening"


def why_not_now(operative: Operative, now: datetime) -> NotNow | None:
    """None if "send now" can reach this operative today (see :func:`send_now_time`)."""
    if send_now_time(operative, now) is not None:
        return None
    day = local_now(operative, now).date()
    if is_paused_on(operative, day):
        return NotNow.PAUSED
    if day.weekday() not in operative.working_days:
        return NotNow.DAY_OFF
    return NotNow.EVENING


def next_prompt_time(operative: Operative, now: datetime, days_ahead: int = 14) -> datetime | None:
    """When the bot next sends this operative a prompt after today, in their own time zone:
    their time on their next working day. None if there is none soon (paused until they
    resume, or no working days)."""
    today = local_now(operative, now).date()
    for offset in range(1, days_ahead + 1):
        day = today + timedelta(days=offset)
        if is_working_day(operative, day):
            opens = window_opens(day, operative.prompt_time, operative.timezone)
            return opens.astimezone(ZoneInfo(operative.timezone))
    return None


def reminder_time(operative: Operative, sent_at: datetime) -> datetime | None:
    """When to remind about a prompt sent at ``sent_at``, or None if the day is too short."""
    remind_at = sent_at + REMINDER_AFTER
    local = local_now(operative, remind_at)
    if local.date() != local_now(operative, sent_at).date() or local.time() > LAST_REMINDER:
        return None
    return remind_at


def snoozed(operative: Operative, due_at: datetime, now: datetime) -> datetime | None:
    """An hour from now (or from when it was due, if later), if that is still before
    quiet hours the same local day."""
    later = max(due_at, now) + SNOOZE
    if local_now(operative, later).date() != local_now(operative, now).date():
        return None
    if local_now(operative, later).time() >= QUIET_FROM:
        return None
    return later


def next_window(operative: Operative, at: datetime, days_ahead: int = 14) -> datetime | None:
    """The first moment at or after ``at`` that a message may reach this operative: a
    working day, between 07:00 and 20:00 local. None if there is none soon."""
    start = local_now(operative, at).date()
    for offset in range(days_ahead + 1):
        day = start + timedelta(days=offset)
        if not is_working_day(operative, day):
            continue
        opens = at_local(day, QUIET_UNTIL, operative.timezone)
        if max(at, opens) < window_closes(day, operative.timezone):
            return max(at, opens)
    return None
