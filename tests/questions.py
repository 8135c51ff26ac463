"""Five questions on five topics, for tests and benchmarks that send many at once:
each answer's heading says which question it answers, so the order can be checked."""

from __future__ import annotations

from bot.core.messages import Command, Sender, Text
from bot.core.router import Coach

QUESTIONS = (
    "how should i introduce myself at the door",
    "tenant is shouting at me what do i do",
    "running late for an appointment how do i tell the tenant",
    "i saw black mould in the bedroom",
    "tenant asked me to fix her tap while im here, not on the job",
)


def heading(text: str | None) -> str:
    """A message's first line, without its bold tags."""
    return (text or "").replace("<b>", "").replace("</b>", "").strip().split("\n", 1)[0]


def answer_headings(coach: Coach) -> dict[str, str]:
    """What the coach's answer to each question starts with, asked by someone else."""
    sender = Sender(99_999, "Ref")
    coach.handle(Command(sender, "start", ""))
    headings = {}
    for question in QUESTIONS:
        (answer, *_) = coach.handle(Text(sender, question))
        headings[question] = heading(answer.text)
    if len(set(headings.values())) != len(QUESTIONS):
        raise RuntimeError(f"two questions share an answer's heading: {headings}")
    return headings
