"""Report periods as managers type them, and how periods read.

    parse_period("last week", today=date(2026, 12, 2), timezone="Europe/London")
    parse_period("december", ...)     # 1 Dec to today: a month so far
    parse_period("since 1/11", ...)   # 1 Nov to today
    period_label(period)              # "23 Nov to 29 Nov 2026"

Every form names whole days that have begun: a period never reaches past today,
and one that would start after today is refused. :func:`parse_period` never
raises, whatever it is given.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Final

from bot.core.policy.dates import day_month_year, month_number
from bot.core.reports.ports import Period

DEFAULT_PERIOD: Final = "4w"
#: The longest period a report covers.
MAX_DAYS: Final = 731
MAX_WEEKS: Final = 104
ONE_DAY: Final = timedelta(days=1)

# re.ASCII: only 0-9 are digits here, so int() below always accepts what matched.
_WEEKS = re.compile(r"^(?:(?:last|past) )?(\d{1,3}) ?(?:w|wk|wks|week|weeks)$", re.ASCII)
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_NAMED_MONTH = re.compile(r"^([a-z]+)(?: (\d{4}))?$", re.ASCII)
_RANGE = re.compile(r"^(?:from )?(.+?) ?(?:\.\.|(?<!\d)-(?!\d)| to | until | till )(.+)$")
_SPACES = re.compile(r"[\s_]+")
#: Words joined by a hyphen, as the bot used to ask for them ("last-week").
_HYPHENED = re.compile(r"(?<=[a-z])-(?=[a-z])", re.ASCII)


def parse_period(text: str, today: date, timezone: str) -> Period | None:
    """A period from what a manager typed (any case, hyphens or spaces between words):

    - nothing, ``4w``, ``4 weeks``, ``last 4 weeks``: the last 4 whole weeks, Monday
      to Sunday, before this one (the default);
    - ``this week``, ``last week``, ``this month``, ``last month``;
    - ``december``, ``nov``, ``nov 2025``, ``2026-10``: that month, the latest one
      begun (so far, if it is this month);
    - ``since 1/11``, ``since 1 nov``, ``since november``: from then to today;
    - ``1/11 to 15/11``, ``2026-10-01..2026-10-31``: those days.

    Days are British, day first; without a year, the latest such day not after
    today. None if the text is none of these, or names no real stretch of days
    begun by today ("2026-13", "0000-01", a month to come, a range backwards or
    longer than :data:`MAX_DAYS`). Never raises.
    """
    try:
        return _period(text, today, timezone)
    except (ValueError, OverflowError):  # only at the ends of the calendar
        return None


def _period(text: str, today: date, timezone: str) -> Period | None:
    cleaned = _HYPHENED.sub(" ", _SPACES.sub(" ", text.strip().lower())) or DEFAULT_PERIOD
    if len(cleaned) > 60:
        return None
    this_monday = today - timedelta(days=today.weekday())
    if cleaned == "this week":
        return Period(this_monday, today, timezone)
    if cleaned == "last week":
        cleaned = "1w"
    if match := _WEEKS.match(cleaned):
        weeks = int(match[1])
        if not 1 <= weeks <= MAX_WEEKS:
            return None
        return Period(this_monday - timedelta(weeks=weeks), this_monday - ONE_DAY, timezone)
    if cleaned == "this month":
        return Period(today.replace(day=1), today, timezone)
    if cleaned == "last month":
        year, month = _previous_month(today.year, today.month)
        found = _month(year, month)
        return None if found is None else Period(*found, timezone)
    if (named := _named_month(cleaned, today)) is not None:
        return _so_far(named[0], named[1], today, timezone)
    if cleaned.startswith("since "):
        rest = cleaned.removeprefix("since ")
        first = _day(rest, today)
        if first is None and (named := _named_month(rest, today)) is not None:
            first = named[0]
        return None if first is None else _so_far(first, today, today, timezone)
    if match := _RANGE.match(cleaned):
        first = _day(match[1].strip(), today)
        last = _day(match[2].strip(), first or today, after=True)
        if first is None or last is None:
            return None
        return _so_far(first, last, today, timezone)
    return None


def _so_far(first: date, last: date, today: date, timezone: str) -> Period | None:
    """The days from ``first`` to ``last`` that have begun by today, if it is a period."""
    if first > today:
        return None
    return checked_period(first, min(last, today), timezone)


def checked_period(first: date, last: date, timezone: str) -> Period | None:
    """A period between two dates, if it is the right way round and not too long."""
    if last < first or (last - first).days + 1 > MAX_DAYS:
        return None
    return Period(first, last, timezone)


def _month(year: int, month: int) -> tuple[date, date] | None:
    """The first and last day of a month, if the calendar has it (years 1 to 9999)."""
    if not (1 <= month <= 12 and date.min.year <= year <= date.max.year):
        return None
    first = date(year, month, 1)
    last = date.max if (year, month) == (date.max.year, 12) else _next_month(first) - ONE_DAY
    return first, last


def _next_month(first: date) -> date:
    return date(first.year + (first.month == 12), first.month % 12 + 1, 1)


def _previous_month(year: int, month: int) -> tuple[int, int]:
    return (year - 1, 12) if month == 1 else (year, month - 1)


def _named_month(text: str, today: date) -> tuple[date, date] | None:
    """ "2026-10", "nov 2025", or "december": the latest December begun by today."""
    if match := _ISO_MONTH.match(text):
        return _month(int(match[1]), int(match[2]))
    match = _NAMED_MONTH.match(text)
    month = month_number(match[1]) if match else None
    if match is None or month is None:
        return None
    if match[2] is not None:
        return _month(int(match[2]), month)
    return _month(today.year - (month > today.month), month)


def _day(text: str, today: date, *, after: bool = False) -> date | None:
    """A typed day: "1/11", "1.11.26", "1st nov", "1 november 2026", "2026-11-01".

    Without a year, the latest such day on or before ``today``; with ``after``,
    the first one on or after it (the end of a range, after its start).
    """
    parts = day_month_year(text)
    if parts is None:
        return None
    day, month, year = parts
    if year is not None:
        return _date(year, month, day)
    # Four years each way: far enough to find a 29 February.
    for offset in range(5) if after else range(0, -5, -1):
        found = _date(today.year + offset, month, day)
        if found is not None and (found >= today if after else found <= today):
            return found
    return None


def _date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:  # 30 February, month 13, year 0
        return None


def period_label(period: Period) -> str:
    """ "2 Nov to 29 Nov 2026", "28 Dec 2026 to 3 Jan 2027", or "Monday 2 Nov 2026"."""
    first, last = period.first, period.last
    if first == last:
        return f"{first:%A} {first.day} {first:%b %Y}"
    if first.year == last.year:
        return f"{first.day} {first:%b} to {last.day} {last:%b %Y}"
    return f"{first.day} {first:%b %Y} to {last.day} {last:%b %Y}"


def week_label(monday: date) -> str:
    return f"{monday.day} {monday:%b}"
