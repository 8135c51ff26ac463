"""/settings with buttons and typed answers, and the rest of an operative's own controls:
/pause, /later, /privacy and /forgetme."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from bot.core.router import Coach
from tests.support import FakeClock
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
    assert hours[0] == "07:00" and hours[-2] == "19:00" and hours[-1] == "Cancel"
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
    assert [b.label for b in sam.buttons()] == ["Cancel"]  # nothing close to suggest
    operative = stored(coach)
    assert operative is not None and operative.timezone == "Europe/London"
    assert operative.awaiting == "timezone"  # still waiting for a zone


def test_a_country_gets_its_zones_and_the_bot_keeps_waiting(coach: Coach) -> None:
    sam = started(coach)
    sam.send("/settings")
    sam.press("Time zone")
    sam.press("Somewhere else")
    assert "Did you mean one of these?" in sam.send("spain")
    assert [b.label for b in sam.buttons()] == [
        "Europe/Madrid",
        "Africa/Ceuta",
        "Atlantic/Canary",
        "Cancel",
    ]
    # Typed instead of tapped: still read as the time zone, not as chat.
    assert "Saved" in sam.send("Europe/Madrid")
    operative = stored(coach)
    assert operative is not None and operative.timezone == "Europe/Madrid"
    assert operative.awaiting is None
    # And the next message is a message again.
    assert "time zone" not in sam.send("hello")


def test_a_suggested_zone_is_one_tap(coach: Coach) -> None:
    sam = started(coach)
    sam.press_data("set:tz:other")
    sam.send("madird")
    assert "Europe/Madrid" in sam.press("Europe/Madrid")
    operative = stored(coach)
    assert operative is not None and operative.timezone == "Europe/Madrid"
    assert operative.awaiting is None


def test_typing_a_time_zone_can_be_cancelled_by_button_or_word(coach: Coach) -> None:
    sam = started(coach)
    sam.press_data("set:tz:other")
    sam.send("spain")
    assert "No change" in sam.press("Cancel")
    operative = stored(coach)
    assert operative is not None and operative.awaiting is None
    sam.press_data("set:tz:other")
    assert "No change" in sam.send("cancel")
    operative = stored(coach)
    assert operative is not None and operative.awaiting is None
    assert operative.timezone == "Europe/London"


def test_a_time_can_be_typed_at_the_hour_or_minute_picker(coach: Coach) -> None:
    sam = started(coach)
    for typed, saved in (("7:30", time(7, 30)), ("7.30pm", time(19, 30)), ("9am", time(9, 0))):
        sam.send("/settings")
        sam.press("Prompt time")
        answer = sam.send(typed)
        assert f"Prompts at {saved:%H:%M}" in answer
        operative = stored(coach)
        assert operative is not None and operative.prompt_time == saved
        assert operative.awaiting is None
    sam.send("/settings")
    sam.press("Prompt time")
    sam.press("10:00")
    assert "Prompts at 10:05" in sam.send("10:05")


def test_a_typed_time_out_of_hours_or_unreadable_is_explained_and_still_awaited(
    coach: Coach,
) -> None:
    sam = started(coach)
    sam.send("/settings")
    sam.press("Prompt time")
    assert "between 07:00 and 20:00, so 05:30 won't work" in sam.send("5:30")
    assert "between 07:00 and 20:00, so 21:00 won't work" in sam.send("9pm")
    assert 'couldn\'t read "half seven" as a time' in sam.send("half seven")
    assert [b.label for b in sam.buttons()] == ["Cancel"]
    assert "Prompts at 17:30" in sam.send("5:30pm")
    operative = stored(coach)
    assert operative is not None and operative.prompt_time == time(17, 30)


def test_another_settings_button_ends_the_wait_for_a_typed_time(coach: Coach) -> None:
    sam = started(coach)
    sam.send("/settings")
    sam.press("Prompt time")
    sam.press("Cancel")
    operative = stored(coach)
    assert operative is not None and operative.awaiting is None
    sam.send("/settings")
    sam.press("Prompt time")
    sam.send("/settings")  # the menu again
    operative = stored(coach)
    assert operative is not None and operative.awaiting is None


def test_a_scenario_on_screen_still_waits_after_a_setting_is_typed(coach: Coach) -> None:
    sam = started(coach)
    sam.send("/practice")
    prompt = sam.last[-1]
    operative = stored(coach)
    assert operative is not None and operative.awaiting is not None
    scenario = operative.awaiting
    sam.send("/settings")
    sam.press("Prompt time")
    assert "Prompts at 07:45" in sam.send("7:45")
    operative = stored(coach)
    assert operative is not None and operative.awaiting == scenario
    first_option = prompt.buttons[0][0]
    assert "What works" in sam.press_data(first_option.data)


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


def test_a_pause_that_ends_on_a_day_off_names_the_first_working_day(
    coach: Coach, clock: FakeClock
) -> None:
    clock.set(datetime(2026, 12, 4, 9, 0, tzinfo=UTC))  # Friday
    sam = started(coach)
    answer = sam.send("/pause 2")  # today and Saturday off; back on Sunday, a day off
    assert "up to and including Saturday 5 December" in answer
    assert "start again on Monday 7 December at 08:00" in answer
    assert "Sunday" not in answer


def test_a_pause_until_a_date_says_the_date_is_a_day_off(coach: Coach) -> None:
    sam = started(coach)  # Tuesday 1 December
    answer = sam.send("/pause until 24/12")
    assert "up to and including Thursday 24 December" in answer
    assert "start again on Friday 25 December" in answer
    operative = stored(coach)
    assert operative is not None and operative.paused_until == date(2026, 12, 25)


def test_later_with_a_practice_scenario_says_it_stays_open(coach: Coach) -> None:
    sam = started(coach)
    assert "no scenario waiting" in sam.send("/later")
    sam.send("/practice")
    prompt = sam.last[-1]
    answer = sam.send("/later")
    assert "stays open" in answer and "no scenario waiting" not in answer
    assert "What works" in sam.press_data(prompt.buttons[0][0].data)  # still answerable


def test_privacy_says_what_is_kept_and_who_sees_it(coach: Coach) -> None:
    sam = started(coach)
    answer = sam.send("/privacy")
    for fact in (
        "Telegram name and id",
        "People sheet with your name",
        "/gaps), without names",
        "groups of 5 or more",
        "never your own words",
        "after 2 years",
        "/forgetme",
    ):
        assert fact in answer, fact


def test_forgetme_counts_in_words_people_would_use(coach: Coach) -> None:
    sam = started(coach)
    sam.send("how do i fix the quantum wibble sprocket")
    sam.send("/forgetme")
    done = sam.press("Yes, erase it all")
    assert "• 1 question you asked me" in done
    assert "1 questions" not in done and "records of" in done
