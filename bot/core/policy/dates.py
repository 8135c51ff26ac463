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


def parse_day(text: str, today: date) -> date | None:
    """A date on or after ``today`` and within a year, British day-first; None if unclear.
    Without a year, the next such date is meant. Never raises, whatever ``text`` is."""
    cleaned = text.strip().lower().removeprefix("until").removeprefix("till").strip()
    day = month = year = None
    if match := _ISO.match(cleaned):
        year, month, day = (int(part) for part in match.groups())
    elif match := _SLASHED.match(cleaned):
        day, month = int(match[1]), int(match[2])
        year = (
            int(match[3]) + (2000 if match[3] and len(match[3]) == 2 else 0) if match[3] else None
        )
    elif (match := _WORDS.match(cleaned)) and match[2] in _MONTHS:
        day, month = int(match[1]), _MONTHS[match[2]]
        year = int(match[3]) if match[3] else None
    if day is None or month is None:
        return None
    try:
        found = date(today.year if year is None else year, month, day)
        if year is None and found < today:
            found = date(today.year + 1, month, day)
        if not today <= found <= today + timedelta(days=366):
            return None
    except (ValueError, OverflowError):  # day 31 of a short month, year 0, or past 9999
        return None
    return found
