"""Failures and forged presses through the real Application: every press answered first, a
short sorry when the core fails, nothing personal in the log, no edit Telegram would refuse."""

from __future__ import annotations

import asyncio
import logging

import pytest
from telegram.ext import Application

from bot.core.handlers import settings as preferences
from bot.core.messages import Event, Reply
from bot.core.model import Role
from bot.core.router import Coach
from tests.fake_bot_api import FakeBotAPI, FakeUser

pytestmark = pytest.mark.e2e

SORRY = "Sorry, something went wrong on my side"


async def started(server: FakeBotAPI, user_id: int) -> FakeUser:
    person = server.user(user_id, first_name="Sam")
    person.send("/start")
    await person.wait_for("Doorstep Coach")
    return person


def refusals(server: FakeBotAPI) -> list[str]:
    return [f"{call.method} {call.status}" for call in server.calls if call.status >= 400]


async def test_a_press_is_answered_and_excused_when_the_core_fails(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sam = await started(server, 3101)
    sam.send("/settings")
    menu = await sam.wait_for("Your settings")

    def broken(event: Event) -> list[Reply]:
        raise ValueError("invalid literal for int() with base 10: 'my secret words'")

    monkeypatch.setattr(coach, "handle", broken)
    press = sam.press("Prompt time", menu)
    await sam.wait_for(SORRY)
    assert press.callback_query_id not in server.unanswered_callback_queries
    failures = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("handler failed on ButtonPress: ValueError at" in line for line in failures)
    assert not any("secret words" in line for line in failures)
    assert refusals(server) == []


async def test_a_failure_while_typing_a_time_zone_ends_the_waiting_on_purpose(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sam = await started(server, 3102)
    sam.send("/settings")
    menu = await sam.wait_for("Your settings")
    sam.press("Time zone", menu)
    await sam.wait_for(lambda m: "Somewhere else" in m.button_texts)
    sam.press("Somewhere else", menu.message_id)
    await sam.wait_for("Type your time zone")

    def broken(text: str) -> str | None:
        raise OSError(f"cannot read {text}")

    monkeypatch.setattr(preferences, "parse_timezone", broken)
    sam.send("Europe/Paris")
    await sam.wait_for(SORRY)
    monkeypatch.undo()
    # Waiting ended: the next message is a question again, not another time zone.
    sam.mark()
    sam.send("Pacific/Auckland")
    answer = await sam.wait_for(lambda m: True)
    assert "time zone" not in answer.plain_text.lower()
    assert not any("Europe/Paris" in r.getMessage() for r in caplog.records)


async def test_pressing_the_same_button_twice_edits_once(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
) -> None:
    sam = await started(server, 3103)
    sam.send("/settings")
    menu = await sam.wait_for("Your settings")
    # Both presses leave before the bot has handled the first: each carries the old menu.
    first = sam.press("Done", menu)
    second = sam.press("Done", menu)
    await sam.wait_for("All set")
    await server_quiet(server, first.callback_query_id, second.callback_query_id)
    # Pressing "Done" on what now says "All set" again changes nothing either.
    third = sam.press_data("set:done", menu.message_id)
    await server_quiet(server, third.callback_query_id)
    assert len([c for c in server.calls_to("editMessageText") if c.status == 200]) == 1
    assert refusals(server) == []


async def test_forged_presses_on_missing_and_picture_messages_get_an_answer(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    lead = await started(server, 3104)
    with coach.uow_factory() as uow:
        found = uow.operatives.get(3104)
        assert found is not None
        found.role = Role.FACILITATOR
        uow.operatives.save(found)
        uow.commit()
    lead.send("/newcohort Leeds repairs")
    picture = await lead.wait_for(lambda m: m.photo is not None)
    lead.mark()
    lead.press_data("set:time", picture.message_id)
    await lead.wait_for("Pick the hour")
    lead.mark()
    lead.press_data("fu:send:99999999999999999999", 9999)
    await lead.wait_for("That button has expired")
    lead.mark()
    lead.press_data("set:h:²", 9999)
    await lead.wait_for("That button has expired")
    assert server.unanswered_callback_queries == []
    assert refusals(server) == []


async def server_quiet(server: FakeBotAPI, *query_ids: str | None) -> None:
    """Wait until these presses are answered and the bot has sent what it will."""
    for _ in range(100):
        if not set(query_ids) & set(server.unanswered_callback_queries):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
