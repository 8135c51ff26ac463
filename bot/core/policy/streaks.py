"""The one streak rule: the coach's feedback, the planner and the reports all use it.

A *prompt day* is a local date (in the operative's own time zone) on which the daily
schedule sent them a prompt; prompts asked for with /practice make no prompt days. A
prompt day is *answered* if that prompt got a reply the same local day.

- The **streak** on ``today`` is the answered prompt days in a row, most recent first.
  Days without a prompt (weekends, days off, pauses) neither count nor break it, and
  today's prompt, while unanswered, doesn't break it either. However long the run, it
  all counts.
- The **misses in a row** before ``today`` are the unanswered prompt days in a row
  before it, most recent first (the planner checks in after a few).
- Both **lapse** after :data:`LAPSE_DAYS` days without a prompt day (a long pause):
  the next prompt day starts afresh. This is also why records older than that can
  go (``bot.core.jobs.retention``) without changing anyone's streak.

So that a reply costs the same on the thousandth working day as on the first, storage
keeps the rule's running state on each prompt day as it is written (see
:func:`following`): what came before the day, in two counts. The latest prompt day
alone then answers both questions; a whole history answers them too.

    >>> monday = PromptDay(date(2026, 12, 7), True, run_before=4)
    >>> streak([monday], date(2026, 12, 8))
    5
    >>> tuesday = following(monday, date(2026, 12, 8))
    >>> streak([tuesday], date(2026, 12, 8)), streak([tuesday], date(2026, 12, 9))
    (5, 0)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

#: A streak (or a run of misses) lapses once its latest prompt day is this many days
#: old: four weeks, longer than the pauses offered (two weeks) and a usual holiday.
LAPSE_DAYS = 28


@dataclass(frozen=True)
class PromptDay:
    """One prompt day, and the rule's counts for the prompt days before it."""

    day: date
    answered: bool
    #: Answered prompt days in a row just before this one.
    run_before: int = 0
    #: Unanswered prompt days in a row just before this one.
    misses_before: int = 0


def local_day(moment: datetime, zone: str) -> date:
    """The operative's local date of a moment: what makes a prompt day, or a same-day reply."""
    return moment.astimezone(ZoneInfo(zone)).date()


def following(previous: PromptDay | None, day: date) -> PromptDay:
    """The new, unanswered prompt day ``day`` after ``previous`` (the latest before it)."""
    if previous is None or lapsed(previous, day):
        return PromptDay(day, False)
    if previous.answered:
        return PromptDay(day, False, run_before=previous.run_before + 1)
    return PromptDay(day, False, misses_before=previous.misses_before + 1)


def lapsed(latest: PromptDay, today: date) -> bool:
    """Whether what ``latest`` carries is forgotten by ``today``."""
    return (today - latest.day).days >= LAPSE_DAYS


def carried(days: Iterable[PromptDay]) -> list[PromptDay]:
    """Prompt days in order, one per date (answered if any prompt that day was), each
    with its counts: the earliest keeps the counts it carries, the rest follow it."""
    by_day: dict[date, bool] = {}
    first: PromptDay | None = None
    for prompt_day in days:
        by_day[prompt_day.day] = by_day.get(prompt_day.day, False) or prompt_day.answered
        if first is None or prompt_day.day < first.day:
            first = prompt_day
    chain: list[PromptDay] = []
    for day in sorted(by_day):
        if not chain:
            assert first is not None
            chain.append(replace(first, answered=by_day[day]))
        else:
            chain.append(replace(following(chain[-1], day), answered=by_day[day]))
    return chain


def _latest(days: Iterable[PromptDay], today: date) -> PromptDay | None:
    chain = carried(d for d in days if d.day <= today)
    return chain[-1] if chain else None


def streak(days: Iterable[PromptDay], today: date) -> int:
    """Answered prompt days in a row on ``today``: from a whole history, or from the
    latest prompt day alone (which carries the counts before it). Later days are ignored."""
    latest = _latest(days, today)
    if latest is None or lapsed(latest, today):
        return 0
    if latest.answered:
        return latest.run_before + 1
    return latest.run_before if latest.day == today else 0


def misses_in_a_row(days: Iterable[PromptDay], today: date) -> int:
    """Unanswered prompt days in a row before ``today``, most recent first."""
    latest = _latest(days, today)
    if latest is None or lapsed(latest, today):
        return 0
    if latest.day == today:
        return latest.misses_before
    return 0 if latest.answered else latest.misses_before + 1
