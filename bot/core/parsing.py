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
from functools import cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

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
