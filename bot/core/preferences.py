"""/settings: prompt time, working days and time zone, chosen with buttons.

Button data carries the whole choice so far (``set:d:31`` is Monday to Friday),
so nothing is half-saved if the operative wanders off mid-way.
"""

from __future__ import annotations

from datetime import time
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.core.messages import Button
from bot.core.model import WEEKDAYS, EventType, Operative
from bot.core.telegram_html import escape

if TYPE_CHECKING:
    from bot.core.coaching import Coach, Turn

#: Prompts are only ever sent between 07:00 and 20:00, so those are the hours offered.
PROMPT_HOURS = range(7, 20)
PROMPT_MINUTES = (0, 15, 30, 45)
COMMON_ZONES = ("Europe/London", "Europe/Dublin")
ALL_DAYS_MASK = 0b1111111

Buttons = tuple[tuple[Button, ...], ...]

MENU: Buttons = (
    (Button("Prompt time", "set:time"), Button("Days", "set:days")),
    (Button("Time zone", "set:tz"), Button("Done", "set:done")),
)


def summary(operative: Operative) -> dict[str, str]:
    return {
        "time": f"{operative.prompt_time:%H:%M}",
        "days": operative.days_label(),
        "timezone": operative.timezone,
    }


def _rows(buttons: list[Button], width: int) -> Buttons:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def _day_buttons(mask: int) -> Buttons:
    days = [
        Button(
            ("✓ " if mask & (1 << day) else "") + WEEKDAYS[day].capitalize(),
            f"set:d:{mask ^ (1 << day)}",
        )
        for day in range(7)
    ]
    return (*_rows(days, 4), (Button("Done", f"set:dd:{mask}"),))


def _mask(operative: Operative) -> int:
    return sum(1 << day for day in operative.working_days)


def press(coach: Coach, turn: Turn, choice: str) -> None:
    """Handle a settings button; ``choice`` is the data after ``set:``."""
    operative = turn.operative
    assert operative is not None
    kind, _, value = choice.partition(":")
    if kind == "time":
        hours = [Button(f"{hour:02d}:00", f"set:h:{hour}") for hour in PROMPT_HOURS]
        turn.say(coach.text("settings_pick_hour"), _rows(hours, 5), replace=True)
    elif kind == "h" and value.isdigit() and int(value) in PROMPT_HOURS:
        hour = int(value)
        minutes = [Button(f"{hour:02d}:{m:02d}", f"set:m:{hour}:{m}") for m in PROMPT_MINUTES]
        turn.say(coach.text("settings_pick_minute"), _rows(minutes, 4), replace=True)
    elif kind == "m" and _valid_time(value):
        hour, minute = (int(part) for part in value.split(":"))
        operative.prompt_time = time(hour, minute)
        _save(coach, turn, operative, "prompt_time")
    elif kind == "days":
        turn.say(coach.text("settings_pick_days"), _day_buttons(_mask(operative)), replace=True)
    elif kind == "d" and value.isdigit() and int(value) <= ALL_DAYS_MASK:
        turn.say(coach.text("settings_pick_days"), _day_buttons(int(value)), replace=True)
    elif kind == "dd" and value.isdigit() and int(value) <= ALL_DAYS_MASK:
        if int(value) == 0:
            turn.say(coach.text("settings_no_days"), _day_buttons(0), replace=True)
            return
        operative.working_days = frozenset(d for d in range(7) if int(value) & (1 << d))
        _save(coach, turn, operative, "working_days")
    elif kind == "tz" and not value:
        zones = [Button(zone, f"set:tz:{zone}") for zone in COMMON_ZONES]
        zones.append(Button("Somewhere else", "set:tz:other"))
        turn.say(coach.text("settings_pick_timezone"), _rows(zones, 1), replace=True)
    elif kind == "tz" and value == "other":
        operative.awaiting = "timezone"
        turn.uow.operatives.save(operative)
        turn.say(coach.text("settings_type_timezone"), replace=True)
    elif kind == "tz" and value in COMMON_ZONES:
        operative.timezone = value
        _save(coach, turn, operative, "timezone")
    elif kind == "done":
        turn.say(coach.text("settings_done"), replace=True)
    else:
        turn.say(coach.text("button_expired"))


def typed_timezone(coach: Coach, turn: Turn, text: str) -> None:
    operative = turn.operative
    assert operative is not None
    zone = _zone_named(text.strip())
    if zone is None:
        operative.awaiting = None
        turn.uow.operatives.save(operative)
        turn.say(coach.text("settings_bad_timezone", value=escape(text.strip()[:60])))
        return
    operative.timezone = zone
    operative.awaiting = None
    _save(coach, turn, operative, "timezone")


def _zone_named(text: str) -> str | None:
    """The IANA zone the operative meant, forgiving case and spaces ('europe/london')."""
    candidate = text.replace(" ", "_")
    try:
        ZoneInfo(candidate)
        return candidate
    except (ZoneInfoNotFoundError, ValueError):
        pass
    by_lower = {zone.lower(): zone for zone in available_timezones()}
    return by_lower.get(candidate.lower())


def _valid_time(value: str) -> bool:
    hour, _, minute = value.partition(":")
    return (
        hour.isdigit()
        and minute.isdigit()
        and int(hour) in PROMPT_HOURS
        and int(minute) in PROMPT_MINUTES
    )


def _save(coach: Coach, turn: Turn, operative: Operative, what: str) -> None:
    turn.uow.operatives.save(operative)
    coach.log(turn, EventType.SETTINGS_CHANGED, setting=what)
    turn.say(coach.text("settings_saved", **summary(operative)), replace=True)
