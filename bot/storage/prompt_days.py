"""The streak rule's running state, kept on the ``prompt_replies`` rows as events arrive.

Each scheduled prompt's row holds its local date and the rule's counts for the prompt
days before it (:class:`bot.core.policy.streaks.PromptDay`); a same-day reply marks
its day answered. Reading a streak is then one indexed row per operative, whatever
the length of their history.

Events arrive in time order (the coach and the delivery job record them as they
happen), so a new prompt day follows the operative's latest. Anything written out of
order (an import, a hand-built test history) has that operative's chain of days
worked out again from their rows: right, if slower, on a path live code never takes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.core.model import EngagementEvent, EventType
from bot.core.policy.streaks import PromptDay, carried, following, local_day
from bot.storage.models import OperativeRow, PromptReplyRow


@dataclass(frozen=True)
class NewPrompt:
    """A prompt row about to be written: ``day`` is set for scheduled prompts only."""

    operative_id: int
    item: str
    sent_at: datetime
    day: PromptDay | None


def zones_of(session: Session, operative_ids: Iterable[int]) -> dict[int, str]:
    ids = sorted(set(operative_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(OperativeRow.id, OperativeRow.timezone).where(OperativeRow.id.in_(ids))
    )
    return {int(op): str(zone) for op, zone in rows}


def latest_days(session: Session, on_or_before: Mapping[int, date]) -> dict[int, PromptDay]:
    """Each operative's latest prompt day on or before their date: one indexed look-up
    each (by operative and day), however long their history; one statement for all
    the operatives sharing a date."""
    by_date: dict[date, list[int]] = {}
    for operative_id, day in on_or_before.items():
        by_date.setdefault(day, []).append(operative_id)
    found: dict[int, PromptDay] = {}
    row = PromptReplyRow
    for day, ids in by_date.items():
        for start in range(0, len(ids), 500):
            latest_row = (
                select(row.id)
                .where(
                    row.operative_id == OperativeRow.id,
                    row.prompt_day.is_not(None),
                    row.prompt_day <= day,
                )
                .order_by(row.prompt_day.desc(), row.id.desc())
                .limit(1)
                .correlate(OperativeRow)
                .scalar_subquery()
            )
            latest = (
                select(OperativeRow.id.label("op"), latest_row.label("row_id"))
                .where(OperativeRow.id.in_(sorted(ids[start : start + 500])))
                .subquery("latest")
            )
            rows = session.execute(
                select(
                    latest.c.op,
                    row.prompt_day,
                    row.answered_that_day,
                    row.run_before,
                    row.misses_before,
                ).join(row, row.id == latest.c.row_id)
            )
            for values in rows:
                op, prompt_day, answered, run_before, misses_before = cast(
                    tuple[int, date | None, bool, int, int], tuple(values)
                )
                if prompt_day is not None:
                    found[op] = PromptDay(prompt_day, bool(answered), run_before, misses_before)
    return found


def new_prompts(
    session: Session, events: list[EngagementEvent]
) -> tuple[list[NewPrompt], set[int]]:
    """The prompt rows for these events, scheduled ones with their prompt day; and the
    operatives whose new days came before their latest (see :func:`refold`)."""
    prompts = [
        e
        for e in events
        if e.type == EventType.PROMPT_SENT and e.operative_id is not None and "item" in e.payload
    ]
    scheduled = [e for e in prompts if e.payload.get("via") == "schedule"]
    zones = zones_of(session, (e.operative_id for e in scheduled if e.operative_id is not None))
    days = {
        id(e): local_day(e.occurred_at, zones[e.operative_id])
        for e in scheduled
        if e.operative_id in zones
    }
    latest = latest_days(session, {op: date.max for op in zones})
    out_of_order: set[int] = set()
    made: list[NewPrompt] = []
    for event in prompts:
        assert event.operative_id is not None
        op = event.operative_id
        day: PromptDay | None = None
        if id(event) in days:
            on = days[id(event)]
            previous = latest.get(op)
            if previous is not None and previous.day == on:
                day = previous  # a second prompt the same day: the same prompt day
            else:
                day = following(previous, on)
                if previous is not None and on < previous.day:
                    out_of_order.add(op)
            if op not in out_of_order:
                latest[op] = day
        made.append(NewPrompt(op, str(event.payload["item"]), event.occurred_at, day))
    return made, out_of_order


def mark_answered(session: Session, prompt_row_id: int, answered_at: datetime, op: int) -> bool:
    """A reply to the prompt in this row: its day is answered if the reply came that day.
    True if a later prompt day was already written (the reply came out of order)."""
    row = session.execute(
        select(PromptReplyRow.prompt_day, PromptReplyRow.answered_that_day).where(
            PromptReplyRow.id == prompt_row_id
        )
    ).first()
    if row is None or row[0] is None or row[1]:
        return False
    zone = zones_of(session, [op]).get(op)
    if zone is None or local_day(answered_at, zone) != row[0]:
        return False
    session.execute(
        update(PromptReplyRow)
        .where(PromptReplyRow.operative_id == op, PromptReplyRow.prompt_day == row[0])
        .values(answered_that_day=True)
        .execution_options(synchronize_session=False)
    )
    later = session.scalar(
        select(PromptReplyRow.id)
        .where(PromptReplyRow.operative_id == op, PromptReplyRow.prompt_day > row[0])
        .limit(1)
    )
    return later is not None


def refold(session: Session, operative_ids: Iterable[int]) -> None:
    """Work out again the chains of operatives whose days were written out of order."""
    for op in sorted(set(operative_ids)):
        rows = session.execute(
            select(PromptReplyRow.id, PromptReplyRow.prompt_day, PromptReplyRow.answered_that_day)
            .where(PromptReplyRow.operative_id == op, PromptReplyRow.prompt_day.is_not(None))
            .order_by(PromptReplyRow.prompt_day, PromptReplyRow.id)
        ).all()
        days = [(row_id, day, bool(ok)) for row_id, day, ok in rows if day is not None]
        chain = {d.day: d for d in carried(PromptDay(day, ok) for _, day, ok in days)}
        for row_id, day, _ in days:
            state = chain[day]
            session.execute(
                update(PromptReplyRow)
                .where(PromptReplyRow.id == row_id)
                .values(
                    answered_that_day=state.answered,
                    run_before=state.run_before,
                    misses_before=state.misses_before,
                )
                .execution_options(synchronize_session=False)
            )
