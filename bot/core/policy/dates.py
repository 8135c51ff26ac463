"""Reading the dates people type: "24/12", "24 Dec", "2026-12-24", "until 24th december"."""

from __future__ import annotations

import re
from datetime import date, timedelta

_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}


def month_number(word: str) -> int | None:
    """1 to 12 for a month's name or its usual short form ("dec", "Sept"), else None."""
    return _MONTHS.get(word.strip().lower())


# re.ASCII: only 0-9 are digits here, so int() below always accepts what matched.
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$", re.ASCII)
_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})(?:[/.-](\d{2}|\d{4}))?$", re.ASCII)
_WORDS = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)(?:\s+(\d{4}))?$", re.ASCII)


def day_month_year(text: str) -> tuple[int, int, int | None] | None:
    """The day, month and (if typed) year of a date, British day-first: "24/12",
    "24.12.26", "24th Dec", "2026-12-24". None if the text isn't shaped like a date;
    the numbers may still make no date (31/2). Never raises."""
    cleaned = text.strip().lower()
    if match := _ISO.match(cleaned):
        return int(match[3]), int(match[2]), int(match[1])
    if match := _SLASHED.match(cleaned):
        typed = match[3]
        year = None if typed is None else int(typed) + (2000 if len(typed) == 2 else 0)
        return int(match[1]), int(match[2]), year
    if (match := _WORDS.match(cleaned)) and (month := month_number(match[2])):
        return int(match[1]), month, int(match[3]) if match[3] else None
    return None


def parse_day(text: str, today: date) -> date | None:
    """A date on or after ``today`` and within a year, British day-first; None if unclear.
    Without a year, the next such date is meant. Never raises, whatever ``text`` is."""
    cleaned = text.strip().lower().removeprefix("until").removeprefix("till").strip()
    parts = day_month_year(cleaned)
    if parts is None:
        return None
    day, month, year = parts
    try:
        found = date(today.year if year is None else year, month, day)
        if year is None and found < today:
            found = date(today.year + 1, month, day)
        if not today <= found <= today + timedelta(days=366):
            return None
    except (ValueError, OverflowError):  # day 31 of a short month, year 0, or past 9999
        return None
    return found
