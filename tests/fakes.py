"""An in-memory unit of work implementing the ports in ``bot.core.ports``, for service tests.

Service tests drive the handlers through :class:`bot.core.router.Coach`; on these fakes
they need no database, no migrations and no files. What the fakes do not hold:

- ``uow.reports`` (the reports' SQL queries) and ``uow.retention`` (summaries and batch
  deletes): those are SQL by nature. Tests that need them use the SQLite-backed coach
  (``sql_coach`` in tests/conftest.py, or tests/unit/test_reports.py's own).

Like the SQL unit of work, a block left without ``commit()`` changes nothing, and the
repositories hand out copies, so changing an object without ``save`` stores nothing.
``tests/test_fakes_contract.py`` runs the same operations against these and the SQL
repositories so that the two cannot drift apart silently.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Self

from bot.core.model import (
    FORMER_FACILITATOR,
    Cohort,
    Commitment,
    ContentGap,
    Delivery,
    EngagementEvent,
    Erased,
    EventType,
    FollowUp,
    FollowUpStatus,
    Kind,
    Operative,
    OutboxMessage,
    Status,
    follow_up_ref,
    follow_up_report_ref,
)
from bot.core.policy.streaks import PromptDay, carried, local_day
from bot.core.ports import (
    CohortRepository,
    Commitments,
    ContentGaps,
    Erasure,
    EventLog,
    FollowUps,
    OperativeRepository,
    Outbox,
    RetentionStore,
    SeenUpdateStore,
    UnitOfWork,
    UnitOfWorkFactory,
)
from bot.core.reports.ports import ReportQueries

NOT_IN_MEMORY = "the in-memory unit of work has no {}: use the SQLite-backed `sql_coach` fixture"


@dataclass
class _Prompt:
    """A prompt sent, as ``prompt_replies`` keeps it: a scheduled one has its local date
    (in the operative's time zone when it was sent), answered if a reply to it came that
    day (in their time zone when they replied)."""

    operative_id: int
    item: str
    sent_at: datetime
    day: date | None
    answered: bool = False


@dataclass
class _Queued:
    """An outbox row: the message, and the bookkeeping the SQL table keeps beside it."""

    message: OutboxMessage
    next_attempt_at: datetime
    created_at: datetime
    claimed_by: str | None = None
    claimed_until: datetime | None = None
    unconfirmed: int = 0

    def held_by(self, token: str, *statuses: Delivery) -> bool:
        wanted = statuses or (Delivery.CLAIMED, Delivery.SENDING)
        return self.claimed_by == token and self.message.status in wanted


@dataclass
class Tables:
    """Everything stored, as plain data (what one committed state of the database holds)."""

    operatives: dict[int, Operative] = field(default_factory=dict)
    cohorts: dict[int, Cohort] = field(default_factory=dict)
    events: list[EngagementEvent] = field(default_factory=list)
    prompts: list[_Prompt] = field(default_factory=list)
    gaps: list[ContentGap] = field(default_factory=list)
    outbox: dict[int, _Queued] = field(default_factory=dict)
    follow_ups: dict[int, FollowUp] = field(default_factory=dict)
    #: By operative id: each operative has at most one commitment.
    commitments: dict[int, Commitment] = field(default_factory=dict)
    #: Telegram update ids taken in, with when.
    seen_updates: dict[int, datetime] = field(default_factory=dict)
    last_id: int = 0

    def new_id(self) -> int:
        self.last_id += 1
        return self.last_id


class _Repository:
    def __init__(self, tables: Tables) -> None:
        self._t = tables


class FakeOperatives(_Repository):
    def get(self, telegram_id: int) -> Operative | None:
        for operative in self._t.operatives.values():
            if operative.telegram_id == telegram_id:
                return copy.deepcopy(operative)
        return None

    def lock(self, telegram_id: int) -> Operative | None:
        # Nothing runs beside a unit of work in memory, so there is no one to wait for.
        return self.get(telegram_id)

    def add(self, operative: Operative) -> Operative:
        if self.get(operative.telegram_id) is not None:
            raise ValueError(f"an operative with Telegram id {operative.telegram_id} exists")
        operative.id = self._t.new_id()
        self._t.operatives[operative.id] = copy.deepcopy(operative)
        return operative

    def save(self, operative: Operative) -> None:
        stored = self.get(operative.telegram_id)
        if stored is None or stored.id is None:
            raise LookupError("no such operative")
        kept = copy.deepcopy(operative)
        kept.id = stored.id
        kept.created_at = operative.created_at or stored.created_at
        self._t.operatives[stored.id] = kept

    def by_id(self, operative_id: int) -> Operative | None:
        found = self._t.operatives.get(operative_id)
        return copy.deepcopy(found) if found else None

    def set_awaiting_many(self, changes: list[tuple[int, str]]) -> None:
        for operative_id, awaiting in changes:
            if operative_id in self._t.operatives:
                self._t.operatives[operative_id].awaiting = awaiting

    def with_status(
        self, statuses: Iterable[Status], cohort_id: int | None = None
    ) -> list[Operative]:
        wanted = set(statuses)
        return [
            copy.deepcopy(o)
            for _, o in sorted(self._t.operatives.items())
            if o.status in wanted and (cohort_id is None or o.cohort_id == cohort_id)
        ]


class FakeCohorts(_Repository):
    def add(self, cohort: Cohort) -> Cohort:
        if self.by_code(cohort.invite_code) is not None:
            raise ValueError(f"the invite code {cohort.invite_code!r} is taken")
        cohort.id = self._t.new_id()
        self._t.cohorts[cohort.id] = copy.deepcopy(cohort)
        return cohort

    def by_code(self, invite_code: str) -> Cohort | None:
        for cohort in self._t.cohorts.values():
            if cohort.invite_code == invite_code:
                return copy.deepcopy(cohort)
        return None

    def by_id(self, cohort_id: int) -> Cohort | None:
        found = self._t.cohorts.get(cohort_id)
        return copy.deepcopy(found) if found else None

    def created_by(self, telegram_id: int) -> list[Cohort]:
        return [c for c in self.all() if c.created_by == telegram_id]

    def all(self) -> list[Cohort]:
        return [copy.deepcopy(c) for _, c in sorted(self._t.cohorts.items())]

    def close(self, cohort_id: int, when: datetime) -> None:
        if cohort_id in self._t.cohorts:
            self._t.cohorts[cohort_id].closed_at = when

    def member_counts(self, cohort_ids: Iterable[int]) -> dict[int, int]:
        wanted = set(cohort_ids)
        counts: dict[int, int] = {}
        for operative in self._t.operatives.values():
            if operative.cohort_id is not None and operative.cohort_id in wanted:
                counts[operative.cohort_id] = counts.get(operative.cohort_id, 0) + 1
        return counts


class FakeEventLog(_Repository):
    """The event log, and of the prompt-replies read model what the core reads: prompt
    days for streaks (the rest feeds reports, which stay SQL)."""

    def record(self, event: EngagementEvent) -> None:
        self.record_many([event])

    def record_many(self, events: list[EngagementEvent]) -> None:
        self._t.events.extend(copy.deepcopy(events))
        # As the SQL side: a batch's prompts are written before its replies are paired.
        for event in sorted(events, key=lambda e: e.type != EventType.PROMPT_SENT):
            self._pair(event)

    def _pair(self, event: EngagementEvent) -> None:
        """As ``SqlEventLog``: a prompt gets its row; a reply goes to the operative's
        latest prompt of the same item sent at or before it."""
        op, item = event.operative_id, event.payload.get("item")
        operative = self._t.operatives.get(op) if op is not None else None
        if op is None or item is None:
            return
        if event.type == EventType.PROMPT_SENT:
            scheduled = event.payload.get("via") == "schedule"
            day = None
            if scheduled and operative is not None:
                day = local_day(event.occurred_at, operative.timezone)
            self._t.prompts.append(_Prompt(op, str(item), event.occurred_at, day))
        elif event.type == EventType.ANSWERED:
            sent = [
                p
                for p in self._t.prompts
                if p.operative_id == op and p.item == item and p.sent_at <= event.occurred_at
            ]
            if not sent or operative is None:
                return
            latest = max(reversed(sent), key=lambda p: p.sent_at)  # the last written wins ties
            replied_on = local_day(event.occurred_at, operative.timezone)
            if latest.day is not None and latest.day == replied_on:
                latest.answered = True

    def latest_prompt_days(self, on_or_before: Mapping[int, date]) -> dict[int, PromptDay]:
        # Worked out from the whole history by the rule itself (the SQL side keeps the
        # running counts on each row instead; the contract test checks they agree).
        found: dict[int, PromptDay] = {}
        for op, until in on_or_before.items():
            days = [
                PromptDay(p.day, p.answered)
                for p in self._t.prompts
                if p.operative_id == op and p.day is not None and p.day <= until
            ]
            chain = carried(days)
            if chain:
                found[op] = chain[-1]
        return found

    def _in_order(self) -> list[EngagementEvent]:
        # Sorted by time, then by insertion (the SQL log orders by time, then id).
        return sorted(self._t.events, key=lambda e: e.occurred_at)

    def of(self, operative_id: int, type_: str | None = None) -> list[EngagementEvent]:
        return [
            copy.deepcopy(e)
            for e in self._in_order()
            if e.operative_id == operative_id and (type_ is None or e.type == type_)
        ]

    def of_many(
        self, operative_ids: Iterable[int], types: Iterable[str], since: datetime
    ) -> dict[int, list[EngagementEvent]]:
        ids, wanted = set(operative_ids), set(types)
        found: dict[int, list[EngagementEvent]] = {}
        for e in self._in_order():
            if e.operative_id in ids and e.type in wanted and e.occurred_at >= since:
                found.setdefault(e.operative_id, []).append(copy.deepcopy(e))
        return found


class FakeContentGaps(_Repository):
    def add(self, gap: ContentGap) -> None:
        self._t.gaps.append(gap)

    def recent(self, since: datetime, cohort_ids: list[int] | None) -> list[ContentGap]:
        found = [
            g
            for g in self._t.gaps
            if g.created_at >= since and (cohort_ids is None or g.cohort_id in cohort_ids)
        ]
        return sorted(found, key=lambda g: g.created_at, reverse=True)[:200]


class FakeOutbox(_Repository):
    def _rows(self) -> list[_Queued]:
        return [row for _, row in sorted(self._t.outbox.items())]

    def add(self, message: OutboxMessage, now: datetime) -> bool:
        key = (message.kind, message.operative_id, message.local_date, message.ref)
        if any(
            (r.message.kind, r.message.operative_id, r.message.local_date, r.message.ref) == key
            for r in self._t.outbox.values()
        ):
            return False
        message.id = self._t.new_id()
        kept = dataclasses.replace(
            copy.deepcopy(message), timezone=None, attempts=0, message_id=None, sent_at=None
        )
        self._t.outbox[message.id] = _Queued(kept, next_attempt_at=message.due_at, created_at=now)
        return True

    def queued(self, kind: Kind, days: Iterable[date]) -> set[tuple[int, date]]:
        wanted = set(days)
        return {
            (r.message.operative_id, r.message.local_date)
            for r in self._t.outbox.values()
            if r.message.kind == kind and r.message.local_date in wanted
        }

    def find(self, kind: Kind, operative_id: int, day: date, ref: str = "") -> OutboxMessage | None:
        for r in self._t.outbox.values():
            m = r.message
            if (m.kind, m.operative_id, m.local_date, m.ref) == (kind, operative_id, day, ref):
                return copy.deepcopy(m)
        return None

    def sent_prompts(
        self, operative_ids: Iterable[int], since: date
    ) -> dict[int, list[OutboxMessage]]:
        ids = set(operative_ids)
        found: dict[int, list[OutboxMessage]] = {}
        rows = [
            r.message
            for r in self._rows()
            if r.message.kind == Kind.PROMPT
            and r.message.status == Delivery.SENT
            and r.message.operative_id in ids
            and r.message.local_date >= since
        ]
        for m in sorted(rows, key=lambda m: m.local_date):
            found.setdefault(m.operative_id, []).append(copy.deepcopy(m))
        return found

    def claim(
        self,
        now: datetime,
        limit: int,
        token: str,
        lease: timedelta,
        chat_id: int | None = None,
    ) -> list[OutboxMessage]:
        due = sorted(
            (
                r
                for r in self._t.outbox.values()
                if r.message.status == Delivery.PENDING
                and r.next_attempt_at <= now
                and (chat_id is None or r.message.chat_id == chat_id)
            ),
            key=lambda r: (r.next_attempt_at, r.message.id or 0),
        )[:limit]
        claimed = []
        for r in due:
            r.message.status = Delivery.CLAIMED
            r.claimed_by, r.claimed_until = token, now + lease
            operative = self._t.operatives.get(r.message.operative_id)
            if operative is not None:  # The SQL claim joins the operative for its time zone.
                claimed.append(dataclasses.replace(r.message, timezone=operative.timezone))
        return copy.deepcopy(claimed)

    def set_status(
        self, row_id: int, status: Delivery, token: str | None = None, *, error: str | None = None
    ) -> bool:
        row = self._t.outbox.get(row_id)
        if row is None or (token is not None and not row.held_by(token)):
            return False
        row.message.status = status
        if error is not None:
            row.message.error = error
        return True

    def mark_sending(self, row_ids: list[int], token: str) -> set[int]:
        going = set()
        for row_id in row_ids:
            row = self._t.outbox.get(row_id)
            if row is not None and row.held_by(token, Delivery.CLAIMED):
                row.message.status = Delivery.SENDING
                row.message.attempts += 1
                going.add(row_id)
        return going

    def mark_sent(self, sent: list[tuple[int, int]], when: datetime, token: str) -> set[int]:
        recorded = set()
        for row_id, telegram_id in sent:
            row = self._t.outbox.get(row_id)
            if row is not None and row.held_by(token, Delivery.SENDING):
                row.message.status = Delivery.SENT
                row.message.message_id, row.message.sent_at = telegram_id, when
                row.message.error = None
                recorded.add(row_id)
        return recorded

    def retry(
        self, message_id: int, at: datetime, error: str, token: str, *, unconfirmed: bool = False
    ) -> bool:
        row = self._t.outbox.get(message_id)
        if row is None or not row.held_by(token):
            return False
        row.message.status, row.next_attempt_at = Delivery.PENDING, at
        row.message.error = error[:200]
        row.claimed_by = row.claimed_until = None
        row.unconfirmed += int(unconfirmed)
        return True

    def release(self, row_ids: list[int], token: str) -> int:
        released = 0
        for row_id in row_ids:
            row = self._t.outbox.get(row_id)
            if row is not None and row.held_by(token, Delivery.CLAIMED):
                row.message.status = Delivery.PENDING
                row.claimed_by = row.claimed_until = None
                released += 1
        return released

    def reschedule(self, message_id: int, at: datetime) -> None:
        row = self._t.outbox.get(message_id)
        if row is not None and row.message.status == Delivery.PENDING:
            row.message.due_at = row.next_attempt_at = at

    def reschedule_claimed(self, message_id: int, at: datetime, token: str) -> None:
        row = self._t.outbox.get(message_id)
        if row is not None and row.held_by(token, Delivery.CLAIMED):
            row.message.status, row.next_attempt_at = Delivery.PENDING, at
            row.claimed_by = row.claimed_until = None

    def cancel_pending(self, operative_id: int) -> int:
        cancelled = 0
        for row in self._t.outbox.values():
            waiting = row.message.status in (Delivery.PENDING, Delivery.CLAIMED)
            if row.message.operative_id == operative_id and waiting:
                row.message.status = Delivery.CANCELLED
                cancelled += 1
        return cancelled

    def renew(self, tokens: Iterable[str], until: datetime) -> int:
        held = set(tokens)
        renewed = 0
        for row in self._t.outbox.values():
            live = row.message.status in (Delivery.CLAIMED, Delivery.SENDING)
            if row.claimed_by in held and live:
                row.claimed_until = until
                renewed += 1
        return renewed

    def sweep(self, now: datetime, *, everything: bool = False) -> tuple[int, int]:
        back = resent = 0
        for row in self._t.outbox.values():
            if row.claimed_until is None or (not everything and row.claimed_until >= now):
                continue
            if row.message.status == Delivery.CLAIMED:
                back += 1
            elif row.message.status == Delivery.SENDING:
                resent += 1
                row.next_attempt_at = now
                row.unconfirmed += 1
                row.message.error = "caught mid-send: sent again"
            else:
                continue
            row.message.status = Delivery.PENDING
            row.claimed_by = row.claimed_until = None
        return back, resent

    def unconfirmed(self, kind: Kind | None = None) -> int:
        return sum(
            r.unconfirmed for r in self._t.outbox.values() if kind is None or r.message.kind == kind
        )

    def counts(self, kind: Kind | None = None, ref: str | None = None) -> dict[Delivery, int]:
        found: dict[Delivery, int] = {}
        for r in self._t.outbox.values():
            if (kind is None or r.message.kind == kind) and (ref is None or r.message.ref == ref):
                found[r.message.status] = found.get(r.message.status, 0) + 1
        return found

    def refs_queued(self, kind: Kind, operative_ids: Iterable[int]) -> set[tuple[int, str]]:
        ids = set(operative_ids)
        return {
            (r.message.operative_id, r.message.ref)
            for r in self._t.outbox.values()
            if r.message.kind == kind and r.message.operative_id in ids
        }


class FakeFollowUps(_Repository):
    def add(self, follow_up: FollowUp) -> FollowUp:
        follow_up.id = self._t.new_id()
        self._t.follow_ups[follow_up.id] = copy.deepcopy(follow_up)
        return follow_up

    def get(self, follow_up_id: int) -> FollowUp | None:
        found = self._t.follow_ups.get(follow_up_id)
        return copy.deepcopy(found) if found else None

    def set_status(
        self, follow_up_id: int, status: FollowUpStatus, send_at: datetime | None = None
    ) -> None:
        found = self._t.follow_ups.get(follow_up_id)
        if found is not None:
            found.status = status
            if send_at is not None:
                found.send_at = send_at

    def with_status(self, status: FollowUpStatus) -> list[FollowUp]:
        return [
            copy.deepcopy(f) for _, f in sorted(self._t.follow_ups.items()) if f.status == status
        ]


class FakeCommitments(_Repository):
    def of(self, operative_id: int) -> Commitment | None:
        found = self._t.commitments.get(operative_id)
        return copy.deepcopy(found) if found else None

    def save(self, commitment: Commitment) -> Commitment:
        stored = self._t.commitments.get(commitment.operative_id)
        kept = copy.deepcopy(commitment)
        # As the SQL upsert: one row per operative, keeping its id and first creation time.
        kept.id = stored.id if stored else self._t.new_id()
        kept.created_at = stored.created_at if stored else commitment.created_at
        self._t.commitments[commitment.operative_id] = kept
        commitment.id = kept.id
        return commitment

    def in_cohort(self, cohort_id: int) -> list[tuple[Commitment, str]]:
        found = [
            (copy.deepcopy(c), self._t.operatives[c.operative_id].display_name)
            for c in self._t.commitments.values()
            if c.cohort_id == cohort_id and c.operative_id in self._t.operatives
        ]
        return sorted(found, key=lambda pair: pair[0].created_at)


class FakeErasure(_Repository):
    """As ``bot.storage.erasure.SqlErasure``: what names the person goes, their groups stay."""

    def erase(self, telegram_id: int) -> Erased | None:
        t = self._t
        operative = next((o for o in t.operatives.values() if o.telegram_id == telegram_id), None)
        operative_id = operative.id if operative else None
        follow_up_ids = [f.id for f in t.follow_ups.values() if f.author_id == telegram_id]
        cohorts = 0
        for cohort in t.cohorts.values():
            if cohort.created_by == telegram_id:
                cohort.created_by = FORMER_FACILITATOR
                cohorts += 1
        if operative_id is None and not follow_up_ids and not cohorts:
            return None
        refs = {
            ref
            for number in follow_up_ids
            if number is not None
            for ref in (follow_up_ref(number), follow_up_report_ref(number))
        }
        gone = [
            row_id
            for row_id, r in t.outbox.items()
            if r.message.operative_id == operative_id
            or (r.message.kind == Kind.FOLLOW_UP and r.message.ref in refs)
        ]
        for row_id in gone:
            del t.outbox[row_id]
        for number in follow_up_ids:
            if number is not None:
                del t.follow_ups[number]
        events = questions = commitments = 0
        if operative_id is not None:
            events = sum(e.operative_id == operative_id for e in t.events)
            t.events = [e for e in t.events if e.operative_id != operative_id]
            t.prompts = [p for p in t.prompts if p.operative_id != operative_id]
            questions = sum(g.operative_id == operative_id for g in t.gaps)
            t.gaps = [g for g in t.gaps if g.operative_id != operative_id]
            commitments = int(t.commitments.pop(operative_id, None) is not None)
            del t.operatives[operative_id]
        return Erased(events, questions, commitments, len(gone), len(follow_up_ids), cohorts)


class FakeSeenUpdates(_Repository):
    def first_time(self, update_id: int, now: datetime) -> bool:
        if update_id in self._t.seen_updates:
            return False
        self._t.seen_updates[update_id] = now
        return True

    def first_time_and_lock(
        self, update_id: int, now: datetime, telegram_id: int
    ) -> tuple[bool, Operative | None]:
        return self.first_time(update_id, now), FakeOperatives(self._t).lock(telegram_id)

    def forget_before(self, when: datetime) -> int:
        gone = [update_id for update_id, at in self._t.seen_updates.items() if at < when]
        for update_id in gone:
            del self._t.seen_updates[update_id]
        return len(gone)


class FakeDatabase:
    """The committed state that every :class:`FakeUnitOfWork` from one factory shares."""

    def __init__(self) -> None:
        self.tables = Tables()
        self.commits = 0

    def unit_of_work(self) -> FakeUnitOfWork:
        return FakeUnitOfWork(self)

    @property
    def uow_factory(self) -> UnitOfWorkFactory:
        return self.unit_of_work


class FakeUnitOfWork:
    """``with FakeUnitOfWork(database) as uow: ...; uow.commit()``; no commit, no change."""

    def __init__(self, database: FakeDatabase) -> None:
        self._database = database
        self._tables = Tables()

    def __enter__(self) -> Self:
        self._tables = copy.deepcopy(self._database.tables)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._tables = Tables()

    def commit(self) -> None:
        self._database.tables = copy.deepcopy(self._tables)
        self._database.commits += 1

    @property
    def operatives(self) -> OperativeRepository:
        return FakeOperatives(self._tables)

    @property
    def cohorts(self) -> CohortRepository:
        return FakeCohorts(self._tables)

    @property
    def events(self) -> EventLog:
        return FakeEventLog(self._tables)

    @property
    def gaps(self) -> ContentGaps:
        return FakeContentGaps(self._tables)

    @property
    def outbox(self) -> Outbox:
        return FakeOutbox(self._tables)

    @property
    def follow_ups(self) -> FollowUps:
        return FakeFollowUps(self._tables)

    @property
    def commitments(self) -> Commitments:
        return FakeCommitments(self._tables)

    @property
    def erasure(self) -> Erasure:
        return FakeErasure(self._tables)

    @property
    def seen_updates(self) -> SeenUpdateStore:
        return FakeSeenUpdates(self._tables)

    @property
    def reports(self) -> ReportQueries:
        raise NotImplementedError(NOT_IN_MEMORY.format("report queries"))

    @property
    def retention(self) -> RetentionStore:
        raise NotImplementedError(NOT_IN_MEMORY.format("retention store"))


def _typed_as_the_ports(database: FakeDatabase) -> None:
    """Never called: mypy checks here that the fakes implement the protocols."""
    tables = Tables()
    operatives: OperativeRepository = FakeOperatives(tables)
    cohorts: CohortRepository = FakeCohorts(tables)
    events: EventLog = FakeEventLog(tables)
    gaps: ContentGaps = FakeContentGaps(tables)
    outbox: Outbox = FakeOutbox(tables)
    follow_ups: FollowUps = FakeFollowUps(tables)
    commitments: Commitments = FakeCommitments(tables)
    erasure: Erasure = FakeErasure(tables)
    seen_updates: SeenUpdateStore = FakeSeenUpdates(tables)
    uow: UnitOfWork = FakeUnitOfWork(database)
    factory: UnitOfWorkFactory = database.uow_factory
    del operatives, cohorts, events, gaps, outbox, follow_ups, commitments, erasure
    del seen_updates, uow, factory
