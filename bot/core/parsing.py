"""Reading what people type: one validating function per kind of input.

Each function returns the value, or None when the text can't be used; the
handler then says how to type it. None of them raises, whatever the text:
"²" and "٣" are not numbers here (``str.isdigit`` says they are, ``int`` may
refuse them), "Europe" is not a time zone (``ZoneInfo`` raises
``IsADirectoryError`` for it), and a thousand digits are not an id.

The other kinds live beside the rules they serve:

- dates: :func:`bot.core.policy.dates.parse_day`;
- report periods: :func:`bot.core.reports.periods.parse_period`;
- button data and waiting states: :func:`bot.core.callbacks.decode` and
  :func:`bot.core.callbacks.waiting`.
"""

from __future__ import annotations

import re
from datetime import time
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Final
from zoneinfo import TZPATH, ZoneInfo, ZoneInfoNotFoundError, available_timezones

from rapidfuzz import fuzz, process

#: Telegram user ids fit in 52 bits; anything longer is not one.
MAX_USER_ID: Final = 2**53 - 1
#: The operatives' ``timezone`` column holds this many characters.
MAX_ZONE_CHARS: Final = 64

_DIGITS = re.compile(r"[0-9]{1,16}", re.ASCII)
_INVITE_CODE = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


def whole_number(text: str, low: int, high: int) -> int | None:
    """A whole number from ``low`` to ``high`` typed in ASCII digits ("07" is 7)."""
    cleaned = text.strip()
    if not _DIGITS.fullmatch(cleaned):
        return None
    value = int(cleaned)
    return value if low <= value <= high else None


def looks_numeric(text: str) -> bool:
    """Whether someone meant a number: digits of any script ("²", "٣"), nothing else."""
    cleaned = text.strip()
    return bool(cleaned) and all(character.isdigit() for character in cleaned)


def parse_user_id(text: str) -> int | None:
    """A Telegram user id, as an admin types it in ``/grant``."""
    return whole_number(text, 1, MAX_USER_ID)


def parse_choice(text: str, count: int) -> int | None:
    """A numbered choice from 1 to ``count`` (the terminal's buttons), as an index from 0."""
    chosen = whole_number(text, 1, count)
    return None if chosen is None else chosen - 1


def parse_invite_code(text: str) -> str | None:
    """An invite code (a deep-link payload): 1 to 64 of ``A-Za-z0-9_-``."""
    cleaned = text.strip()
    return cleaned if _INVITE_CODE.fullmatch(cleaned) else None


@cache
def _zones_by_lower_case() -> dict[str, str]:
    return {zone.lower(): zone for zone in available_timezones()}


def parse_timezone(text: str) -> str | None:
    """The IANA zone someone meant, forgiving case and spaces ("europe/london").

    Only names in the zone database count, so a folder of it ("Europe"), a path
    ("../etc") or 300 characters get None instead of an error from ``ZoneInfo``.
    """
    candidate = text.strip().replace(" ", "_")
    if not candidate or len(candidate) > MAX_ZONE_CHARS:
        return None
    zone = _zones_by_lower_case().get(candidate.lower())
    if zone is None:
        return None
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None
    return zone


# -- times of day ----------------------------------------------------------------------

#: "7", "7:30", "07.30", "7 30", "7h30", "7am", "7:30 pm", "7.30p.m.", "1930".
_CLOCK = re.compile(r"(\d{1,2})(?:[:.h ]?(\d{2}))?\s*([ap])?m?", re.ASCII)
_WORDS_FOR_NOON = frozenset({"noon", "midday", "12 noon"})


def parse_clock_time(text: str) -> time | None:
    """The time of day someone typed ("7:30", "07:30", "7.30", "7am", "7:30pm", "19:30").

    Without am or pm the hour is read on the 24-hour clock, so "5:30" is 05:30:
    guessing the afternoon would surprise the person who meant early. Whether the
    time suits the question (prompt hours, say) is the caller's to judge.
    """
    cleaned = text.strip().lower().replace("a.m.", "am").replace("p.m.", "pm")
    cleaned = cleaned.replace("a.m", "am").replace("p.m", "pm").removesuffix("o'clock").strip()
    if cleaned in _WORDS_FOR_NOON:
        return time(12, 0)
    if len(cleaned) > 12 or not (match := _CLOCK.fullmatch(cleaned)):
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[3] is None and cleaned.endswith("m"):
        return None  # "7m" is not a time
    if match[3] is not None:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[3] == "p" else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


# -- saying "never mind" -------------------------------------------------------------

_CANCEL_WORDS = frozenset(
    {"cancel", "never mind", "nevermind", "forget it", "back", "quit", "exit"}
)


def is_cancel(text: str) -> bool:
    """Whether a typed answer means "never mind" ("Cancel", "never mind.", "/cancel")."""
    cleaned = " ".join(text.strip().lower().strip("/.!").split())
    return cleaned in _CANCEL_WORDS


# -- time zones people don't name exactly --------------------------------------------

#: How many zones to suggest for a name that isn't one.
ZONE_SUGGESTIONS: Final = 3
#: How close (0-100, rapidfuzz's ratio) a typed name must be to a zone, city or country.
_ZONE_LIKENESS: Final = 75
#: Names people use that the zone tables don't: the parts of the UK, and short forms.
_COUNTRY_ALIASES: Final = {
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "gb": "GB",
    "usa": "US",
    "america": "US",
    "united states of america": "US",
}


def _zone_table(name: str) -> list[str]:
    """The lines of one of the zone database's tables (``zone.tab``, ``iso3166.tab``):
    from the tzdata package if installed, else from the system's zone folders."""
    try:
        return resources.files("tzdata.zoneinfo").joinpath(name).read_text("utf-8").splitlines()
    except (ModuleNotFoundError, OSError, UnicodeDecodeError):
        pass
    for folder in TZPATH:
        try:
            return Path(folder, name).read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
    return []


def _rows(name: str) -> list[list[str]]:
    return [line.split("\t") for line in _zone_table(name) if line and not line.startswith("#")]


@cache
def _zone_names() -> dict[str, tuple[str, ...]]:
    """Lower-case names (a zone, its city, a country) to the zones they suggest, in order."""
    valid = available_timezones()
    by_country: dict[str, list[str]] = {}
    for row in _rows("zone.tab"):
        if len(row) >= 3 and row[2] in valid:
            by_country.setdefault(row[0], []).append(row[2])
    names: dict[str, list[str]] = {}

    def add(name: str, zones: list[str]) -> None:
        listed = names.setdefault(name.lower().replace("_", " ").strip(), [])
        listed.extend(zone for zone in zones if zone not in listed)

    for row in _rows("iso3166.tab"):
        if len(row) >= 2 and row[0] in by_country:
            country, _, short = row[1].partition(" (")
            add(country, by_country[row[0]])
            if short:
                add(short.rstrip(")"), by_country[row[0]])
    for alias, code in _COUNTRY_ALIASES.items():
        add(alias, by_country.get(code, []))
    zones = [zone for listed in by_country.values() for zone in listed] or sorted(valid)
    for zone in zones:
        add(zone, [zone])
        add(zone.rsplit("/", 1)[-1], [zone])
    return {name: tuple(listed) for name, listed in names.items() if listed}


def suggest_timezones(text: str) -> list[str]:
    """Up to three zones someone may have meant: "spain" -> Europe/Madrid, "madird" ->
    Europe/Madrid, "londn" -> Europe/London. Empty when nothing is close."""
    query = " ".join(text.strip().lower().replace("_", " ").split())[:MAX_ZONE_CHARS]
    if not query:
        return []
    names = _zone_names()
    if query in names:  # a country or city by its name: its own zones, not look-alikes
        return list(names[query][:ZONE_SUGGESTIONS])
    found: list[str] = []
    close = process.extract(
        query, list(names), scorer=fuzz.ratio, score_cutoff=_ZONE_LIKENESS, limit=10
    )
    for name, _score, _index in close:
        found.extend(zone for zone in names[name] if zone not in found)
    return found[:ZONE_SUGGESTIONS]
