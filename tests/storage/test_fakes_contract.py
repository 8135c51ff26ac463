"""The in-memory fakes (tests/fakes.py) and the SQL repositories behave the same.

Service tests run on the fakes; each test here runs on the fakes, on SQLite and on
PostgreSQL and asserts only what all three must agree on, so the fakes can't drift."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

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
)
from bot.core.policy.streaks import PromptDay
from bot.core.ports import UnitOfWorkFactory
from bot.storage.database import make_engine, make_session_factory
from bot.storage.migrate import upgrade
from bot.storage.unit_of_work import SqlUnitOfWork
from tests.conftest import copy_migrated
from tests.fakes import FakeDatabase
from tests.support import scratch_postgres_database

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DAY = date(2026, 12, 1)


@pytest.fixture(params=["fake", "sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def uows(
    request: pytest.FixtureRequest, tmp_path: Path, migrated_sqlite: Path
) -> Iterator[UnitOfWorkFactory]:
    if request.param == "fake":
        yield FakeDatabase().uow_factory
        return
    database: AbstractContextManager[str]
    if request.param == "postgresql":
        database = scratch_postgres_database()
    else:
        url = f"sqlite:///{tmp_path / 'contract.db'}"
        copy_migrated(migrated_sqlite, url)
        database = nullcontext(url)
    with database as url:
        engine = make_engine(url)
        upgrade(engine)
        yield partial(SqlUnitOfWork, make_session_factory(engine))
        engine.dispose()


def person(telegram_id: int, cohort_id: int | None = None, name: str = "Sam") -> Operative:
    return Operative(
        telegram_id=telegram_id,
        display_name=name,
        timezone="Europe/London",
        cohort_id=cohort_id,
        created_at=NOW,
    )


def message(
    operative_id: int, day: date = DAY, kind: Kind = Kind.PROMPT, ref: str = ""
) -> OutboxMessage:
    return OutboxMessage(
        kind=kind,
        operative_id=operative_id,
        chat_id=operative_id,
        local_date=day,
        text="<b>Scenario</b>",
        due_at=NOW,
        buttons=[[("Yes", "ans:x:0")]],
        ref=ref,
        prompt_id="x",
    )


def test_operatives_are_stored_only_when_saved_and_committed(uows: UnitOfWorkFactory) -> None:
    with uows() as uow:
        sam = uow.operatives.add(person(42))
        uow.operatives.add(person(43))
        uow.commit()
    assert sam.id is not None
    with uows() as uow:
        stored = uow.operatives.get(42)
        assert stored is not None and stored.id == sam.id and stored.display_name == "Sam"
        stored.status = Status.PAUSED  # changed, never saved
    with uows() as uow:
        stored = uow.operatives.get(42)
        assert stored is not None and stored.status is Status.ACTIVE
        stored.status, stored.working_days = Status.PAUSED, frozenset({0, 2})
        uow.operatives.save(stored)
        # not committed
    with uows() as uow:
        unsaved = uow.operatives.by_id(sam.id)
        assert unsaved is not None and unsaved.status is Status.ACTIVE
        stored = uow.operatives.get(42)
        assert stored is not None
        stored.status, stored.working_days = Status.PAUSED, frozenset({0, 2})
        uow.operatives.save(stored)
        uow.operatives.set_awaiting_many([(sam.id, "tz")])
        uow.commit()
    with uows() as uow:
        again = uow.operatives.by_id(sam.id)
        assert again is not None
        assert (again.status, again.working_days, again.awaiting) == (
            Status.PAUSED,
            frozenset({0, 2}),
            "tz",
        )
        assert [o.telegram_id for o in uow.operatives.with_status([Status.ACTIVE])] == [43]
        assert uow.operatives.get(99) is None
        with pytest.raises(LookupError):
            uow.operatives.save(person(99))


def test_a_locked_operative_reads_as_got_and_saves(uows: UnitOfWorkFactory) -> None:
    with uows() as uow:
        uow.operatives.add(person(44))
        uow.commit()
    with uows() as uow:
        locked = uow.operatives.lock(44)
        assert locked is not None and locked.display_name == "Sam"
        assert uow.operatives.lock(99) is None
        locked.status = Status.PAUSED
        uow.operatives.save(locked)
        uow.commit()
    with uows() as uow:
        again = uow.operatives.get(44)
        assert again is not None and again.status is Status.PAUSED


def test_an_update_id_is_taken_in_once_until_forgotten(uows: UnitOfWorkFactory) -> None:
    with uows() as uow:
        assert uow.seen_updates.first_time(7001, NOW)
        assert not uow.seen_updates.first_time(7001, NOW)
        uow.commit()
    with uows() as uow:
        assert not uow.seen_updates.first_time(7001, NOW + timedelta(minutes=1))
        assert uow.seen_updates.first_time(7002, NOW + timedelta(hours=2))
        # not committed: 7002 is still new
    with uows() as uow:
        assert uow.seen_updates.first_time(7002, NOW + timedelta(hours=2))
        uow.commit()
    with uows() as uow:
        assert uow.seen_updates.forget_before(NOW + timedelta(hours=1)) == 1
        uow.commit()
    with uows() as uow:
        assert uow.seen_updates.first_time(7001, NOW + timedelta(hours=3))
        assert not uow.seen_updates.first_time(7002, NOW + timedelta(hours=3))


def test_an_update_id_is_taken_in_and_its_person_locked_in_one_step(
    uows: UnitOfWorkFactory,
) -> None:
    with uows() as uow:
        assert uow.seen_updates.first_time_and_lock(7101, NOW, 45) == (True, None)  # not known yet
        uow.operatives.add(person(45))
        uow.commit()
    with uows() as uow:
        fresh, operative = uow.seen_updates.first_time_and_lock(7102, NOW, 45)
        assert fresh and operative is not None and operative.telegram_id == 45
        uow.commit()
    with uows() as uow:
        for update_id in (7101, 7102):
            fresh, operative = uow.seen_updates.first_time_and_lock(update_id, NOW, 45)
            assert not fresh and operative is not None and operative.telegram_id == 45


def test_cohorts_by_code_creator_and_member_counts(uows: UnitOfWorkFactory) -> None:
    with uows() as uow:
        first = uow.cohorts.add(Cohort("Depot A", "ALPHA1", created_by=7, created_at=NOW))
        second = uow.cohorts.add(Cohort("Depot B", "BRAVO2", created_by=8, created_at=NOW))
        assert first.id is not None and second.id is not None
        for number in range(3):
            uow.operatives.add(person(100 + number, first.id))
        uow.operatives.add(person(200))
        uow.cohorts.close(second.id, NOW)
        uow.commit()
    with uows() as uow:
        found = uow.cohorts.by_code("ALPHA1")
        assert found is not None and found.id == first.id and found.name == "Depot A"
        assert uow.cohorts.by_code("NOPE") is None
        assert [c.invite_code for c in uow.cohorts.created_by(8)] == ["BRAVO2"]
        assert [c.invite_code for c in uow.cohorts.all()] == ["ALPHA1", "BRAVO2"]
        closed = uow.cohorts.by_id(second.id)
        assert closed is not None and closed.closed_at == NOW
        assert uow.cohorts.member_counts([first.id, second.id]) == {first.id: 3}
        sam = uow.operatives.get(100)
        assert sam is not None and sam.cohort_id == first.id
        assert [o.telegram_id for o in uow.operatives.with_status([Status.ACTIVE], first.id)] == [
            100,
            101,
            102,
        ]


def test_the_event_log_reads_back_in_time_order(uows: UnitOfWorkFactory) -> None:
    with uows() as uow:
        sam = uow.operatives.add(person(42))
        ali = uow.operatives.add(person(43))
        assert sam.id is not None and ali.id is not None
        later, earlier = NOW + timedelta(hours=2), NOW - timedelta(days=3)
        uow.events.record(EngagementEvent(EventType.ANSWERED, sam.id, later, {"item": "x"}))
        uow.events.record_many(
            [
                EngagementEvent(EventType.PROMPT_SENT, sam.id, NOW, {"item": "x"}),
                EngagementEvent(EventType.PROMPT_SENT, sam.id, earlier, {"item": "y"}),
                EngagementEvent(EventType.PAUSED, ali.id, NOW),
            ]
        )
        uow.commit()
    with uows() as uow:
        assert [(e.type, e.occurred_at) for e in uow.events.of(sam.id)] == [
            (EventType.PROMPT_SENT, earlier),
            (EventType.PROMPT_SENT, NOW),
            (EventType.ANSWERED, later),
        ]
        assert uow.events.of(sam.id, EventType.ANSWERED)[0].payload == {"item": "x"}
        recent = uow.events.of_many([sam.id, ali.id], [EventType.PROMPT_SENT], NOW)
        assert {key: [e.payload for e in found] for key, found in recent.items()} == {
            sam.id: [{"item": "x"}]
        }


def test_prompt_days_carry_the_streak_rule_in_each_time_zone(uows: UnitOfWorkFactory) -> None:
    def sent(op: int, item: str, at: datetime, via: str = "schedule") -> EngagementEvent:
        return EngagementEvent(EventType.PROMPT_SENT, op, at, {"item": item, "via": via})

    def answered(op: int, item: str, at: datetime) -> EngagementEvent:
        return EngagementEvent(EventType.ANSWERED, op, at, {"item": item, "verdict": "ok"})

    monday = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    tuesday, wednesday, thursday = (monday + timedelta(days=n) for n in (1, 2, 3))
    with uows() as uow:
        sam = uow.operatives.add(person(42))
        ali = uow.operatives.add(dataclasses.replace(person(43), timezone="Pacific/Auckland"))
        nobody = uow.operatives.add(person(44))
        assert sam.id is not None and ali.id is not None and nobody.id is not None
        uow.events.record_many(
            [
                sent(sam.id, "b", tuesday),
                answered(sam.id, "b", wednesday + timedelta(hours=1)),  # the next day
                sent(sam.id, "c", wednesday),
                answered(sam.id, "c", wednesday + timedelta(hours=2)),
                sent(sam.id, "d", wednesday + timedelta(hours=3), via="practice"),
                answered(sam.id, "d", wednesday + timedelta(hours=4)),
                sent(sam.id, "e", thursday),
                # 20:00 UTC on Monday is 09:00 on Tuesday in Auckland.
                sent(ali.id, "a", monday + timedelta(hours=12)),
                answered(ali.id, "a", monday + timedelta(hours=13)),
            ]
        )
        uow.commit()
    with uows() as uow:  # Monday's, written after the days that followed it
        uow.events.record(sent(sam.id, "a", monday))
        uow.events.record(answered(sam.id, "a", monday + timedelta(hours=1)))
        uow.commit()
    with uows() as uow:
        days = uow.events.latest_prompt_days
        assert days({sam.id: date(2026, 11, 30)}) == {sam.id: PromptDay(date(2026, 11, 30), True)}
        assert days({sam.id: DAY}) == {sam.id: PromptDay(DAY, False, run_before=1)}
        assert days({sam.id: date(2026, 12, 2)}) == {
            sam.id: PromptDay(date(2026, 12, 2), True, misses_before=1)
        }
        assert days({sam.id: date(2026, 12, 9), ali.id: DAY, nobody.id: DAY}) == {
            sam.id: PromptDay(date(2026, 12, 3), False, run_before=1),
            ali.id: PromptDay(DAY, True),
        }
        assert days({ali.id: date(2026, 11, 30)}) == {}


def test_the_outbox_keeps_one_of_a_kind_and_fences_claims(uows: UnitOfWorkFactory) -> None:
    with uows() as uow:
        sam = uow.operatives.add(person(42))
        ali = uow.operatives.add(person(43))
        assert sam.id is not None and ali.id is not None
        first = message(sam.id)
        assert uow.outbox.add(first, NOW)
        assert not uow.outbox.add(message(sam.id), NOW)  # its twin
        assert uow.outbox.add(message(sam.id, kind=Kind.REMINDER), NOW)
        assert uow.outbox.add(message(ali.id), NOW)
        uow.commit()
    with uows() as uow:
        assert uow.outbox.queued(Kind.PROMPT, [DAY]) == {(sam.id, DAY), (ali.id, DAY)}
        found = uow.outbox.find(Kind.PROMPT, sam.id, DAY)
        assert found is not None and found.id == first.id and found.buttons == first.buttons
        claimed = uow.outbox.claim(NOW, 2, "one", timedelta(minutes=1))
        assert [m.kind for m in claimed] == [Kind.PROMPT, Kind.REMINDER]  # due alike: by id
        assert claimed[0].id == first.id and claimed[0].timezone == "Europe/London"
        assert uow.outbox.claim(NOW, 5, "two", timedelta(minutes=1), chat_id=sam.id) == []
        prompt_id, reminder_id = (m.id or 0 for m in claimed)
        assert uow.outbox.mark_sending([prompt_id, reminder_id], "one") == {prompt_id, reminder_id}
        assert uow.outbox.mark_sent([(prompt_id, 77)], NOW, "two") == set()  # not its claim
        assert uow.outbox.mark_sent([(prompt_id, 77)], NOW, "one") == {prompt_id}
        assert uow.outbox.retry(reminder_id, NOW, "timed out", "one", unconfirmed=True)
        uow.commit()
    with uows() as uow:
        assert uow.outbox.counts(Kind.PROMPT) == {Delivery.SENT: 1, Delivery.PENDING: 1}
        assert uow.outbox.counts(Kind.REMINDER) == {Delivery.PENDING: 1}
        assert uow.outbox.unconfirmed() == 1
        sent = uow.outbox.sent_prompts([sam.id, ali.id], DAY)
        assert {key: [m.message_id for m in found] for key, found in sent.items()} == {sam.id: [77]}
        assert uow.outbox.cancel_pending(sam.id) == 1  # the reminder; the sent prompt stays
        assert uow.outbox.refs_queued(Kind.PROMPT, [sam.id]) == {(sam.id, "")}
        uow.commit()
    with uows() as uow:
        claimed = uow.outbox.claim(NOW, 5, "three", timedelta(minutes=1))
        assert [m.operative_id for m in claimed] == [ali.id]
        assert uow.outbox.mark_sending([claimed[0].id or 0], "three")
        assert uow.outbox.sweep(NOW + timedelta(minutes=5)) == (0, 1)
        uow.commit()
    with uows() as uow:
        assert uow.outbox.unconfirmed() == 2
        assert uow.outbox.unconfirmed(Kind.PROMPT) == 1
        assert uow.outbox.counts() == {
            Delivery.SENT: 1,
            Delivery.PENDING: 1,
            Delivery.CANCELLED: 1,
        }


def test_commitments_follow_ups_gaps_and_erasure(uows: UnitOfWorkFactory) -> None:
    with uows() as uow:
        cohort = uow.cohorts.add(Cohort("Depot A", "ALPHA1", created_by=7, created_at=NOW))
        assert cohort.id is not None
        sam = uow.operatives.add(person(42, cohort.id, "Sam"))
        lead = uow.operatives.add(person(7, cohort.id, "Lee"))
        assert sam.id is not None and lead.id is not None
        made = uow.commitments.save(Commitment(sam.id, cohort.id, "Ask first", NOW, NOW))
        again = uow.commitments.save(
            Commitment(sam.id, cohort.id, "Ask twice", NOW + timedelta(days=1), NOW)
        )
        assert again.id == made.id
        note = uow.follow_ups.add(FollowUp(cohort.id, 7, "Well done", NOW))
        assert note.id is not None
        uow.follow_ups.set_status(note.id, FollowUpStatus.QUEUED, NOW)
        uow.outbox.add(message(sam.id, kind=Kind.FOLLOW_UP, ref=follow_up_ref(note.id)), NOW)
        uow.outbox.add(message(sam.id), NOW)
        uow.gaps.add(ContentGap("what about dogs?", cohort.id, sam.id, None, NOW))
        uow.gaps.add(ContentGap("and cats?", None, None, None, NOW + timedelta(hours=1)))
        uow.events.record(EngagementEvent(EventType.ENROLLED, sam.id, NOW))
        uow.commit()
    with uows() as uow:
        pairs = uow.commitments.in_cohort(cohort.id)
        assert [(c.text, name) for c, name in pairs] == [("Ask twice", "Sam")]
        queued = uow.follow_ups.get(note.id)
        assert queued is not None and queued.status is FollowUpStatus.QUEUED
        assert [f.id for f in uow.follow_ups.with_status(FollowUpStatus.QUEUED)] == [note.id]
        assert [g.text for g in uow.gaps.recent(NOW, None)] == ["and cats?", "what about dogs?"]
        assert [g.text for g in uow.gaps.recent(NOW, [cohort.id])] == ["what about dogs?"]
        assert uow.erasure.erase(42) == Erased(
            events=1, questions=1, commitments=1, messages=2, follow_ups=0, cohorts=0
        )
        assert uow.erasure.erase(42) is None
        assert uow.erasure.erase(7) == Erased(messages=0, follow_ups=1, cohorts=1)
        uow.commit()
    with uows() as uow:
        assert uow.operatives.get(42) is None and uow.commitments.of(sam.id) is None
        assert uow.follow_ups.get(note.id) is None
        kept = uow.cohorts.by_id(cohort.id)
        assert kept is not None and kept.created_by == FORMER_FACILITATOR
        assert uow.outbox.counts() == {}
