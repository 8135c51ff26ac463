"""What the core needs from storage, as protocols. ``bot.storage`` provides them on SQL."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from bot.core.model import (
    Cohort,
    Commitment,
    ContentGap,
    Delivery,
    EngagementEvent,
    Erased,
    FollowUp,
    FollowUpStatus,
    Kind,
    Operative,
    OutboxMessage,
    Status,
)
from bot.core.policy.streaks import PromptDay
from bot.core.reports.ports import Period, ReportQueries, Scope


class OperativeRepository(Protocol):
    def get(self, telegram_id: int) -> Operative | None: ...

    def lock(self, telegram_id: int) -> Operative | None:
        """Like ``get``, and no other unit of work may change this operative (or lock
        them) until this one ends: two replicas handling one person's updates at once
        take turns, and neither overwrites the other's change."""
        ...

    def add(self, operative: Operative) -> Operative: ...

    def save(self, operative: Operative) -> None: ...

    def by_id(self, operative_id: int) -> Operative | None: ...

    def set_awaiting_many(self, changes: list[tuple[int, str]]) -> None: ...

    def with_status(
        self, statuses: Iterable[Status], cohort_id: int | None = None
    ) -> list[Operative]: ...


class CohortRepository(Protocol):
    def add(self, cohort: Cohort) -> Cohort: ...

    def by_code(self, invite_code: str) -> Cohort | None: ...

    def by_id(self, cohort_id: int) -> Cohort | None: ...

    def created_by(self, telegram_id: int) -> list[Cohort]: ...

    def all(self) -> list[Cohort]: ...

    def close(self, cohort_id: int, when: datetime) -> None: ...

    def member_counts(self, cohort_ids: Iterable[int]) -> dict[int, int]: ...


class EventLog(Protocol):
    def record(self, event: EngagementEvent) -> None: ...

    def record_many(self, events: list[EngagementEvent]) -> None: ...

    def of(self, operative_id: int, type_: str | None = None) -> list[EngagementEvent]: ...

    def of_many(
        self, operative_ids: Iterable[int], types: Iterable[str], since: datetime
    ) -> dict[int, list[EngagementEvent]]: ...

    def latest_prompt_days(self, on_or_before: Mapping[int, date]) -> dict[int, PromptDay]:
        """Each operative's latest prompt day on or before a local date of theirs, with
        the streak rule's counts (:mod:`bot.core.policy.streaks`); none if they had none.
        Its cost doesn't grow with their history."""
        ...


class ContentGaps(Protocol):
    def add(self, gap: ContentGap) -> None: ...

    def recent(self, since: datetime, cohort_ids: list[int] | None) -> list[ContentGap]:
        """Gaps since a time; only these cohorts' unless ``cohort_ids`` is None (all)."""
        ...


class Outbox(Protocol):
    """Messages written before they are sent (see :class:`bot.core.model.OutboxMessage`)."""

    def add(self, message: OutboxMessage, now: datetime) -> bool: ...

    def queued(self, kind: Kind, days: Iterable[date]) -> set[tuple[int, date]]: ...

    def find(
        self, kind: Kind, operative_id: int, day: date, ref: str = ""
    ) -> OutboxMessage | None: ...

    def sent_prompts(
        self, operative_ids: Iterable[int], since: date
    ) -> dict[int, list[OutboxMessage]]: ...

    def claim(
        self,
        now: datetime,
        limit: int,
        token: str,
        lease: timedelta,
        chat_id: int | None = None,
    ) -> list[OutboxMessage]:
        """Due messages, claimed under ``token`` until ``now + lease``; only one chat's
        with ``chat_id``."""
        ...

    # The writes below that take a ``token`` change only messages that claim still holds.

    def set_status(
        self, row_id: int, status: Delivery, token: str | None = None, *, error: str | None = None
    ) -> bool: ...

    def mark_sending(self, row_ids: list[int], token: str) -> set[int]:
        """The ids that may go now (still held by ``token``)."""
        ...

    def mark_sent(self, sent: list[tuple[int, int]], when: datetime, token: str) -> set[int]:
        """(row id, Telegram message id) pairs, delivered at ``when``; the ids recorded."""
        ...

    def retry(
        self, message_id: int, at: datetime, error: str, token: str, *, unconfirmed: bool = False
    ) -> bool: ...

    def release(self, row_ids: list[int], token: str) -> int:
        """Claimed messages handed back untried."""
        ...

    def reschedule(self, message_id: int, at: datetime) -> None: ...

    def reschedule_claimed(self, message_id: int, at: datetime, token: str) -> None:
        """Put a claimed message back in the queue for later, without counting an attempt."""
        ...

    def cancel_pending(self, operative_id: int) -> int: ...

    def renew(self, tokens: Iterable[str], until: datetime) -> int:
        """A live sender's claims last until ``until``."""
        ...

    def sweep(self, now: datetime, *, everything: bool = False) -> tuple[int, int]:
        """Requeue stale claims: (claimed, caught mid-send)."""
        ...

    def unconfirmed(self, kind: Kind | None = None) -> int:
        """Sends whose outcome was never known: an upper bound on duplicates."""
        ...

    def counts(self, kind: Kind | None = None, ref: str | None = None) -> dict[Delivery, int]: ...

    def refs_queued(self, kind: Kind, operative_ids: Iterable[int]) -> set[tuple[int, str]]:
        """(operative id, ref) of every message of this kind, whatever its date."""
        ...


class FollowUps(Protocol):
    def add(self, follow_up: FollowUp) -> FollowUp: ...

    def get(self, follow_up_id: int) -> FollowUp | None: ...

    def set_status(
        self, follow_up_id: int, status: FollowUpStatus, send_at: datetime | None = None
    ) -> None: ...

    def with_status(self, status: FollowUpStatus) -> list[FollowUp]: ...


class Commitments(Protocol):
    def of(self, operative_id: int) -> Commitment | None: ...

    def save(self, commitment: Commitment) -> Commitment: ...

    def in_cohort(self, cohort_id: int) -> list[tuple[Commitment, str]]:
        """Each commitment in a cohort, with its operative's display name."""
        ...


class Erasure(Protocol):
    def erase(self, telegram_id: int) -> Erased | None:
        """Remove every row that names this person or holds their words (see
        ``bot.storage.erasure``); what went, or None if nothing was stored."""
        ...


class Record(enum.StrEnum):
    """What retention deletes, each in batches of ids."""

    EVENTS = "events"
    PROMPTS = "prompts"
    GAPS = "gaps"
    OUTBOX = "outbox"


class RetentionStore(Protocol):
    """Summaries of old weeks and months, and deleting what they replace."""

    def summarised_until(self) -> date | None:
        """The day from which records are kept in full (None if nothing was summarised)."""
        ...

    def earliest_activity(self) -> datetime | None:
        """The oldest event, prompt or unanswered question."""
        ...

    def staff_timezones(self) -> set[str]:
        """Time zones of managers, facilitators and admins (their reports use them)."""
        ...

    def has_summary(self, scope_key: str, period: Period) -> bool: ...

    def summarise(self, scope_key: str, scope: Scope, period: Period, now: datetime) -> None:
        """Keep the figures a report shows for this scope and period, as they are now."""
        ...

    def forget_rollups(self, before: datetime) -> int:
        """Delete each person's weekly report rollups of weeks before ``before`` and
        their older status changes but the latest; how many rows went. Counts kept for
        everyone together stay."""
        ...

    def forget_gap_words(self, before: datetime) -> int:
        """Remove the words (and the link to the person) of older unanswered questions."""
        ...

    def id_span(self, record: Record, before: datetime) -> tuple[int, int] | None:
        """The lowest and highest id of the records retention would delete."""
        ...

    def delete(self, record: Record, before: datetime, first_id: int, stop_id: int) -> int:
        """Delete such records with ids in [first_id, stop_id); how many went."""
        ...


class SeenUpdateStore(Protocol):
    """Telegram update ids already taken in, by any replica (ids and times only)."""

    def first_time(self, update_id: int, now: datetime) -> bool:
        """Record the id; False if it was recorded before. Of two replicas recording the
        same id at once, one gets True and the other, once that one commits, False."""
        ...

    def first_time_and_lock(
        self, update_id: int, now: datetime, telegram_id: int
    ) -> tuple[bool, Operative | None]:
        """``first_time(update_id, now)``, then ``operatives.lock(telegram_id)``, at once:
        on PostgreSQL one statement, one round trip to the server instead of two. The
        operative is locked either way (for the rest of the unit of work)."""
        ...

    def forget_before(self, when: datetime) -> int:
        """Delete ids recorded before ``when``; how many went."""
        ...


class UnitOfWork(Protocol):
    """One transaction: ``with uow_factory() as uow: ...; uow.commit()``."""

    @property
    def operatives(self) -> OperativeRepository: ...

    @property
    def cohorts(self) -> CohortRepository: ...

    @property
    def events(self) -> EventLog: ...

    @property
    def gaps(self) -> ContentGaps: ...

    @property
    def outbox(self) -> Outbox: ...

    @property
    def reports(self) -> ReportQueries: ...

    @property
    def follow_ups(self) -> FollowUps: ...

    @property
    def commitments(self) -> Commitments: ...

    @property
    def erasure(self) -> Erasure: ...

    @property
    def retention(self) -> RetentionStore: ...

    @property
    def seen_updates(self) -> SeenUpdateStore: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None: ...


UnitOfWorkFactory = Callable[[], UnitOfWork]
Clock = Callable[[], datetime]
