"""/settings with buttons: time, days and time zone."""

from __future__ import annotations

from datetime import time

from bot.core.router import Coach
from tests.unit.conversation import Operative
from tests.unit.test_enrolment import stored


def started(coach: Coach) -> Operative:
    sam = Operative(coach)
    sam.send("/start")
    return sam


def test_settings_shows_current_values_and_menu(coach: Coach) -> None:
    sam = started(coach)
    answer = sam.send("/settings")
    assert "08:00" in answer and "Mon to Fri" in answer and "Europe/London" in answer
    assert [b.label for b in sam.buttons()] == ["Prompt time", "Days", "Time zone", "Trade", "Done"]


def test_prompt_time_is_chosen_within_the_allowed_hours(coach: Coach) -> None:
    sam = started(coach)
    sam.send("/settings")
    sam.press("Prompt time")
    hours = [b.label for b in sam.buttons()]
    assert hours[0] == "07:00" and hours[-1] == "19:00"
    sam.press("16:00")
    assert "16:30" in sam.press("16:30")
    operative = stored(coach)
    assert operative is not None and operative.prompt_time == time(16, 30)


def test_days_toggle_and_save(coach: Coach) -> None:
    sam = started(coach)
    sam.send("/settings")
    sam.press("Days")
    assert sum(b.label.startswith("✓") for b in sam.buttons()) == 5
    sam.press("Sat")
    sam.press("✓ Mon")
    assert "Tue, Wed, Thu, Fri, Sat" in sam.press("Done")
    operative = stored(coach)
    assert operative is not None and operative.working_days == frozenset({1, 2, 3, 4, 5})


def test_no_days_is_not_accepted(coach: Coach) -> None:
    sam = started(coach)
    sam.press_data("set:dd:0")
    assert "at least one day" in sam.last[0].text
    operative = stored(coach)
    assert operative is not None and operative.working_days == frozenset(range(5))


def test_time_zone_from_buttons_or_typed(coach: Coach) -> None:
    sam = started(coach)
    sam.send("/settings")
    sam.press("Time zone")
    assert "Europe/Dublin" in sam.press("Europe/Dublin")
    sam.send("/settings")
    sam.press("Time zone")
    sam.press("Somewhere else")
    assert "Europe/Madrid" in sam.send("europe/madrid")
    operative = stored(coach)
    assert operative is not None and operative.timezone == "Europe/Madrid"


def test_typed_time_zone_that_does_not_exist_gets_a_clear_answer(coach: Coach) -> None:
    sam = started(coach)
    sam.press_data("set:tz:other")
    answer = sam.send("Narnia/<Lamp>")
    assert "I don't know the time zone" in answer and "&lt;Lamp&gt;" in answer
    operative = stored(coach)
    assert operative is not None and operative.timezone == "Europe/London"
    assert operative.awaiting is None


def test_start_asks_the_trade_once_and_settings_can_change_it(coach: Coach) -> None:
    sam = Operative(coach)
    welcome = sam.send("/start")
    assert "what's your trade?" in welcome
    labels = [button.label for button in sam.buttons()]
    assert "Joiner" in labels and "Skip" in labels and "Gas engineer" in labels
    assert "Trade: Joiner" in sam.press("Joiner")
    operative = stored(coach)
    assert operative is not None and operative.trade == "joinery"
    assert "what's your trade?" not in sam.send("/start")
    settings = sam.send("/settings")
    assert "Trade: Joiner" in settings
    sam.press("Trade")
    assert "Trade: not set" in sam.press("Skip")
    operative = stored(coach)
    assert operative is not None and operative.trade is None


def test_a_forged_trade_button_has_expired(coach: Coach) -> None:
    sam = Operative(coach)
    sam.send("/start")
    assert "expired" in sam.press_data("set:tr:astronaut")
