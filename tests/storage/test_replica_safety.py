"""Two replicas on one database: a person's row is theirs one unit of work at a time
(also for the planner), and an update id is taken in once. On SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Engine

from bot.core.content.library import Library
from bot.core.jobs.planner import DailyPrompts
from bot.core.jobs.updates import KEEP_FOR, SeenUpdates
from bot.core.matching.matcher import Matcher
from bot.core.messages import Command, Sender, Text
from bot.core.model import EventType, Status
from bot.core.router import Coach
from tests.questions import QUESTIONS
from tests.storage.test_storage import sample, uow_factory
from tests.support import FakeClock

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)


def test_a_locked_operative_waits_for_the_other_unit_of_work_and_keeps_both_changes(
    engine: Engine,
) -> None:
    uows = uow_factory(engine)
    with uows() as uow:
        uow.operatives.add(sample(telegram_id=61))
        uow.commit()
    if engine.dialect.name != "postgresql":
        # One writer at a time on SQLite: the lock is only a read there.
        with uows() as uow:
            assert uow.operatives.lock(61) is not None
        return
    second_done = threading.Event()

    def pause_meanwhile() -> None:
        with uows() as uow:
            operative = uow.operatives.lock(61)  # waits for the first to commit
            assert operative is not None
            operative.status = Status.PAUSED
            uow.operatives.save(operative)
            uow.commit()
        second_done.set()

    with uows() as uow:
        operative = uow.operatives.lock(61)
        assert operative is not None
        other = threading.Thread(target=pause_meanwhile)
        other.start()
        assert not second_done.wait(0.5)  # held back while this one has the row
        operative.awaiting = "a:doorstep-1"
        uow.operatives.save(operative)
        uow.commit()
    other.join(10)
    assert second_done.is_set()
    with uows() as uow:
        kept = uow.operatives.get(61)
    assert kept is not None
    assert (kept.status, kept.awaiting) == (Status.PAUSED, "a:doorstep-1")


def test_an_update_id_is_new_once_and_old_ids_are_pruned(engine: Engine) -> None:
    clock = FakeClock(NOW)
    seen = SeenUpdates(uow_factory(engine), clock)
    assert seen.first_time(700_001)
    assert not seen.first_time(700_001)
    assert seen.first_time(700_002)
    clock.advance(hours=2)
    assert seen.prune(clock()) == 0  # Telegram could still send these again
    clock.set(NOW + KEEP_FOR + timedelta(seconds=1))
    assert seen.prune(clock()) == 2
    assert seen.first_time(700_001)  # long forgotten: Telegram won't send it any more


def test_two_replicas_taking_in_the_same_update_at_once_handle_it_once(engine: Engine) -> None:
    replicas = [SeenUpdates(uow_factory(engine), FakeClock(NOW)) for _ in range(2)]
    ids = range(800_000, 800_200)
    fresh: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def take_in(number: int) -> None:
        start.wait()
        fresh[number] = [i for i in ids if replicas[number].first_time(i)]

    threads = [threading.Thread(target=take_in, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(fresh[0] + fresh[1]) == list(ids)


def test_a_pause_the_planner_ends_keeps_a_change_made_since_it_read_the_operative(
    coach: Coach, clock: FakeClock
) -> None:
    with coach.uow_factory() as uow:
        uow.operatives.add(sample(62, status=Status.PAUSED, paused_until=date(2026, 11, 30)))
        uow.commit()
    with coach.uow_factory() as uow:
        read_by_the_plan = uow.operatives.with_status([Status.PAUSED])
    with coach.uow_factory() as uow:  # meanwhile, a reply handled on another replica
        operative = uow.operatives.lock(62)
        assert operative is not None
        operative.prompt_time = time(18, 30)
        uow.operatives.save(operative)
        uow.commit()
    planner = DailyPrompts(coach.uow_factory, coach.deps)
    with coach.uow_factory() as uow:
        assert planner._end_pauses(uow, read_by_the_plan, clock()) == 1
        uow.commit()
    with coach.uow_factory() as uow:
        kept = uow.operatives.get(62)
    assert kept is not None
    assert (kept.status, kept.prompt_time) == (Status.ACTIVE, time(18, 30))


def test_a_message_taken_in_on_two_replicas_at_once_is_answered_and_logged_once(
    engine: Engine, library: Library, matcher: Matcher
) -> None:
    """The coach records the update id in the transaction that handles the message."""
    uows = uow_factory(engine)
    replicas = [Coach(uows, library, FakeClock(NOW), matcher=matcher) for _ in range(2)]
    sam = Sender(62, "Sam")
    replicas[0].handle(Command(sam, "start", ""))
    question = Text(sam, QUESTIONS[0])
    ids = range(900_000, 900_040)
    answered: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def take_in(number: int) -> None:
        start.wait()
        answered[number] = [i for i in ids if replicas[number].handle(question, update_id=i)]

    threads = [threading.Thread(target=take_in, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(answered[0] + answered[1]) == list(ids)
    with uows() as uow:
        operative = uow.operatives.get(sam.user_id)
        assert operative is not None and operative.id is not None
        tips = uow.events.of(operative.id, EventType.TIP_SHOWN)
    assert len(tips) == len(ids)
