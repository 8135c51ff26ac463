"""The post-workshop sequence (day 1 / 7 / 30), defined in ``content/sequences.yaml``.

A step goes on its day after the workshop, at the operative's prompt time on a
working day, in place of that day's scenario: one message a day, never two.
A step more than a week overdue (someone who joined late) is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from bot.core.content import SequenceStep
from bot.core.messages import Button
from bot.core.model import (
    Commitment,
    EventType,
    Kind,
    Operative,
    OutboxMessage,
    Outcome,
)
from bot.core.telegram_html import escape

if TYPE_CHECKING:
    from bot.core.coaching import Coach, Turn
    from bot.core.ports import UnitOfWork

PREFIX = "seq:"
#: A step this many days past its day is no longer sent.
STALE_AFTER = timedelta(days=7)
OUTCOME_TEXTS = {
    Outcome.KEPT: "commitment_kept",
    Outcome.PARTLY: "commitment_partly",
    Outcome.NOT_YET: "commitment_not_yet",
}


#: In a step's text, what the operative committed to, in their own words.
COMMITMENT = "{commitment}"


def due_step(
    steps: Sequence[SequenceStep], workshop: date, today: date, done: set[str]
) -> SequenceStep | None:
    """The latest step due today that hasn't gone and isn't stale."""
    due = [
        step
        for step in steps
        if step.id not in done
        and workshop + timedelta(days=step.day) <= today
        and today - (workshop + timedelta(days=step.day)) <= STALE_AFTER
    ]
    return due[-1] if due else None


def step_message(
    coach: Coach,
    uow: UnitOfWork,
    operative: Operative,
    step: SequenceStep,
    day: date,
    at: datetime,
) -> OutboxMessage | None:
    """The outbox message for a step, or None if it can't apply (no commitment to check)."""
    assert operative.id is not None
    text = step.text
    buttons: list[list[tuple[str, str]]] = []
    awaits: str | None = f"{PREFIX}{step.ask}"
    if COMMITMENT in text:
        commitment = uow.commitments.of(operative.id)
        if commitment is not None:
            text = text.replace(COMMITMENT, escape(commitment.text))
        elif step.ask == "commitment_check":
            return None
        else:
            # Nothing to quote back: the step reads on without that line.
            text = "\n".join(line for line in text.splitlines() if COMMITMENT not in line)
    if step.ask == "commitment_check":
        buttons = [
            [("Yes", "cm:out:kept"), ("Partly", "cm:out:partly"), ("Not yet", "cm:out:not_yet")]
        ]
        awaits = None
    return OutboxMessage(
        kind=Kind.SEQUENCE,
        operative_id=operative.id,
        chat_id=operative.telegram_id,
        local_date=day,
        ref=step.id,
        text=text,
        buttons=buttons,
        due_at=at,
        awaits=awaits,
    )


def typed(coach: Coach, turn: Turn, ask: str, text: str) -> None:
    """A typed reply to a step: the commitment, a note on how it went, or a reflection."""
    operative = turn.operative
    assert operative is not None and operative.id is not None
    operative.awaiting = None
    turn.uow.operatives.save(operative)
    words = text.strip()[:500]
    now = coach.clock()
    existing = turn.uow.commitments.of(operative.id)
    if ask == "commitment":
        commitment = existing or Commitment(operative.id, operative.cohort_id, words, now, now)
        commitment.text, commitment.updated_at = words, now
        turn.uow.commitments.save(commitment)
        coach.log(turn, EventType.COMMITTED)
        turn.say(
            coach.text("commitment_thanks", text=escape(words)),
            (
                (Button(coach.text("commitment_share_yes"), "cm:share:yes"),),
                (Button(coach.text("commitment_share_no"), "cm:share:no"),),
            ),
        )
    elif existing is None:
        turn.say(coach.text("commitment_none"))
    elif ask == "note":
        existing.outcome_note, existing.updated_at = words, now
        turn.uow.commitments.save(existing)
        turn.say(coach.text("commitment_noted"))
    else:
        existing.reflection, existing.updated_at = text.strip()[:1000], now
        turn.uow.commitments.save(existing)
        coach.log(turn, EventType.REFLECTED)
        turn.say(coach.text("reflection_thanks"))


def button(coach: Coach, turn: Turn, action: str) -> None:
    """cm:share:yes|no and cm:out:kept|partly|not_yet, on the operative's own commitment."""
    operative = turn.operative
    assert operative is not None and operative.id is not None
    commitment = turn.uow.commitments.of(operative.id)
    verb, _, value = action.partition(":")
    if commitment is None:
        turn.say(coach.text("commitment_none"))
        return
    commitment.updated_at = coach.clock()
    if verb == "share" and value in ("yes", "no"):
        commitment.share_name = value == "yes"
        turn.uow.commitments.save(commitment)
        key = "commitment_shared" if commitment.share_name else "commitment_private"
        turn.say(coach.text(key), replace=True)
    elif verb == "out" and value in set(Outcome):
        commitment.outcome = Outcome(value)
        turn.uow.commitments.save(commitment)
        operative.awaiting = f"{PREFIX}note"
        turn.uow.operatives.save(operative)
        coach.log(turn, EventType.COMMITMENT_CHECKED, outcome=value)
        turn.say(coach.text(OUTCOME_TEXTS[commitment.outcome]), replace=True)
    else:
        turn.say(coach.text("button_expired"))
