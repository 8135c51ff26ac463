"""What happens to an outbox message as it is delivered: the record-keeping side.

The Telegram adapter does the sending; this service records what happened,
a chunk of messages at a time, so a crash at any moment leaves a true record:

    claimed  -> sending -> sent                     (the happy path)
             -> pending again, later                 (429, 5xx, network: retry)
             -> unreachable, and the operative too   (403: blocked or deactivated)
             -> failed                               (400: logged, never retried)
    sending, when the process died mid-send -> uncertain (never sent twice)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.model import (
    Delivery,
    EngagementEvent,
    EventType,
    Kind,
    OutboxMessage,
    Status,
)
from bot.core.ports import Clock, UnitOfWork, UnitOfWorkFactory
from bot.core.scheduling import QUIET_FROM, QUIET_UNTIL

#: Kinds that only make sense on their own day: yesterday's prompt is not sent today.
DAY_BOUND = frozenset({Kind.PROMPT, Kind.REMINDER, Kind.CHECK_IN, Kind.SEQUENCE})
#: After this many failed attempts (5xx, network) a message is given up on.
MAX_ATTEMPTS = 8
#: How long a worker may hold claimed messages before another may take them.
LEASE = timedelta(minutes=2)

_SENT_EVENT = {
    Kind.PROMPT: EventType.PROMPT_SENT,
    Kind.REMINDER: EventType.REMINDER_SENT,
    Kind.CHECK_IN: EventType.CHECK_IN_SENT,
    Kind.SEQUENCE: EventType.SEQUENCE_SENT,
    Kind.FOLLOW_UP: EventType.FOLLOW_UP_SENT,
}


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8... seconds, at most five minutes."""
    return timedelta(seconds=min(300, 2**attempts))


@dataclass(frozen=True)
class Sent:
    message: OutboxMessage
    telegram_message_id: int


@dataclass(frozen=True)
class Retry:
    """A 429, a 5xx or a network error: try again after a while."""

    message: OutboxMessage
    after: timedelta
    reason: str


@dataclass(frozen=True)
class Unreachable:
    """403: blocked by the user, or the account is gone."""

    message: OutboxMessage
    reason: str


@dataclass(frozen=True)
class Failed:
    """400: Telegram will never take this message; not retried."""

    message: OutboxMessage
    reason: str


Outcome = Sent | Retry | Unreachable | Failed


@dataclass
class Deliveries:
    uow_factory: UnitOfWorkFactory
    clock: Clock

    def recover(self) -> tuple[int, int]:
        """On start: requeue what a dead worker had claimed; mark its in-flight sends uncertain."""
        with self.uow_factory() as uow:
            counts = uow.outbox.recover(self.clock())
            uow.commit()
        return counts

    def claim(self, limit: int, worker: str, chat_id: int | None = None) -> list[OutboxMessage]:
        """Due messages to send now (only one chat's with ``chat_id``). A message that has
        outlived its day is dropped, and one that would land in the recipient's quiet
        hours waits for 07:00: a worker that was down at 19:55 must not send at 20:05."""
        now = self.clock()
        with self.uow_factory() as uow:
            messages = uow.outbox.claim(now, limit, worker, LEASE, chat_id)
            ready = []
            for message in messages:
                assert message.id is not None
                zone = ZoneInfo(message.timezone or "UTC")
                local = now.astimezone(zone)
                if message.kind in DAY_BOUND and local.date() != message.local_date:
                    uow.outbox.set_status(message.id, Delivery.CANCELLED, error="day passed")
                elif local.time() < QUIET_UNTIL or local.time() >= QUIET_FROM:
                    day = local.date() + timedelta(days=local.time() >= QUIET_FROM)
                    opens = datetime.combine(day, QUIET_UNTIL, tzinfo=zone)
                    uow.outbox.reschedule_claimed(message.id, opens.astimezone(now.tzinfo))
                else:
                    ready.append(message)
            uow.commit()
        return ready

    def show_here(self, chat_id: int, worker: str = "terminal") -> list[OutboxMessage]:
        """For an adapter that shows messages itself (the terminal chat): what is due
        for this one chat now, recorded as sent. Other chats' messages are left alone."""
        messages = self.claim(100, worker, chat_id)
        if messages:
            self.sending(messages)
            self.record([Sent(message, 0) for message in messages])
        return messages

    def sending(self, messages: Sequence[OutboxMessage]) -> None:
        """Just before the requests go: from here on, a crash means "uncertain"."""
        with self.uow_factory() as uow:
            uow.outbox.mark_sending([m.id for m in messages if m.id is not None])
            uow.commit()

    def record(self, outcomes: Sequence[Outcome]) -> None:
        """What Telegram said to each message of a chunk, in one transaction."""
        now = self.clock()
        with self.uow_factory() as uow:
            self._sent([o for o in outcomes if isinstance(o, Sent)], uow, now)
            for outcome in outcomes:
                message = outcome.message
                assert message.id is not None
                match outcome:
                    case Retry(after=after, reason=reason):
                        if message.attempts + 1 >= MAX_ATTEMPTS:
                            uow.outbox.set_status(message.id, Delivery.FAILED, error=reason[:200])
                        else:
                            uow.outbox.retry(message.id, now + after, reason)
                    case Unreachable(reason=reason):
                        self._unreachable(uow, message, reason, now)
                    case Failed(reason=reason):
                        uow.outbox.set_status(message.id, Delivery.FAILED, error=reason[:200])
            uow.commit()

    @staticmethod
    def _sent(sent: Sequence[Sent], uow: UnitOfWork, now: datetime) -> None:
        """Record delivered messages in bulk: the common case, at hundreds a second."""
        if not sent:
            return
        uow.outbox.mark_sent(
            [(s.message.id, s.telegram_message_id) for s in sent if s.message.id is not None],
            now,
        )
        events = []
        for outcome in sent:
            message = outcome.message
            event = _SENT_EVENT.get(message.kind)
            if event is None:
                continue
            payload: dict[str, object] = {"kind": message.kind.value}
            if message.prompt_id:
                payload.update(item=message.prompt_id, via="schedule")
            if message.ref:
                payload.update(ref=message.ref)
            events.append(EngagementEvent(event, message.operative_id, now, payload))
        uow.events.record_many(events)
        uow.operatives.set_awaiting_many(
            [(s.message.operative_id, s.message.awaits) for s in sent if s.message.awaits]
        )

    @staticmethod
    def _unreachable(uow: UnitOfWork, message: OutboxMessage, reason: str, now: datetime) -> None:
        """Blocked or deactivated: stop sending to this operative at all."""
        assert message.id is not None
        uow.outbox.set_status(message.id, Delivery.UNREACHABLE, error=reason[:200])
        operative = uow.operatives.by_id(message.operative_id)
        if operative is not None and operative.status is not Status.STOPPED:
            operative.status = Status.UNREACHABLE
            uow.operatives.save(operative)
            uow.outbox.cancel_pending(message.operative_id)
            uow.events.record(EngagementEvent(EventType.UNREACHABLE, operative.id, now, {}))
