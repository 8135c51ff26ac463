"""Many people at once: each person's replies in the order they typed, and one person's
slow reply holds up nobody else."""

from __future__ import annotations

import pytest
from telegram.ext import Application

from bot.core.coach import Coach
from bot.core.messages import Command, Sender, Text
from tests.fake_bot_api import FakeBotAPI, Fault, SentMessage

pytestmark = pytest.mark.e2e

#: Questions on different topics: each answer's heading says which one it answers.
QUESTIONS = (
    "how should i introduce myself at the door",
    "tenant is shouting at me what do i do",
    "running late for an appointment how do i tell the tenant",
    "i saw black mould in the bedroom",
    "tenant asked me to fix her tap while im here, not on the job",
)
#: How long the server holds the first reply to the person with the burst (under the
#: 5 s read timeout, after which a reply would be tried again).
HELD_SECONDS = 3.0
OTHERS = 20


def heading(text: str | None) -> str:
    return (text or "").strip().split("\n", 1)[0]


def answer_headings(coach: Coach) -> dict[str, str]:
    """What the coach's answer to each question starts with, asked by someone else."""
    sender = Sender(99_999, "Ref")
    coach.handle(Command(sender, "start", ""))
    headings = {}
    for question in QUESTIONS:
        (answer, *_) = coach.handle(Text(sender, question))
        headings[question] = heading(answer.text.replace("<b>", "").replace("</b>", ""))
    assert len(set(headings.values())) == len(QUESTIONS)
    return headings


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
