"""Every command, end to end: real PTB Application, local Bot API server, a user at the keys."""

from __future__ import annotations

import pytest
from telegram.ext import Application

from bot.core.model import Cohort, Role
from bot.core.router import Coach
from tests.conftest import ADMIN_ID
from tests.fake_bot_api import FakeBotAPI

pytestmark = pytest.mark.e2e


async def test_commands_are_registered_on_start(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    names = [command for command, _ in server.commands]
    assert names[:4] == ["practice", "later", "settings", "pause"]
    assert {"start", "help", "resume", "stop", "privacy"} <= set(names)


async def test_start_enrols_and_explains_in_two_lines(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = server.user(1001, first_name="Sam")
    sam.send("/start")
    welcome = await sam.wait_for("Doorstep Coach")
    assert "08:00" in welcome.plain_text and "/stop" in welcome.plain_text
    assert welcome.parse_mode == "HTML"
    assert len(welcome.plain_text.strip().splitlines()) == 2


async def test_deep_link_start_joins_the_cohort(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    with coach.uow_factory() as uow:
        uow.cohorts.add(Cohort("Hull <north> & east", "HULLnorth1", created_at=coach.clock()))
        uow.commit()
    amir = server.user(1002, first_name="Amir")
    amir.send("/start HULLnorth1")
    await amir.wait_for("Doorstep Coach")
    joined = await amir.wait_for("group")
    assert "Hull <north> & east" in joined.plain_text


async def test_help_and_privacy(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = server.user(1003)
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    sam.send("/help")
    assert "/settings" in (await sam.wait_for("Each working day")).plain_text
    sam.send("/privacy")
    assert "never your own words" in (await sam.wait_for("What I keep")).plain_text


async def test_settings_with_buttons_edits_in_place(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = server.user(1004)
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    sam.send("/settings")
    menu = await sam.wait_for("Your settings")
    sam.press("Prompt time", menu)
    await sam.wait_for(
        lambda m: m.message_id == menu.message_id and "Pick the hour" in m.plain_text
    )
    sam.press("09:00", menu.message_id)
    await sam.wait_for("And the minutes")
    sam.press("09:30", menu.message_id)
    saved = await sam.wait_for("Saved")
    assert saved.message_id == menu.message_id and "09:30" in saved.plain_text
    assert server.unanswered_callback_queries == []


async def test_pause_resume_and_stop_with_confirmation(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = server.user(1005)
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    sam.send("/pause")
    ask = await sam.wait_for("How long a break")
    sam.press("1 week", ask)
    await sam.wait_for("start again")
    sam.send("/resume")
    await sam.wait_for("You're back on")
    sam.send("/stop")
    confirm = await sam.wait_for("Stop Doorstep Coach?")
    sam.press("Yes, stop", confirm)
    await sam.wait_for("stopped everything")
    sam.send("/settings")
    await sam.wait_for("Send /start if you'd like to come back")


async def test_practice_prompt_answered_by_tap_and_by_text(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    sam = server.user(1006)
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    await sam.wait_for("what's your trade?")
    sam.send("/practice")
    prompt = await sam.wait_for(lambda m: len(m.buttons) >= 2)
    sam.press(prompt.buttons[0][0].text, prompt)
    feedback = await sam.wait_for("What works")
    assert feedback.buttons == []
    sam.send("/practice")
    await sam.wait_for(lambda m: len(m.buttons) >= 2)
    sam.send("what do i say if im running late for the appointment")
    tip = await sam.wait_for("Keeping tenants informed")
    assert "running late" not in tip.plain_text.lower() or tip.plain_text


async def test_gaps_are_for_facilitators_only(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    op = server.user(1007)
    op.send("/start")
    await op.wait_for("Doorstep Coach")
    op.send("/gaps")
    await op.wait_for("only for facilitators")
    admin = server.user(ADMIN_ID)
    admin.send("/start")
    await admin.wait_for("Doorstep Coach")
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(ADMIN_ID)
        assert operative is not None and operative.role is Role.ADMIN
    admin.send("/gaps")
    await admin.wait_for("Nothing unanswered")


async def test_unknown_command_and_echoed_text_are_escaped(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = server.user(1008)
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    sam.send("/sudo")
    await sam.wait_for("I don't know /sudo")
    sam.send("/settings")
    menu = await sam.wait_for("Your settings")
    sam.press("Time zone", menu)
    await sam.wait_for("Which time zone")
    sam.press("Somewhere else", menu.message_id)
    await sam.wait_for("Type your time zone")
    sam.send("<b>Mars</b> & Venus")
    bad = await sam.wait_for("I don't know the time zone")
    assert "<b>Mars</b> & Venus" in bad.plain_text  # shown as typed, not as HTML


@pytest.mark.parametrize("kind", ["sticker", "photo", "voice", "location", "contact"])
async def test_messages_that_are_not_text_get_a_short_answer(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    kind: str,
) -> None:
    sam = server.user(1010)
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    if kind == "location":
        sam.send_location(53.8, -1.55)
    else:
        getattr(sam, f"send_{kind}")()
    await sam.wait_for("I can only read text")


async def test_groups_are_pointed_to_a_private_chat_and_edits_ignored(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    group = -1001234567890
    sam = server.user(1011)
    sam.send_in_group("/start", group_id=group)
    sam.send_in_group("just chatting in the group", group_id=group)
    typed = sam.send("hello")
    await sam.wait_for("/start")
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    assert typed.message_id is not None
    sam.edit(typed.message_id, "edited text")
    sam.send("/help")
    await sam.wait_for("Each working day")
    group_messages = [m.plain_text for m in server.messages(group)]
    assert len(group_messages) == 1 and "private chats" in group_messages[0]
    # The edit got no answer: /help's reply is the last thing Sam received.
    assert sam.messages()[-1].plain_text.startswith("Doorstep Coach\nEach working day")


async def test_forged_callback_data_is_refused(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = server.user(1012)
    sam.send("/start")
    welcome = await sam.wait_for("Doorstep Coach")
    sam.press_data("set:m:3:00", welcome.message_id)
    await sam.wait_for("expired")
    sam.press_data("ans:does-not-exist:0", welcome.message_id)
    await sam.wait_for("expired")


async def test_forgetme_asks_first_then_erases_and_says_what(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    sam = server.user(1011, first_name="Sam")
    sam.send("/start")
    await sam.wait_for("Doorstep Coach")
    sam.send("/forgetme")
    ask = await sam.wait_for("can't be undone")
    assert ask.button_texts == ["Yes, erase it all", "No, keep it"]
    sam.press("Yes, erase it all", ask)
    done = await sam.wait_for(lambda m: m.message_id == ask.message_id and m.edited)
    assert "erased everything I kept about you" in done.plain_text
    assert "your name, Telegram id and settings" in done.plain_text
    assert done.buttons == []
    with coach.uow_factory() as uow:
        assert uow.operatives.get(1011) is None
    # Stopped or never started, anyone may ask; with nothing kept, it says so.
    sam.send("/forgetme")
    again = await sam.wait_for("can't be undone")
    sam.press("Yes, erase it all", again)
    await sam.wait_for("I don't have anything stored about you")
