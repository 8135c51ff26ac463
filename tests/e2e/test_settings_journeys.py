"""An operative's own controls, walked as they would in Telegram: typed prompt times and
time zones in /settings, /later on a practice scenario, pauses over a weekend, /privacy
and /forgetme. Real PTB Application, local Bot API server."""

from __future__ import annotations

from datetime import time

import pytest
from telegram.ext import Application

from bot.core.model import Kind
from bot.core.router import Coach
from tests.e2e.conftest import Scheduler
from tests.e2e.test_daily_prompts import enrol, prompts_to, utc
from tests.fake_bot_api import FakeBotAPI, FakeUser, SentMessage

pytestmark = pytest.mark.e2e


async def started(server: FakeBotAPI, user_id: int) -> FakeUser:
    user = server.user(user_id, first_name="Sam")
    user.send("/start")
    await user.wait_for("what's your trade?")
    return user


async def open_page(user: FakeUser, page: str, expect: str) -> SentMessage:
    user.send("/settings")
    menu = await user.wait_for("Your settings")
    user.press(page, menu)
    return await user.wait_for(lambda m: m.message_id == menu.message_id and expect in m.text)


def stored_settings(coach: Coach, user_id: int) -> tuple[time, str, str | None]:
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(user_id)
        assert operative is not None
        return operative.prompt_time, operative.timezone, operative.awaiting


async def test_a_time_typed_at_the_hour_picker_is_taken_as_the_time(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    sam = await started(server, 3001)
    picker = await open_page(sam, "Prompt time", "Pick the hour")
    assert picker.button_texts[-1] == "Cancel"
    sam.send("6am")
    await sam.wait_for("between 07:00 and 20:00, so 06:00 won't work")
    sam.send("half seven")
    unreadable = await sam.wait_for('I couldn\'t read "half seven" as a time')
    assert unreadable.button_texts == ["Cancel"]
    sam.send("7:30")
    saved = await sam.wait_for("Saved")
    assert "Prompts at 07:30" in saved.plain_text
    assert stored_settings(coach, 3001)[0] == time(7, 30)
    # The next message is a message again, not another time.
    sam.send("what do i say if im running late")
    assert "as a time" not in (await sam.wait_for(lambda m: True)).plain_text
    # At the minute picker too, in the afternoon.
    await open_page(sam, "Prompt time", "Pick the hour")
    sam.press("16:00")
    await sam.wait_for("And the minutes")
    sam.send("4:40pm")
    assert "Prompts at 16:40" in (await sam.wait_for("Saved")).plain_text
    assert server.unanswered_callback_queries == []


async def test_typing_a_time_can_be_cancelled(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    sam = await started(server, 3002)
    picker = await open_page(sam, "Prompt time", "Pick the hour")
    sam.press("Cancel", picker)
    cancelled = await sam.wait_for(lambda m: m.message_id == picker.message_id and m.edited)
    assert "No change. Prompts at 08:00" in cancelled.plain_text
    await open_page(sam, "Prompt time", "Pick the hour")
    sam.send("cancel")
    await sam.wait_for("No change")
    assert stored_settings(coach, 3002) == (time(8, 0), "Europe/London", None)


async def test_an_unknown_time_zone_suggests_the_nearest_and_keeps_waiting(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    sam = await started(server, 3003)
    await open_page(sam, "Time zone", "Which time zone")
    sam.press("Somewhere else")
    typing = await sam.wait_for("Type your time zone")
    assert typing.button_texts == ["Cancel"]
    sam.send("spain")
    suggestions = await sam.wait_for("Did you mean one of these?")
    assert suggestions.button_texts == [
        "Europe/Madrid",
        "Africa/Ceuta",
        "Atlantic/Canary",
        "Cancel",
    ]
    # Typed rather than tapped, the right name is still read as the time zone.
    sam.send("Europe/Madrid")
    saved = await sam.wait_for("Saved")
    assert "Europe/Madrid" in saved.plain_text and "I'm here when you need me" not in saved.text
    assert stored_settings(coach, 3003)[1:] == ("Europe/Madrid", None)


async def test_a_suggested_time_zone_is_one_tap_and_cancel_changes_nothing(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    sam = await started(server, 3004)
    await open_page(sam, "Time zone", "Which time zone")
    sam.press("Somewhere else")
    await sam.wait_for("Type your time zone")
    sam.send("Narnia")
    await sam.wait_for('I don\'t know the time zone "Narnia"')
    sam.send("madird")
    suggestions = await sam.wait_for("Did you mean")
    sam.press("Europe/Madrid", suggestions)
    saved = await sam.wait_for(lambda m: m.message_id == suggestions.message_id and m.edited)
    assert "Saved" in saved.plain_text and "Europe/Madrid" in saved.plain_text
    await open_page(sam, "Time zone", "Which time zone")
    sam.press("Somewhere else")
    await sam.wait_for("Type your time zone")
    sam.send("franse")
    await sam.wait_for(lambda m: m.has_button("Europe/Paris"))
    sam.press("Cancel")
    await sam.wait_for("No change")
    assert stored_settings(coach, 3004)[1:] == ("Europe/Madrid", None)


async def test_later_on_a_practice_scenario_says_it_stays_open(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = await started(server, 3005)
    sam.send("/practice")
    prompt = await sam.wait_for(lambda m: len(m.buttons) >= 2)
    sam.send("/later")
    answer = await sam.wait_for("stays open")
    assert "There's no scenario waiting" not in answer.plain_text
    assert "Only the daily scenario gets a reminder" in answer.plain_text
    sam.press(prompt.buttons[0][0].text, prompt)
    await sam.wait_for("What works")


async def test_a_scenario_still_waits_after_the_prompt_time_is_typed(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = await started(server, 3006)
    sam.send("/practice")
    prompt = await sam.wait_for(lambda m: len(m.buttons) >= 2)
    await open_page(sam, "Prompt time", "Pick the hour")
    sam.send("9:15")
    await sam.wait_for("Prompts at 09:15")
    sam.press(prompt.buttons[0][0].text, prompt)
    await sam.wait_for("What works")
    # The other way round: the scenario answered while the picker waits for a time.
    sam.send("/practice")
    prompt = await sam.wait_for(lambda m: len(m.buttons) >= 2)
    await open_page(sam, "Prompt time", "Pick the hour")
    sam.press(prompt.buttons[0][0].text, prompt)
    await sam.wait_for("What works")
    sam.send("10:45")
    await sam.wait_for("Prompts at 10:45")


async def test_a_pause_ending_at_the_weekend_names_monday_and_monday_brings_a_prompt(
    server: FakeBotAPI, coach: Coach, scheduler: Scheduler
) -> None:
    scheduler.clock.set(utc(2026, 12, 4, 7, 0))  # Friday
    sam = await enrol(server, coach, 3007)
    sam.send("/pause 2")
    paused = await sam.wait_for("Paused up to and including Saturday 5 December")
    assert "start again on Monday 7 December at 08:00" in paused.plain_text
    assert "Sunday" not in paused.plain_text
    assert await scheduler.tick(at=utc(2026, 12, 4, 8, 0)) == 0
    assert await scheduler.tick(at=utc(2026, 12, 7, 8, 0)) == 1
    assert len(prompts_to(server, sam)) == 1
    sam.send("/pause until 24/12")
    holiday = await sam.wait_for("You're paused up to and including Thursday 24 December")
    assert "start again on Friday 25 December" in holiday.plain_text
    assert await scheduler.tick(at=utc(2026, 12, 24, 8, 0)) == 0
    assert await scheduler.tick(at=utc(2026, 12, 25, 8, 0)) == 1
    assert scheduler.statuses(Kind.PROMPT)


async def test_privacy_says_everything_kept_and_who_sees_it(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = await started(server, 3008)
    sam.send("/privacy")
    privacy = await sam.wait_for("What I keep")
    shown = privacy.plain_text or ""
    for heading in ("What I keep", "Who sees it", "How long"):
        assert heading in shown
    assert "People sheet with your name" in shown
    assert "questions I couldn't answer (in /gaps), without names" in shown
    assert "I don't keep the words of your answers" in shown
    assert "Managers: totals for groups of 5 or more" in shown
    assert len(shown) < 1500  # a phone screen or two, not a policy document


async def test_forgetme_says_what_it_erased_in_plain_counts(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    sam = await started(server, 3009)
    sam.send("how do i fix the quantum wibble sprocket")
    await sam.wait_for(lambda m: "trade" not in m.plain_text)
    sam.send("/forgetme")
    ask = await sam.wait_for("can't be undone")
    sam.press("Yes, erase it all", ask)
    done = await sam.wait_for(lambda m: m.message_id == ask.message_id and m.edited)
    assert "your name, Telegram id and settings" in done.plain_text
    assert "1 question you asked me" in done.plain_text
    assert "1 questions" not in done.plain_text
    with coach.uow_factory() as uow:
        assert uow.operatives.get(3009) is None
        assert uow.gaps.recent(coach.clock().replace(year=2000), None) == []
