"""The post-workshop sequence (day 1 / 7 / 30), defined in ``content/sequences.yaml``.

A step goes on its day after the workshop, at the operative's prompt time on a
working day, in place of that day's scenario: one message a day, never two.
A step more than a week overdue (someone who joined late) is skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from bot.core.callbacks import (
    CheckCommitment,
    ShareName,
    StepAsk,
    StepReply,
    button,
    step_reply,
)
from bot.core.content.html import escape
from bot.core.content.library import SequenceStep
from bot.core.deps import Deps, Turn
from bot.core.handlers.routes import Routes
from bot.core.model import (
    Commitment,
    EventType,
    Kind,
    Operative,
    OutboxMessage,
    Outcome,
)
from bot.core.ports import UnitOfWork

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
    deps: Deps,
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
    reply = step_reply(step.ask)
    awaits = reply.encode() if reply is not None else None
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
            [
                ("Yes", CheckCommitment("kept").encode()),
                ("Partly", CheckCommitment("partly").encode()),
                ("Not yet", CheckCommitment("not_yet").encode()),
            ]
        ]
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


def typed(turn: Turn, deps: Deps, ask: StepAsk, text: str) -> None:
    """A typed reply to a step: the commitment, a note on how it went, or a reflection."""
    operative = turn.operative
    assert operative is not None and operative.id is not None
    operative.awaiting = None
    turn.uow.operatives.save(operative)
    words = text.strip()[:500]
    now = deps.clock()
    existing = turn.uow.commitments.of(operative.id)
    if ask == "commitment":
        commitment = existing or Commitment(operative.id, operative.cohort_id, words, now, now)
        commitment.text, commitment.updated_at = words, now
        turn.uow.commitments.save(commitment)
        turn.log(EventType.COMMITTED)
        turn.say(
            deps.text("commitment_thanks", text=escape(words)),
            (
                (button(deps.text("commitment_share_yes"), ShareName(share=True)),),
                (button(deps.text("commitment_share_no"), ShareName(share=False)),),
            ),
        )
    elif existing is None:
        turn.say(deps.text("commitment_none"))
    elif ask == "note":
        existing.outcome_note, existing.updated_at = words, now
        turn.uow.commitments.save(existing)
        turn.say(deps.text("commitment_noted"))
    else:
        existing.reflection, existing.updated_at = text.strip()[:1000], now
        turn.uow.commitments.save(existing)
        turn.log(EventType.REFLECTED)
        turn.say(deps.text("reflection_thanks"))


def button_pressed(turn: Turn, deps: Deps, choice: ShareName | CheckCommitment) -> None:
    """Share my name (or not), and kept / partly / not yet, on the operative's own commitment."""
    operative = turn.operative
    assert operative is not None and operative.id is not None
    commitment = turn.uow.commitments.of(operative.id)
    if commitment is None:
        turn.say(deps.text("commitment_none"))
        return
    commitment.updated_at = deps.clock()
    match choice:
        case ShareName(share=share):
            commitment.share_name = share
            turn.uow.commitments.save(commitment)
            key = "commitment_shared" if share else "commitment_private"
            turn.say(deps.text(key), replace=True)
        case CheckCommitment(outcome=outcome):
            commitment.outcome = Outcome(outcome)
            turn.uow.commitments.save(commitment)
            operative.awaiting = StepReply("note").encode()
            turn.uow.operatives.save(operative)
            turn.log(EventType.COMMITMENT_CHECKED, outcome=outcome)
            turn.say(deps.text(OUTCOME_TEXTS[commitment.outcome]), replace=True)


ROUTES = Routes(
    buttons={ShareName: button_pressed, CheckCommitment: button_pressed},
    waiting={StepReply: lambda turn, deps, state, text: typed(turn, deps, state.ask, text)},
)
