"""/settings: prompt time, working days, time zone and trade, chosen with buttons.

A button carries the whole choice so far (``ToggleDays(31)`` is Monday to Friday),
so nothing is half-saved if the operative wanders off mid-way.

The prompt time and the time zone may also be typed ("7:30", "Europe/Madrid").
While the bot waits for one (:class:`TypedTime`, :class:`TypedZone`) every typed
message answers it, until it is set or cancelled (the Cancel button, "cancel", or
any other settings button); a scenario that was waiting for an answer waits again
afterwards.
"""

from __future__ import annotations

from datetime import time

from bot.core.callbacks import (
    OpenSettings,
    PickHour,
    SaveDays,
    SetDailyPrompts,
    SetPromptTime,
    SetTrade,
    SetZone,
    StopTyping,
    ToggleDays,
    TypedTime,
    TypedZone,
    TypeZone,
    button,
    scenario_awaited,
    waiting,
)
from bot.core.content.html import escape
from bot.core.content.library import TRADES
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.messages import Button
from bot.core.model import WEEKDAYS, EventType, Operative, Role, days_to_mask, mask_to_days
from bot.core.parsing import (
    is_cancel,
    parse_clock_time,
    parse_timezone,
    suggest_timezones,
)

#: Prompts are only ever sent between 07:00 and 20:00, so those are the hours offered
#: (and a typed time must fall in them: 19:59 is the latest).
PROMPT_HOURS = range(7, 20)
PROMPT_MINUTES = (0, 15, 30, 45)
COMMON_ZONES = ("Europe/London", "Europe/Dublin")
#: A typed answer is quoted back at most this long.
QUOTED_CHARS = 60

Buttons = tuple[tuple[Button, ...], ...]
Choice = (
    OpenSettings
    | PickHour
    | SetPromptTime
    | ToggleDays
    | SaveDays
    | SetZone
    | TypeZone
    | StopTyping
    | SetTrade
    | SetDailyPrompts
)
CANCEL: Buttons = ((button("Cancel", StopTyping()),),)

MENU: Buttons = (
    (button("Prompt time", OpenSettings("time")), button("Days", OpenSettings("days"))),
    (button("Time zone", OpenSettings("tz")), button("Trade", OpenSettings("trade"))),
    (button("Done", OpenSettings("done")),),
)


def settings_page(deps: Deps, operative: Operative) -> tuple[str, Buttons]:
    """/settings: what is set, and a button for each thing. Facilitators, managers and
    admins also see whether daily scenarios are on, with a button to switch them (and
    so does anyone who turned them off in a role they no longer have)."""
    text = deps.text("settings", **summary(deps, operative))
    if deps.role_of(operative) is Role.OPERATIVE and operative.daily_prompts is not False:
        return text, MENU
    on = deps.gets_daily_prompts(operative)
    text += "\n" + deps.text("settings_prompts_on" if on else "settings_prompts_off")
    switch = button(
        deps.text("settings_prompts_stop" if on else "settings_prompts_start"),
        SetDailyPrompts(not on),
    )
    return text, ((switch,), *MENU)


def trade_buttons(deps: Deps) -> Buttons:
    """One button a trade, and one for "I'd rather not say"."""
    trades = [button(deps.text(f"trade_{trade}"), SetTrade(trade)) for trade in TRADES]
    return (*_rows(trades, 2), (button(deps.text("trade_skip"), SetTrade(None)),))


def show(turn: Turn, deps: Deps, args: str) -> None:
    """/settings: what is set now, with a button for each thing to change."""
    operative = turn.known
    stop_typing(operative)  # the menu again: a half-typed setting is left
    turn.uow.operatives.save(operative)
    turn.say(*settings_page(deps, operative))


def summary(deps: Deps, operative: Operative) -> dict[str, str]:
    trade = deps.text(f"trade_{operative.trade}") if operative.trade else deps.text("no_trade")
    return {
        "time": f"{operative.prompt_time:%H:%M}",
        "days": operative.days_label(),
        "timezone": operative.timezone,
        "trade": trade,
    }


def _rows(buttons: list[Button], width: int) -> Buttons:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def _day_buttons(mask: int) -> Buttons:
    days = [
        button(
            ("✓ " if mask & (1 << day) else "") + WEEKDAYS[day].capitalize(),
            ToggleDays(mask ^ (1 << day)),
        )
        for day in range(7)
    ]
    return (*_rows(days, 4), (button("Done", SaveDays(mask)),))


def _mask(operative: Operative) -> int:
    return days_to_mask(operative.working_days)


def stop_typing(operative: Operative) -> None:
    """End a wait for a typed time or time zone, back to the scenario it interrupted."""
    match waiting(operative.awaiting):
        case TypedTime(resume=resume) | TypedZone(resume=resume):
            operative.awaiting = resume.encode() if resume else None


def _start_typing(operative: Operative, state: type[TypedTime] | type[TypedZone]) -> None:
    operative.awaiting = state(scenario_awaited(waiting(operative.awaiting))).encode()


def press(turn: Turn, deps: Deps, choice: Choice) -> None:
    """Handle a settings button."""
    operative = turn.operative
    assert operative is not None
    awaiting = operative.awaiting
    # Any button here ends typing; the time and time zone pages start it again.
    stop_typing(operative)
    _choose(turn, deps, operative, choice)
    if operative.awaiting != awaiting:
        turn.uow.operatives.save(operative)


def _choose(turn: Turn, deps: Deps, operative: Operative, choice: Choice) -> None:
    match choice:
        case OpenSettings(page="time"):
            _start_typing(operative, TypedTime)
            hours = [button(f"{hour:02d}:00", PickHour(hour)) for hour in PROMPT_HOURS]
            turn.say(deps.text("settings_pick_hour"), (*_rows(hours, 5), *CANCEL), replace=True)
        case PickHour(hour=hour) if hour in PROMPT_HOURS:
            _start_typing(operative, TypedTime)
            minutes = [
                button(f"{hour:02d}:{minute:02d}", SetPromptTime(hour, minute))
                for minute in PROMPT_MINUTES
            ]
            turn.say(deps.text("settings_pick_minute"), (*_rows(minutes, 4), *CANCEL), replace=True)
        case SetPromptTime(hour=hour, minute=minute) if (
            hour in PROMPT_HOURS and minute in PROMPT_MINUTES
        ):
            operative.prompt_time = time(hour, minute)
            _save(turn, deps, operative, "prompt_time")
        case OpenSettings(page="days"):
            turn.say(deps.text("settings_pick_days"), _day_buttons(_mask(operative)), replace=True)
        case ToggleDays(mask=mask):
            turn.say(deps.text("settings_pick_days"), _day_buttons(mask), replace=True)
        case SaveDays(mask=0):
            turn.say(deps.text("settings_no_days"), _day_buttons(0), replace=True)
        case SaveDays(mask=mask):
            operative.working_days = mask_to_days(mask)
            _save(turn, deps, operative, "working_days")
        case OpenSettings(page="tz"):
            zones = [button(zone, SetZone(zone)) for zone in COMMON_ZONES]
            zones.append(button("Somewhere else", TypeZone()))
            turn.say(deps.text("settings_pick_timezone"), _rows(zones, 1), replace=True)
        case TypeZone():
            _start_typing(operative, TypedZone)
            turn.say(deps.text("settings_type_timezone"), CANCEL, replace=True)
        case SetZone(zone=zone) if parse_timezone(zone) == zone:
            # The common zones, or one suggested for a name that wasn't one.
            operative.timezone = zone
            _save(turn, deps, operative, "timezone")
        case StopTyping():
            _unchanged(turn, deps, operative, replace=True)
        case OpenSettings(page="trade"):
            turn.say(deps.text("ask_trade"), trade_buttons(deps), replace=True)
        case SetTrade(trade=trade):
            operative.trade = trade
            _save(turn, deps, operative, "trade")
        case SetDailyPrompts(on=on):
            operative.daily_prompts = on
            turn.uow.operatives.save(operative)
            turn.log(EventType.SETTINGS_CHANGED, setting="daily_prompts")
            key = "settings_prompts_started" if on else "settings_prompts_stopped"
            turn.say(deps.text(key, **summary(deps, operative)), replace=True)
        case OpenSettings(page="done"):
            turn.say(deps.text("settings_done"), replace=True)
        case _:
            turn.say(deps.text("button_expired"))


def typed_time(turn: Turn, deps: Deps, text: str) -> None:
    """The operative typed at the prompt-time picker: a time, "cancel", or something
    else (answered with how to type one; the picker keeps waiting)."""
    operative = turn.operative
    assert operative is not None
    if is_cancel(text):
        stop_typing(operative)
        turn.uow.operatives.save(operative)
        _unchanged(turn, deps, operative)
        return
    moment = parse_clock_time(text)
    if moment is None:
        turn.say(deps.text("settings_bad_time", value=_quoted(text)), CANCEL)
        return
    if moment.hour not in PROMPT_HOURS:
        turn.say(deps.text("settings_time_outside", time=f"{moment:%H:%M}"), CANCEL)
        return
    stop_typing(operative)
    operative.prompt_time = moment
    _save(turn, deps, operative, "prompt_time")


def typed_timezone(turn: Turn, deps: Deps, text: str) -> None:
    """The operative typed a time zone after "Somewhere else".

    A name that isn't a zone is answered with the nearest ones as buttons, and the
    bot keeps waiting: the next message may be the zone, or "cancel".
    """
    operative = turn.operative
    assert operative is not None
    if is_cancel(text):
        stop_typing(operative)
        turn.uow.operatives.save(operative)
        _unchanged(turn, deps, operative)
        return
    zone = parse_timezone(text)
    if zone is None:
        suggestions = suggest_timezones(text)
        key = "settings_bad_timezone" if suggestions else "settings_unknown_timezone"
        buttons = [button(suggestion, SetZone(suggestion)) for suggestion in suggestions]
        turn.say(deps.text(key, value=_quoted(text)), (*_rows(buttons, 1), *CANCEL))
        return
    stop_typing(operative)
    operative.timezone = zone
    _save(turn, deps, operative, "timezone")


def _quoted(text: str) -> str:
    return escape(text.strip()[:QUOTED_CHARS])


def _unchanged(turn: Turn, deps: Deps, operative: Operative, *, replace: bool = False) -> None:
    turn.say(deps.text("settings_unchanged", **summary(deps, operative)), replace=replace)


def _save(turn: Turn, deps: Deps, operative: Operative, what: str) -> None:
    turn.uow.operatives.save(operative)
    turn.log(EventType.SETTINGS_CHANGED, setting=what)
    turn.say(deps.text("settings_saved", **summary(deps, operative)), replace=True)


ROUTES = Routes(
    commands={"settings": show},
    buttons={
        OpenSettings: press,
        PickHour: press,
        SetPromptTime: press,
        ToggleDays: press,
        SaveDays: press,
        SetZone: press,
        TypeZone: press,
        StopTyping: press,
        SetTrade: press,
        SetDailyPrompts: press,
    },
    waiting={
        TypedTime: lambda turn, deps, state, text: typed_time(turn, deps, text),
        TypedZone: lambda turn, deps, state, text: typed_timezone(turn, deps, text),
    },
)
