"""An operative's past, from the engagement log: what was sent, what was answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bot.core.model import EngagementEvent, EventType, Operative
from bot.core.policy.scheduling import PromptDay, local_now
from bot.core.policy.selection import Answer, History, SentPrompt

#: The event types a record is built from.
RECORD_EVENTS = (EventType.PROMPT_SENT, EventType.ANSWERED, EventType.CHECK_IN_SENT)


@dataclass(frozen=True)
class Record:
    history: History
    #: The scheduled prompts (not /practice), and whether each was answered that day.
    days: list[PromptDay]
    checked_in_since_answer: bool


def record_of(operative: Operative, events: Sequence[EngagementEvent]) -> Record:
    history = History()
    answered_on: dict[str, set[date]] = {}
    scheduled: list[tuple[date, str]] = []
    last_answer: datetime | None = None
    last_check_in: datetime | None = None
    for event in events:
        day = local_now(operative, event.occurred_at).date()
        item = str(event.payload.get("item", ""))
        if event.type == EventType.PROMPT_SENT:
            history.sent.append(SentPrompt(item, day))
            if event.payload.get("via") == "schedule":
                scheduled.append((day, item))
        elif event.type == EventType.ANSWERED:
            history.answers.append(Answer(item, event.payload["verdict"], day))
            answered_on.setdefault(item, set()).add(day)
            last_answer = event.occurred_at
        elif event.type == EventType.CHECK_IN_SENT:
            last_check_in = event.occurred_at
    days = [PromptDay(day, day in answered_on.get(item, set())) for day, item in scheduled]
    checked_in = last_check_in is not None and (last_answer is None or last_check_in > last_answer)
    return Record(history, days, checked_in)
