"""The engagement log, and the read models kept up with it in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Table,
    insert,
    select,
    update,
)

from bot.core.model import (
    EngagementEvent,
    EventType,
)
from bot.core.policy.streaks import PromptDay
from bot.storage import prompt_days, rollups
from bot.storage.models import (
    EventRow,
    PromptReplyRow,
)
from bot.storage.repositories.base import Repository

_EVENTS = cast(Table, EventRow.__table__)
#: The event types that pair a prompt with its reply in the read models.
_PAIRED = {EventType.PROMPT_SENT.value, EventType.ANSWERED.value}


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


class SqlEventLog(Repository):
    """The engagement event log, and what is kept beside it in the same transaction:
    the prompt replies read model and the reports' rollups (``bot.storage.rollups``)."""

    def record(self, event: EngagementEvent) -> None:
        self._session.add(
            EventRow(
                type=event.type,
                operative_id=event.operative_id,
                occurred_at=event.occurred_at,
                payload=event.payload,
            )
        )
        self._keep_read_models([event])

    def record_many(self, events: list[EngagementEvent]) -> None:
        if events:
            self._session.execute(
                # The table, not the entity: ORM bulk inserts cost twice the CPU.
                insert(_EVENTS),
                [
                    {
                        "type": e.type,
                        "operative_id": e.operative_id,
                        "occurred_at": e.occurred_at,
                        "payload": e.payload,
                    }
                    for e in events
                ],
            )
            self._keep_read_models(events)

    def _keep_read_models(self, events: list[EngagementEvent]) -> None:
        """A prompt gets its row; a reply marks the operative's latest prompt of the
        same item sent at or before it (keeping the earliest reply). A scheduled
        prompt's row also keeps the streak rule's state (see ``bot.storage.prompt_days``);
        and the rollups count prompts, replies and each status change."""
        mine = [e for e in events if e.operative_id is not None]
        if not any(e.type in rollups.STATUS_OF or e.type in _PAIRED for e in mine):
            return
        changes = rollups.Changes(ZoneInfo(rollups.rollup_zone(self._session)))
        for e in mine:
            assert e.operative_id is not None
            if e.type in rollups.STATUS_OF:
                changes.status(e.operative_id, e.occurred_at, e.type)
            elif e.type == EventType.ANSWERED:
                changes.reply(
                    e.operative_id,
                    e.occurred_at,
                    _text_or_none(e.payload.get("topic")),
                    _text_or_none(e.payload.get("verdict")),
                )
        made, out_of_order = prompt_days.new_prompts(self._session, events)
        if made:
            self._session.execute(
                insert(PromptReplyRow),
                [
                    {
                        "operative_id": new.operative_id,
                        "item": new.item,
                        "sent_at": new.sent_at,
                        "scheduled": new.day is not None,
                        "first_reply_at": None,
                        "prompt_day": new.day.day if new.day else None,
                        "answered_that_day": new.day.answered if new.day else False,
                        "run_before": new.day.run_before if new.day else 0,
                        "misses_before": new.day.misses_before if new.day else 0,
                    }
                    for new in made
                ],
            )
            for new in made:
                changes.prompt(new.operative_id, new.sent_at, new.day is not None)
        for e in mine:
            if e.type != EventType.ANSWERED or "item" not in e.payload:
                continue
            assert e.operative_id is not None
            latest = self._session.execute(
                select(
                    PromptReplyRow.id,
                    PromptReplyRow.sent_at,
                    PromptReplyRow.scheduled,
                    PromptReplyRow.first_reply_at,
                )
                .where(
                    PromptReplyRow.operative_id == e.operative_id,
                    PromptReplyRow.item == e.payload["item"],
                    PromptReplyRow.sent_at <= e.occurred_at,
                )
                .order_by(PromptReplyRow.sent_at.desc(), PromptReplyRow.id.desc())
                .limit(1)
            ).one_or_none()
            if latest is None:
                continue
            prompt_id, sent, scheduled, before = latest
            if before is None or before > e.occurred_at:
                self._session.execute(
                    update(PromptReplyRow)
                    .where(PromptReplyRow.id == prompt_id)
                    .values(first_reply_at=e.occurred_at)
                    .execution_options(synchronize_session=False)
                )
                changes.first_reply(e.operative_id, sent, bool(scheduled), e.occurred_at, before)
            if prompt_days.mark_answered(self._session, prompt_id, e.occurred_at, e.operative_id):
                out_of_order.add(e.operative_id)
        if out_of_order:
            prompt_days.refold(self._session, out_of_order)
        changes.apply(self._session)

    def latest_prompt_days(self, on_or_before: Mapping[int, date]) -> dict[int, PromptDay]:
        return prompt_days.latest_days(self._session, on_or_before)

    def of(self, operative_id: int, type_: str | None = None) -> list[EngagementEvent]:
        query = select(EventRow).where(EventRow.operative_id == operative_id)
        if type_ is not None:
            query = query.where(EventRow.type == type_)
        rows = self._session.scalars(query.order_by(EventRow.occurred_at, EventRow.id))
        return [EngagementEvent(r.type, r.operative_id, r.occurred_at, r.payload) for r in rows]

    def of_many(
        self, operative_ids: Iterable[int], types: Iterable[str], since: datetime
    ) -> dict[int, list[EngagementEvent]]:
        found: dict[int, list[EngagementEvent]] = {}
        ids = list(operative_ids)
        for start in range(0, len(ids), 500):
            rows = self._session.scalars(
                select(EventRow)
                .where(
                    EventRow.operative_id.in_(ids[start : start + 500]),
                    EventRow.type.in_(list(types)),
                    EventRow.occurred_at >= since,
                )
                .order_by(EventRow.occurred_at, EventRow.id)
            )
            for r in rows:
                assert r.operative_id is not None
                found.setdefault(r.operative_id, []).append(
                    EngagementEvent(r.type, r.operative_id, r.occurred_at, r.payload)
                )
        return found
