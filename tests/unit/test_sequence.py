"""The post-workshop steps as an operative reads them, with or without a commitment."""

from __future__ import annotations

from datetime import date

from bot.core.handlers.sequence import step_message
from bot.core.model import Commitment
from bot.core.router import Coach
from tests.unit.conversation import Operative


def _day_30_text(coach: Coach, commitment: str | None) -> str:
    Operative(coach).send("/start")
    step = next(s for s in coach.library.sequence if s.id == "day-30")
    with coach.uow_factory() as uow:
        operative = uow.operatives.get(42)
        assert operative is not None and operative.id is not None
        if commitment is not None:
            now = coach.clock()
            uow.commitments.save(Commitment(operative.id, None, commitment, now, now))
        message = step_message(coach, uow, operative, step, date(2026, 12, 30), coach.clock())
    assert message is not None
    return message.text


def test_the_day_30_reflection_quotes_the_commitment_back(coach: Coach) -> None:
    text = _day_30_text(coach, "ring ahead when i'm <late>")
    assert "A month ago you said: <i>ring ahead when i'm &lt;late&gt;</i>" in text


def test_without_a_commitment_the_reflection_leaves_that_line_out(coach: Coach) -> None:
    text = _day_30_text(coach, None)
    assert "{commitment}" not in text and "you said" not in text
    assert "what's changed on the doorstep for you?" in text
