"""An operative's past, from the engagement log: what was sent, what was answered."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.core.model import EngagementEvent, EventType, Operative
from bot.core.policy.scheduling import local_now
from bot.core.policy.selection import Answer, History, SentPrompt

#: The event types a record is built from.
RECORD_EVENTS = (EventType.PROMPT_SENT, EventType.ANSWERED, EventType.CHECK_IN_SENT)
#: How far back a record looks (daily prompts and /practice alike): a bounded read,
#: whatever the length of someone's history.
HISTORY_DAYS = 180


@dataclass(frozen=True)
class Record:
    """What prompt selection and the planner's check-in need. Streaks are not worked
    out from here: see :mod:`bot.core.policy.streaks` (kept by storage as it goes)."""

    history: History
    checked_in_since_answer: bool


def record_of(operative: Operative, events: Sequence[EngagementEvent]) -> Record:
    history = History()
    last_answer: datetime | None = None
    last_check_in: datetime | None = None
    for event in events:
        day = local_now(operative, event.occurred_at).date()
        item = str(event.payload.get("item", ""))
        if event.type == EventType.PROMPT_SENT:
            history.sent.append(SentPrompt(item, day))
        elif event.type == EventType.ANSWERED:
            history.answers.append(Answer(item, event.payload["verdict"], day))
            last_answer = event.occurred_at
        elif event.type == EventType.CHECK_IN_SENT:
            last_check_in = event.occurred_at
    checked_in = last_check_in is not None and (last_answer is None or last_check_in > last_answer)
    return Record(history, checked_in)
