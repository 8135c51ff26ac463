"""Many people at once: each person's replies in the order they typed, and one person's
slow reply holds up nobody else."""

from __future__ import annotations

import asyncio

import pytest
from telegram import Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.core.messages import Command, Sender
from bot.core.router import Coach
from bot.telegram.app import REPEATS_GROUP
from bot.telegram.ordering import ChatOrderedProcessor
from tests.fake_bot_api import FakeBotAPI, Fault, SentMessage
from tests.questions import QUESTIONS, answer_headings, heading

pytestmark = pytest.mark.e2e

#: How long the server holds the first reply to the person with the burst (under the
#: 5 s read timeout, after which a reply would be tried again).
HELD_SECONDS = 3.0
OTHERS = 20


async def test_a_burst_is_answered_in_order_while_others_are_served(
    server: FakeBotAPI,
    telegram_bot: Application,  # type: ignore[type-arg]
    coach: Coach,
) -> None:
    headings = answer_headings(coach)
    sam = server.user(6000, first_name="Sam")
    others = [server.user(6001 + number) for number in range(OTHERS)]
    for user in (sam, *others):
        coach.handle(Command(Sender(user.id, "Op"), "start", ""))
    # Sam's first answer is slow to reach him: his next ones must wait for it,
    # everyone else's need not.
    server.inject_for_chat(sam.id, Fault.delay(HELD_SECONDS))
    burst = [*QUESTIONS, *reversed(QUESTIONS)]
    for question in burst:
        sam.send(question)
    for number, user in enumerate(others):
        user.send(QUESTIONS[number % len(QUESTIONS)])

    answered: list[SentMessage] = []
    for number, user in enumerate(others):
        answer = await user.wait_for(lambda message: True, timeout=60)
        assert heading(answer.plain_text) == headings[QUESTIONS[number % len(QUESTIONS)]]
        answered.append(answer)
    sams = [await sam.wait_for(lambda message: True, timeout=60) for _ in burst]

    assert [heading(answer.plain_text) for answer in sams] == [headings[q] for q in burst]
    # Nobody waited behind Sam's slow reply (one by one, all of them would have).
    assert max(answer.time for answer in answered) < sams[0].time
    assert not any("went wrong" in heading(answer.plain_text) for answer in [*answered, *sams])


async def test_one_by_one_when_asked(
    server: FakeBotAPI,
    coach: Coach,
) -> None:
    """COACHBOT_CONCURRENT_UPDATES=1: the old behaviour, still answering in order."""
    from bot.telegram.app import build_application
    from bot.telegram.limiter import unlimited

    application = build_application(
        coach,
        server.token,
        server.base_url,
        server.base_file_url,
        limiter=unlimited(),
        concurrent_updates=1,
    )
    headings = answer_headings(coach)
    sam = server.user(6100)
    coach.handle(Command(Sender(sam.id, "Sam"), "start", ""))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        await application.start()
        for question in QUESTIONS:
            sam.send(question)
        sams = [await sam.wait_for(lambda message: True, timeout=60) for _ in QUESTIONS]
        await application.updater.stop()
        await application.stop()
    assert [heading(answer.plain_text) for answer in sams] == [headings[q] for q in QUESTIONS]


async def test_the_repeats_check_runs_in_its_chats_turn_before_the_bots_handlers(
    server: FakeBotAPI,
) -> None:
    """The group that drops repeated updates (REPEATS_GROUP) is inside each chat's turn:
    a chat's next update isn't even checked until its last one has been answered."""
    application = (
        ApplicationBuilder()
        .token(server.token)
        .base_url(server.base_url)
        .concurrent_updates(ChatOrderedProcessor(8))
        .build()
    )
    steps: list[str] = []
    release_first = asyncio.Event()
    sam, other = server.user(6200), server.user(6201)

    async def check_repeat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        steps.append(f"check {update.message.text}")

    async def answer(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        if update.message.text == "first":
            await release_first.wait()  # Sam's first is slow to answer
        steps.append(f"answer {update.message.text}")

    application.add_handler(TypeHandler(Update, check_repeat), group=REPEATS_GROUP)
    application.add_handler(MessageHandler(filters.TEXT, answer))
    async with application:
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0.0, timeout=1)
        await application.start()
        sam.send("first")
        sam.send("second")
        other.send("meanwhile")
        async with asyncio.timeout(30):
            while "answer meanwhile" not in steps:  # another chat goes ahead
                await asyncio.sleep(0.01)
        assert "check second" not in steps  # Sam's next waits its turn, check and all
        release_first.set()
        async with asyncio.timeout(30):
            while "answer second" not in steps:
                await asyncio.sleep(0.01)
        await application.updater.stop()
        await application.stop()
    sams = [step for step in steps if step.endswith(("first", "second"))]
    assert sams == ["check first", "answer first", "check second", "answer second"]
