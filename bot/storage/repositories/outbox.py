"""The outbox: messages waiting to go, fenced claims, retries and outcomes."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from bot.core.model import (
    Delivery,
    Kind,
    OutboxMessage,
)
from bot.storage.models import (
    OperativeRow,
    OutboxRow,
)
from bot.storage.repositories.base import Repository


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


class SqlOutbox(Repository):
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
