"""Repositories: domain objects in, domain objects out; SQL stays in here."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.model import (
    Cohort,
    Commitment,
    ContentGap,
    Delivery,
    EngagementEvent,
    EventType,
    FollowUp,
    FollowUpStatus,
    Kind,
    Operative,
    OutboxMessage,
    Outcome,
    Role,
    Status,
    days_to_mask,
    mask_to_days,
)
from bot.core.policy.streaks import PromptDay
from bot.storage import prompt_days, rollups
from bot.storage.models import (
    CohortRow,
    CommitmentRow,
    ContentGapRow,
    EventRow,
    FollowUpRow,
    OperativeRow,
    OutboxRow,
    PromptReplyRow,
)

_PAIRED = {EventType.PROMPT_SENT.value, EventType.ANSWERED.value}


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _operative(row: OperativeRow) -> Operative:
    return Operative(
        id=row.id,
        telegram_id=row.telegram_id,
        display_name=row.display_name,
        role=Role(row.role),
        cohort_id=row.cohort_id,
        timezone=row.timezone,
        prompt_time=row.prompt_time,
        working_days=mask_to_days(row.working_days),
        status=Status(row.status),
        paused_until=row.paused_until,
        awaiting=row.awaiting,
        created_at=row.created_at,
        trade=row.trade,
        daily_prompts=row.daily_prompts,
    )


def _copy_into(row: OperativeRow, operative: Operative) -> None:
    row.telegram_id = operative.telegram_id
    row.display_name = operative.display_name
    row.role = operative.role.value
    row.cohort_id = operative.cohort_id
    row.timezone = operative.timezone
    row.prompt_time = operative.prompt_time
    row.working_days = days_to_mask(operative.working_days)
    row.status = operative.status.value
    row.paused_until = operative.paused_until
    row.awaiting = operative.awaiting
    row.trade = operative.trade
    row.daily_prompts = operative.daily_prompts
    if operative.created_at is not None:
        row.created_at = operative.created_at


class _Repository:
    """Every repository works inside the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session


class SqlOperatives(_Repository):
    def _row(self, telegram_id: int, *, for_update: bool = False) -> OperativeRow | None:
        query = select(OperativeRow).where(OperativeRow.telegram_id == telegram_id)
        if for_update:
            # SELECT ... FOR UPDATE on PostgreSQL. SQLite ignores it: there, one writer
            # at a time is the rule anyway, and a stale write fails rather than wins.
            query = query.with_for_update()
        return self._session.scalars(query).one_or_none()

    def get(self, telegram_id: int) -> Operative | None:
        row = self._row(telegram_id)
        return _operative(row) if row else None

    def lock(self, telegram_id: int) -> Operative | None:
        row = self._row(telegram_id, for_update=True)
        return _operative(row) if row else None

    def add(self, operative: Operative) -> Operative:
        row = OperativeRow()
        _copy_into(row, operative)
        self._session.add(row)
        self._session.flush()
        operative.id = row.id
        operative.created_at = row.created_at
        return operative

    def save(self, operative: Operative) -> None:
        row = self._row(operative.telegram_id)
        if row is None:
            raise LookupError("no such operative")
        _copy_into(row, operative)

    def by_id(self, operative_id: int) -> Operative | None:
        row = self._session.get(OperativeRow, operative_id)
        return _operative(row) if row else None

    def set_awaiting_many(self, changes: list[tuple[int, str]]) -> None:
        if changes:
            self._session.execute(
                update(OperativeRow),
                [{"id": operative_id, "awaiting": awaiting} for operative_id, awaiting in changes],
            )

    def with_status(
        self, statuses: Iterable[Status], cohort_id: int | None = None
    ) -> list[Operative]:
        query = select(OperativeRow).where(OperativeRow.status.in_([s.value for s in statuses]))
        if cohort_id is not None:
            query = query.where(OperativeRow.cohort_id == cohort_id)
        return [_operative(row) for row in self._session.scalars(query.order_by(OperativeRow.id))]


def _cohort(row: CohortRow) -> Cohort:
    return Cohort(
        id=row.id,
        name=row.name,
        invite_code=row.invite_code,
        workshop_date=row.workshop_date,
        created_by=row.created_by,
        closed_at=row.closed_at,
        created_at=row.created_at,
    )


class SqlCohorts(_Repository):
    def add(self, cohort: Cohort) -> Cohort:
        row = CohortRow(
            name=cohort.name,
            invite_code=cohort.invite_code,
            workshop_date=cohort.workshop_date,
            created_by=cohort.created_by,
            closed_at=cohort.closed_at,
            created_at=cohort.created_at,
        )
        self._session.add(row)
        self._session.flush()
        cohort.id = row.id
        return cohort

    def by_code(self, invite_code: str) -> Cohort | None:
        row = self._session.scalars(
            select(CohortRow).where(CohortRow.invite_code == invite_code)
        ).one_or_none()
        return _cohort(row) if row else None

    def by_id(self, cohort_id: int) -> Cohort | None:
        row = self._session.get(CohortRow, cohort_id)
        return _cohort(row) if row else None

    def all(self) -> list[Cohort]:
        return [
            _cohort(row) for row in self._session.scalars(select(CohortRow).order_by(CohortRow.id))
        ]

    def close(self, cohort_id: int, when: datetime) -> None:
        self._session.execute(
            update(CohortRow).where(CohortRow.id == cohort_id).values(closed_at=when)
        )

    def member_counts(self, cohort_ids: Iterable[int]) -> dict[int, int]:
        rows = self._session.execute(
            select(OperativeRow.cohort_id, func.count())
            .where(OperativeRow.cohort_id.in_(list(cohort_ids)))
            .group_by(OperativeRow.cohort_id)
        )
        return {int(cohort_id): int(count) for cohort_id, count in rows if cohort_id is not None}

    def created_by(self, telegram_id: int) -> list[Cohort]:
        rows = self._session.scalars(
            select(CohortRow).where(CohortRow.created_by == telegram_id).order_by(CohortRow.id)
        )
        return [_cohort(row) for row in rows]


class SqlEventLog(_Repository):
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
                insert(EventRow),
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


class SqlContentGaps(_Repository):
    def add(self, gap: ContentGap) -> None:
        self._session.add(
            ContentGapRow(
                text=gap.text,
                cohort_id=gap.cohort_id,
                operative_id=gap.operative_id,
                topic_guess=gap.topic_guess,
                created_at=gap.created_at,
            )
        )

    def recent(self, since: datetime, cohort_ids: list[int] | None) -> list[ContentGap]:
        query = select(ContentGapRow).where(ContentGapRow.created_at >= since)
        if cohort_ids is not None:
            query = query.where(ContentGapRow.cohort_id.in_(cohort_ids))
        rows = self._session.scalars(query.order_by(ContentGapRow.created_at.desc()).limit(200))
        return [
            ContentGap(r.text, r.cohort_id, r.operative_id, r.topic_guess, r.created_at)
            for r in rows
        ]


def _message(row: OutboxRow, timezone: str | None = None) -> OutboxMessage:
    return OutboxMessage(
        timezone=timezone,
        id=row.id,
        kind=Kind(row.kind),
        operative_id=row.operative_id,
        chat_id=row.chat_id,
        local_date=row.local_date,
        ref=row.ref,
        prompt_id=row.prompt_id,
        awaits=row.awaits,
        text=row.text,
        buttons=[[(label, data) for label, data in line] for line in row.buttons],
        due_at=row.due_at,
        status=Delivery(row.status),
        attempts=row.attempts,
        message_id=row.message_id,
        sent_at=row.sent_at,
        error=row.error,
    )


def _held_by(token: str, *statuses: Delivery) -> ColumnElement[bool]:
    """Still claimed by ``token`` (claimed or mid-send, unless ``statuses`` say otherwise)."""
    wanted = [s.value for s in statuses or (Delivery.CLAIMED, Delivery.SENDING)]
    return and_(OutboxRow.claimed_by == token, OutboxRow.status.in_(wanted))


def _count(result: object) -> int:
    """Rows an UPDATE matched."""
    return int(getattr(result, "rowcount", 0) or 0)


class SqlOutbox(_Repository):
    def add(self, message: OutboxMessage, now: datetime) -> bool:
        """Queue a message; False (and nothing written) if its twin is already queued."""
        row = OutboxRow(
            kind=message.kind.value,
            operative_id=message.operative_id,
            chat_id=message.chat_id,
            local_date=message.local_date,
            ref=message.ref,
            prompt_id=message.prompt_id,
            awaits=message.awaits,
            text=message.text,
            buttons=[[list(button) for button in line] for line in message.buttons],
            due_at=message.due_at,
            status=message.status.value,
            attempts=0,
            next_attempt_at=message.due_at,
            created_at=now,
        )
        try:
            with self._session.begin_nested():
                self._session.add(row)
        except IntegrityError:
            return False
        message.id = row.id
        return True

    def queued(self, kind: Kind, days: Iterable[date]) -> set[tuple[int, date]]:
        """(operative id, local date) of every message of this kind on these days."""
        rows = self._session.execute(
            select(OutboxRow.operative_id, OutboxRow.local_date).where(
                OutboxRow.kind == kind.value, OutboxRow.local_date.in_(list(set(days)))
            )
        )
        return {(operative_id, day) for operative_id, day in rows}

    def find(self, kind: Kind, operative_id: int, day: date, ref: str = "") -> OutboxMessage | None:
        row = self._session.scalars(
            select(OutboxRow).where(
                OutboxRow.kind == kind.value,
                OutboxRow.operative_id == operative_id,
                OutboxRow.local_date == day,
                OutboxRow.ref == ref,
            )
        ).one_or_none()
        return _message(row) if row else None

    def sent_prompts(
        self, operative_ids: Iterable[int], since: date
    ) -> dict[int, list[OutboxMessage]]:
        """Each operative's delivered prompts since a date, oldest first."""
        rows = self._session.scalars(
            select(OutboxRow)
            .where(
                OutboxRow.kind == Kind.PROMPT.value,
                OutboxRow.status == Delivery.SENT.value,
                OutboxRow.operative_id.in_(list(operative_ids)),
                OutboxRow.local_date >= since,
            )
            .order_by(OutboxRow.local_date)
        )
        found: dict[int, list[OutboxMessage]] = {}
        for row in rows:
            found.setdefault(row.operative_id, []).append(_message(row))
        return found

    def claim(
        self,
        now: datetime,
        limit: int,
        token: str,
        lease: timedelta,
        chat_id: int | None = None,
    ) -> list[OutboxMessage]:
        """Take up to ``limit`` due messages under ``token`` (only one chat's with
        ``chat_id``); other workers skip them.

        Every later write about these messages names the token and changes nothing if the
        claim has since been taken over (the fencing that keeps two senders apart)."""
        query = (
            select(OutboxRow.id)
            .where(OutboxRow.status == Delivery.PENDING.value, OutboxRow.next_attempt_at <= now)
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
            .limit(limit)
        )
        if chat_id is not None:
            query = query.where(OutboxRow.chat_id == chat_id)
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(self._session.scalars(query))
        if not ids:
            return []
        self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(ids), OutboxRow.status == Delivery.PENDING.value)
            .values(status=Delivery.CLAIMED.value, claimed_by=token, claimed_until=now + lease)
        )
        rows = self._session.execute(
            select(OutboxRow, OperativeRow.timezone)
            .join(OperativeRow, OperativeRow.id == OutboxRow.operative_id)
            .where(OutboxRow.id.in_(ids), _held_by(token, Delivery.CLAIMED))
            .order_by(OutboxRow.next_attempt_at, OutboxRow.id)
        )
        return [_message(row, timezone) for row, timezone in rows]

    def set_status(
        self, row_id: int, status: Delivery, token: str | None = None, *, error: str | None = None
    ) -> bool:
        """Change a message's status; with ``token``, only while that claim holds it."""
        query = update(OutboxRow).where(OutboxRow.id == row_id)
        if token is not None:
            query = query.where(_held_by(token))
        changes: dict[str, object] = {"status": status.value}
        if error is not None:
            changes["error"] = error
        result = self._session.execute(query.values(changes))
        return _count(result) == 1

    def mark_sending(self, row_ids: list[int], token: str) -> set[int]:
        """Claimed messages about to go; the ids still held by ``token`` (the others must
        not be sent: another sender has taken them over, or they were cancelled)."""
        if not row_ids:
            return set()
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(row_ids), _held_by(token, Delivery.CLAIMED))
            .values(status=Delivery.SENDING.value, attempts=OutboxRow.attempts + 1)
            .returning(OutboxRow.id)
        )
        return set(result.scalars())

    def mark_sent(self, sent: list[tuple[int, int]], when: datetime, token: str) -> set[int]:
        """(row id, Telegram message id) pairs delivered at ``when``; the ids recorded
        (those still held by ``token``)."""
        if not sent:
            return set()
        table = OutboxRow.__table__
        assert isinstance(table, Table)
        self._session.execute(
            update(table)
            .where(
                table.c.id == bindparam("row_id"),
                table.c.claimed_by == token,
                table.c.status == Delivery.SENDING.value,
            )
            .values(
                status=Delivery.SENT.value,
                message_id=bindparam("telegram_id"),
                sent_at=when,
                error=None,
            ),
            [{"row_id": row_id, "telegram_id": telegram_id} for row_id, telegram_id in sent],
        )
        # In the same write transaction: the rows this update changed, and no others.
        return set(
            self._session.scalars(
                select(OutboxRow.id).where(
                    OutboxRow.id.in_([row_id for row_id, _ in sent]),
                    _held_by(token, Delivery.SENT),
                )
            )
        )

    def retry(
        self, message_id: int, at: datetime, error: str, token: str, *, unconfirmed: bool = False
    ) -> bool:
        """Back to the queue until ``at``; ``unconfirmed`` if the failed send may have arrived."""
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, _held_by(token))
            .values(
                status=Delivery.PENDING.value,
                next_attempt_at=at,
                error=error[:200],
                claimed_by=None,
                claimed_until=None,
                unconfirmed=OutboxRow.unconfirmed + int(unconfirmed),
            )
        )
        return _count(result) == 1

    def release(self, row_ids: list[int], token: str) -> int:
        """Claimed messages handed back untried (the API is down, or the worker is stopping)."""
        if not row_ids:
            return 0
        result = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id.in_(row_ids), _held_by(token, Delivery.CLAIMED))
            .values(status=Delivery.PENDING.value, claimed_by=None, claimed_until=None)
        )
        return _count(result)

    def reschedule(self, message_id: int, at: datetime) -> None:
        self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, OutboxRow.status == Delivery.PENDING.value)
            .values(due_at=at, next_attempt_at=at)
        )

    def reschedule_claimed(self, message_id: int, at: datetime, token: str) -> None:
        self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == message_id, _held_by(token, Delivery.CLAIMED))
            .values(
                status=Delivery.PENDING.value,
                next_attempt_at=at,
                claimed_by=None,
                claimed_until=None,
            )
        )

    def cancel_pending(self, operative_id: int) -> int:
        result = self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.operative_id == operative_id,
                OutboxRow.status.in_([Delivery.PENDING.value, Delivery.CLAIMED.value]),
            )
            .values(status=Delivery.CANCELLED.value)
        )
        return _count(result)

    def renew(self, tokens: Iterable[str], until: datetime) -> int:
        """The heartbeat of a live sender: its claims last until ``until``."""
        held = list(tokens)
        if not held:
            return 0
        result = self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.claimed_by.in_(held),
                OutboxRow.status.in_([Delivery.CLAIMED.value, Delivery.SENDING.value]),
            )
            .values(claimed_until=until)
        )
        return _count(result)

    def sweep(self, now: datetime, *, everything: bool = False) -> tuple[int, int]:
        """Put back in the queue what a stopped sender held: claims whose lease ran out
        (or, with ``everything``, every claim: the caller has just become the only sender).

        A message caught mid-send may or may not have arrived. It is sent again, since a
        lost prompt is worse than a repeated one, and counted in ``unconfirmed``.
        Returns (claimed messages requeued, mid-send messages requeued)."""
        stale: ColumnElement[bool] = OutboxRow.claimed_until.is_not(None)
        if not everything:
            stale = OutboxRow.claimed_until < now
        back = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.status == Delivery.CLAIMED.value, stale)
            .values(status=Delivery.PENDING.value, claimed_by=None, claimed_until=None)
        )
        resent = self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.status == Delivery.SENDING.value, stale)
            .values(
                status=Delivery.PENDING.value,
                claimed_by=None,
                claimed_until=None,
                next_attempt_at=now,
                unconfirmed=OutboxRow.unconfirmed + 1,
                error="caught mid-send: sent again",
            )
        )
        return _count(back), _count(resent)

    def unconfirmed(self, kind: Kind | None = None) -> int:
        """Sends whose outcome was never known, in all: an upper bound on duplicates."""
        query = select(func.coalesce(func.sum(OutboxRow.unconfirmed), 0))
        if kind is not None:
            query = query.where(OutboxRow.kind == kind.value)
        return int(self._session.scalar(query) or 0)

    def refs_queued(self, kind: Kind, operative_ids: Iterable[int]) -> set[tuple[int, str]]:
        ids = list(operative_ids)
        found: set[tuple[int, str]] = set()
        for start in range(0, len(ids), 500):
            rows = self._session.execute(
                select(OutboxRow.operative_id, OutboxRow.ref).where(
                    OutboxRow.kind == kind.value,
                    OutboxRow.operative_id.in_(ids[start : start + 500]),
                )
            )
            found.update((operative_id, ref) for operative_id, ref in rows)
        return found

    def counts(self, kind: Kind | None = None, ref: str | None = None) -> dict[Delivery, int]:
        query = select(OutboxRow.status, func.count()).group_by(OutboxRow.status)
        if kind is not None:
            query = query.where(OutboxRow.kind == kind.value)
        if ref is not None:
            query = query.where(OutboxRow.ref == ref)
        return {Delivery(status): int(count) for status, count in self._session.execute(query)}


def _follow_up(row: FollowUpRow) -> FollowUp:
    return FollowUp(
        id=row.id,
        cohort_id=row.cohort_id,
        author_id=row.author_id,
        text=row.text,
        status=FollowUpStatus(row.status),
        send_at=row.send_at,
        created_at=row.created_at,
    )


class SqlFollowUps(_Repository):
    def add(self, follow_up: FollowUp) -> FollowUp:
        row = FollowUpRow(
            cohort_id=follow_up.cohort_id,
            author_id=follow_up.author_id,
            text=follow_up.text,
            status=follow_up.status.value,
            send_at=follow_up.send_at,
            created_at=follow_up.created_at,
        )
        self._session.add(row)
        self._session.flush()
        follow_up.id = row.id
        return follow_up

    def get(self, follow_up_id: int) -> FollowUp | None:
        row = self._session.get(FollowUpRow, follow_up_id)
        return _follow_up(row) if row else None

    def set_status(
        self, follow_up_id: int, status: FollowUpStatus, send_at: datetime | None = None
    ) -> None:
        values: dict[str, object] = {"status": status.value}
        if send_at is not None:
            values["send_at"] = send_at
        self._session.execute(
            update(FollowUpRow).where(FollowUpRow.id == follow_up_id).values(**values)
        )

    def with_status(self, status: FollowUpStatus) -> list[FollowUp]:
        rows = self._session.scalars(
            select(FollowUpRow).where(FollowUpRow.status == status.value).order_by(FollowUpRow.id)
        )
        return [_follow_up(row) for row in rows]


def _commitment(row: CommitmentRow) -> Commitment:
    return Commitment(
        id=row.id,
        operative_id=row.operative_id,
        cohort_id=row.cohort_id,
        text=row.text,
        share_name=row.share_name,
        outcome=Outcome(row.outcome) if row.outcome else None,
        outcome_note=row.outcome_note,
        reflection=row.reflection,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


class SqlCommitments(_Repository):
    def of(self, operative_id: int) -> Commitment | None:
        row = self._session.scalars(
            select(CommitmentRow).where(CommitmentRow.operative_id == operative_id)
        ).one_or_none()
        return _commitment(row) if row else None

    def save(self, commitment: Commitment) -> Commitment:
        row = self._session.scalars(
            select(CommitmentRow).where(CommitmentRow.operative_id == commitment.operative_id)
        ).one_or_none()
        if row is None:
            row = CommitmentRow(
                operative_id=commitment.operative_id, created_at=commitment.created_at
            )
            self._session.add(row)
        row.cohort_id = commitment.cohort_id
        row.text = commitment.text
        row.share_name = commitment.share_name
        row.outcome = commitment.outcome.value if commitment.outcome else None
        row.outcome_note = commitment.outcome_note
        row.reflection = commitment.reflection
        row.updated_at = commitment.updated_at
        self._session.flush()
        commitment.id = row.id
        return commitment

    def in_cohort(self, cohort_id: int) -> list[tuple[Commitment, str]]:
        rows = self._session.execute(
            select(CommitmentRow, OperativeRow.display_name)
            .join(OperativeRow, OperativeRow.id == CommitmentRow.operative_id)
            .where(CommitmentRow.cohort_id == cohort_id)
            .order_by(CommitmentRow.created_at)
        )
        return [(_commitment(row), name) for row, name in rows]
