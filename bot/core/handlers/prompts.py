"""A scenario now (/practice), or today's a bit later (/later)."""

from __future__ import annotations

from bot.core.callbacks import AnswerTo, scenario_awaited, waiting
from bot.core.deps import Deps, Turn
from bot.core.handlers.answers import prompt_reply
from bot.core.handlers.routes import Routes
from bot.core.handlers.wording import clock_time
from bot.core.model import Delivery, EventType, Kind, OutboxMessage
from bot.core.policy.scheduling import snoozed
from bot.core.policy.selection import next_prompt


def later(turn: Turn, deps: Deps, args: str) -> None:
    """Snooze today's prompt an hour: move it if it hasn't gone, else a nudge later.

    Any other scenario on screen (from /practice, or a day before) has no
    reminder to move: it simply stays open, and the operative is told so.
    """
    operative = turn.known
    assert operative.id is not None
    now = turn.now
    outbox = turn.uow.outbox
    prompt = outbox.find(Kind.PROMPT, operative.id, turn.today)
    open_scenario = scenario_awaited(waiting(operative.awaiting))
    unanswered = (
        prompt is not None
        and prompt.prompt_id is not None
        and open_scenario == AnswerTo(prompt.prompt_id)
    )
    if prompt is None or not (prompt.status is Delivery.PENDING or unanswered):
        turn.say(deps.text("later_stays_open" if open_scenario else "later_nothing"))
        return
    assert prompt.id is not None
    if prompt.status is Delivery.PENDING:
        moved = snoozed(operative, prompt.due_at, now)
        if moved is None:
            turn.say(deps.text("later_too_late"))
            return
        outbox.reschedule(prompt.id, moved)
        turn.say(deps.text("later_moved", time=clock_time(operative, moved)))
        return
    reminder = outbox.find(Kind.REMINDER, operative.id, turn.today)
    at = snoozed(operative, now, now)
    if at is None or (reminder is not None and reminder.status is not Delivery.PENDING):
        turn.say(deps.text("later_too_late"))
        return
    if reminder is not None and reminder.id is not None:
        outbox.reschedule(reminder.id, at)
    else:
        outbox.add(
            OutboxMessage(
                kind=Kind.REMINDER,
                operative_id=operative.id,
                chat_id=operative.telegram_id,
                local_date=turn.today,
                text=deps.text("reminder"),
                due_at=at,
                prompt_id=prompt.prompt_id,
            ),
            now,
        )
    turn.say(deps.text("later_reminder", time=clock_time(operative, at)))


def practice(turn: Turn, deps: Deps, args: str) -> None:
    operative = turn.known
    prompt = next_prompt(
        deps.library,
        turn.record().history,
        turn.today,
        operative.telegram_id,
        operative.trade,
    )
    if prompt is None:
        turn.say(deps.text("practice_none"))
        return
    operative.awaiting = AnswerTo(prompt.id).encode()
    turn.uow.operatives.save(operative)
    turn.log(EventType.PROMPT_SENT, item=prompt.id, via="practice")
    turn.replies.append(prompt_reply(deps, prompt, operative.telegram_id, turn.today))


ROUTES = Routes(commands={"practice": practice, "later": later})
