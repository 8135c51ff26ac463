"""What happens to an outbox message as it is delivered: the record-keeping side.

The Telegram adapter does the sending; this service records what happened, so a
crash at any moment leaves a true record:

    pending -> claimed -> sending -> sent          (the happy path)
                                  -> pending again  (429, 5xx, network: retried until its deadline)
                                  -> unreachable    (403: the operative too; nothing more is sent)
                                  -> failed         (400, or its deadline has passed)
    claimed, when the API is down or the sender stops     -> pending, untried
    claimed or sending, when its sender died              -> pending, by the next sender's sweep

Every claim carries a token, and every write about a claimed message names it and
changes nothing once the claim has been taken over (fencing): a sender that stalled
past its lease can't overwrite what the sender that took over has done.

A message caught mid-send (``sending`` when its sender died) may or may not have
reached Telegram. It is sent again, because a lost prompt is worse than a repeated
one, and counted in ``unconfirmed``; so is a retry after a send whose answer was
lost on the way. Duplicates are therefore at most that count, and only ever the
messages that were in flight.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.model import (
    Delivery,
    EngagementEvent,
    EventType,
    Kind,
    OutboxMessage,
    happened_to,
)
from bot.core.policy.scheduling import QUIET_FROM, QUIET_UNTIL
from bot.core.ports import Clock, UnitOfWork, UnitOfWorkFactory

#: Kinds that only make sense on their own day: yesterday's prompt is not sent today.
DAY_BOUND = frozenset({Kind.PROMPT, Kind.REMINDER, Kind.CHECK_IN, Kind.SEQUENCE})
#: How long a claim lasts unless its sender renews it; a live sender renews it well before.
LEASE = timedelta(seconds=30)
#: Retries wait 1, 2, 4... seconds, and never longer than this.
MAX_BACKOFF = timedelta(minutes=1)
#: How long after it was due a message that isn't day-bound (a follow-up, a digest) may go.
GRACE = timedelta(days=1)

_SENT_EVENT = {
    Kind.PROMPT: EventType.PROMPT_SENT,
    Kind.REMINDER: EventType.REMINDER_SENT,
    Kind.CHECK_IN: EventType.CHECK_IN_SENT,
    Kind.SEQUENCE: EventType.SEQUENCE_SENT,
    Kind.FOLLOW_UP: EventType.FOLLOW_UP_SENT,
}


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8... seconds, at most a minute: a message's deadline, not a count, ends it."""
    return min(MAX_BACKOFF, timedelta(seconds=2 ** min(attempts, 16)))


def deadline(message: OutboxMessage) -> datetime:
    """The last moment a message is worth sending. A day-bound one (a prompt, a reminder)
    by 20:00 on its own day in the recipient's time zone; anything else (a follow-up, a
    digest) a day after it was due."""
    if message.kind in DAY_BOUND:
        zone = ZoneInfo(message.timezone or "UTC")
        return datetime.combine(message.local_date, QUIET_FROM, tzinfo=zone)
    return message.due_at + GRACE


@dataclass(frozen=True)
class Sent:
    message: OutboxMessage
    telegram_message_id: int


@dataclass(frozen=True)
class Retry:
    """A 429, a 5xx or a network error: try again after a while.

    ``unconfirmed`` when the request may have reached Telegram (its answer was lost), so
    the retry may deliver it twice."""

    message: OutboxMessage
    after: timedelta
    reason: str
    unconfirmed: bool = False


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


SendOutcome = Sent | Retry | Unreachable | Failed


@dataclass(frozen=True)
class Claim:
    """Messages taken for sending, and the token every write about them must name."""

    token: str
    messages: list[OutboxMessage]


@dataclass(frozen=True)
class Swept:
    """What a sweep put back in the queue."""

    #: Claimed but not yet sent.
    requeued: int = 0
    #: Caught mid-send: sent again, so each may arrive twice.
    resent: int = 0


@dataclass(frozen=True)
class Written:
    """What one write of marks and outcomes did."""

    #: The messages marked as going that may now be sent (still ours).
    may_go: set[int] = field(default_factory=set)
    #: Outcomes not recorded because the claim had been taken over.
    taken_over: int = 0
    #: Retries after a lost answer: possible duplicates.
    unconfirmed: int = 0


@dataclass
class Deliveries:
    uow_factory: UnitOfWorkFactory
    clock: Clock
    lease: timedelta = LEASE

    def sweep(self, *, everything: bool = False) -> Swept:
        """Requeue what a stopped sender held: claims whose lease has run out or, with
        ``everything``, every claim (for a sender that has just become the only one)."""
        with self.uow_factory() as uow:
            requeued, resent = uow.outbox.sweep(self.clock(), everything=everything)
            uow.commit()
        return Swept(requeued, resent)

    def claim(self, limit: int, worker: str, chat_id: int | None = None) -> Claim:
        """Due messages to send now (only one chat's with ``chat_id``), under a new token.
        A message that has outlived its day is dropped, and one that would land in the
        recipient's quiet hours waits for 07:00: a worker that was down at 19:55 must not
        send at 20:05."""
        now = self.clock()
        token = f"{worker}:{secrets.token_hex(4)}"
        with self.uow_factory() as uow:
            messages = uow.outbox.claim(now, limit, token, self.lease, chat_id)
            ready = []
            for message in messages:
                assert message.id is not None
                zone = ZoneInfo(message.timezone or "UTC")
                local = now.astimezone(zone)
                if message.kind in DAY_BOUND and local.date() != message.local_date:
                    uow.outbox.set_status(message.id, Delivery.CANCELLED, token, error="day passed")
                elif local.time() < QUIET_UNTIL or local.time() >= QUIET_FROM:
                    day = local.date() + timedelta(days=local.time() >= QUIET_FROM)
                    opens = datetime.combine(day, QUIET_UNTIL, tzinfo=zone)
                    uow.outbox.reschedule_claimed(message.id, opens.astimezone(now.tzinfo), token)
                else:
                    ready.append(message)
            uow.commit()
        return Claim(token, ready)

    def show_here(self, chat_id: int, worker: str = "terminal") -> list[OutboxMessage]:
        """For an adapter that shows messages itself (the terminal chat): what is due
        for this one chat now, recorded as sent. Other chats' messages are left alone."""
        claim = self.claim(100, worker, chat_id)
        if claim.messages:
            self.write(claim.token, going=claim.messages)
            self.write(claim.token, outcomes=[Sent(message, 0) for message in claim.messages])
        return claim.messages

    def renew(self, tokens: Iterable[str]) -> int:
        """The heartbeat: a live sender's claims last another lease."""
        with self.uow_factory() as uow:
            renewed = uow.outbox.renew(tokens, self.clock() + self.lease)
            uow.commit()
        return renewed

    def write(
        self,
        token: str,
        going: Sequence[OutboxMessage] = (),
        outcomes: Sequence[SendOutcome] = (),
        untried: Sequence[OutboxMessage] = (),
    ) -> Written:
        """In one transaction: mark ``going`` as mid-send (from here a crash means "send
        again"), record what Telegram said to each of ``outcomes``, and hand ``untried``
        back to the queue without counting an attempt (the API is down)."""
        now = self.clock()
        taken_over = unconfirmed = 0
        with self.uow_factory() as uow:
            uow.outbox.release([m.id for m in untried if m.id is not None], token)
            may_go = uow.outbox.mark_sending([m.id for m in going if m.id is not None], token)
            sent = [o for o in outcomes if isinstance(o, Sent)]
            recorded = uow.outbox.mark_sent(
                [(s.message.id, s.telegram_message_id) for s in sent if s.message.id is not None],
                now,
                token,
            )
            self._sent([s for s in sent if s.message.id in recorded], uow, now)
            taken_over += len(sent) - len(recorded)
            for outcome in outcomes:
                message = outcome.message
                assert message.id is not None
                match outcome:
                    case Retry(after=after, reason=reason, unconfirmed=maybe_sent):
                        if now + after >= deadline(message):
                            error = f"deadline passed: {reason}"
                            done = uow.outbox.set_status(
                                message.id, Delivery.FAILED, token, error=error[:200]
                            )
                        else:
                            done = uow.outbox.retry(
                                message.id, now + after, reason, token, unconfirmed=maybe_sent
                            )
                            unconfirmed += int(done and maybe_sent)
                    case Unreachable(reason=reason):
                        done = self._unreachable(uow, message, reason, now, token)
                    case Failed(reason=reason):
                        done = uow.outbox.set_status(
                            message.id, Delivery.FAILED, token, error=reason[:200]
                        )
                    case _:
                        continue
                taken_over += int(not done)
            uow.commit()
        return Written(may_go, taken_over, unconfirmed)

    def unconfirmed(self) -> int:
        """Sends whose outcome was never known so far: at most this many duplicates."""
        with self.uow_factory() as uow:
            return uow.outbox.unconfirmed()

    @staticmethod
    def _sent(sent: Sequence[Sent], uow: UnitOfWork, now: datetime) -> None:
        """Record delivered messages in bulk: the common case, at hundreds a second."""
        if not sent:
            return
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
    def _unreachable(
        uow: UnitOfWork, message: OutboxMessage, reason: str, now: datetime, token: str
    ) -> bool:
        """Blocked or deactivated: stop sending to this operative at all."""
        assert message.id is not None
        if not uow.outbox.set_status(message.id, Delivery.UNREACHABLE, token, error=reason[:200]):
            return False
        found = uow.operatives.by_id(message.operative_id)
        # Locked, so a change a replica is making to them meanwhile stays.
        operative = uow.operatives.lock(found.telegram_id) if found else None
        happened = operative.mark_unreachable() if operative is not None else []
        if operative is not None and happened:
            uow.operatives.save(operative)
            uow.outbox.cancel_pending(message.operative_id)
            uow.events.record_many(happened_to(operative.id, now, happened))
        return True
